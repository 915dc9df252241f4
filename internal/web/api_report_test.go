package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAPIReportSummary(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		customer := d.User("customer")
		c := bearer(t, d, tokenFor(t, admin, "report.view"))
		summary := func(query string) string {
			s := c.Do("GET", "/reports/summary"+query, nil).Want(200).Data()
			return fmt.Sprint(s["days"], " open=", s["open"], " ", s["open_by_status"], " ", s["open_by_priority"],
				" created=", s["created"], " resolved=", s["resolved"])
		}
		if got, want := summary(""), "30 open=0 map[] map[critical:0 high:0 low:0 medium:0 urgent:0] created=0 resolved=0"; got != want {
			t.Fatalf("empty desk: %s, want %s", got, want)
		}

		a := openAs(admin, customer, "A", map[string]any{"priority": "high"})
		b := openAs(admin, customer, "B", map[string]any{"priority": "low"})
		openAs(admin, customer, "C", map[string]any{"priority": "low"})
		move(admin, a, "resolved")
		d.Clock.Advance(10 * 24 * time.Hour)
		signInAgain(admin) // ten idle days ended the session
		dt := openAs(admin, customer, "D", map[string]any{"priority": "urgent"})
		move(admin, dt, "in_progress")
		move(admin, b, "resolved")

		for query, want := range map[string]string{
			"?days=7":  "7 open=2 map[in_progress:1 open:1] map[critical:0 high:0 low:1 medium:0 urgent:1] created=1 resolved=1",
			"?days=30": "30 open=2 map[in_progress:1 open:1] map[critical:0 high:0 low:1 medium:0 urgent:1] created=4 resolved=2",
			"?days=10": "10 open=2 map[in_progress:1 open:1] map[critical:0 high:0 low:1 medium:0 urgent:1] created=4 resolved=2",
		} {
			if got := summary(query); got != want {
				t.Errorf("%s: %s, want %s", query, got, want)
			}
		}
		// A reopened ticket is open again and no longer counts as resolved.
		move(admin, a, "reopened")
		if got, want := summary(""), "30 open=3 map[in_progress:1 open:1 reopened:1] map[critical:0 high:1 low:1 medium:0 urgent:1] created=4 resolved=1"; got != want {
			t.Fatalf("after reopening: %s, want %s", got, want)
		}
	})
}
