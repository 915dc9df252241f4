import { defineComponent, h } from 'vue'

export const PAGE_PREFIX = 'Escalated/'

// readInitialPage reads the first page object from the server's HTML shell: the data-page
// attribute of #app, or (as Inertia 3 writes it) a JSON script tagged data-page="app".
export function readInitialPage(doc = document, id = 'app') {
  const el = doc.getElementById(id)
  if (el?.dataset?.page) return JSON.parse(el.dataset.page)
  const script = doc.querySelector(`script[data-page="${id}"][type="application/json"]`)
  if (script?.textContent) return JSON.parse(script.textContent)
  throw new Error(`Escalated: no page object found on #${id}.`)
}

// pagePath maps a component name to its file: Escalated/Agent/TicketShow → ./pages/Agent/TicketShow.vue.
export function pagePath(name) {
  const bare = name.startsWith(PAGE_PREFIX) ? name.slice(PAGE_PREFIX.length) : name
  return `./pages/${bare}.vue`
}

// pageComponent readies a page module for Inertia, which passes every page prop, shared ones
// included, to the page: props a page does not declare must not land on its root element as
// HTML attributes.
export function pageComponent(mod) {
  const component = mod.default ?? mod
  component.inheritAttrs = false
  return component
}

// makeResolver returns Inertia's resolve(): each page is its own chunk, loaded on first use.
// A name this frontend lacks shows the error page rather than a blank screen.
export function makeResolver(pages) {
  return async (name) => {
    const load = pages[pagePath(name)]
    if (load) return pageComponent(await load())
    const component = pageComponent(await pages['./pages/Error.vue']())
    return defineComponent({
      inheritAttrs: false,
      name: 'MissingPage',
      render: () => h(component, { status: 500, message: `This desk's frontend has no page named "${name}".` }),
    })
  }
}
