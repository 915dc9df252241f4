// bulkPayload is the body of POST escalated.agent.tickets.bulk: the tickets' ids and the
// value in the type the action takes (an agent id or null, a status or priority, tag ids).
export function bulkPayload(ticketIds, action, value) {
  const ids = ticketIds.map(Number)
  switch (action) {
    case 'assign':
      return { ticket_ids: ids, action, value: value === 'none' || value === null ? null : Number(value) }
    case 'add_tags':
    case 'remove_tags':
      return { ticket_ids: ids, action, value: [Number(value)] }
    default:
      return { ticket_ids: ids, action, value }
  }
}
