// cleanQuery drops the keys a list filter leaves empty, so they stay out of the query string
// (shapes.md §7): empty strings, null, undefined, false and empty lists.
export function cleanQuery(params) {
  const out = {}
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === '' || value === null || value === undefined || value === false) continue
    if (Array.isArray(value) && value.length === 0) continue
    out[key] = value
  }
  return out
}
