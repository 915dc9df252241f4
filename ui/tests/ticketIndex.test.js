import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { router } from '@inertiajs/vue3'
import TicketIndex from '../src/pages/Agent/TicketIndex.vue'
import { mount, setPage } from './helpers.js'
import { agents, departments, paginator, tags, ticket } from './fixtures.js'
import { queryParams, queryState, nextSort, hasActiveFilters } from '../src/lib/ticketQuery.js'

function render(props = {}) {
  setPage({ url: '/support/agent/tickets' })
  return mount(TicketIndex, {
    props: { tickets: paginator([ticket(1), ticket(2), ticket(3)]), filters: {}, departments, tags, agents, ...props },
    attachTo: document.body,
  })
}

describe('queue query state', () => {
  it('reads every filter key from the filters prop and sends only those set', () => {
    const state = queryState({ status: 'open', priority: ['high', 'urgent'], department_id: 2, search: null })
    expect(state.status).toBe('open')
    expect(state.priority).toBe('high,urgent')
    expect(state.department_id).toBe('2')
    expect(state.search).toBe('')
    state.search = '  printer '
    expect(queryParams(state)).toEqual({ status: 'open', priority: 'high,urgent', department_id: '2', search: 'printer' })
    expect(hasActiveFilters(queryState({}))).toBe(false)
    expect(hasActiveFilters(queryState({ tag: 3 }))).toBe(true)
  })

  it('sorts a new column descending first, then flips', () => {
    expect(nextSort({ sort: '', direction: '' }, 'priority')).toEqual({ sort: 'priority', direction: 'desc' })
    expect(nextSort({ sort: 'priority', direction: 'desc' }, 'priority')).toEqual({ sort: 'priority', direction: 'asc' })
  })
})

describe('Agent/TicketIndex', () => {
  let get, post
  beforeEach(() => {
    vi.useFakeTimers()
    get = vi.spyOn(router, 'get').mockImplementation(() => {})
    post = vi.spyOn(router, 'post').mockImplementation(() => {})
  })
  afterEach(() => {
    vi.useRealTimers()
    document.body.innerHTML = ''
  })

  it('sends filters as a GET query 300 ms after the last change, keeping state and scroll', async () => {
    const w = render({ filters: { status: 'open' } })
    await w.find('input[type="search"]').setValue('print')
    await w.find('input[type="search"]').setValue('printer')
    vi.advanceTimersByTime(299)
    expect(get).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(get).toHaveBeenCalledTimes(1)
    expect(get).toHaveBeenCalledWith('/support/agent/tickets', { status: 'open', search: 'printer' }, { preserveState: true, preserveScroll: true, replace: true })
    w.unmount()
  })

  it('drops a filter that is cleared', async () => {
    const w = render({ filters: { status: 'open', priority: 'high' } })
    const selects = w.findAll('select')
    const status = selects.find((s) => s.element.querySelector('option')?.textContent === 'Any status')
    await status.setValue('')
    vi.advanceTimersByTime(300)
    expect(get.mock.calls[0][1]).toEqual({ priority: 'high' })
    w.unmount()
  })

  it('quick filters set the contract keys: Mine is assigned_to=<user id>', async () => {
    const w = render()
    const mine = w.findAll('button').find((b) => b.text() === 'Mine')
    await mine.trigger('click')
    vi.advanceTimersByTime(300)
    expect(get.mock.calls.at(-1)[1]).toEqual({ assigned_to: '7' })
    expect(mine.attributes('aria-pressed')).toBe('true')
    await w.findAll('button').find((b) => b.text() === 'Unassigned').trigger('click')
    vi.advanceTimersByTime(300)
    expect(get.mock.calls.at(-1)[1]).toEqual({ unassigned: 'true' })
    w.unmount()
  })

  it('sorts by a column header, keeping the filters', async () => {
    const w = render({ filters: { status: 'open' } })
    const header = w.findAll('th button').find((b) => b.text().startsWith('Priority'))
    await header.trigger('click')
    vi.advanceTimersByTime(300)
    expect(get.mock.calls.at(-1)[1]).toEqual({ status: 'open', sort: 'priority', direction: 'desc' })
    await header.trigger('click')
    vi.advanceTimersByTime(300)
    expect(get.mock.calls.at(-1)[1]).toEqual({ status: 'open', sort: 'priority', direction: 'asc' })
    expect(w.findAll('th').find((t) => t.text().startsWith('Priority')).attributes('aria-sort')).toBe('ascending')
    w.unmount()
  })

  it('makes each ticket a link to its page', () => {
    const w = render()
    const links = w.findAll('table [data-row-link]')
    expect(links.map((l) => l.attributes('href'))).toEqual(['/support/agent/tickets/ESC-00001', '/support/agent/tickets/ESC-00002', '/support/agent/tickets/ESC-00003'])
    w.unmount()
  })

  it('selects tickets and applies a bulk action with {ticket_ids, action, value}', async () => {
    const w = render()
    expect(w.find('[aria-label="Bulk actions"]').exists()).toBe(false)
    const rowBoxes = w.findAll('table tbody input[type="checkbox"]')
    await rowBoxes[0].setValue(true)
    await rowBoxes[2].setValue(true)
    const bar = w.find('[aria-label="Bulk actions"]')
    expect(bar.text()).toContain('2 selected')
    await bar.find('select').setValue('assign')
    await bar.findAll('select')[1].setValue('8')
    await bar.findAll('button').find((b) => b.text() === 'Apply').trigger('click')
    expect(post).toHaveBeenCalledWith('/support/agent/tickets/bulk', { ticket_ids: [1, 3], action: 'assign', value: 8 }, expect.objectContaining({ preserveScroll: true }))

    // onSuccess clears the selection.
    post.mock.calls[0][2].onSuccess()
    await nextTick()
    expect(w.find('[aria-label="Bulk actions"]').exists()).toBe(false)
    w.unmount()
  })

  it('sends tag and unassign values in the types the server takes', async () => {
    const w = render()
    await w.find('thead input[type="checkbox"]').setValue(true)
    const bar = w.find('[aria-label="Bulk actions"]')
    expect(bar.text()).toContain('3 selected')
    await bar.find('select').setValue('add_tags')
    await bar.findAll('select')[1].setValue('4')
    await bar.findAll('button').find((b) => b.text() === 'Apply').trigger('click')
    expect(post.mock.calls[0][1]).toEqual({ ticket_ids: [1, 2, 3], action: 'add_tags', value: [4] })
    post.mock.calls[0][2].onFinish()
    await nextTick()
    await bar.find('select').setValue('assign')
    await bar.findAll('select')[1].setValue('none')
    await bar.findAll('button').find((b) => b.text() === 'Apply').trigger('click')
    expect(post.mock.calls[1][1]).toEqual({ ticket_ids: [1, 2, 3], action: 'assign', value: null })
    w.unmount()
  })

  it('drops tickets from the selection when they leave the page', async () => {
    const w = render()
    await w.find('thead input[type="checkbox"]').setValue(true)
    await w.setProps({ tickets: paginator([ticket(2), ticket(9)]) })
    expect(w.find('[aria-label="Bulk actions"]').text()).toContain('1 selected')
    w.unmount()
  })

  it('moves focus through the queue with j and k, and x selects', async () => {
    const w = render()
    const links = w.findAll('table [data-row-link]').map((l) => l.element)
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'j', bubbles: true }))
    expect(document.activeElement).toBe(links[0])
    links[0].dispatchEvent(new KeyboardEvent('keydown', { key: 'j', bubbles: true }))
    expect(document.activeElement).toBe(links[1])
    links[1].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))
    expect(document.activeElement).toBe(links[2])
    links[2].dispatchEvent(new KeyboardEvent('keydown', { key: 'k', bubbles: true }))
    expect(document.activeElement).toBe(links[1])
    links[1].dispatchEvent(new KeyboardEvent('keydown', { key: 'x', bubbles: true }))
    await nextTick()
    expect(w.find('[aria-label="Bulk actions"]').text()).toContain('1 selected')
    w.unmount()
  })

  it('explains an empty queue, and a filtered-out one differently', async () => {
    const empty = render({ tickets: paginator([]) })
    expect(empty.text()).toContain('The queue is empty')
    expect(empty.text()).toContain('customers write in through the customer portal')
    expect(empty.text()).not.toContain('by email')
    empty.unmount()
    const filtered = render({ tickets: paginator([]), filters: { status: 'closed' } })
    expect(filtered.text()).toContain('No tickets match these filters')
    await filtered.findAll('button').find((b) => b.text() === 'Clear filters').trigger('click')
    vi.advanceTimersByTime(300)
    expect(get.mock.calls.at(-1)[1]).toEqual({})
    filtered.unmount()
  })
})
