import { describe, expect, it } from 'vitest'
import { activityText } from '../src/lib/activity.js'
import { makeResolver, pagePath, readInitialPage } from '../src/boot.js'
import { bulkPayload } from '../src/lib/bulk.js'
import { changedSettings, settingsSections } from '../src/lib/settings.js'
import { newTicketPayload } from '../src/lib/newTicket.js'
import { permissionGroups } from '../src/lib/permissionList.js'
import { scheduleFromWeek, weekFromSchedule } from '../src/lib/businessHours.js'
import { hoursMap } from '../src/lib/sla.js'
import { cleanItem } from '../src/lib/ruleVocab.js'
import { formatBytes, humanize, options, relativeTime } from '../src/lib/format.js'
import { prefixPath } from '../src/lib/prefix.js'
import { cleanQuery } from '../src/lib/query.js'

describe('boot', () => {
  it('reads the page object from data-page on #app', () => {
    document.body.innerHTML = `<div id="app" data-page='{"component":"Escalated/Error","props":{},"url":"/support","version":"v1"}'></div>`
    expect(readInitialPage()).toEqual({ component: 'Escalated/Error', props: {}, url: '/support', version: 'v1' })
  })
  it('also reads the script element Inertia 3 writes', () => {
    document.body.innerHTML = `<div id="app"></div><script data-page="app" type="application/json">{"component":"Escalated/Error","props":{},"url":"/x","version":""}</script>`
    expect(readInitialPage().url).toBe('/x')
  })
  it('maps component names to page files', () => {
    expect(pagePath('Escalated/Agent/TicketShow')).toBe('./pages/Agent/TicketShow.vue')
    expect(pagePath('Escalated/Admin/Settings')).toBe('./pages/Admin/Settings.vue')
  })
  it('resolves a page lazily, and an unknown one to the error page', async () => {
    const show = { name: 'Show' }
    const error = { name: 'Error' }
    const resolve = makeResolver({ './pages/Agent/TicketShow.vue': async () => ({ default: show }), './pages/Error.vue': async () => ({ default: error }) })
    expect(await resolve('Escalated/Agent/TicketShow')).toBe(show)
    expect(show.inheritAttrs).toBe(false)
    const missing = await resolve('Escalated/Admin/Nope')
    expect(missing.name).toBe('MissingPage')
  })
})

describe('activityText', () => {
  const a = (type, properties = {}, causer = { name: 'Ada' }) => activityText({ type, properties, causer })
  it('words each known activity type', () => {
    expect(a('status_changed', { to: 'waiting_on_customer' })).toBe('Ada changed the status to Waiting on customer')
    expect(a('assigned', { agent_name: 'Bo' })).toBe('Ada assigned the ticket to Bo')
    expect(a('unassigned')).toBe('Ada unassigned the ticket')
    expect(a('priority_changed', { to: 'urgent' })).toBe('Ada changed the priority to Urgent')
    expect(a('tag_added', { tag: 'vip' })).toBe('Ada added the tag vip')
    expect(a('tag_removed', { tag: 'vip' })).toBe('Ada removed the tag vip')
    expect(a('escalated')).toBe('Ada escalated the ticket')
    expect(a('sla_breached', {}, null)).toBe('The SLA was breached')
    expect(a('replied')).toBe('Ada replied')
    expect(a('note_added')).toBe('Ada added an internal note')
    expect(a('department_changed', { department: 'Billing' })).toBe('Ada moved the ticket to Billing')
    expect(a('reopened')).toBe('Ada reopened the ticket')
    expect(a('resolved')).toBe('Ada resolved the ticket')
    expect(a('closed')).toBe('Ada closed the ticket')
  })
  it('names the system when no one caused it, and shows unknown types by name', () => {
    expect(a('escalated', {}, null)).toBe('System escalated the ticket')
    expect(a('ticket_merged')).toBe('Ada: ticket_merged')
  })
})

describe('request bodies', () => {
  it('bulk: ids as numbers, assign as id or null, tags as a list', () => {
    expect(bulkPayload(['1', 2], 'status', 'resolved')).toEqual({ ticket_ids: [1, 2], action: 'status', value: 'resolved' })
    expect(bulkPayload([1], 'assign', '8')).toEqual({ ticket_ids: [1], action: 'assign', value: 8 })
    expect(bulkPayload([1], 'assign', 'none')).toEqual({ ticket_ids: [1], action: 'assign', value: null })
    expect(bulkPayload([1], 'remove_tags', '4')).toEqual({ ticket_ids: [1], action: 'remove_tags', value: [4] })
  })
  it('new ticket: subject, description, and only what was chosen', () => {
    const base = { name: 'G', email: 'g@example.com', subject: 'S', description: 'D', priority: '', department_id: '', attachments: [] }
    expect(newTicketPayload(base)).toEqual({ subject: 'S', description: 'D' })
    expect(newTicketPayload({ ...base, priority: 'high', department_id: '2' })).toEqual({ subject: 'S', description: 'D', priority: 'high', department_id: 2 })
    expect(newTicketPayload(base, true)).toEqual({ subject: 'S', description: 'D', name: 'G', email: 'g@example.com' })
  })
  it('settings: only changed keys, numbers as numbers', () => {
    const original = { csat_scale: 5, widget_enabled: false, ticket_reference_prefix: 'ESC', future: 1 }
    const sections = settingsSections(original, [])
    expect(sections.map((s) => s.title)).toEqual(['Tickets', 'Satisfaction (CSAT)', 'Chat widget', 'Other'])
    const fields = sections.flatMap((s) => s.fields)
    expect(changedSettings(original, { ...original }, fields)).toEqual({})
    expect(changedSettings(original, { ...original, csat_scale: '3', widget_enabled: true }, fields)).toEqual({ csat_scale: 3, widget_enabled: true })
    expect(settingsSections(original, ['csat_scale']).flatMap((s) => s.fields.map((f) => f.key))).toEqual(['csat_scale'])
  })
  it('rules: no value for a valueless action, no empty operator', () => {
    expect(cleanItem({ type: 'escalate', value: undefined }, 'none')).toEqual({ type: 'escalate' })
    expect(cleanItem({ field: 'status', operator: '', value: 'open' }, 'status', 'field')).toEqual({ field: 'status', value: 'open' })
    expect(cleanItem({ field: 'hours_since_created', operator: '>', value: 3 }, 'hours', 'field')).toEqual({ field: 'hours_since_created', operator: '>', value: 3 })
  })
  it('business hours: a week form round-trips to the flat schedule', () => {
    const schedule = [{ day: 1, start: '09:00', end: '12:00' }, { day: 1, start: '13:00', end: '17:00' }, { day: 5, start: '10:00', end: '16:00' }]
    const week = weekFromSchedule(schedule)
    expect(week).toHaveLength(7)
    expect(week[0].intervals).toHaveLength(2)
    expect(scheduleFromWeek(week)).toEqual(schedule)
  })
  it('SLA hours: empty boxes are left out', () => {
    expect(hoursMap({ low: '', high: '4', urgent: 1.5 })).toEqual({ high: 4, urgent: 1.5 })
  })
})

describe('helpers', () => {
  it('groups permissions by their prefix, whatever shape the server sends', () => {
    const groups = permissionGroups(['ticket.view', 'ticket.edit', { slug: 'reply.create', description: 'Reply' }, '*'])
    expect(groups.map((g) => g.name)).toEqual(['Ticket', 'Reply'])
    expect(groups[1].items).toEqual([{ slug: 'reply.create', label: 'Reply' }])
    expect(permissionGroups({ tickets: ['ticket.view'] })[0].items[0].slug).toBe('ticket.view')
  })
  it('formats', () => {
    expect(humanize('waiting_on_customer')).toBe('Waiting on customer')
    expect(formatBytes(2048)).toBe('2.0 KB')
    expect(relativeTime('2026-01-01T10:00:00Z', new Date('2026-01-01T13:00:00Z'))).toMatch(/3 hours ago/)
    expect(options({ a: 'A' })).toEqual([{ value: 'a', label: 'A' }])
    expect(options([{ id: 1, name: 'X' }, 'open'])).toEqual([{ value: 1, label: 'X' }, { value: 'open', label: 'Open' }])
    expect(prefixPath('/support/', '/admin/tags')).toBe('/support/admin/tags')
    expect(prefixPath('', '/x')).toBe('/x')
    expect(cleanQuery({ a: '', b: null, c: false, d: [], e: 'x', f: 0 })).toEqual({ e: 'x', f: 0 })
  })
})
