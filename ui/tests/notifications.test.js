import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { router } from '@inertiajs/vue3'
import { mount, setPage } from './helpers.js'
import { paginator } from './fixtures.js'
import Notifications from '../src/pages/Agent/Notifications.vue'
import EscalatedLayout from '../src/components/EscalatedLayout.vue'
import { notificationText } from '../src/lib/notifications.js'

describe('notifications', () => {
  let post
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
  })
  afterEach(() => vi.restoreAllMocks())
  const agent = { is_admin: false, permissions: ['ticket.view'] }

  it('says what each kind tells', () => {
    expect(notificationText({ type: 'escalation', data: { reference: 'ESC-00042', subject: 'Down', rule_name: 'Urgent' } })).toBe('ESC-00042 “Down” was escalated by the rule “Urgent”.')
    expect(notificationText({ type: 'workflow', data: { reference: 'ESC-00042', workflow_name: 'VIP', message: 'A VIP wrote' } })).toBe('A VIP wrote (ESC-00042, workflow “VIP”)')
    expect(notificationText({ type: 'webhook_disabled', data: { url: 'https://x.test/h', reason: 'it kept failing' } })).toBe('The webhook to https://x.test/h was switched off: it kept failing')
    expect(notificationText({ type: 'later', data: {} })).toBe('Notification: later')
  })

  it('marks one read, or all, and links the ticket', async () => {
    setPage({ url: '/support/agent/notifications', escalated: agent })
    const n = { id: 9, type: 'escalation', ticket_id: 1, data: { reference: 'ESC-00001', rule_name: 'Old' }, created_at: '2026-01-02T12:00:00Z', read_at: null }
    const w = mount(Notifications, { props: { notifications: paginator([n]), filters: {}, unread_count: 1 } })
    expect(w.find('a[href="/support/agent/tickets/ESC-00001"]').exists()).toBe(true)
    await w.findAll('button').find((b) => b.text() === 'Mark read').trigger('click')
    expect(post.mock.calls[0][0]).toBe('/support/agent/notifications/9/read')
    await w.findAll('button').find((b) => b.text() === 'Mark all read').trigger('click')
    expect(post.mock.calls[1][0]).toBe('/support/agent/notifications/read-all')
  })

  it('an empty inbox explains what lands there', () => {
    setPage({ url: '/support/agent/notifications', escalated: agent })
    const w = mount(Notifications, { props: { notifications: paginator([]), filters: { unread: true }, unread_count: 0 } })
    expect(w.text()).toContain('Nothing unread')
    expect(w.text()).not.toContain('Mark all read')
  })

  it('the header shows staff their unread count, customers nothing', () => {
    setPage({ url: '/support/agent', escalated: { ...agent, is_agent: true, unread_notifications: 3 }, auth: { user: { id: 1, name: 'Ada' } } })
    const w = mount(EscalatedLayout, { props: { title: 'x' } })
    expect(w.find('a[href="/support/agent/notifications"]').text()).toContain('3')
    setPage({ url: '/support/tickets', escalated: { is_agent: false, permissions: [] }, auth: { user: { id: 2, name: 'Cy' } } })
    const c = mount(EscalatedLayout, { props: { title: 'x' } })
    expect(c.find('a[href="/support/agent/notifications"]').exists()).toBe(false)
  })
})
