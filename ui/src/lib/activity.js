import { humanize } from './format.js'

// activityText words a timeline entry (shapes.md §5); a type it does not know is shown by
// its name.
export function activityText(activity) {
  const p = activity?.properties ?? {}
  const who = activity?.causer?.name ?? 'System'
  switch (activity?.type) {
    case 'status_changed':
      return `${who} changed the status to ${humanize(p.to)}`
    case 'assigned':
      return p.agent_name ? `${who} assigned the ticket to ${p.agent_name}` : `${who} assigned the ticket`
    case 'unassigned':
      return `${who} unassigned the ticket`
    case 'priority_changed':
      return `${who} changed the priority to ${humanize(p.to)}`
    case 'tag_added':
      return p.tag ? `${who} added the tag ${p.tag}` : `${who} added a tag`
    case 'tag_removed':
      return p.tag ? `${who} removed the tag ${p.tag}` : `${who} removed a tag`
    case 'escalated':
      return `${who} escalated the ticket`
    case 'sla_breached':
      return p.type ? `The ${humanize(p.type).toLowerCase()} SLA was breached` : 'The SLA was breached'
    case 'replied':
      return `${who} replied`
    case 'note_added':
      return `${who} added an internal note`
    case 'department_changed':
      return p.department ? `${who} moved the ticket to ${p.department}` : `${who} changed the department`
    case 'reopened':
      return `${who} reopened the ticket`
    case 'resolved':
      return `${who} resolved the ticket`
    case 'closed':
      return `${who} closed the ticket`
    default:
      return `${who}: ${activity?.type ?? 'activity'}`
  }
}
