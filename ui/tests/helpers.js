// Test helpers: a page the mocked usePage() returns, a route list built from the Go routes
// file and the contract, and a mount() that installs route() as the app does.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { reactive } from 'vue'
import { mount as vtuMount } from '@vue/test-utils'
import { installRoute } from '../src/lib/route.js'

// here resolves a path relative to this folder (ui/tests).
export const here = (p) => join(import.meta.dirname, p)

// goRoutes reads internal/web/routes.go: every {"METHOD", "/path", "name", ...} row.
export function goRoutes() {
  const src = readFileSync(here('../../internal/web/routes.go'), 'utf8')
  const routes = {}
  for (const m of src.matchAll(/\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)", "([^"]+)"/g)) {
    const [, method, path, name] = m
    routes[name] ??= { uri: 'support' + path, methods: [] }
    routes[name].methods.push(method)
  }
  return routes
}

export function contractRoutes() {
  return JSON.parse(readFileSync(here('./fixtures/contract-routes.json'), 'utf8')).routes
}

// ziggy is the route list a server would share: the Go routes, and the contract's for the
// names the Go side has yet to add, plus the desk's own sign-in page.
export function ziggy() {
  return {
    url: 'http://desk.test',
    port: null,
    defaults: {},
    routes: { ...contractRoutes(), ...goRoutes(), login: { uri: 'support/login', methods: ['GET', 'POST'] } },
  }
}

export const page = reactive({ url: '/support/agent/tickets', component: '', props: {}, flash: {}, version: '' })

export function setPage({ url = '/support/agent/tickets', props = {}, user = { id: 7, name: 'Ada Agent' }, escalated = {} } = {}) {
  page.url = url
  page.flash = {}
  page.props = {
    escalated: { prefix: 'support', is_agent: true, is_admin: false, permissions: ['*'], agent_type: 'full', ...escalated },
    auth: { user },
    errors: {},
    flash: {},
    ziggy: ziggy(),
    ...props,
  }
}

// mount installs route() the way main.js does.
export function mount(component, options = {}) {
  return vtuMount(component, {
    ...options,
    global: {
      ...(options.global ?? {}),
      plugins: [{ install: (app) => installRoute(app, page) }, ...(options.global?.plugins ?? [])],
      stubs: options.global?.stubs ?? {},
    },
  })
}
