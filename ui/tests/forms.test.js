import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { router } from '@inertiajs/vue3'
import { mount, page, setPage } from './helpers.js'
import { agents, departments, tags, ticket } from './fixtures.js'
import AutomationForm from '../src/pages/Admin/Automations/Form.vue'
import Settings from '../src/pages/Admin/Settings.vue'
import Login from '../src/pages/Auth/Login.vue'
import TwoFactorChallenge from '../src/pages/Auth/TwoFactorChallenge.vue'
import CustomerShow from '../src/pages/Customer/Show.vue'
import CustomerCreate from '../src/pages/Customer/Create.vue'
import DepartmentForm from '../src/pages/Admin/Departments/Form.vue'

// The admin and auth endpoints refuse fields they do not know (decode with
// DisallowUnknownFields), so each form must send exactly its fields.
describe('form bodies', () => {
  let post, put
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
    put = vi.spyOn(router, 'put').mockImplementation(() => {})
  })
  afterEach(() => vi.restoreAllMocks())

  it('an automation: conditions with operators where they compare hours, typed values', async () => {
    setPage({ url: '/support/admin/automations/create', escalated: { is_admin: true } })
    const w = mount(AutomationForm, { props: { automation: null, agents, tags } })
    await w.find('input[type="text"], input:not([type])').setValue('Close stale')
    const addCondition = w.findAll('button').find((b) => b.text() === 'Add a condition')
    await addCondition.trigger('click')
    await addCondition.trigger('click')
    const conditionNames = () => w.findAll('select[id^="conditions-"][id$="-name"]')
    await conditionNames()[1].setValue('status')
    await w.findAll('button').find((b) => b.text() === 'Add an action').trigger('click')
    const actionName = w.find('select[id^="actions-"][id$="-name"]')
    await actionName.setValue('add_tag')
    const tagSelect = w.findAll('select').find((s) => s.findAll('option').some((o) => o.text() === 'refund'))
    await tagSelect.setValue('4')
    await w.find('form').trigger('submit')
    const [url, body] = post.mock.calls[0]
    expect(url).toBe('/support/admin/automations')
    expect(body).toEqual({
      name: 'Close stale',
      description: '',
      is_active: true,
      conditions: [
        { field: 'hours_since_created', operator: '>', value: 24 },
        { field: 'status', value: 'open' },
      ],
      actions: [{ type: 'add_tag', value: 4 }],
    })
  })

  it('a department update: PUT with its fields, agents as ids', async () => {
    setPage({ url: '/support/admin/departments/1/edit', escalated: { is_admin: true } })
    const w = mount(DepartmentForm, { props: { department: { id: 1, name: 'Support', slug: 'support', description: '', is_active: true, agents: [{ id: 7, name: 'Ada' }] }, agents } })
    await w.findAll('input[type="checkbox"]').find((c) => c.element.value === '8').setValue(true)
    await w.find('form').trigger('submit')
    expect(put).toHaveBeenCalledWith('/support/admin/departments/1', { name: 'Support', slug: 'support', description: '', is_active: true, agent_ids: [7, 8] }, expect.any(Object))
  })

  it('settings: posts only what changed', async () => {
    setPage({ url: '/support/admin/settings', escalated: { is_admin: true } })
    const w = mount(Settings, { props: { settings: { allow_customer_close: true, max_attachments_per_reply: 5, ticket_reference_prefix: 'ESC' } } })
    const save = w.findAll('button').find((b) => b.text() === 'Save settings')
    expect(save.attributes('disabled')).toBeDefined()
    await w.find('input[type="number"]').setValue('8')
    await w.find('input[type="checkbox"]').setValue(false)
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledWith('/support/admin/settings', { allow_customer_close: false, max_attachments_per_reply: 8 }, expect.any(Object))
  })

  it('sign-in: {email, password} to route("login")', async () => {
    setPage({ url: '/support/login', user: null, escalated: { is_agent: false, permissions: [] } })
    const w = mount(Login)
    await w.find('input[type="email"]').setValue('ada@example.com')
    await w.find('input[type="password"]').setValue('secret')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledWith('/support/login', { email: 'ada@example.com', password: 'secret' }, expect.any(Object))
  })

  it('two-factor challenge: {code}, or {recovery_code} alone', async () => {
    setPage({ url: '/support/two-factor', user: null })
    const w = mount(TwoFactorChallenge, { props: { action: '', error: '' } })
    await w.find('input').setValue('123 456')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/two-factor/verify', { code: '123456' }, expect.any(Object))
    await w.findAll('button').find((b) => b.text().includes('recovery code')).trigger('click')
    await w.find('input').setValue(' abcd-efgh ')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/two-factor/verify', { recovery_code: 'abcd-efgh' }, expect.any(Object))
  })

  it('a customer ticket: close, reopen, and internal notes never shown', async () => {
    setPage({ url: '/support/tickets/ESC-00001', escalated: { is_agent: false, permissions: [] }, user: { id: 101, name: 'Cora' } })
    const t = ticket(1, { replies: [{ id: 1, body: 'Public', is_internal_note: false, created_at: '2026-01-01T00:00:00Z', author: { name: 'Ada' } }, { id: 2, body: 'Secret note', is_internal_note: true, created_at: '2026-01-01T00:00:00Z' }] })
    const w = mount(CustomerShow, { props: { ticket: t } })
    expect(w.text()).toContain('Public')
    expect(w.text()).not.toContain('Secret note')
    await w.findAll('button').find((b) => b.text() === 'Close ticket').trigger('click')
    expect(post).toHaveBeenLastCalledWith('/support/tickets/ESC-00001/close', {}, { preserveScroll: true })
    await w.setProps({ ticket: { ...t, status: 'resolved' } })
    await w.findAll('button').find((b) => b.text() === 'Reopen ticket').trigger('click')
    expect(post).toHaveBeenLastCalledWith('/support/tickets/ESC-00001/reopen', {}, { preserveScroll: true })
  })

  it('a new customer ticket: the contract fields, department as a number', async () => {
    setPage({ url: '/support/tickets/create', escalated: { is_agent: false, permissions: [] } })
    const w = mount(CustomerCreate, { props: { departments, priorities: [] } })
    const inputs = w.findAll('input:not([type="file"])')
    await inputs[0].setValue('Cannot log in')
    await w.find('textarea').setValue('It says no.')
    const [priority, department] = w.findAll('select')
    await priority.setValue('urgent')
    await department.setValue('2')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledWith('/support/tickets', { subject: 'Cannot log in', description: 'It says no.', priority: 'urgent', department_id: 2 }, expect.any(Object))
    expect(page.props.errors).toEqual({})
  })
})
