import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { router } from '@inertiajs/vue3'
import TicketShow from '../src/pages/Agent/TicketShow.vue'
import { mount, setPage } from './helpers.js'
import { agents, departments, tags, ticket } from './fixtures.js'

function render(permissions = ['*'], extra = {}) {
  setPage({ url: '/support/agent/tickets/ESC-00001', escalated: { permissions, ...extra } })
  return mount(TicketShow, {
    props: {
      ticket: ticket(1, { replies: [], activities: [{ id: 1, type: 'assigned', causer: { name: 'Ada' }, properties: { agent_name: 'Bo' }, created_at: '2026-01-01T00:00:00Z' }] }),
      departments,
      tags,
      agents,
      macros: [{ id: 9, name: 'Refund' }],
    },
  })
}

const form = (w, label) => w.findAll('form').find((f) => f.find('label').exists() && f.find('label').text() === label)

describe('Agent/TicketShow', () => {
  let post, del
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
    del = vi.spyOn(router, 'delete').mockImplementation(() => {})
  })
  afterEach(() => vi.restoreAllMocks())

  it('changes status, priority, assignee and department with the bodies the server reads', async () => {
    const w = render()
    const cases = [
      ['Status', 'resolved', 'status', { status: 'resolved' }],
      ['Priority', 'urgent', 'priority', { priority: 'urgent' }],
      ['Assignee', '8', 'assign', { agent_id: 8 }],
      ['Department', '2', 'department', { department_id: 2 }],
    ]
    for (const [label, value, path, body] of cases) {
      const f = form(w, label)
      await f.find('select').setValue(value)
      await f.trigger('submit')
      expect(post).toHaveBeenLastCalledWith(`/support/agent/tickets/ESC-00001/${path}`, body, { preserveScroll: true })
    }
    const dept = form(w, 'Department')
    await dept.find('select').setValue('none')
    await dept.trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/department', { department_id: null }, { preserveScroll: true })
  })

  it('does not send an unchanged value', async () => {
    const w = render()
    await form(w, 'Status').trigger('submit')
    expect(post).not.toHaveBeenCalled()
  })

  it('assigns to me, adds and removes tags, and applies a macro', async () => {
    const w = render()
    await w.findAll('button').find((b) => b.text() === 'Assign to me').trigger('click')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/assign', { agent_id: 7 }, { preserveScroll: true })

    const add = form(w, 'Add a tag')
    await add.find('select').setValue('4')
    await add.trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/tags', { tag_ids: [4] }, { preserveScroll: true })

    await w.find('button[aria-label="Remove tag hardware"]').trigger('click')
    expect(del).toHaveBeenCalledWith('/support/agent/tickets/ESC-00001/tags/3', { preserveScroll: true })

    const macro = form(w, 'Apply a macro')
    await macro.find('select').setValue('9')
    await macro.trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/macro', { macro_id: 9 }, { preserveScroll: true })
  })

  it('shows a light agent the note composer only, and no edit controls', () => {
    const w = render(['ticket.view', 'reply.create', 'reply.create_internal'], { agent_type: 'light' })
    expect(w.text()).toContain('Add note')
    expect(w.find('input[type="radio"][value="reply"]').exists()).toBe(false)
    expect(form(w, 'Priority')).toBeUndefined()
    expect(form(w, 'Assignee')).toBeUndefined()
    expect(w.find('button[aria-label="Remove tag hardware"]').exists()).toBe(false)
  })

  it('words the activity timeline', () => {
    const w = render()
    expect(w.find('[aria-label="Activity"]').text()).toContain('Ada assigned the ticket to Bo')
  })
})
