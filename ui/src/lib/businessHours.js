// Business schedules: intervals per weekday, 1 = Monday … 7 = Sunday (bizhours.Interval).
export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']

// summarizeSchedule says, for each day, when the desk is open ("09:00–17:00") or "Closed".
export function summarizeSchedule(schedule) {
  return DAYS.map((_, i) => {
    const day = i + 1
    const spans = (schedule ?? []).filter((x) => x.day === day).map((x) => `${x.start}–${x.end}`)
    return { day, text: spans.length ? spans.join(', ') : 'Closed' }
  })
}

// weekFromSchedule groups the flat list into one entry per weekday for the form.
export function weekFromSchedule(schedule) {
  return DAYS.map((name, i) => ({
    day: i + 1,
    name,
    intervals: (schedule ?? []).filter((x) => x.day === i + 1).map((x) => ({ start: x.start, end: x.end })),
  }))
}

// scheduleFromWeek flattens the form back into the list the server takes.
export function scheduleFromWeek(week) {
  return week.flatMap((d) => d.intervals.map((x) => ({ day: d.day, start: x.start, end: x.end })))
}

// timezoneList is the server's list when it sends one, else the browser's.
export function timezoneList(timezones) {
  if (Array.isArray(timezones) && timezones.length) return timezones.map((z) => (typeof z === 'string' ? z : z.value ?? z.name ?? z.id))
  if (typeof Intl.supportedValuesOf === 'function') return Intl.supportedValuesOf('timeZone')
  return ['UTC']
}
