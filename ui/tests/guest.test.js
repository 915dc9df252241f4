import { describe, it, expect } from 'vitest'
import GuestCreate from '../src/pages/Guest/Create.vue'
import GuestShow from '../src/pages/Guest/Show.vue'
import AuditLog from '../src/pages/Admin/AuditLog/Index.vue'
import { mount, page, setPage } from './helpers.js'
import { paginator } from './fixtures.js'

const detail = { id: 1, reference: 'ESC-00001', subject: 'Printer jam', status: 'open', priority: 'medium', description: 'It jams.', replies: [], attachments: [] }
const token = 'A'.repeat(64)

// Without the desk's own sign-in (embedded in a host), the route list has no `login`.
function withoutLogin() {
  setPage({ url: '/support/guest/create', user: null, escalated: { is_agent: false, permissions: [] } })
  const routes = { ...page.props.ziggy.routes }
  delete routes.login
  page.props.ziggy = { ...page.props.ziggy, routes }
}

describe('guest pages', () => {
  it('Guest/Create renders without a login route and posts to the guest store route', () => {
    withoutLogin()
    const w = mount(GuestCreate, { props: { departments: [], priorities: ['low', 'high'], lookup_url: null, verification_url: null } })
    expect(w.text()).not.toContain('Sign in')
    expect(w.text()).not.toContain('Lost your link')
    expect(w.find('input[type="email"]').exists()).toBe(true)
    w.unmount()
  })

  it('Guest/Create links to sign in when the desk has its own', () => {
    setPage({ url: '/support/guest/create', user: null })
    const w = mount(GuestCreate, { props: { departments: [], priorities: [], lookup_url: null, verification_url: null } })
    expect(w.find('a[href="/support/login"]').exists()).toBe(true)
    w.unmount()
  })

  it('Guest/Show shows the private link and, when asked, the sign-up offer', () => {
    withoutLogin()
    const w = mount(GuestShow, { props: { ticket: detail, token, guest_url: '/support/guest/' + token, prompt_signup: true } })
    expect(w.find('[data-testid="guest-link"]').text()).toContain('/support/guest/' + token)
    expect(w.find('[data-testid="guest-signup"]').exists()).toBe(true)
    expect(w.find('[data-testid="guest-signup"] a').exists()).toBe(false)
    w.unmount()
    const plain = mount(GuestShow, { props: { ticket: detail, token } })
    expect(plain.find('[data-testid="guest-signup"]').exists()).toBe(false)
    plain.unmount()
  })
})

describe('the audit log names guests', () => {
  it('shows the contact a guest acted as, and the desk for rules and jobs', () => {
    setPage({ url: '/support/admin/audit-log', escalated: { is_admin: true, permissions: ['*'] } })
    const log = (id, who) => ({ id, action: 'ticket.replied', auditable_type: 'ticket', auditable_id: 1, old_values: null, new_values: null, created_at: '2026-01-01T00:00:00Z', ...who })
    const w = mount(AuditLog, { props: { logs: paginator([log(1, { user: null, contact: { id: 3, name: 'Dana', email: 'dana@example.org' } }), log(2, { user: null, contact: null })]), filters: {}, users: [], actions: [], resourceTypes: [] } })
    expect(w.text()).toContain('Dana (guest, dana@example.org)')
    expect(w.text()).toContain('The desk')
  })
})
