package workflow

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestDelayRunsTheRestLater: the actions after a delay wait in a durable job scheduled by
// the clock, and run when it says they are due; a second delay waits again.
func TestDelayRunsTheRestLater(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		tg := e.tag("seen")
		w := e.workflow("ticket.created", "", fmt.Sprintf(`[
			{"type": "add_tag", "value": %d},
			{"type": "delay", "value": {"minutes": 60}},
			{"type": "change_priority", "value": "high"},
			{"type": "delay", "value": {"minutes": 30}},
			{"type": "add_internal_note", "value": "An hour and a half later."}
		]`, tg))
		tk := e.open(customer, "Later")
		e.work()
		if got := e.get(tk.ID); len(got.Tags) != 1 || got.Priority != "medium" {
			t.Fatalf("at once: %+v", got.Ticket)
		}
		jobs := e.pending()
		if len(jobs) != 1 || jobs[0].Kind != "workflows.resume" || !jobs[0].ScheduledAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("pending %+v", jobs)
		}
		run := e.runs(w)[0]
		if run.Status != RunDelayed || run.FinishedAt != nil ||
			!slices.Equal(results(run), []string{"0 add_tag applied", "1 delay waiting"}) || !strings.Contains(run.Actions[1].Message, "2026-03-02T11:00:00Z") {
			t.Fatalf("run %+v", run)
		}

		e.clock.Advance(59 * time.Minute)
		if n := e.work(); n != 0 || e.get(tk.ID).Priority != "medium" {
			t.Fatalf("%d jobs ran before the delay ended", n)
		}
		e.clock.Advance(time.Minute)
		if n := e.work(); n != 1 || e.get(tk.ID).Priority != "high" {
			t.Fatalf("%d jobs ran when the delay ended", n)
		}
		if run := e.runs(w)[0]; run.Status != RunDelayed ||
			!slices.Equal(results(run), []string{"0 add_tag applied", "1 delay applied", "2 change_priority applied", "3 delay waiting"}) {
			t.Fatalf("run %+v", run)
		}
		e.clock.Advance(30 * time.Minute)
		e.work()
		if got := e.get(tk.ID).Replies; len(got) != 1 || got[0].Body != "An hour and a half later." {
			t.Fatalf("replies %+v", got)
		}
		runs := e.runs(w)
		if len(runs) != 1 || runs[0].Status != RunCompleted || runs[0].FinishedAt == nil || !runs[0].FinishedAt.Equal(start.Add(90*time.Minute)) ||
			!slices.Equal(results(runs[0]), []string{"0 add_tag applied", "1 delay applied", "2 change_priority applied", "3 delay applied", "4 add_internal_note applied"}) {
			t.Fatalf("runs %+v", runs)
		}
		// The later changes were the workflow's too: its own ticket.updated did not run it.
		if n := e.count(`SELECT count(*) FROM workflow_runs`); n != 1 {
			t.Fatalf("%d runs", n)
		}
	})
}

// TestADelayedRunStops when, by the end of its delay, its conditions no longer hold, its
// workflow was switched off, or the workflow is gone; an edit does not change it. Each
// workflow watches a ticket of its own.
func TestADelayedRunStops(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		waiting := `{"rules": [{"field": "status", "operator": "equals", "value": "waiting_on_customer"}]}`
		nudge := `[{"type": "delay", "value": {"minutes": 1440}}, {"type": "add_internal_note", "value": "No answer for a day."}, {"type": "close_ticket"}]`
		answered := e.workflow("ticket.status_changed", waiting, nudge)
		tk1 := e.open(customer, "Answered in time")
		switchedOff := e.workflow("ticket.status_changed", waiting, nudge)
		deleted := e.workflow("ticket.status_changed", waiting, nudge)
		edited := e.workflow("ticket.status_changed", waiting, nudge)
		for _, w := range []*Workflow{answered, switchedOff, deleted, edited} {
			tk := tk1
			if w != answered {
				tk = e.open(customer, "Ticket of "+w.Name)
			}
			c := Conditions{Match: "all", Rules: []Rule{
				{Field: "status", Operator: "equals", Value: []byte(`"waiting_on_customer"`)},
				{Field: "reference", Operator: "equals", Value: []byte(fmt.Sprintf("%q", tk.Reference))},
			}}
			if _, err := e.svc.Update(e.ctx, auth.System(), w.ID, Input{Conditions: &c}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.tickets.ChangeStatus(e.ctx, agent, tk.ID, ticket.StatusWaitingOnCustomer); err != nil {
				t.Fatal(err)
			}
		}
		e.work()
		for _, w := range []*Workflow{answered, switchedOff, deleted, edited} {
			if got := e.matched(w); len(got) != 1 || got[0].Status != RunDelayed {
				t.Fatalf("%s: %v", w.Name, e.statuses(w))
			}
		}
		if _, err := e.tickets.Reply(e.ctx, customer, tk1.ID, ticket.ReplyInput{Body: "Here you go."}); err != nil {
			t.Fatal(err)
		}
		off := false
		if _, err := e.svc.Update(e.ctx, auth.System(), switchedOff.ID, Input{IsActive: &off}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, auth.System(), deleted.ID); err != nil {
			t.Fatal(err)
		}
		other := []Action{{Type: "change_priority", Value: []byte(`"low"`)}}
		if _, err := e.svc.Update(e.ctx, auth.System(), edited.ID, Input{Actions: &other}); err != nil {
			t.Fatal(err)
		}
		e.work()
		e.clock.Advance(24 * time.Hour)
		e.work()

		if got := e.get(tk1.ID).Status; got != ticket.StatusWaitingOnAgent {
			t.Fatalf("the answered ticket is %s", got)
		}
		for _, c := range []struct {
			w       *Workflow
			message string
		}{{answered, "conditions no longer held"}, {switchedOff, "switched off"}} {
			run := e.matched(c.w)[0]
			if run.Status != RunStopped || !strings.Contains(run.Message, c.message) || run.FinishedAt == nil ||
				!slices.Equal(results(run), []string{"0 delay applied", "1 add_internal_note skipped", "2 close_ticket skipped"}) {
				t.Fatalf("%s: %+v", c.w.Name, run)
			}
		}
		if n := e.count(`SELECT count(*) FROM workflow_runs WHERE workflow_id = ?`, deleted.ID); n != 0 {
			t.Fatalf("%d runs of a deleted workflow", n)
		}
		if run := e.matched(edited)[0]; run.Status != RunCompleted ||
			!slices.Equal(results(run), []string{"0 delay applied", "1 add_internal_note applied", "2 close_ticket applied"}) {
			t.Fatalf("edited: %+v", run)
		}
		if n := len(e.pending()); n != 0 {
			t.Fatalf("%d jobs left", n)
		}
	})
}
