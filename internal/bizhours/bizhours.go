// Package bizhours does business-time arithmetic: when a given amount of open time has
// elapsed, how much open time lies between two instants, and whether a moment is open.
//
// A Schedule is read as a wall clock in its IANA time zone. An instant is open when its
// wall-clock reading there falls inside an open interval of that reading's weekday, on a
// date that is not a holiday. Everything else follows from that one rule:
//   - a day's intervals keep their local hours across daylight-saving changes (09:00–17:00 is
//     8 h on the day clocks spring forward);
//   - an interval that spans a skipped hour is shorter in real time and one that spans a
//     repeated hour is longer (00:00–04:00 is 3 h on a spring-forward day, 5 h on a
//     fall-back day); open wall-clock time that repeats is open both times it happens;
//   - a calendar date the zone skips (Pacific/Apia's 2011-12-30) contributes nothing.
//
// The package holds no state beyond the Schedule and does no I/O.
package bizhours

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	// Zone data compiled in, so a desk on a host without /usr/share/zoneinfo (a scratch
	// container) still knows every zone. The system's copy is used when there is one.
	_ "time/tzdata"
)

// Interval is one open stretch of a weekday in the schedule's wall-clock time. Start and End
// are "HH:MM"; End is after Start and may be "24:00", the end of the day. Intervals never
// cross midnight: a night shift is 22:00–24:00 on one day and 00:00–06:00 on the next.
type Interval struct {
	Day   int    `json:"day"` // 1 = Monday … 7 = Sunday
	Start string `json:"start"`
	End   string `json:"end"`
}

// Holiday closes one calendar date in the schedule's zone, or, when Recurring, that month
// and day in every year (a recurring 29 February closes it in leap years only).
type Holiday struct {
	Date      string // "YYYY-MM-DD"
	Recurring bool
}

// Horizon bounds Add: business time that does not elapse within this many calendar years of
// the start is reported as ErrHorizon instead of searched for.
const Horizon = 10

var (
	// ErrHorizon is Add's answer when the duration does not elapse within Horizon years.
	ErrHorizon = fmt.Errorf("bizhours: the business time does not elapse within %d years", Horizon)
	// ErrNegative is Add's answer to a negative duration.
	ErrNegative = errors.New("bizhours: negative business duration")
)

// FieldError is one problem with New's arguments. Field names the argument as a request
// would: "timezone", "schedule", "schedule.2.end", "holidays.0.date".
type FieldError struct {
	Field   string
	Message string
}

// Errors is every problem New found, in argument order.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Message
	}
	return "bizhours: " + strings.Join(parts, "; ")
}

// Schedule is a validated business schedule. It is immutable and safe for concurrent use.
type Schedule struct {
	loc *time.Location
	// week holds each weekday's open spans, Monday first, sorted, disjoint, with touching
	// spans merged.
	week   [7][]span
	weekly time.Duration // open time of a week with no holiday and no zone change
	// One-off holidays as day numbers (days since 1970-01-01), sorted and as a set.
	dates   []int64
	dateSet map[int64]bool
	// Recurring holidays, sorted and as a set.
	yearly    []monthDay
	yearlySet map[monthDay]bool
}

// span is an open stretch as offsets from local midnight, 0 ≤ start < end ≤ 24 h.
type span struct{ start, end time.Duration }

type monthDay struct {
	month time.Month
	day   int
}

func (m monthDay) compare(o monthDay) int {
	return cmp.Or(cmp.Compare(m.month, o.month), cmp.Compare(m.day, o.day))
}

const day = 24 * time.Hour

// New validates a schedule. It refuses an unknown or empty zone name (and "Local", which
// would depend on the machine), a malformed interval, overlapping intervals on one day, a
// malformed or impossible holiday date, and a schedule with no open time at all. The error
// is an Errors listing every problem.
func New(timezone string, intervals []Interval, holidays []Holiday) (*Schedule, error) {
	var errs Errors
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	s := &Schedule{dateSet: map[int64]bool{}, yearlySet: map[monthDay]bool{}}

	switch loc, err := time.LoadLocation(timezone); {
	case timezone == "" || timezone == "Local":
		add("timezone", "The timezone must be an IANA time zone name such as Europe/London.")
	case err != nil:
		add("timezone", "The timezone is not a known IANA time zone name.")
	default:
		s.loc = loc
	}

	if len(intervals) == 0 {
		add("schedule", "The schedule needs at least one open interval.")
	}
	type indexed struct {
		span
		i int
	}
	var days [7][]indexed
	for i, iv := range intervals {
		field := fmt.Sprintf("schedule.%d", i)
		okDay := iv.Day >= 1 && iv.Day <= 7
		if !okDay {
			add(field+".day", "The day must be 1 (Monday) to 7 (Sunday).")
		}
		start, okStart := clockTime(iv.Start, false)
		if !okStart {
			add(field+".start", "The start must be a time of day from 00:00 to 23:59, as HH:MM.")
		}
		end, okEnd := clockTime(iv.End, true)
		if !okEnd {
			add(field+".end", "The end must be a time of day from 00:01 to 24:00, as HH:MM.")
		}
		if okStart && okEnd && end <= start {
			add(field+".end", "The end must be after the start.")
			okEnd = false
		}
		if okDay && okStart && okEnd {
			days[iv.Day-1] = append(days[iv.Day-1], indexed{span{start, end}, i})
		}
	}
	for wd, list := range days {
		slices.SortStableFunc(list, func(a, b indexed) int { return cmp.Compare(a.start, b.start) })
		// reach is the interval reaching furthest into the day so far: a later-starting
		// interval that begins before its end overlaps it.
		var reach *indexed
		for k, cur := range list {
			if reach != nil && cur.start < reach.end {
				add(fmt.Sprintf("schedule.%d", cur.i), "The interval overlaps schedule.%d on the same day.", reach.i)
				if cur.end > reach.end {
					reach = &list[k]
				}
				continue
			}
			reach = &list[k]
			spans := s.week[wd]
			if n := len(spans); n > 0 && spans[n-1].end == cur.start {
				spans[n-1].end = cur.end
			} else {
				s.week[wd] = append(spans, cur.span)
			}
		}
	}
	for _, spans := range s.week {
		for _, sp := range spans {
			s.weekly += sp.end - sp.start
		}
	}

	for i, h := range holidays {
		d, err := time.Parse(time.DateOnly, h.Date)
		if err != nil {
			add(fmt.Sprintf("holidays.%d.date", i), "The date must be a real calendar date, as YYYY-MM-DD.")
			continue
		}
		if h.Recurring {
			md := monthDay{d.Month(), d.Day()}
			if !s.yearlySet[md] {
				s.yearlySet[md] = true
				s.yearly = append(s.yearly, md)
			}
		} else if n := dayNumber(d); !s.dateSet[n] {
			s.dateSet[n] = true
			s.dates = append(s.dates, n)
		}
	}
	slices.Sort(s.dates)
	slices.SortFunc(s.yearly, monthDay.compare)
	// Recurring holidays on all 366 month-days close every date there is. Any fewer leave a
	// month-day that falls on every weekday in turn, so some open interval is reached.
	if len(s.yearly) == 366 {
		add("holidays", "The recurring holidays close every day of the year, leaving no open time.")
	}

	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// clockTime parses "HH:MM" into an offset from midnight. "24:00" is accepted only as an end.
func clockTime(v string, isEnd bool) (time.Duration, bool) {
	if len(v) != 5 || v[2] != ':' {
		return 0, false
	}
	digits := []byte{v[0], v[1], v[3], v[4]}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h := int(digits[0]-'0')*10 + int(digits[1]-'0')
	m := int(digits[2]-'0')*10 + int(digits[3]-'0')
	switch {
	case m > 59, h > 24, h == 24 && (m != 0 || !isEnd), isEnd && h == 0 && m == 0:
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// Add returns the earliest instant at which d of open time has elapsed since start, in
// start's location. Add(start, 0) is start, open or not; an amount that is used up exactly
// at the close of an interval ends at that close, not at the next opening. A negative d is
// ErrNegative; a d that does not elapse within Horizon calendar years of start is ErrHorizon.
// Whole weeks free of holidays and zone changes are skipped at once, so the cost grows with
// the number of holidays and daylight-saving changes passed, not with d.
func (s *Schedule) Add(start time.Time, d time.Duration) (time.Time, error) {
	switch {
	case d < 0:
		return time.Time{}, ErrNegative
	case d == 0:
		return start, nil
	}
	end, used := s.run(start, start.AddDate(Horizon, 0, 0), d)
	if used < d {
		return time.Time{}, ErrHorizon
	}
	return end, nil
}

// Between returns the open time in [a, b), or 0 when b is not after a. A result beyond the
// range of time.Duration (about 292 years) is capped at its maximum.
func (s *Schedule) Between(a, b time.Time) time.Duration {
	if !a.Before(b) {
		return 0
	}
	_, used := s.run(a, b, math.MaxInt64)
	return used
}

// IsOpen reports whether t is open: its wall-clock reading in the schedule's zone falls in an
// open interval of that date, and the date is not a holiday.
func (s *Schedule) IsOpen(t time.Time) bool {
	lt := t.In(s.loc)
	wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
	date := midnight(wall)
	if s.holiday(date) {
		return false
	}
	since := wall.Sub(date)
	for _, sp := range s.week[weekdayIndex(date)] {
		if sp.start <= since && since < sp.end {
			return true
		}
	}
	return false
}

// run walks forward from `from` until limit or until budget of open time has been counted,
// and returns where it stopped (in from's location) and the open time counted.
//
// It goes one zone period at a time: between two changes of the zone's UTC offset the wall
// clock is the instant plus a fixed offset, so open intervals map to instants by subtracting
// it. Wall-clock times are handled as naive UTC times, which have no gaps or repeats. Wall
// time that a change skips lies in no period; wall time that it repeats lies in two.
func (s *Schedule) run(from, limit time.Time, budget time.Duration) (time.Time, time.Duration) {
	var used time.Duration
	for t := from; t.Before(limit); {
		lt := t.In(s.loc)
		_, offset := lt.Zone()
		_, periodEnd := lt.ZoneBounds()
		if periodEnd.IsZero() || periodEnd.After(limit) {
			periodEnd = limit
		}
		off := time.Duration(offset) * time.Second
		lo, hi := t.UTC().Add(off), periodEnd.UTC().Add(off)
		for date := midnight(lo); date.Before(hi); {
			if !date.Before(lo) {
				if n := s.skippableWeeks(date, hi, budget-used); n > 0 {
					used += time.Duration(n) * s.weekly
					date = date.AddDate(0, 0, 7*n)
					continue
				}
			}
			if !s.holiday(date) {
				for _, sp := range s.week[weekdayIndex(date)] {
					a, b := later(date.Add(sp.start), lo), earlier(date.Add(sp.end), hi)
					if !a.Before(b) {
						continue
					}
					if left := budget - used; b.Sub(a) >= left {
						return a.Add(left - off).In(from.Location()), budget
					}
					used += b.Sub(a)
				}
			}
			date = date.AddDate(0, 0, 1)
		}
		t = periodEnd
	}
	return limit.In(from.Location()), used
}

// skippableWeeks is how many whole weeks from the local midnight date can be counted as
// s.weekly each and skipped: weeks that end by hi (so no zone change falls in them), hold no
// holiday, and do not use up the budget left (so the answer lies after them).
func (s *Schedule) skippableWeeks(date, hi time.Time, left time.Duration) int {
	n := int64(hi.Sub(date) / (7 * day))
	n = min(n, int64((left-1)/s.weekly))
	if h, ok := s.nextHoliday(date); ok {
		n = min(n, (dayNumber(h)-dayNumber(date))/7)
	}
	return int(n)
}

// nextHoliday returns the first holiday on or after the local midnight date.
func (s *Schedule) nextHoliday(date time.Time) (time.Time, bool) {
	var next time.Time
	found := false
	today := dayNumber(date)
	if i, _ := slices.BinarySearch(s.dates, today); i < len(s.dates) {
		next, found = date.AddDate(0, 0, int(s.dates[i]-today)), true
	}
	if len(s.yearly) > 0 {
		from := monthDay{date.Month(), date.Day()}
		i, _ := slices.BinarySearchFunc(s.yearly, from, monthDay.compare)
		// Only 29 February can be missing from a year, and a leap year comes within eight.
		for y := date.Year(); y <= date.Year()+8; y++ {
			for ; i < len(s.yearly); i++ {
				md := s.yearly[i]
				if d := time.Date(y, md.month, md.day, 0, 0, 0, 0, time.UTC); d.Day() == md.day {
					if !found || d.Before(next) {
						next, found = d, true
					}
					return next, found
				}
			}
			i = 0
		}
	}
	return next, found
}

func (s *Schedule) holiday(date time.Time) bool {
	return s.dateSet[dayNumber(date)] || s.yearlySet[monthDay{date.Month(), date.Day()}]
}

// midnight returns the start of t's date; t is a naive wall-clock time in UTC.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayNumber counts days since 1970-01-01 for a midnight in UTC.
func dayNumber(date time.Time) int64 { return date.Unix() / int64(day/time.Second) }

// weekdayIndex is 0 for Monday … 6 for Sunday.
func weekdayIndex(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
