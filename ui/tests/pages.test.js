import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { here, mount, page, setPage } from './helpers.js'
import { agents, departments, paginator, tags, ticket } from './fixtures.js'
import { pageComponent, pagePath } from '../src/boot.js'

// Every page renders with props in the contract's shapes (pages.json), for an admin holding
// every permission and for an agent holding few, without a Vue warning or an unknown route.
const pages = import.meta.glob('../src/pages/**/*.vue', { eager: true })

const detail = ticket(1, {
  assignee: { id: 7, name: 'Ada Agent' },
  assigned_to: 7,
  requester_ticket_count: 3,
  replies: [
    { id: 1, body: 'Hello', is_internal_note: false, is_pinned: false, created_at: '2026-01-02T12:00:00Z', author: { name: 'Ada' }, attachments: [{ id: 5, original_filename: 'log.txt', mime_type: 'text/plain', size: 2048, url: '/support/attachments/5/download' }] },
    { id: 2, body: 'VIP', is_internal_note: true, is_pinned: true, created_at: '2026-01-02T12:05:00Z', author: null, attachments: [] },
  ],
  attachments: [{ id: 4, original_filename: 'shot.png', mime_type: 'image/png', size: 40000 }],
  activities: [
    { id: 1, type: 'status_changed', causer: { name: 'Ada' }, properties: { to: 'in_progress' }, created_at: '2026-01-02T12:00:00Z' },
    { id: 2, type: 'ticket_split', causer: null, properties: {}, created_at: '2026-01-02T12:01:00Z' },
  ],
  satisfaction_rating: null,
})
const rule = { id: 1, name: 'Urgent, no answer', description: '', is_active: true, position: 0, conditions: [{ field: 'priority', value: 'urgent' }, { field: 'no_response_hours', value: 2 }], actions: [{ type: 'escalate' }, { type: 'notify', value: ['assignee', 7] }] }
const automation = { id: 2, name: 'Close stale', is_active: true, position: 1, conditions: [{ field: 'hours_since_updated', operator: '>', value: 168 }, { field: 'status', operator: '=', value: 'waiting_on_customer' }], actions: [{ type: 'add_note', value: 'Closing.' }, { type: 'change_status', value: 'resolved' }] }
const workflow = { id: 3, name: 'Billing router', description: '', trigger: 'ticket.created', is_active: true, conditions: { match: 'any', rules: [{ field: 'subject', operator: 'contains', value: 'invoice' }, { field: 'tags', operator: 'is_empty' }] }, actions: [{ type: 'move_department', value: 2 }, { type: 'close_ticket' }] }
const lookups = { agents, departments, tags, statuses: [] }

const PROPS = {
  'Escalated/Customer/Index': { tickets: paginator([ticket(1), ticket(2)]), filters: {} },
  'Escalated/Customer/Create': { departments, priorities: ['low', 'medium', 'high'] },
  'Escalated/Customer/Show': { ticket: detail },
  'Escalated/Guest/Create': { departments, priorities: [], lookup_url: '', verification_url: '' },
  'Escalated/Guest/Show': { ticket: detail, token: 'a'.repeat(64) },
  'Escalated/Agent/Dashboard': {
    stats: { open: 4, my_assigned: 1, unassigned: 2, sla_breached: 1, resolved_today: 0 },
    myPerformance: { resolved_this_week: 3 },
    recentTickets: [ticket(1), ticket(2)],
    setup: [
      { key: 'departments', title: 'Departments', text: 'Teams.', href: '/admin/departments', done: false, available: true },
      { key: 'mail', title: 'Mail', text: 'Not built yet.', done: false, available: false },
    ],
  },
  'Escalated/Agent/Notifications': {
    notifications: paginator([
      { id: 2, type: 'escalation', ticket_id: 1, data: { reference: 'ESC-00001', subject: 'Printer', rule_name: 'Urgent' }, created_at: '2026-01-02T12:00:00Z', read_at: null },
      { id: 1, type: 'webhook_disabled', ticket_id: null, data: { webhook_id: 3, url: 'https://example.com/h', reason: '12 failures' }, created_at: '2026-01-01T12:00:00Z', read_at: '2026-01-01T13:00:00Z' },
    ]),
    filters: { unread: false },
    unread_count: 1,
  },
  'Escalated/Agent/TicketIndex': { tickets: paginator([ticket(1), ticket(2, { sla_resolution_breached: true })], 1, 2), filters: {}, departments, tags, agents },
  'Escalated/Agent/TicketShow': { ticket: detail, departments, tags, macros: [{ id: 1, name: 'Refund' }], cannedResponses: [{ id: 1, title: 'Thanks', body: 'Thanks!' }], customActions: [], followers_count: 1, is_following: false, agents },
  'Escalated/Admin/Departments/Index': { departments: [{ id: 1, name: 'Support', description: 'Front line', is_active: true, tickets_count: 4, agents_count: 2 }] },
  'Escalated/Admin/Departments/Form': { department: { id: 1, name: 'Support', slug: 'support', description: '', is_active: true, agents: [{ id: 7, name: 'Ada' }] }, agents },
  'Escalated/Admin/Tags/Index': { tags: [{ id: 3, name: 'hardware', color: '#ff0000', tickets_count: 2 }] },
  'Escalated/Admin/Roles/Index': { roles: [{ id: 1, slug: 'admin', name: 'Admin', is_system: true, permissions: ['*'], users_count: 1 }, { id: 4, slug: 'billing', name: 'Billing', is_system: false, permissions: ['ticket.view'], users_count: 0 }] },
  'Escalated/Admin/Roles/Form': { role: { id: 4, slug: 'billing', name: 'Billing', description: '', permissions: ['ticket.view'] }, permissions: ['ticket.view', 'ticket.edit', 'reply.create', 'settings.manage'] },
  'Escalated/Admin/Users/Index': { users: paginator([{ id: 7, name: 'Ada', email: 'ada@example.com', role: 'admin', is_active: true }, { id: 8, name: 'Bo', email: 'bo@example.com', role: 'agent', is_active: false }]), filters: {}, currentUserId: 7 },
  'Escalated/Admin/Statuses/Index': { statuses: [{ slug: 'open', name: 'Open', category: 'open', color: '#3b82f6', position: 1, is_system: true }], categories: ['new', 'open', 'pending', 'on_hold', 'solved'] },
  'Escalated/Admin/Transitions/Index': {
    statuses: [{ slug: 'open', name: 'Open' }, { slug: 'resolved', name: 'Resolved' }],
    transitions: { open: ['resolved'], resolved: [] },
  },
  'Escalated/Admin/Statuses/Form': { status: { slug: 'on_hold_vendor', name: 'Waiting on vendor', category: 'on_hold', color: '#aaaaaa', position: 9, is_system: false }, categories: { new: 'New', open: 'Open', pending: 'Pending', on_hold: 'On hold', solved: 'Solved' } },
  'Escalated/Admin/Settings': { settings: { guest_tickets_enabled: true, ticket_reference_prefix: 'ESC', csat_scale: 5, widget_color: '#4F46E5', some_future_key: 3 }, departments, supported_settings: [], update_url: '' },
  'Escalated/Admin/Settings/TwoFactor': { enabled: false, pending: false },
  'Escalated/Admin/BusinessHours/Index': { schedules: [{ id: 1, name: 'Office', timezone: 'Europe/Paris', schedule: [{ day: 1, start: '09:00', end: '17:00' }], holidays: [] }] },
  'Escalated/Admin/BusinessHours/Form': { schedule: { id: 1, name: 'Office', timezone: 'Europe/Paris', schedule: [{ day: 1, start: '09:00', end: '12:00' }, { day: 1, start: '13:00', end: '17:00' }], holidays: [{ date: '2026-12-25', recurring: true, name: 'Christmas' }] }, timezones: ['UTC', 'Europe/Paris'] },
  'Escalated/Admin/EscalationRules/Index': { rules: [rule] },
  'Escalated/Admin/EscalationRules/Form': { rule, ...lookups },
  'Escalated/Admin/Automations/Index': { automations: [automation] },
  'Escalated/Admin/Automations/Form': { automation, agents, tags },
  'Escalated/Admin/Macros/Index': { macros: [{ id: 1, name: 'Refund', description: '', is_shared: true, created_by: 7, actions: [{ type: 'tags', value: [4] }, { type: 'reply', value: 'Refunded.' }] }], ...lookups },
  'Escalated/Admin/CannedResponses/Index': { responses: [{ id: 1, title: 'Thanks', body: 'Thanks!', category: '', is_shared: true, created_by: 7, creator: { id: 7, name: 'Ada' } }] },
  'Escalated/Admin/AuditLog/Index': { logs: paginator([{ id: 1, user_id: 7, user: { id: 7, name: 'Ada' }, action: 'department.updated', auditable_type: 'department', auditable_id: 1, old_values: { name: 'A' }, new_values: { name: 'B' }, created_at: '2026-01-01T00:00:00Z' }]), filters: {}, users: agents, actions: [], resourceTypes: ['department', 'tag'] },
  'Escalated/Admin/SlaPolicies/Index': { policies: [{ id: 1, name: 'Standard', is_default: true, is_active: true, business_hours_only: true, first_response_hours: { high: 4 }, resolution_hours: { high: 24 } }] },
  'Escalated/Admin/SlaPolicies/Form': { policy: { id: 1, name: 'Standard', first_response_hours: { high: 4 }, resolution_hours: {} }, priorities: ['low', 'medium', 'high', 'urgent', 'critical'], schedules: [{ id: 1, name: 'Office' }] },
  'Escalated/Admin/Workflows/Index': { workflows: [workflow] },
  'Escalated/Admin/Workflows/Form': { workflow, trigger_events: ['ticket.created', 'reply.created'], operators: ['equals', 'contains', 'is_empty'], action_types: ['move_department', 'close_ticket', 'send_webhook'], ...lookups },
  'Escalated/Admin/Workflows/Logs': { logs: paginator([{ id: 1, workflow_id: 3, ticket_id: 1, ticket_reference: 'ESC-00001', event: 'ticket.created', matched: true, status: 'failed', message: 'boom', started_at: '2026-01-01T00:00:00Z' }]), workflows: [{ id: 3, name: 'Billing router' }] },
  'Escalated/Admin/Webhooks/Index': { webhooks: [{ id: 1, url: 'https://example.com/h', events: ['ticket.created'], is_active: true, consecutive_failures: 0, disabled_at: null, disabled_reason: '' }] },
  'Escalated/Admin/Webhooks/Form': { webhook: null, availableEvents: ['ticket.created', 'reply.created'] },
  'Escalated/Admin/Webhooks/DeliveryLog': { webhook: { id: 1, url: 'https://example.com/h' }, deliveries: paginator([{ id: 1, webhook_id: 1, event: 'ticket.created', attempt: 3, manual: false, status: 'failed', response_status: 500, latency_ms: 120, response_excerpt: 'oops', error: '', created_at: '2026-01-01T00:00:00Z' }]) },
  'Escalated/Admin/ApiTokens/Index': { tokens: [{ id: 1, name: 'CRM', user_id: 7, abilities: ['*'], last_used_at: null, expires_at: null }], users: agents, api_enabled: true },
  'Escalated/Auth/Login': {},
  'Escalated/Auth/TwoFactorChallenge': { action: '', error: '' },
  'Escalated/Error': { status: 404, message: '', home: '' },
}

const URLS = { Customer: '/support/tickets', Guest: '/support/guest', Agent: '/support/agent/tickets', Admin: '/support/admin/x', Auth: '/support/login', Error: '/support/x' }
const names = Object.keys(pages).map((p) => 'Escalated/' + p.replace('../src/pages/', '').replace(/\.vue$/, ''))

describe('pages', () => {
  let warnings
  beforeEach(() => {
    warnings = []
    vi.spyOn(console, 'warn').mockImplementation((...args) => warnings.push(args.join(' ')))
  })
  afterEach(() => vi.restoreAllMocks())

  // The contract lies beside the repository (../shared), as in CI.
  const contractFile = here('../../../shared/escalated-contract/pages.json')
  it.skipIf(!existsSync(contractFile))('use the names pages.json knows', () => {
    const contract = JSON.parse(readFileSync(contractFile, 'utf8')).pages
    const own = ['Escalated/Auth/Login', 'Escalated/Agent/Notifications', 'Escalated/Admin/Transitions/Index']
    for (const name of names) {
      if (!own.includes(name)) expect(contract, name).toHaveProperty([name])
    }
  })

  it('all have sample props here', () => {
    expect([...names].sort()).toEqual(Object.keys(PROPS).sort())
  })

  for (const name of names) {
    for (const who of ['admin', 'light agent']) {
      it(`${name} renders for a ${who}`, () => {
        const area = name.split('/')[1]
        setPage({
          url: URLS[area] ?? '/support',
          escalated: who === 'admin' ? { is_admin: true, permissions: ['*'] } : { is_admin: false, agent_type: 'light', permissions: ['ticket.view', 'reply.create_internal'] },
        })
        // Inertia passes every page prop, the shared ones too, to the page component.
        const w = mount(pageComponent(pages[`../src/${pagePath(name).slice(2)}`]), {
          props: { ...page.props, ...PROPS[name] },
          global: { config: { warnHandler: (msg) => warnings.push(msg) } },
        })
        expect(w.find('h1').text().length).toBeGreaterThan(0)
        expect(warnings).toEqual([])
        w.unmount()
      })
    }
  }
})
