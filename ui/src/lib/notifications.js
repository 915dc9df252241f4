// notificationText is one line saying what a notification (internal/notification) tells.
export function notificationText(n) {
  const d = n?.data ?? {}
  const ticket = d.reference ? `${d.reference}${d.subject ? ` “${d.subject}”` : ''}` : 'A ticket'
  switch (n?.type) {
    case 'escalation':
      return `${ticket} was escalated by the rule “${d.rule_name ?? 'unnamed'}”.`
    case 'workflow':
      return d.message ? `${d.message} (${ticket}, workflow “${d.workflow_name ?? 'unnamed'}”)` : `The workflow “${d.workflow_name ?? 'unnamed'}” flagged ${ticket}.`
    case 'webhook_disabled':
      return `The webhook to ${d.url ?? 'an endpoint'} was switched off${d.reason ? `: ${d.reason}` : '.'}`
    default:
      return d.message ?? `Notification: ${n?.type ?? 'unknown'}`
  }
}
