package bizhours

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// days builds the same interval on each of the given weekdays.
func days(start, end string, weekdays ...int) []Interval {
	var out []Interval
	for _, d := range weekdays {
		out = append(out, Interval{Day: d, Start: start, End: end})
	}
	return out
}

var (
	monFri   = []int{1, 2, 3, 4, 5}
	everyDay = []int{1, 2, 3, 4, 5, 6, 7}
)

func must(t testing.TB, zone string, intervals []Interval, holidays ...Holiday) *Schedule {
	t.Helper()
	s, err := New(zone, intervals, holidays)
	if err != nil {
		t.Fatalf("New(%s): %v", zone, err)
	}
	return s
}

// at parses an RFC 3339 instant; the offsets in the tests make each one unambiguous.
func at(t testing.TB, v string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestAdd(t *testing.T) {
	ny9to5 := must(t, "America/New_York", days("09:00", "17:00", monFri...))
	nyDaily := must(t, "America/New_York", days("09:00", "17:00", everyDay...))
	nyNights := must(t, "America/New_York", days("00:00", "04:00", everyDay...))
	nySplit := must(t, "America/New_York", append(days("09:00", "12:00", monFri...), days("13:00", "17:00", monFri...)...))
	ny24x7 := must(t, "America/New_York", days("00:00", "24:00", everyDay...))
	nySundayRepeat := must(t, "America/New_York", days("01:00", "01:30", 7))
	nySundayGap := must(t, "America/New_York", days("02:00", "02:30", 7))
	nySundayAcrossGap := must(t, "America/New_York", days("02:30", "03:30", 7))
	nightShift := must(t, "America/New_York", append(days("22:00", "24:00", monFri...), days("00:00", "06:00", 2, 3, 4, 5, 6)...))
	dublinDaily := must(t, "Europe/Dublin", days("09:00", "17:00", everyDay...))
	dublinNights := must(t, "Europe/Dublin", days("00:00", "04:00", everyDay...))
	lordHoweNights := must(t, "Australia/Lord_Howe", days("00:00", "04:00", everyDay...))
	apiaDaily := must(t, "Pacific/Apia", days("09:00", "17:00", everyDay...))
	apiaFridays := must(t, "Pacific/Apia", days("09:00", "17:00", 5))
	holidays := []Holiday{{Date: "2026-12-25", Recurring: true}, {Date: "2026-11-26"}}
	nyHolidays := must(t, "America/New_York", days("09:00", "17:00", monFri...), holidays...)
	nyDailyHolidays := must(t, "America/New_York", days("09:00", "17:00", everyDay...), holidays...)
	leapDay := must(t, "UTC", days("09:00", "17:00", everyDay...), Holiday{Date: "2024-02-29", Recurring: true})

	for _, c := range []struct {
		name  string
		s     *Schedule
		start string
		d     time.Duration
		want  string
	}{
		{"within a day", ny9to5, "2026-03-02T10:00:00-05:00", 3 * time.Hour, "2026-03-02T13:00:00-05:00"},
		{"from before opening", ny9to5, "2026-03-02T07:00:00-05:00", time.Hour, "2026-03-02T10:00:00-05:00"},
		{"from after closing", ny9to5, "2026-03-02T18:00:00-05:00", time.Hour, "2026-03-03T10:00:00-05:00"},
		{"zero from a closed moment", ny9to5, "2026-03-07T12:00:00-05:00", 0, "2026-03-07T12:00:00-05:00"},
		{"used up at closing ends at closing", ny9to5, "2026-03-02T09:00:00-05:00", 8 * time.Hour, "2026-03-02T17:00:00-05:00"},
		{"nanoseconds kept", ny9to5, "2026-03-02T16:59:59.999999999-05:00", time.Nanosecond, "2026-03-02T17:00:00-05:00"},
		{"over the spring-forward weekend", ny9to5, "2026-03-06T16:00:00-05:00", 2 * time.Hour, "2026-03-09T10:00:00-04:00"},
		{"start given in UTC", ny9to5, "2026-03-06T21:00:00Z", 2 * time.Hour, "2026-03-09T14:00:00Z"},
		{"start given in another zone", ny9to5, "2026-03-07T06:00:00+09:00", 2 * time.Hour, "2026-03-09T10:00:00-04:00"},
		{"a whole week across the change", ny9to5, "2026-03-02T10:00:00-05:00", 40 * time.Hour, "2026-03-09T10:00:00-04:00"},
		{"over the fall-back weekend", ny9to5, "2026-10-30T16:00:00-04:00", 2 * time.Hour, "2026-11-02T10:00:00-05:00"},
		{"52 weeks", ny9to5, "2026-01-05T09:00:00-05:00", 52 * 40 * time.Hour, "2027-01-01T17:00:00-05:00"},
		{"52 weeks less two holidays", nyHolidays, "2026-01-05T09:00:00-05:00", 52 * 40 * time.Hour, "2027-01-05T17:00:00-05:00"},

		{"spring-forward day keeps its local hours", nyDaily, "2026-03-07T16:00:00-05:00", 2 * time.Hour, "2026-03-08T10:00:00-04:00"},
		{"fall-back day keeps its local hours", nyDaily, "2026-10-31T16:00:00-04:00", 2 * time.Hour, "2026-11-01T10:00:00-05:00"},
		{"through the skipped hour", nyNights, "2026-03-08T00:00:00-05:00", 150 * time.Minute, "2026-03-08T03:30:00-04:00"},
		{"through the repeated hour", nyNights, "2026-11-01T00:00:00-04:00", 3 * time.Hour, "2026-11-01T02:00:00-05:00"},
		{"inside the repeated hour", nyNights, "2026-11-01T01:30:00-04:00", time.Hour, "2026-11-01T01:30:00-05:00"},
		{"repeated wall time is open twice", nySundayRepeat, "2026-11-01T01:20:00-04:00", 20 * time.Minute, "2026-11-01T01:10:00-05:00"},
		{"skipped wall time never opens", nySundayGap, "2026-03-08T00:00:00-05:00", 10 * time.Minute, "2026-03-15T02:10:00-04:00"},
		{"interval starting in the gap opens at the change", nySundayAcrossGap, "2026-03-08T00:00:00-05:00", 10 * time.Minute, "2026-03-08T03:10:00-04:00"},

		{"two intervals a day", nySplit, "2026-03-02T11:00:00-05:00", 2 * time.Hour, "2026-03-02T14:00:00-05:00"},
		{"ends at the lunch break", nySplit, "2026-03-02T11:00:00-05:00", time.Hour, "2026-03-02T12:00:00-05:00"},
		{"from the lunch break", nySplit, "2026-03-02T12:15:00-05:00", 30 * time.Minute, "2026-03-02T13:30:00-05:00"},
		{"a split week", nySplit, "2026-03-02T09:00:00-05:00", 35 * time.Hour, "2026-03-06T17:00:00-05:00"},

		{"24x7 is real time", ny24x7, "2026-03-07T12:00:00-05:00", 48 * time.Hour, "2026-03-09T13:00:00-04:00"},
		{"24x7 over fall-back", ny24x7, "2026-10-31T12:00:00-04:00", 48 * time.Hour, "2026-11-02T11:00:00-05:00"},
		{"24x7 for years", ny24x7, "2026-01-01T00:00:00-05:00", 3 * 365 * 24 * time.Hour, "2028-12-31T00:00:00-05:00"},

		{"night shift across midnight", nightShift, "2026-03-02T23:00:00-05:00", 2 * time.Hour, "2026-03-03T01:00:00-05:00"},
		{"night shift over the weekend", nightShift, "2026-03-07T05:00:00-05:00", 2 * time.Hour, "2026-03-09T23:00:00-04:00"},

		{"Dublin spring forward", dublinDaily, "2026-03-28T16:00:00Z", 2 * time.Hour, "2026-03-29T10:00:00+01:00"},
		{"Dublin fall back", dublinDaily, "2026-10-24T16:00:00+01:00", 2 * time.Hour, "2026-10-25T10:00:00Z"},
		{"Dublin through the skipped hour", dublinNights, "2026-03-29T00:00:00Z", 90 * time.Minute, "2026-03-29T02:30:00+01:00"},
		{"Dublin through the repeated hour", dublinNights, "2026-10-25T00:00:00+01:00", 3 * time.Hour, "2026-10-25T02:00:00Z"},

		{"Lord Howe falls back 30 minutes", lordHoweNights, "2026-04-05T00:00:00+11:00", 2 * time.Hour, "2026-04-05T01:30:00+10:30"},
		{"Lord Howe repeated half hour", lordHoweNights, "2026-04-05T00:00:00+11:00", 3 * time.Hour, "2026-04-05T02:30:00+10:30"},
		{"Lord Howe springs forward 30 minutes", lordHoweNights, "2026-10-04T00:00:00+10:30", 150 * time.Minute, "2026-10-04T03:00:00+11:00"},

		{"Apia skips Friday 30 December 2011", apiaDaily, "2011-12-29T16:00:00-10:00", 2 * time.Hour, "2011-12-31T10:00:00+14:00"},
		{"Apia's missing Friday is no Friday", apiaFridays, "2011-12-29T12:00:00-10:00", time.Hour, "2012-01-06T10:00:00+14:00"},

		{"one-off holiday", nyHolidays, "2026-11-25T16:00:00-05:00", 2 * time.Hour, "2026-11-27T10:00:00-05:00"},
		{"one-off holiday does not recur", nyHolidays, "2027-11-24T16:00:00-05:00", 2 * time.Hour, "2027-11-25T10:00:00-05:00"},
		{"recurring holiday", nyHolidays, "2026-12-24T16:00:00-05:00", 2 * time.Hour, "2026-12-28T10:00:00-05:00"},
		{"recurring holiday next year", nyDailyHolidays, "2027-12-24T16:00:00-05:00", 2 * time.Hour, "2027-12-26T10:00:00-05:00"},
		{"recurring holiday before its year", nyDailyHolidays, "2025-12-24T16:00:00-05:00", 2 * time.Hour, "2025-12-26T10:00:00-05:00"},
		{"recurring 29 February in a leap year", leapDay, "2028-02-28T16:00:00Z", 2 * time.Hour, "2028-03-01T10:00:00Z"},
		{"recurring 29 February outside leap years", leapDay, "2027-02-28T16:00:00Z", 2 * time.Hour, "2027-03-01T10:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start, want := at(t, c.start), at(t, c.want)
			got, err := c.s.Add(start, c.d)
			if err != nil {
				t.Fatalf("Add(%s, %s): %v", c.start, c.d, err)
			}
			if !got.Equal(want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", c.start, c.d, got, want)
			}
			if got.Location() != start.Location() {
				t.Fatalf("Add returned location %s, want the start's %s", got.Location(), start.Location())
			}
			if back := c.s.Between(start, got); back != c.d {
				t.Fatalf("Between(start, Add(start, %s)) = %s", c.d, back)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	nyDaily := must(t, "America/New_York", days("09:00", "17:00", everyDay...))
	nyNights := must(t, "America/New_York", days("00:00", "04:00", everyDay...))
	nySundayRepeat := must(t, "America/New_York", days("01:00", "01:30", 7))
	nySundayGap := must(t, "America/New_York", days("02:00", "02:30", 7))
	nySundayAcrossGap := must(t, "America/New_York", days("02:30", "03:30", 7))
	nySplit := must(t, "America/New_York", append(days("09:00", "12:00", monFri...), days("13:00", "17:00", monFri...)...))
	ny24x7 := must(t, "America/New_York", days("00:00", "24:00", everyDay...))
	dublinNights := must(t, "Europe/Dublin", days("00:00", "04:00", everyDay...))
	lordHoweNights := must(t, "Australia/Lord_Howe", days("00:00", "04:00", everyDay...))
	apiaDaily := must(t, "Pacific/Apia", days("09:00", "17:00", everyDay...))
	apiaFridays := must(t, "Pacific/Apia", days("09:00", "17:00", 5))
	nyHolidays := must(t, "America/New_York", days("09:00", "17:00", monFri...),
		Holiday{Date: "2026-12-25", Recurring: true}, Holiday{Date: "2026-11-26"})

	for _, c := range []struct {
		name string
		s    *Schedule
		a, b string
		want time.Duration
	}{
		{"spring-forward day, 09:00–17:00", nyDaily, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 8 * time.Hour},
		{"fall-back day, 09:00–17:00", nyDaily, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 8 * time.Hour},
		{"ordinary night", nyNights, "2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00", 4 * time.Hour},
		{"spring-forward night", nyNights, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 3 * time.Hour},
		{"fall-back night", nyNights, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 5 * time.Hour},
		{"repeated half hour counts twice", nySundayRepeat, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00", time.Hour},
		{"skipped half hour counts nothing", nySundayGap, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 0},
		{"interval across the gap", nySundayAcrossGap, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 30 * time.Minute},
		{"lunch excluded", nySplit, "2026-03-02T11:30:00-05:00", "2026-03-02T13:30:00-05:00", time.Hour},
		{"split week", nySplit, "2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 35 * time.Hour},
		{"24x7 over fall-back", ny24x7, "2026-10-31T00:00:00-04:00", "2026-11-02T00:00:00-05:00", 49 * time.Hour},
		{"24x7 over spring-forward", ny24x7, "2026-03-07T00:00:00-05:00", "2026-03-09T00:00:00-04:00", 47 * time.Hour},
		{"Dublin spring-forward night", dublinNights, "2026-03-29T00:00:00Z", "2026-03-30T00:00:00+01:00", 3 * time.Hour},
		{"Dublin fall-back night", dublinNights, "2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00Z", 5 * time.Hour},
		{"Lord Howe fall-back night", lordHoweNights, "2026-04-05T00:00:00+11:00", "2026-04-06T00:00:00+10:30", 270 * time.Minute},
		{"Lord Howe spring-forward night", lordHoweNights, "2026-10-04T00:00:00+10:30", "2026-10-05T00:00:00+11:00", 210 * time.Minute},
		{"Apia Thursday to Saturday", apiaDaily, "2011-12-29T00:00:00-10:00", "2012-01-01T00:00:00+14:00", 16 * time.Hour},
		{"Apia has no Friday that week", apiaFridays, "2011-12-26T00:00:00-10:00", "2012-01-02T00:00:00+14:00", 0},
		{"Apia's Friday the week before", apiaFridays, "2011-12-19T00:00:00-10:00", "2011-12-26T00:00:00-10:00", 8 * time.Hour},
		{"holiday weeks", nyHolidays, "2026-11-23T00:00:00-05:00", "2027-01-04T00:00:00-05:00", (6*5 - 2) * 8 * time.Hour},
		{"recurring holiday on a Saturday in 2027", nyHolidays, "2027-12-20T00:00:00-05:00", "2028-01-03T00:00:00-05:00", 10 * 8 * time.Hour},
		{"recurring holiday on a weekday in 2028", nyHolidays, "2028-12-18T00:00:00-05:00", "2029-01-01T00:00:00-05:00", 9 * 8 * time.Hour},
		{"a year", nyHolidays, "2026-01-05T00:00:00-05:00", "2027-01-04T00:00:00-05:00", (52*5 - 2) * 8 * time.Hour},
		{"empty range", nyDaily, "2026-03-02T12:00:00-05:00", "2026-03-02T12:00:00-05:00", 0},
		{"reversed range", nyDaily, "2026-03-03T12:00:00-05:00", "2026-03-02T12:00:00-05:00", 0},
		{"instants in other zones", nyDaily, "2026-03-02T14:00:00Z", "2026-03-03T01:00:00+09:00", 2 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.Between(at(t, c.a), at(t, c.b)); got != c.want {
				t.Fatalf("Between(%s, %s) = %s, want %s", c.a, c.b, got, c.want)
			}
		})
	}
}

func TestIsOpen(t *testing.T) {
	nySplit := must(t, "America/New_York", append(days("09:00", "12:00", monFri...), days("13:00", "17:00", monFri...)...))
	nySundayRepeat := must(t, "America/New_York", days("01:00", "01:30", 7))
	nyHolidays := must(t, "America/New_York", days("09:00", "17:00", everyDay...), Holiday{Date: "2026-12-25", Recurring: true})
	apiaDaily := must(t, "Pacific/Apia", days("00:00", "24:00", 5))

	for _, c := range []struct {
		s    *Schedule
		at   string
		want bool
	}{
		{nySplit, "2026-03-02T08:59:59.999999999-05:00", false},
		{nySplit, "2026-03-02T09:00:00-05:00", true},
		{nySplit, "2026-03-02T11:59:00-05:00", true},
		{nySplit, "2026-03-02T12:00:00-05:00", false},
		{nySplit, "2026-03-02T12:30:00-05:00", false},
		{nySplit, "2026-03-02T13:00:00-05:00", true},
		{nySplit, "2026-03-02T17:00:00-05:00", false},
		{nySplit, "2026-03-07T10:00:00-05:00", false},
		{nySplit, "2026-03-02T15:00:00Z", true},
		{nySplit, "2026-03-02T17:30:00Z", false},
		{nySundayRepeat, "2026-11-01T01:15:00-04:00", true},
		{nySundayRepeat, "2026-11-01T01:15:00-05:00", true},
		{nySundayRepeat, "2026-11-01T01:45:00-05:00", false},
		{nyHolidays, "2026-12-25T10:00:00-05:00", false},
		{nyHolidays, "2025-12-25T10:00:00-05:00", false},
		{nyHolidays, "2031-12-25T10:00:00-05:00", false},
		{nyHolidays, "2026-12-26T10:00:00-05:00", true},
		{apiaDaily, "2011-12-30T12:00:00Z", false}, // Saturday 02:00 in Apia, just after the skipped Friday
		{apiaDaily, "2011-12-23T12:00:00-10:00", true},
	} {
		if got := c.s.IsOpen(at(t, c.at)); got != c.want {
			t.Errorf("IsOpen(%s) = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestAddLimits(t *testing.T) {
	s := must(t, "America/New_York", days("09:00", "17:00", monFri...))
	start := at(t, "2026-03-02T10:00:00-05:00")
	if _, err := s.Add(start, -time.Second); !errors.Is(err, ErrNegative) {
		t.Fatalf("negative duration: %v", err)
	}
	if _, err := s.Add(start, math.MaxInt64); !errors.Is(err, ErrHorizon) {
		t.Fatalf("huge duration: %v", err)
	}
	// Ten years hold 521 whole weeks and five days.
	if _, err := s.Add(start, 521*40*time.Hour); err != nil {
		t.Fatalf("521 weeks: %v", err)
	}
	if _, err := s.Add(start, 530*40*time.Hour); !errors.Is(err, ErrHorizon) {
		t.Fatalf("530 weeks: %v", err)
	}

	// Every month-day but 29 February is a holiday: a Tuesday schedule next opens on
	// Tuesday 2028-02-29, a Monday one not until 2044, past the horizon.
	var allButLeapDay []Holiday
	for d := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2025; d = d.AddDate(0, 0, 1) {
		allButLeapDay = append(allButLeapDay, Holiday{Date: d.Format(time.DateOnly), Recurring: true})
	}
	tuesdays := must(t, "UTC", days("09:00", "17:00", 2), allButLeapDay...)
	got, err := tuesdays.Add(at(t, "2026-03-02T00:00:00Z"), time.Hour)
	if err != nil || !got.Equal(at(t, "2028-02-29T10:00:00Z")) {
		t.Fatalf("Tuesday leap day: %s, %v", got, err)
	}
	mondays := must(t, "UTC", days("09:00", "17:00", 1), allButLeapDay...)
	if _, err := mondays.Add(at(t, "2026-03-02T00:00:00Z"), time.Hour); !errors.Is(err, ErrHorizon) {
		t.Fatalf("Monday leap day: %v", err)
	}
	// Between is not bounded by the horizon, and caps at the largest duration.
	if got := mondays.Between(at(t, "2026-01-01T00:00:00Z"), at(t, "2045-01-01T00:00:00Z")); got != 8*time.Hour {
		t.Fatalf("Between over Monday leap days = %s", got)
	}
	always := must(t, "UTC", days("00:00", "24:00", everyDay...))
	if got := always.Between(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got != math.MaxInt64 {
		t.Fatalf("Between over millennia = %s", got)
	}
}

func TestNewRefuses(t *testing.T) {
	ok := days("09:00", "17:00", 1)
	for _, c := range []struct {
		name      string
		zone      string
		intervals []Interval
		holidays  []Holiday
		field     string
	}{
		{"unknown zone", "Mars/Base", ok, nil, "timezone"},
		{"empty zone", "", ok, nil, "timezone"},
		{"machine zone", "Local", ok, nil, "timezone"},
		{"path in zone", "../../etc/passwd", ok, nil, "timezone"},
		{"NUL in zone", "Europe/London\x00", ok, nil, "timezone"},
		{"no intervals", "UTC", nil, nil, "schedule"},
		{"day 0", "UTC", []Interval{{Day: 0, Start: "09:00", End: "17:00"}}, nil, "schedule.0.day"},
		{"day 8", "UTC", append(ok, Interval{Day: 8, Start: "09:00", End: "17:00"}), nil, "schedule.1.day"},
		{"hour 25", "UTC", []Interval{{Day: 1, Start: "25:00", End: "26:00"}}, nil, "schedule.0.start"},
		{"start 24:00", "UTC", []Interval{{Day: 1, Start: "24:00", End: "24:00"}}, nil, "schedule.0.start"},
		{"end 24:30", "UTC", []Interval{{Day: 1, Start: "09:00", End: "24:30"}}, nil, "schedule.0.end"},
		{"minute 60", "UTC", []Interval{{Day: 1, Start: "09:60", End: "17:00"}}, nil, "schedule.0.start"},
		{"single-digit hour", "UTC", []Interval{{Day: 1, Start: "9:00", End: "17:00"}}, nil, "schedule.0.start"},
		{"seconds", "UTC", []Interval{{Day: 1, Start: "09:00:00", End: "17:00"}}, nil, "schedule.0.start"},
		{"empty end", "UTC", []Interval{{Day: 1, Start: "09:00"}}, nil, "schedule.0.end"},
		{"end 00:00", "UTC", []Interval{{Day: 1, Start: "00:00", End: "00:00"}}, nil, "schedule.0.end"},
		{"end before start", "UTC", []Interval{{Day: 1, Start: "17:00", End: "09:00"}}, nil, "schedule.0.end"},
		{"end equals start", "UTC", []Interval{{Day: 1, Start: "09:00", End: "09:00"}}, nil, "schedule.0.end"},
		{"overlap", "UTC", append(ok, Interval{Day: 1, Start: "16:00", End: "18:00"}), nil, "schedule.1"},
		{"overlap listed first", "UTC", []Interval{{Day: 1, Start: "12:00", End: "13:00"}, {Day: 1, Start: "09:00", End: "17:00"}}, nil, "schedule.0"},
		{"overlap behind a short one", "UTC", []Interval{{Day: 2, Start: "09:00", End: "17:00"}, {Day: 2, Start: "10:00", End: "11:00"}, {Day: 2, Start: "12:00", End: "13:00"}}, nil, "schedule.2"},
		{"duplicate", "UTC", append(ok, ok...), nil, "schedule.1"},
		{"impossible date", "UTC", ok, []Holiday{{Date: "2026-01-01"}, {Date: "2026-02-30"}}, "holidays.1.date"},
		{"leap day in a common year", "UTC", ok, []Holiday{{Date: "2025-02-29", Recurring: true}}, "holidays.0.date"},
		{"date with time", "UTC", ok, []Holiday{{Date: "2026-12-25T00:00:00Z"}}, "holidays.0.date"},
		{"empty date", "UTC", ok, []Holiday{{}}, "holidays.0.date"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.zone, c.intervals, c.holidays)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("New: %v, want Errors", err)
			}
			for _, f := range errs {
				if f.Field == c.field {
					return
				}
			}
			t.Fatalf("New: %v, want an error on %s", err, c.field)
		})
	}

	var everyMonthDay []Holiday
	for d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2024; d = d.AddDate(0, 0, 1) {
		everyMonthDay = append(everyMonthDay, Holiday{Date: d.Format(time.DateOnly), Recurring: true})
	}
	if _, err := New("UTC", days("09:00", "17:00", everyDay...), everyMonthDay); err == nil {
		t.Fatal("New accepted holidays on every day of the year")
	}

	// Intervals that touch are not an overlap; several problems are all reported.
	if _, err := New("UTC", []Interval{{Day: 1, Start: "09:00", End: "12:00"}, {Day: 1, Start: "12:00", End: "17:00"}}, nil); err != nil {
		t.Fatalf("touching intervals: %v", err)
	}
	_, err := New("Nowhere", []Interval{{Day: 9, Start: "x", End: "y"}}, []Holiday{{Date: "never"}})
	if errs := err.(Errors); len(errs) != 5 {
		t.Fatalf("all problems: %v", err)
	}
}

// schedules the property tests range over: different zones, shapes and holidays.
func propertySchedules(t testing.TB) []*Schedule {
	return []*Schedule{
		must(t, "America/New_York", days("09:00", "17:00", monFri...), Holiday{Date: "2026-12-25", Recurring: true}, Holiday{Date: "2026-11-26"}),
		must(t, "America/New_York", days("00:00", "04:00", everyDay...)),
		must(t, "Europe/Dublin", append(days("09:00", "12:00", monFri...), days("13:00", "17:30", monFri...)...)),
		must(t, "Australia/Lord_Howe", append(days("01:00", "02:45", everyDay...), days("22:00", "24:00", 6)...)),
		must(t, "Pacific/Apia", days("00:00", "24:00", 5, 6), Holiday{Date: "2012-01-06"}),
		must(t, "UTC", days("10:00", "10:01", 3)),
	}
}

// checkRoundTrip asserts what Add promises: exactly d of open time lies between start and the
// answer, and none of it can be dropped (the answer is the earliest such instant).
func checkRoundTrip(t *testing.T, s *Schedule, start time.Time, d time.Duration) {
	t.Helper()
	end, err := s.Add(start, d)
	if err != nil {
		t.Fatalf("Add(%s, %s): %v", start, d, err)
	}
	if got := s.Between(start, end); got != d {
		t.Fatalf("Between(%s, Add(…, %s) = %s) = %s", start, d, end, got)
	}
	if d > 0 {
		before := end.Add(-time.Nanosecond)
		if !s.IsOpen(before) || s.Between(start, before) != d-time.Nanosecond {
			t.Fatalf("Add(%s, %s) = %s is not the earliest answer", start, d, end)
		}
	}
}

func TestRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := at(t, "2011-06-01T00:00:00Z")
	for _, s := range propertySchedules(t) {
		for range 400 {
			start := base.Add(time.Duration(rng.Int64N(int64(20 * 365 * 24 * time.Hour))))
			d := time.Duration(rng.Int64N(int64(60 * s.weekly)))
			if rng.IntN(4) == 0 {
				d = d.Truncate(time.Minute)
			}
			checkRoundTrip(t, s, start, d)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1772463600), int64(2*time.Hour), uint8(0))
	f.Add(int64(1793500000), int64(40*time.Hour), uint8(1))
	f.Add(int64(1325152800), int64(time.Hour), uint8(4))
	f.Fuzz(func(t *testing.T, startUnix, d int64, which uint8) {
		schedules := propertySchedules(t)
		s := schedules[int(which)%len(schedules)]
		// Starts between 1900 and 2100, durations up to 400 weeks' open time: within the horizon.
		start := time.Unix(-2208988800+int64(uint64(startUnix)%(200*365*86400)), int64(uint64(d)%1e9))
		checkRoundTrip(t, s, start, time.Duration(uint64(d)%uint64(400*s.weekly)))
	})
}

// TestAgreesWithMinuteSteps counts open time around each zone change by testing every minute
// with IsOpen, and compares it with Between over the same days, piece by piece.
func TestAgreesWithMinuteSteps(t *testing.T) {
	for _, s := range propertySchedules(t) {
		for _, around := range []string{"2026-03-08T12:00:00Z", "2026-11-01T12:00:00Z", "2026-03-29T12:00:00Z", "2026-10-25T12:00:00Z", "2026-04-04T12:00:00Z", "2026-10-03T12:00:00Z", "2011-12-30T12:00:00Z", "2026-12-25T12:00:00Z"} {
			from := at(t, around).Add(-48 * time.Hour)
			var count, sum time.Duration
			for m := from; m.Before(from.Add(96 * time.Hour)); m = m.Add(time.Minute) {
				if s.IsOpen(m) {
					count += time.Minute
				}
				sum += s.Between(m, m.Add(time.Minute))
			}
			if total := s.Between(from, from.Add(96*time.Hour)); count != total || sum != total {
				t.Errorf("%s around %s: minute steps count %s, pieces sum %s, Between %s", s.loc, around, count, sum, total)
			}
		}
	}
}

func BenchmarkAddFiveYears(b *testing.B) {
	var holidays []Holiday
	for _, d := range []string{"01-01", "01-19", "02-16", "05-25", "07-03", "09-07", "10-12", "11-11", "11-26", "12-25"} {
		holidays = append(holidays, Holiday{Date: "2026-" + d, Recurring: true})
	}
	s := must(b, "America/New_York", append(days("09:00", "12:00", monFri...), days("13:00", "17:00", monFri...)...), holidays...)
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	d := 5 * 52 * 35 * time.Hour
	for b.Loop() {
		if _, err := s.Add(start, d); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleSchedule_Add() {
	s, err := New("America/New_York", []Interval{
		{Day: 5, Start: "09:00", End: "17:00"},
		{Day: 1, Start: "09:00", End: "17:00"},
	}, []Holiday{{Date: "2026-12-25", Recurring: true}})
	if err != nil {
		panic(err)
	}
	// Two business hours from Friday 16:00, before the clocks change, end on Monday at
	// 10:00 daylight time.
	due, _ := s.Add(time.Date(2026, 3, 6, 21, 0, 0, 0, time.UTC), 2*time.Hour)
	fmt.Println(due.In(time.UTC))
	// Output: 2026-03-09 14:00:00 +0000 UTC
}
