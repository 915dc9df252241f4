// The desk's vocabulary (DOMAIN.md), with the colours the badges use.
export const STATUSES = ['open', 'in_progress', 'waiting_on_customer', 'waiting_on_agent', 'escalated', 'resolved', 'closed', 'reopened']
export const PRIORITIES = ['low', 'medium', 'high', 'urgent', 'critical']
export const TICKET_TYPES = ['question', 'problem', 'incident', 'task']

export const STATUS_CLASSES = {
  open: 'bg-blue-100 text-blue-800',
  in_progress: 'bg-indigo-100 text-indigo-800',
  waiting_on_customer: 'bg-amber-100 text-amber-800',
  waiting_on_agent: 'bg-orange-100 text-orange-800',
  escalated: 'bg-red-100 text-red-800',
  resolved: 'bg-green-100 text-green-800',
  closed: 'bg-gray-200 text-gray-700',
  reopened: 'bg-purple-100 text-purple-800',
}

export const PRIORITY_CLASSES = {
  low: 'bg-gray-100 text-gray-700',
  medium: 'bg-sky-100 text-sky-800',
  high: 'bg-amber-100 text-amber-800',
  urgent: 'bg-orange-100 text-orange-800',
  critical: 'bg-red-100 text-red-800',
}

// Sort keys the agent queue offers; the server accepts these (ticket.SortKeys).
export const SORT_KEYS = ['reference', 'subject', 'status', 'priority', 'created_at', 'updated_at', 'due_at']
