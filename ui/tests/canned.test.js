import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { router } from '@inertiajs/vue3'
import { mount, setPage } from './helpers.js'
import { agents, departments, tags, ticket } from './fixtures.js'
import { cannedPayload, groupByCategory, insertCanned, mayEditCanned } from '../src/lib/canned.js'
import { followersLabel } from '../src/lib/followers.js'
import CannedIndex from '../src/pages/Admin/CannedResponses/Index.vue'
import TicketShow from '../src/pages/Agent/TicketShow.vue'

describe('canned response helpers', () => {
  it('inserts alone into an empty composer, after a blank line otherwise', () => {
    expect(insertCanned('', 'Thanks!')).toBe('Thanks!')
    expect(insertCanned('   \n', 'Thanks!')).toBe('Thanks!')
    expect(insertCanned('Hello,', 'Thanks!')).toBe('Hello,\n\nThanks!')
    expect(insertCanned('Hello,\n\n\n', 'Thanks!')).toBe('Hello,\n\nThanks!')
    expect(insertCanned('Hello', '')).toBe('Hello')
    expect(insertCanned(undefined, null)).toBe('')
  })

  it('lets managers edit any, creators their own personal ones only', () => {
    const mine = { created_by: 7, is_shared: false }
    expect(mayEditCanned(mine, 7, { canManage: false, canCreate: true })).toBe(true)
    expect(mayEditCanned(mine, '7', { canManage: false, canCreate: true })).toBe(true)
    expect(mayEditCanned(mine, 8, { canManage: false, canCreate: true })).toBe(false)
    expect(mayEditCanned(mine, 7, { canManage: false, canCreate: false })).toBe(false)
    expect(mayEditCanned({ ...mine, is_shared: true }, 7, { canManage: false, canCreate: true })).toBe(false)
    expect(mayEditCanned({ created_by: null, is_shared: true }, null, { canManage: true })).toBe(true)
    expect(mayEditCanned({ created_by: null }, null, { canManage: false, canCreate: true })).toBe(false)
  })

  it('sends is_shared only for those who may share', () => {
    const data = { title: 'T', body: 'B', category: 'C', is_shared: true, extra: 1 }
    expect(cannedPayload(data, false)).toEqual({ title: 'T', body: 'B', category: 'C' })
    expect(cannedPayload(data, true)).toEqual({ title: 'T', body: 'B', category: 'C', is_shared: true })
    expect(cannedPayload({ title: 'T', body: 'B' }, true)).toEqual({ title: 'T', body: 'B', category: '', is_shared: false })
  })

  it('groups by category in the order given', () => {
    const list = [{ id: 1, category: '' }, { id: 2, category: 'Billing' }, { id: 3, category: 'Billing' }, { id: 4 }]
    expect(groupByCategory(list).map((g) => [g.name, g.items.map((r) => r.id)])).toEqual([['', [1, 4]], ['Billing', [2, 3]]])
    expect(groupByCategory(undefined)).toEqual([])
  })

  it('words the followers', () => {
    expect(followersLabel(0, [], false)).toBe('Nobody follows this ticket.')
    expect(followersLabel(2, [{ name: 'Ada' }, { name: 'Bo' }], true)).toBe('Followed by Ada, Bo.')
    expect(followersLabel(1, undefined, true)).toBe('You follow this ticket.')
    expect(followersLabel(3, undefined, true)).toBe('You and 2 others follow this ticket.')
    expect(followersLabel(2, undefined, true)).toBe('You and 1 other follow this ticket.')
    expect(followersLabel(1, undefined, false)).toBe('1 person follows this ticket.')
    expect(followersLabel(4, [{ name: 'Ada' }], false)).toBe('4 people follow this ticket.')
  })
})

const responses = [
  { id: 1, title: 'Hello', body: 'Hi there', category: '', is_shared: true, created_by: 9, creator: { id: 9, name: 'Admin' } },
  { id: 2, title: 'Mine', body: '<b>not bold</b>', category: 'Billing', is_shared: false, created_by: 7, creator: { id: 7, name: 'Ada Agent' } },
]

describe('Admin/CannedResponses/Index', () => {
  let post, put, del
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
    put = vi.spyOn(router, 'put').mockImplementation(() => {})
    del = vi.spyOn(router, 'delete').mockImplementation(() => {})
    vi.spyOn(window, 'confirm').mockReturnValue(true)
  })
  afterEach(() => vi.restoreAllMocks())

  it('an agent creates a personal response without is_shared, and edits only their own', async () => {
    setPage({ url: '/support/admin/canned-responses', escalated: { permissions: ['macro.view', 'macro.create'] } })
    const w = mount(CannedIndex, { props: { responses } })
    // Markup in a body is text.
    expect(w.html()).toContain('&lt;b&gt;not bold&lt;/b&gt;')
    expect(w.findAll('button').filter((b) => b.text().startsWith('Edit')).length).toBe(1)

    await w.findAll('button').find((b) => b.text() === 'New response').trigger('click')
    expect(w.text()).not.toContain('Shared with every agent')
    const inputs = w.findAll('form input[type="text"], form input:not([type])')
    await inputs[0].setValue('Refund')
    await w.find('form textarea').setValue('We refunded you.')
    await inputs[1].setValue('Billing')
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledWith('/support/admin/canned-responses', { title: 'Refund', body: 'We refunded you.', category: 'Billing' }, expect.any(Object))

    await w.findAll('button').find((b) => b.text() === 'Cancel').trigger('click')
    await w.findAll('button').find((b) => b.text() === 'EditMine').trigger('click')
    await w.find('form textarea').setValue('Changed')
    await w.find('form').trigger('submit')
    expect(put).toHaveBeenCalledWith('/support/admin/canned-responses/2', { title: 'Mine', body: 'Changed', category: 'Billing' }, expect.any(Object))

    await w.findAll('button').find((b) => b.text() === 'DeleteMine').trigger('click')
    expect(del).toHaveBeenCalledWith('/support/admin/canned-responses/2', { preserveScroll: true })
  })

  it('a manager shares, edits every response; a light agent only reads', async () => {
    setPage({ url: '/support/admin/canned-responses', escalated: { permissions: ['*'] } })
    const w = mount(CannedIndex, { props: { responses } })
    expect(w.findAll('button').filter((b) => b.text().startsWith('Edit')).length).toBe(2)
    await w.findAll('button').find((b) => b.text() === 'New response').trigger('click')
    await w.findAll('form input[type="text"], form input:not([type])')[0].setValue('Shared one')
    await w.find('form textarea').setValue('For all.')
    await w.find('form input[type="checkbox"]').setValue(true)
    await w.find('form').trigger('submit')
    expect(post).toHaveBeenCalledWith('/support/admin/canned-responses', { title: 'Shared one', body: 'For all.', category: '', is_shared: true }, expect.any(Object))

    setPage({ url: '/support/admin/canned-responses', escalated: { permissions: ['macro.view'], agent_type: 'light' } })
    const r = mount(CannedIndex, { props: { responses } })
    expect(r.findAll('button').some((b) => /New response|Edit|Delete/.test(b.text()))).toBe(false)
    expect(r.text()).toContain('Hello')
  })
})

describe('Agent/TicketShow: follow, canned responses, macros, assign', () => {
  let post
  beforeEach(() => {
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
  })
  afterEach(() => vi.restoreAllMocks())

  function render(extra = {}, permissions = ['*']) {
    setPage({ url: '/support/agent/tickets/ESC-00001', escalated: { permissions } })
    return mount(TicketShow, {
      props: {
        ticket: ticket(1, { replies: [], activities: [], followers: [{ id: 8, name: 'Bo' }] }),
        departments,
        tags,
        agents,
        macros: [{ id: 9, name: 'Refund' }],
        cannedResponses: [{ id: 3, title: 'Thanks', body: 'Thanks for writing.' }],
        followers_count: 1,
        is_following: false,
        ...extra,
      },
    })
  }

  it('follows and unfollows with the follow route', async () => {
    const w = render()
    expect(w.find('[aria-labelledby="fol-h"]').text()).toContain('Followed by Bo.')
    const button = w.find('button[aria-pressed]')
    expect(button.text()).toBe('Follow')
    await button.trigger('click')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/follow', {}, { preserveScroll: true })
    const f = render({ is_following: true, followers_count: 2 })
    expect(f.find('button[aria-pressed="true"]').text()).toBe('Unfollow')
    expect(f.find('[aria-labelledby="fol-h"]').text()).toContain('You and 1 other follow this ticket.')
  })

  it('inserts a canned response into the composer', async () => {
    const w = render()
    const textarea = w.find('form textarea')
    await textarea.setValue('Hello Ada,')
    await w.find('select[id$="-canned"]').setValue('3')
    expect(textarea.element.value).toBe('Hello Ada,\n\nThanks for writing.')
    expect(w.find('select[id$="-canned"]').element.value).toBe('')
  })

  it('assigns from the agents list and applies a macro', async () => {
    const w = render()
    const assign = w.findAll('form').find((f) => f.find('label').exists() && f.find('label').text() === 'Assignee')
    const values = assign.findAll('option').map((o) => o.element.value)
    expect(values).toEqual(['none', ...agents.map((a) => String(a.id))])
    await assign.find('select').setValue(String(agents[1].id))
    await assign.trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/assign', { agent_id: agents[1].id }, { preserveScroll: true })
    const macro = w.findAll('form').find((f) => f.find('label').exists() && f.find('label').text() === 'Apply a macro')
    await macro.find('select').setValue('9')
    await macro.trigger('submit')
    expect(post).toHaveBeenLastCalledWith('/support/agent/tickets/ESC-00001/macro', { macro_id: 9 }, { preserveScroll: true })
  })
})
