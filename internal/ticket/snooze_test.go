package ticket_test

import (
	"slices"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestWakeJobWakesOnlyASnoozeThatRanOut: the job scheduled with a snooze wakes the ticket when
// it runs at the snooze's end; run early (a job left from an earlier, shorter snooze) it does
// nothing, and for a ticket that is gone it has nothing to do.
func TestWakeJobWakesOnlyASnoozeThatRanOut(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		tk := e.open(customer, "Snooze me")
		minutes := 60
		if _, err := e.svc.Snooze(e.ctx, agent, tk.ID, ticket.SnoozeInput{DurationMinutes: &minutes}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(59 * time.Minute)
		if err := e.svc.WorkWakeJob(e.ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.Get(e.ctx, agent, tk.ID); got.SnoozedUntil == nil || !got.IsSnoozed {
			t.Fatal("an early wake-up job woke the ticket")
		}
		e.clock.Advance(time.Minute)
		if err := e.svc.WorkWakeJob(e.ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.Get(e.ctx, agent, tk.ID)
		if got.SnoozedUntil != nil || got.IsSnoozed || got.Status != ticket.StatusOpen {
			t.Fatalf("after the wake-up job: until %v, snoozed %v, status %s", got.SnoozedUntil, got.IsSnoozed, got.Status)
		}
		if types := e.activities(tk.ID); !slices.Equal(types, []string{"snoozed", "unsnoozed"}) {
			t.Fatalf("timeline %v", types)
		}
		if err := e.svc.WorkWakeJob(e.ctx, 999999); err != nil {
			t.Fatalf("wake-up job for a missing ticket: %v", err)
		}
		// Nothing left to wake.
		if n, err := e.svc.WakeDue(e.ctx); err != nil || n != 0 {
			t.Fatalf("WakeDue woke %d, %v", n, err)
		}
		if _, err := e.svc.Unsnooze(e.ctx, agent, tk.ID); !apperr.Is(err, apperr.KindConflict) {
			t.Fatalf("unsnoozing an awake ticket: %v", err)
		}
	})
}
