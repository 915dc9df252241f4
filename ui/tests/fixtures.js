// Sample objects in the contract's shapes (shapes.md §2-6).
export function ticket(n, extra = {}) {
  return {
    id: n,
    reference: `ESC-${String(n).padStart(5, '0')}`,
    subject: `Printer ${n} is on fire`,
    description: 'It smokes.',
    status: 'open',
    priority: 'high',
    ticket_type: 'problem',
    channel: 'web',
    created_at: '2026-01-02T10:00:00Z',
    updated_at: '2026-01-02T11:00:00Z',
    first_response_due_at: '2026-01-02T14:00:00Z',
    resolution_due_at: null,
    sla_first_response_breached: false,
    sla_resolution_breached: false,
    requester: { id: 100 + n, name: `Cora ${n}`, email: `cora${n}@example.com` },
    assignee: null,
    assigned_to: null,
    department: { id: 1, name: 'Support' },
    department_id: 1,
    tags: [{ id: 3, name: 'hardware' }],
    last_reply_at: null,
    ...extra,
  }
}

export function paginator(data, page = 1, last = 1) {
  const links = [{ url: page > 1 ? `/support/agent/tickets?page=${page - 1}` : null, label: '&laquo; Previous', active: false }]
  for (let i = 1; i <= last; i++) links.push({ url: `/support/agent/tickets?page=${i}`, label: String(i), active: i === page })
  links.push({ url: page < last ? `/support/agent/tickets?page=${page + 1}` : null, label: 'Next &raquo;', active: false })
  return { data, links, current_page: page, last_page: last, per_page: 25, total: data.length, from: 1, to: data.length }
}

export const agents = [
  { id: 7, name: 'Ada Agent' },
  { id: 8, name: 'Bo Agent' },
]
export const departments = [
  { id: 1, name: 'Support' },
  { id: 2, name: 'Billing' },
]
export const tags = [
  { id: 3, name: 'hardware' },
  { id: 4, name: 'refund' },
]
