// humanize turns a slug such as waiting_on_customer into "Waiting on customer".
export function humanize(value) {
  if (value === null || value === undefined || value === '') return ''
  const s = String(value).replace(/[_.-]+/g, ' ').trim()
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function toDate(value) {
  if (!value) return null
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? null : d
}

export function formatDateTime(value) {
  const d = toDate(value)
  return d ? d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : ''
}

export function formatDate(value) {
  const d = toDate(value)
  return d ? d.toLocaleDateString(undefined, { dateStyle: 'medium' }) : ''
}

// isoDate gives the attribute value of a <time> element.
export function isoDate(value) {
  const d = toDate(value)
  return d ? d.toISOString() : ''
}

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
]

// relativeTime says how far a time is from now ("3 hours ago", "in 20 minutes").
export function relativeTime(value, now = new Date()) {
  const d = toDate(value)
  if (!d) return ''
  const seconds = Math.round((d.getTime() - now.getTime()) / 1000)
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.trunc(seconds / size), unit)
  }
  return rtf.format(0, 'minute')
}

export function formatBytes(bytes) {
  const n = Number(bytes)
  if (!Number.isFinite(n) || n < 0) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / (1024 * 1024)).toFixed(1)} MB`
}

// options turns the several shapes a server may send a list of choices in (strings,
// {value,label}, {id,name}, {slug,name} or an object of value → label) into {value, label}.
export function options(list) {
  if (!list) return []
  if (!Array.isArray(list)) {
    return Object.entries(list).map(([value, label]) => ({ value, label: typeof label === 'string' ? label : humanize(value) }))
  }
  return list.map((item) => {
    if (item === null || typeof item !== 'object') return { value: item, label: humanize(item) }
    const value = item.value ?? item.id ?? item.slug ?? item.key
    return { value, label: item.label ?? item.name ?? item.title ?? humanize(value) }
  })
}

// expiresAt is the date (YYYY-MM-DD, UTC) a number of days after now, as an expires_at.
export function expiresAt(days, now = new Date()) {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + Number(days)))
  return d.toISOString().slice(0, 10)
}
