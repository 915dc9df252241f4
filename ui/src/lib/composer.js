// composerPayload is what a reply or note form sends: the body alone as JSON, or with files
// as attachments[] (Inertia then sends multipart/form-data, numbering them attachments[0]…).
// The server refuses fields it does not know, so an empty list is left out.
export function composerPayload(body, files) {
  const list = Array.from(files ?? [])
  return list.length ? { body, attachments: list } : { body }
}

// mergeFiles adds newly picked files to the ones already chosen, skipping exact repeats.
export function mergeFiles(current, picked) {
  const out = [...current]
  for (const f of Array.from(picked ?? [])) {
    if (!out.some((g) => g.name === f.name && g.size === f.size && g.lastModified === f.lastModified)) out.push(f)
  }
  return out
}
