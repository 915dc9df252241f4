import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { router } from '@inertiajs/vue3'
import { mount, setPage } from './helpers.js'
import { agents, departments, paginator, tags } from './fixtures.js'
import SlaForm from '../src/pages/Admin/SlaPolicies/Form.vue'
import WorkflowIndex from '../src/pages/Admin/Workflows/Index.vue'
import WorkflowForm from '../src/pages/Admin/Workflows/Form.vue'
import WorkflowLogs from '../src/pages/Admin/Workflows/Logs.vue'
import WebhookIndex from '../src/pages/Admin/Webhooks/Index.vue'
import ApiTokens from '../src/pages/Admin/ApiTokens/Index.vue'
import Transitions from '../src/pages/Admin/Transitions/Index.vue'
import Dashboard from '../src/pages/Agent/Dashboard.vue'
import RuleList from '../src/components/RuleList.vue'
import { workflowConditionText, workflowConditionValue } from '../src/lib/ruleVocab.js'
import { expiresAt } from '../src/lib/format.js'

// SLA policies, workflows, webhooks and API tokens against the props internal/web sends and
// the bodies its handlers decode (they refuse unknown fields).
describe('admin operations pages', () => {
  let post, put
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
    put = vi.spyOn(router, 'put').mockImplementation(() => {})
  })
  afterEach(() => vi.restoreAllMocks())
  const admin = { is_admin: true, permissions: ['*'] }

  it('an SLA policy: every priority is required, hours as numbers', async () => {
    setPage({ url: '/support/admin/sla-policies/1/edit', escalated: admin })
    const hours = { low: 24, medium: 8, high: 4, urgent: 1, critical: 0.5 }
    const w = mount(SlaForm, { props: { policy: { id: 1, name: 'Standard', first_response_hours: hours, resolution_hours: hours, is_active: true }, priorities: ['low', 'medium', 'high', 'urgent', 'critical'], schedules: [] } })
    expect(w.findAll('input[type="number"]').every((i) => i.attributes('required') !== undefined)).toBe(true)
    await w.find('form').trigger('submit')
    const [url, body] = put.mock.calls[0]
    expect(url).toBe('/support/admin/sla-policies/1')
    expect(body).toEqual({ name: 'Standard', description: '', is_active: true, is_default: false, business_hours_only: false, first_response_hours: hours, resolution_hours: hours })
  })

  it('a workflow: trigger, typed condition values, object action values', async () => {
    setPage({ url: '/support/admin/workflows/3', escalated: admin })
    const workflow = {
      id: 3, name: 'Billing', description: '', trigger: 'ticket.created', is_active: true,
      conditions: { match: 'all', rules: [
        { field: 'tags', operator: 'in', value: [4, 5] },
        { field: 'sla_breached', operator: 'equals', value: true },
        { field: 'subject', operator: 'is_empty' },
      ] },
      actions: [
        { type: 'send_notification', value: { recipients: ['assignee', 7], message: 'Look' } },
        { type: 'delay', value: { minutes: 30 } },
        { type: 'send_webhook', value: { url: 'https://example.com/h' } },
      ],
    }
    const w = mount(WorkflowForm, { props: { workflow, trigger_events: ['ticket.created'], operators: [], action_types: [], agents, departments, tags, statuses: [], macros: [] } })
    expect(w.findAll('input').some((i) => i.element.value === '4, 5')).toBe(true)
    const minutes = w.findAll('input[type="number"]').find((i) => i.element.value === '30')
    await minutes.setValue('45')
    await w.findAll('button').find((b) => b.text() === 'Add an action').trigger('click')
    await w.findAll('select[id^="actions-"][id$="-name"]').at(-1).setValue('snooze_ticket')
    await w.find('form').trigger('submit')
    const [url, body] = put.mock.calls[0]
    expect(url).toBe('/support/admin/workflows/3')
    expect(body).toEqual({
      name: 'Billing', description: '', trigger: 'ticket.created', is_active: true,
      conditions: { match: 'all', rules: [
        { field: 'tags', operator: 'in', value: [4, 5] },
        { field: 'sla_breached', operator: 'equals', value: true },
        { field: 'subject', operator: 'is_empty' },
      ] },
      actions: [
        { type: 'send_notification', value: { recipients: ['assignee', 7], message: 'Look' } },
        { type: 'delay', value: { minutes: 45 } },
        { type: 'send_webhook', value: { url: 'https://example.com/h' } },
        { type: 'snooze_ticket', value: { minutes: 60 } },
      ],
    })
  })

  it('a webhook action sends its secret when one is typed, and leaves it out when cleared', async () => {
    setPage({ url: '/support/admin/workflows/create', escalated: admin })
    const value = { url: 'https://example.com/h' }
    const w = mount(RuleList, { props: { modelValue: [{ type: 'send_webhook', value }], title: 'Then', vocab: { send_webhook: 'url' }, errors: {}, errorPrefix: 'actions' } })
    const secret = w.find('input[type="password"]')
    await secret.setValue('s3cret-s3cret-s3cret')
    let list = w.emitted('update:modelValue').at(-1)[0]
    expect(list[0].value).toEqual({ url: 'https://example.com/h', secret: 's3cret-s3cret-s3cret' })
    await w.setProps({ modelValue: list })
    await w.find('input[type="password"]').setValue('')
    list = w.emitted('update:modelValue').at(-1)[0]
    expect(list[0].value).toEqual({ url: 'https://example.com/h' })
  })

  it('the transition grid sends the whole table, in the statuses\' order', async () => {
    setPage({ url: '/support/admin/transitions', escalated: admin })
    const statuses = [{ slug: 'open', name: 'Open' }, { slug: 'pending', name: 'Pending' }, { slug: 'resolved', name: 'Resolved' }]
    const w = mount(Transitions, { props: { statuses, transitions: { open: ['resolved'], resolved: ['open'] } } })
    expect(w.findAll('input[type="checkbox"]')).toHaveLength(6) // no status moves to itself
    await w.find('input[aria-label="Open to Pending"]').setValue(true)
    await w.find('input[aria-label="Resolved to Open"]').setValue(false)
    await w.find('form').trigger('submit')
    const [url, body] = put.mock.calls[0]
    expect(url).toBe('/support/admin/transitions')
    expect(body).toEqual({ transitions: { open: ['pending', 'resolved'], pending: [], resolved: [] } })
  })

  it('the transition grid is read-only without settings.manage', () => {
    setPage({ url: '/support/admin/transitions', escalated: { is_admin: false, permissions: ['settings.view'] } })
    const w = mount(Transitions, { props: { statuses: [{ slug: 'open', name: 'Open' }, { slug: 'closed', name: 'Closed' }], transitions: { open: ['closed'] } } })
    expect(w.findAll('input[type="checkbox"]').every((i) => i.attributes('disabled') !== undefined)).toBe(true)
    expect(w.text()).not.toContain('Save transitions')
  })

  it('a nested action error shows under its action', () => {
    setPage({ url: '/support/admin/workflows/create', escalated: admin })
    const w = mount(RuleList, { props: { modelValue: [{ type: 'delay', value: { minutes: 0 } }], title: 'Then', vocab: { delay: 'minutes' }, errors: { 'actions.0.value.minutes': 'Too short.' }, errorPrefix: 'actions' } })
    expect(w.text()).toContain('Too short.')
    expect(w.find('input[type="number"]').element.value).toBe('0')
  })

  it('condition values by field and operator', () => {
    expect(workflowConditionValue('department_id', 'in', '2, 3')).toEqual([2, 3])
    expect(workflowConditionValue('priority', 'not_in', 'low,medium')).toEqual(['low', 'medium'])
    expect(workflowConditionValue('assigned_to', 'equals', '7')).toBe(7)
    expect(workflowConditionValue('hours_since_created', 'greater_than', '2.5')).toBe(2.5)
    expect(workflowConditionValue('sla_breached', 'equals', 'false')).toBe(false)
    expect(workflowConditionValue('subject', 'contains', ' 42 ')).toBe(' 42 ')
    expect(workflowConditionValue('subject', 'is_not_empty', 'x')).toBeUndefined()
    expect(workflowConditionText([4, 5])).toBe('4, 5')
    expect(workflowConditionText(true)).toBe('true')
  })

  it('the workflow list: toggle is PUT {active}, runs link to the filtered log', async () => {
    setPage({ url: '/support/admin/workflows', escalated: admin })
    const w = mount(WorkflowIndex, { props: { workflows: [{ id: 3, name: 'Billing', trigger: 'ticket.created', is_active: true, actions: [{ type: 'close_ticket' }] }] } })
    expect(w.text()).toContain('ticket.created')
    await w.find('button[role="switch"]').trigger('click')
    expect(put).toHaveBeenCalledWith('/support/admin/workflows/3/toggle', { active: false }, expect.any(Object))
    const hrefs = w.findAll('a').map((a) => a.attributes('href'))
    expect(hrefs).toContain('/support/admin/workflows/logs?workflow=3')
    expect(hrefs).toContain('/support/admin/workflows/logs')
  })

  it('the run log reads the runs as the server sends them', () => {
    setPage({ url: '/support/admin/workflows/logs', escalated: admin })
    const run = { id: 1, workflow_id: 3, ticket_id: 9, event: 'ticket.created', matched: true, status: 'failed', message: 'The tag is gone.', ticket_reference: 'ESC-00009', started_at: '2026-01-01T00:00:00Z' }
    const w = mount(WorkflowLogs, { props: { logs: paginator([run]), workflows: [{ id: 3, name: 'Billing' }] } })
    expect(w.text()).toContain('Billing')
    expect(w.text()).toContain('ESC-00009')
    expect(w.text()).toContain('ticket.created')
    expect(w.text()).toContain('The tag is gone.')
    expect(w.find('time').attributes('datetime')).toBe(run.started_at)
  })

  it('webhooks: the secret flashed once, a disabled endpoint explained', () => {
    setPage({ url: '/support/admin/webhooks', escalated: admin, props: { flash: { webhook_secret: 's3cr3t' } } })
    const w = mount(WebhookIndex, { props: { webhooks: [{ id: 1, url: 'https://example.com/h', events: ['ticket.created'], is_active: false, consecutive_failures: 12, disabled_at: '2026-01-01T00:00:00Z', disabled_reason: 'HTTP 500 twelve times' }] } })
    expect(w.text()).toContain('s3cr3t')
    expect(w.text()).toContain('12 failures in a row')
    expect(w.text()).toContain('HTTP 500 twelve times')
  })

  it('API tokens: an agent makes their own, with an expiry date; the plaintext shows once', async () => {
    setPage({ url: '/support/admin/api-tokens', escalated: { is_admin: false, permissions: ['ticket.view'] }, props: { flash: { plain_text_token: 'a'.repeat(64) } } })
    const w = mount(ApiTokens, { props: { tokens: [{ id: 1, name: 'Mine', user_id: 7, abilities: ['*'] }, { id: 2, name: 'Theirs', user_id: 8, abilities: ['*'] }], users: [{ id: 7, name: 'Ada Agent' }], api_enabled: true } })
    expect(w.text()).toContain('a'.repeat(64))
    expect(w.text()).not.toContain('Acts as')
    expect(w.findAll('button').filter((b) => b.text().startsWith('Revoke'))).toHaveLength(1)
    const inputs = w.findAll('input')
    await inputs.find((i) => i.attributes('placeholder') === 'CRM sync').setValue('Deploy')
    await inputs.find((i) => i.attributes('type') === 'number').setValue('30')
    await w.find('form').trigger('submit')
    const [url, body] = post.mock.calls[0]
    expect(url).toBe('/support/admin/api-tokens')
    expect(body).toEqual({ name: 'Deploy', abilities: ['*'], expires_at: expiresAt(30) })
  })

  it('expiry dates', () => {
    expect(expiresAt(30, new Date('2026-01-15T23:30:00Z'))).toBe('2026-02-14')
  })

  it("the admin's first steps: links, done marks, and mail said to be not built", () => {
    setPage({ url: '/support/agent/tickets/dashboard', escalated: admin })
    const setup = [
      { key: 'departments', title: 'Departments', text: 'Group tickets.', href: '/admin/departments', done: true, available: true },
      { key: 'sla', title: 'SLA policies', text: 'Targets.', href: '/admin/sla-policies', done: false, available: true },
      { key: 'mail', title: 'Mail', text: 'Email in and out is not built yet.', done: false, available: false },
    ]
    const w = mount(Dashboard, { props: { stats: {}, myPerformance: {}, recentTickets: [], setup } })
    expect(w.find('[data-step="sla"] a').attributes('href')).toBe('/support/admin/sla-policies')
    expect(w.find('[data-step="departments"]').text()).toContain('Done')
    expect(w.find('[data-step="mail"] a').exists()).toBe(false)
    expect(w.find('[data-step="mail"]').text()).toContain('Not built yet')
    w.unmount()
    const done = setup.map((s) => ({ ...s, done: s.available }))
    const after = mount(Dashboard, { props: { stats: {}, myPerformance: {}, recentTickets: [], setup: done } })
    expect(after.find('#get-started').exists()).toBe(false)
  })
})
