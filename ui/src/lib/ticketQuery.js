import { cleanQuery } from './query.js'

// The list filter keys of shapes.md §7, the quick-filter keys, and the sort: what the agent
// queue keeps in its query string. Keys the queue has no control for still round-trip, so a
// saved link keeps working.
export const FILTER_KEYS = [
  'status', 'priority', 'assigned_to', 'department_id', 'search', 'following', 'created_after',
  'created_before', 'tag', 'has_attachments', 'requester', 'ticket_type', 'snoozed', 'live_chat',
  'unassigned', 'sla_breached',
]
export const QUERY_KEYS = [...FILTER_KEYS, 'sort', 'direction']

// queryState turns the page's `filters` prop into the form's state: every key present, as
// strings ('' when unset), so selects and inputs bind to it directly.
export function queryState(filters) {
  const state = {}
  for (const key of QUERY_KEYS) {
    const v = filters?.[key]
    state[key] = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v)
  }
  return state
}

// queryParams is what the queue sends: the state without its empty keys.
export function queryParams(state) {
  return cleanQuery(Object.fromEntries(QUERY_KEYS.map((k) => [k, typeof state[k] === 'string' ? state[k].trim() : state[k]])))
}

// hasActiveFilters tells an empty queue apart from a filtered-out one.
export function hasActiveFilters(state) {
  return FILTER_KEYS.some((k) => state[k] !== '' && state[k] !== undefined && state[k] !== null)
}

// nextSort is the sort after a click on a column: a new column sorts descending first, the
// same column flips.
export function nextSort(state, key) {
  if (state.sort === key) return { sort: key, direction: state.direction === 'asc' ? 'desc' : 'asc' }
  return { sort: key, direction: 'desc' }
}

// Quick filters (shapes.md §7): each sets some keys and clears the others.
export const QUICK_FILTERS = [
  { id: 'all', label: 'All tickets', set: {} },
  { id: 'mine', label: 'Mine', set: (userId) => ({ assigned_to: String(userId ?? 'me') }) },
  { id: 'unassigned', label: 'Unassigned', set: { unassigned: 'true' } },
  { id: 'urgent', label: 'Urgent', set: { priority: 'urgent' } },
  { id: 'sla', label: 'SLA breached', set: { sla_breached: 'true' } },
]
const QUICK_KEYS = ['assigned_to', 'unassigned', 'priority', 'sla_breached']

export function applyQuickFilter(state, filter, userId) {
  const set = typeof filter.set === 'function' ? filter.set(userId) : filter.set
  for (const k of QUICK_KEYS) state[k] = set[k] ?? ''
}

export function activeQuickFilter(state, userId) {
  for (const f of QUICK_FILTERS) {
    const set = typeof f.set === 'function' ? f.set(userId) : f.set
    if (QUICK_KEYS.every((k) => (set[k] ?? '') === (state[k] ?? ''))) return f.id
  }
  return null
}
