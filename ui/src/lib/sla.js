// hoursMap keeps the priorities given a number of hours, as numbers: {high: 4, urgent: 1}.
export function hoursMap(values) {
  const out = {}
  for (const [priority, v] of Object.entries(values)) {
    if (v === '' || v === null || v === undefined) continue
    const n = Number(v)
    if (Number.isFinite(n)) out[priority] = n
  }
  return out
}
