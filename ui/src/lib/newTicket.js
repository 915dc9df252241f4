// newTicketPayload is the body that opens a ticket: {subject, description, priority,
// department_id} (and name, email for a guest), leaving out what was not chosen so the
// server's defaults apply, and adding attachments only when there are files.
export function newTicketPayload(data, guest = false) {
  const out = { subject: data.subject, description: data.description }
  if (guest) {
    out.name = data.name
    out.email = data.email
  }
  if (data.priority) out.priority = data.priority
  if (data.department_id !== '' && data.department_id !== null && data.department_id !== undefined) out.department_id = Number(data.department_id)
  if (data.attachments?.length) out.attachments = Array.from(data.attachments)
  return out
}
