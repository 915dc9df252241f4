package workflow

import (
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
)

// evaluations opens a ticket and returns how many evaluations its creation enqueued.
func (e *env) evaluations(customer *auth.Actor) int {
	e.t.Helper()
	e.exec(`DELETE FROM river_job`)
	e.open(customer, "Help")
	n := 0
	for _, j := range e.pending() {
		if j.Kind == (evaluateArgs{}).Kind() {
			n++
		}
	}
	return n
}

// TestWorkflowChangesApplyToTheNextTicket: the service caches the triggers of the active
// workflows, and every change made through it reaches the very next ticket change, with no
// clock advance.
func TestWorkflowChangesApplyToTheNextTicket(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		if n := e.evaluations(customer); n != 0 {
			t.Fatalf("%d evaluations without workflows", n)
		}
		w := e.workflow("ticket.created", "", `[{"type": "change_priority", "value": "high"}]`)
		if n := e.evaluations(customer); n != 1 {
			t.Fatalf("created: %d evaluations, want 1", n)
		}
		on, off := true, false
		update := func(in Input) {
			t.Helper()
			if _, err := e.svc.Update(e.ctx, auth.System(), w.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		update(Input{IsActive: &off})
		if n := e.evaluations(customer); n != 0 {
			t.Fatalf("deactivated: %d evaluations", n)
		}
		update(Input{IsActive: &on})
		if n := e.evaluations(customer); n != 1 {
			t.Fatalf("activated again: %d evaluations, want 1", n)
		}
		assigned := "ticket.assigned"
		update(Input{Trigger: &assigned})
		if n := e.evaluations(customer); n != 0 {
			t.Fatalf("trigger changed: %d evaluations", n)
		}
		other := e.workflow("ticket.created", "", `[{"type": "change_priority", "value": "low"}]`)
		if n := e.evaluations(customer); n != 1 {
			t.Fatalf("another created: %d evaluations, want 1", n)
		}
		if err := e.svc.Delete(e.ctx, auth.System(), other.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.evaluations(customer); n != 0 {
			t.Fatalf("deleted: %d evaluations", n)
		}
	})
}

// TestWorkflowChangesBehindTheCacheWaitForItsTTL: a change the service is not told of
// (another server process's, here plain SQL) reaches ticket changes once cache.TTL has
// passed, not before.
func TestWorkflowChangesBehindTheCacheWaitForItsTTL(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		w := e.workflow("ticket.created", "", `[{"type": "change_priority", "value": "high"}]`)
		if n := e.evaluations(customer); n != 1 {
			t.Fatalf("%d evaluations, want 1", n)
		}
		waitTTL := func(what string, before, after int) {
			t.Helper()
			e.clock.Advance(cache.TTL - time.Microsecond)
			if n := e.evaluations(customer); n != before {
				t.Fatalf("%s, within the TTL: %d evaluations, want still %d", what, n, before)
			}
			e.clock.Advance(time.Microsecond)
			if n := e.evaluations(customer); n != after {
				t.Fatalf("%s, after the TTL: %d evaluations, want %d", what, n, after)
			}
		}
		e.exec(`UPDATE workflows SET is_active = FALSE WHERE id = ?`, w.ID)
		waitTTL("deactivated", 1, 0)
		e.exec(`UPDATE workflows SET is_active = TRUE WHERE id = ?`, w.ID)
		waitTTL("activated again", 0, 1)
	})
}
