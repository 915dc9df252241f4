// route() for the pages: Ziggy's route() over the route list the server shares as the
// `ziggy` prop (shapes.md §10). It is registered as window.route and as a global property,
// because templates resolve names on globalProperties and scripts may use either.
import { route as ziggyRoute } from 'ziggy-js'

let current = normalize(null)

// normalize fills the keys Ziggy reads unconditionally, so a partial route list still works.
export function normalize(ziggy) {
  const z = ziggy && typeof ziggy === 'object' ? ziggy : {}
  return {
    ...z,
    url: z.url ?? '',
    port: z.port ?? null,
    defaults: { ...(z.defaults ?? {}) },
    routes: { ...(z.routes ?? {}) },
  }
}

export function setRoutes(ziggy) {
  current = normalize(ziggy)
}

// route(name, params, absolute, config) is Ziggy's, except that URLs are relative unless
// absolute is true: the browser stays on the origin it used, whatever the server thinks its
// own address is. Without a name it returns Ziggy's Router (route().current(), .has()).
export function route(name, params, absolute, config) {
  return ziggyRoute(name, params, absolute ?? false, config ? normalize(config) : current)
}

// hasRoute tells whether the server knows a route name, for links to optional features.
export function hasRoute(name) {
  return Object.prototype.hasOwnProperty.call(current.routes, name)
}

// installRoute registers route() for an app and keeps its route list in step with the
// `ziggy` prop of each page the router loads.
export function installRoute(app, initialPage, router) {
  setRoutes(initialPage?.props?.ziggy)
  router?.on?.('navigate', (event) => {
    const ziggy = event?.detail?.page?.props?.ziggy
    if (ziggy) setRoutes(ziggy)
  })
  if (typeof window !== 'undefined') window.route = route
  app.config.globalProperties.route = route
  app.config.globalProperties.hasRoute = hasRoute
  app.provide('route', route)
}

// routeOr is route(name, params) when the server knows the name, and fallback otherwise.
export function routeOr(name, params, fallback) {
  return hasRoute(name) ? route(name, params) : fallback
}
