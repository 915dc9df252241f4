// Canned responses: texts an agent inserts into a reply or note. They share the macro
// permissions: macro.view to use them, macro.create to keep personal ones, macro.manage for
// shared ones and other people's.

// insertCanned puts a canned response's text into the composer: alone when it is empty,
// else after what is written, separated by a blank line.
export function insertCanned(current, text) {
  const body = String(text ?? '')
  if (!body) return current ?? ''
  return current && current.trim() ? `${current.replace(/\s+$/, '')}\n\n${body}` : body
}

// mayEditCanned tells whether the viewer may change or delete a response: any with
// macro.manage, else their own personal ones with macro.create.
export function mayEditCanned(response, userId, { canManage, canCreate }) {
  if (canManage) return true
  return Boolean(canCreate) && !response.is_shared && userId != null && String(response.created_by) === String(userId)
}

// cannedPayload is the body the server takes: is_shared only from those who may share, as
// anyone else sending it is refused.
export function cannedPayload(data, canManage) {
  const body = { title: data.title, body: data.body, category: data.category ?? '' }
  if (canManage) body.is_shared = Boolean(data.is_shared)
  return body
}

// groupByCategory keeps the server's order (category, then title) and groups the list under
// its categories; responses without one come first, under ''.
export function groupByCategory(list) {
  const groups = []
  for (const r of list ?? []) {
    const name = r.category ?? ''
    let g = groups.find((x) => x.name === name)
    if (!g) groups.push((g = { name, items: [] }))
    g.items.push(r)
  }
  return groups
}
