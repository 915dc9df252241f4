// The vocabulary of escalation rules, automations, macros and workflows (DOMAIN.md, and
// internal/rules/vocab.go for the value each one takes). A kind names the editor a value gets.
export const ESCALATION_CONDITIONS = {
  status: 'status',
  priority: 'priority',
  assigned: 'assigned',
  age_hours: 'hours',
  no_response_hours: 'hours',
  sla_breached: 'bool',
  department_id: 'department',
}
export const ESCALATION_ACTIONS = {
  escalate: 'none',
  change_priority: 'priority',
  assign_to: 'agent',
  change_department: 'department',
  notify: 'recipients',
}
export const AUTOMATION_CONDITIONS = {
  hours_since_created: 'hours',
  hours_since_updated: 'hours',
  hours_since_assigned: 'hours',
  hours_since_last_reply: 'hours',
  status: 'status',
  priority: 'priority',
  assigned: 'assigned',
  ticket_type: 'type',
  subject_contains: 'text',
}
export const AUTOMATION_ACTIONS = {
  change_status: 'status',
  change_priority: 'priority',
  assign: 'agentOrNull',
  add_tag: 'tag',
  set_ticket_type: 'type',
  add_note: 'body',
}
export const MACRO_ACTIONS = {
  status: 'status',
  priority: 'priority',
  assign: 'agentOrNull',
  tags: 'tags',
  department: 'departmentOrNull',
  reply: 'body',
  note: 'body',
}
// Workflow actions are listed by the server (action_types); these are the kinds of the known ones.
export const WORKFLOW_ACTION_KINDS = {
  assign_agent: 'agent',
  change_status: 'status',
  change_priority: 'priority',
  add_tag: 'tag',
  remove_tag: 'tag',
  move_department: 'department',
  add_internal_note: 'body',
  send_notification: 'notification',
  send_webhook: 'url',
  apply_macro: 'macro',
  close_ticket: 'none',
  snooze_ticket: 'minutes',
  delay: 'minutes',
}
export const WORKFLOW_TRIGGERS = [
  'ticket.created', 'ticket.updated', 'ticket.status_changed', 'ticket.assigned', 'ticket.priority_changed', 'ticket.tagged',
  'ticket.department_changed', 'reply.created', 'reply.agent_reply', 'sla.warning', 'sla.breached', 'ticket.reopened',
]
export const WORKFLOW_OPERATORS = [
  'equals', 'not_equals', 'contains', 'not_contains', 'in', 'not_in', 'greater_than', 'less_than', 'greater_than_or_equal',
  'less_than_or_equal', 'is_empty', 'is_not_empty', 'matches',
]
// The ticket fields workflow conditions test, with the type of their values
// (internal/workflow/vocab.go): ids are numbers, sla_breached a boolean, hours a number.
export const WORKFLOW_FIELD_KINDS = {
  status: 'text',
  priority: 'text',
  ticket_type: 'text',
  channel: 'text',
  subject: 'text',
  description: 'text',
  reference: 'text',
  requester_email: 'text',
  reply_body: 'text',
  department_id: 'id',
  assigned_to: 'id',
  requester_id: 'id',
  tags: 'id',
  sla_breached: 'bool',
  hours_since_created: 'number',
}
export const WORKFLOW_FIELDS = Object.keys(WORKFLOW_FIELD_KINDS)

// workflowConditionValue turns what was typed for a condition into the JSON value the
// server takes: none for is_empty and is_not_empty, a list (comma separated) for in and
// not_in, and each value typed by its field. undefined means "send no value".
export function workflowConditionValue(field, operator, typed) {
  if (operator === 'is_empty' || operator === 'is_not_empty') return undefined
  const kind = WORKFLOW_FIELD_KINDS[field] ?? 'text'
  const one = (v) => {
    const s = String(v ?? '').trim()
    if (kind === 'id' || kind === 'number') return s === '' || Number.isNaN(Number(s)) ? s : Number(s)
    if (kind === 'bool') return s === 'true' ? true : s === 'false' ? false : s
    return String(v ?? '')
  }
  if (operator === 'in' || operator === 'not_in') {
    const list = Array.isArray(typed) ? typed : String(typed ?? '').split(',')
    return list.map((v) => String(v).trim()).filter(Boolean).map(one)
  }
  return one(typed)
}

// workflowConditionText is a stored condition value as the form shows it.
export function workflowConditionText(value) {
  if (value === undefined || value === null) return ''
  return Array.isArray(value) ? value.join(', ') : String(value)
}

// Operators of automations' hours_since_* conditions.
export const HOUR_OPERATORS = ['>', '>=', '<', '<=', '=']

// defaultValue is what a new condition or action of a kind starts with.
export function defaultValue(kind) {
  switch (kind) {
    case 'none':
      return undefined
    case 'bool':
      return true
    case 'hours':
      return 24
    case 'tags':
    case 'recipients':
      return []
    case 'notification':
      return { recipients: ['assignee'], message: '' }
    case 'url':
      return { url: '' }
    case 'minutes':
      return { minutes: 60 }
    case 'agentOrNull':
    case 'departmentOrNull':
      return null
    case 'assigned':
      return 'unassigned'
    case 'priority':
      return 'high'
    case 'status':
      return 'open'
    case 'type':
      return 'question'
    default:
      return ''
  }
}

// cleanItem drops the value of a kind that takes none: the server refuses one.
export function cleanItem(item, kind, key = 'type') {
  const out = { ...item }
  if (kind === 'none') delete out.value
  if (!out.operator) delete out.operator
  return Object.fromEntries(Object.entries(out).filter(([k]) => k === key || k === 'field' || k === 'operator' || k === 'value'))
}
