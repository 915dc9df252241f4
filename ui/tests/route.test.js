import { describe, expect, it, beforeEach } from 'vitest'
import { createApp, defineComponent, h, nextTick } from 'vue'
import { hasRoute, installRoute, normalize, route, routeOr, setRoutes } from '../src/lib/route.js'
import { ziggy } from './helpers.js'

describe('route()', () => {
  beforeEach(() => setRoutes(ziggy()))

  it('builds relative URLs from a ticket reference, ids and positional lists', () => {
    expect(route('escalated.agent.tickets.show', 'ESC-00042')).toBe('/support/agent/tickets/ESC-00042')
    expect(route('escalated.admin.departments.update', 3)).toBe('/support/admin/departments/3')
    expect(route('escalated.agent.tickets.tags.destroy', ['ESC-00042', 5])).toBe('/support/agent/tickets/ESC-00042/tags/5')
  })

  it('puts keys that fill no URI parameter into the query string', () => {
    expect(route('escalated.agent.tickets.index', { status: 'open', page: 2 })).toBe('/support/agent/tickets?status=open&page=2')
    expect(route('escalated.agent.tickets.show', { ticket: 'ESC-1', tab: 'notes' })).toBe('/support/agent/tickets/ESC-1?tab=notes')
  })

  it('gives absolute URLs only when asked', () => {
    expect(route('escalated.agent.tickets.index', {}, true)).toBe('http://desk.test/support/agent/tickets')
  })

  it('throws on a name the server did not share', () => {
    expect(() => route('escalated.nope')).toThrow(/not in the route list/)
    expect(hasRoute('escalated.nope')).toBe(false)
    expect(routeOr('escalated.nope', undefined, '/fallback')).toBe('/fallback')
    expect(routeOr('escalated.agent.tickets.index', undefined, '/fallback')).toBe('/support/agent/tickets')
  })

  it('copes with a route list missing optional keys', () => {
    expect(normalize({ routes: { a: { uri: 'x', methods: ['GET'] } } })).toMatchObject({ url: '', port: null, defaults: {} })
    setRoutes({ routes: { a: { uri: 'support/x/{id}', methods: ['GET'] } } })
    expect(route('a', 9)).toBe('/support/x/9')
  })
})

describe('installRoute', () => {
  it('registers route() on window and on the app, for scripts and templates', async () => {
    const listeners = {}
    const router = { on: (event, fn) => (listeners[event] = fn) }
    const el = document.createElement('div')
    const app = createApp(defineComponent({ render() { return h('a', { href: this.route('escalated.agent.tickets.show', 'ESC-7') }) } }))
    installRoute(app, { props: { ziggy: ziggy() } }, router)
    app.mount(el)
    expect(el.querySelector('a').getAttribute('href')).toBe('/support/agent/tickets/ESC-7')
    expect(window.route('escalated.agent.tickets.index')).toBe('/support/agent/tickets')

    // A later page's route list replaces the first.
    listeners.navigate({ detail: { page: { props: { ziggy: { routes: { only: { uri: 'support/only', methods: ['GET'] } } } } } } })
    await nextTick()
    expect(window.route('only')).toBe('/support/only')
    expect(hasRoute('escalated.agent.tickets.index')).toBe(false)
    app.unmount()
  })
})
