import { describe, expect, it } from 'vitest'
import EscalatedLayout from '../src/components/EscalatedLayout.vue'
import { adminSections, isCurrent, layoutMode } from '../src/lib/layout.js'
import { page, mount, setPage } from './helpers.js'

describe('layoutMode', () => {
  it('switches on /admin and /agent in the path only', () => {
    expect(layoutMode('/support/admin/tags')).toBe('admin')
    expect(layoutMode('/support/agent/tickets?x=/admin')).toBe('agent')
    expect(layoutMode('/support/agent')).toBe('agent')
    expect(layoutMode('/support/tickets/ESC-1')).toBe('customer')
    expect(layoutMode('/support/administration')).toBe('customer')
  })
  it('marks a menu entry current on its page and the pages below it', () => {
    expect(isCurrent('/support/admin/departments/3/edit', '/support/admin/departments')).toBe(true)
    expect(isCurrent('/support/admin/departments-old', '/support/admin/departments')).toBe(false)
  })
  it('shows only the admin entries the permissions allow', () => {
    const sections = adminSections((p) => p === 'tag.view' || p === 'audit.view')
    expect(sections.flatMap((s) => s.items.map((i) => i.label))).toEqual(['Tags', 'Audit log'])
  })
})

describe('EscalatedLayout', () => {
  const nav = (w, label) => w.find(`nav[aria-label="${label}"]`)

  it('shows the customer portal menu on customer pages', () => {
    setPage({ url: '/support/tickets', escalated: { is_agent: false, permissions: [] }, user: { id: 1, name: 'Cora' } })
    const w = mount(EscalatedLayout, { props: { title: 'My tickets' } })
    expect(nav(w, 'Main').text()).toContain('My tickets')
    expect(nav(w, 'Main').text()).not.toContain('Agent panel')
    expect(nav(w, 'Admin').exists()).toBe(false)
    expect(w.find('h1').text()).toBe('My tickets')
  })

  it('shows the agent menu under /agent and the admin menu under /admin', () => {
    setPage({ url: '/support/agent/tickets', escalated: { is_admin: true } })
    const agent = mount(EscalatedLayout, { props: { title: 'Tickets' } })
    expect(nav(agent, 'Main').text()).toContain('Dashboard')
    expect(nav(agent, 'Main').find('[aria-current="page"]').text()).toBe('Tickets')
    expect(nav(agent, 'Admin').exists()).toBe(false)

    setPage({ url: '/support/admin/departments', escalated: { is_admin: true } })
    const admin = mount(EscalatedLayout, { props: { title: 'Departments' } })
    expect(nav(admin, 'Admin').text()).toContain('SLA policies')
    expect(nav(admin, 'Admin').find('[aria-current="page"]').text()).toBe('Departments')
  })

  it('announces flash messages in live regions', async () => {
    setPage({ url: '/support/agent' })
    const w = mount(EscalatedLayout, { props: { title: 'Dashboard' } })
    expect(w.find('[role="status"][aria-live="polite"]').exists()).toBe(true)
    page.props.flash = { success: 'Ticket updated.', error: 'Could not assign.' }
    await w.vm.$nextTick()
    expect(w.find('[role="status"]').text()).toContain('Ticket updated.')
    expect(w.find('[role="alert"]').text()).toContain('Could not assign.')
    await w.find('[role="status"] button').trigger('click')
    expect(w.find('[role="status"]').text()).not.toContain('Ticket updated.')
  })

  it('links staff to their two-factor settings only when the desk signs people in itself', () => {
    setPage({ url: '/support/agent' })
    const own = mount(EscalatedLayout, { props: { title: 'Dashboard' } })
    expect(own.findAll('a').filter((a) => a.text() === 'Two-factor').map((a) => a.attributes('href'))).toEqual(['/support/admin/settings/two-factor', '/support/admin/settings/two-factor'])

    // Embedded in a host with its own sign-in, the desk has no two-factor routes.
    setPage({ url: '/support/agent' })
    for (const name of Object.keys(page.props.ziggy.routes)) {
      if (name === 'login' || name.startsWith('escalated.admin.two-factor') || name.startsWith('escalated.two-factor')) delete page.props.ziggy.routes[name]
    }
    const embedded = mount(EscalatedLayout, { props: { title: 'Dashboard' } })
    expect(embedded.text()).toContain('Ada Agent')
    expect(embedded.findAll('a').some((a) => a.text() === 'Two-factor')).toBe(false)
  })

  it('has a skip link to the main content', () => {
    setPage()
    const w = mount(EscalatedLayout, { props: { title: 'x' } })
    expect(w.find('a[href="#main"]').exists()).toBe(true)
    expect(w.find('main#main').exists()).toBe(true)
  })
})

describe('menu highlighting', () => {
  it('marks the most specific entry only', async () => {
    const { currentOf } = await import('../src/lib/layout.js')
    expect(currentOf('/support/tickets/create', ['/support/tickets', '/support/tickets/create'])).toBe('/support/tickets/create')
    expect(currentOf('/support/tickets/ESC-1', ['/support/tickets', '/support/tickets/create'])).toBe('/support/tickets')
  })
})
