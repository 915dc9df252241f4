package workflow

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

// TestTwoWorkflowsCannotPingPong: one raises high to urgent, the other lowers urgent to high.
// Each would set the other off for ever. Each runs once on the agent's change, in position
// order, and once more on the other's change; a change that comes from both sets neither off.
func TestTwoWorkflowsCannotPingPong(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		up := e.workflow("ticket.priority_changed", `{"rules": [{"field": "priority", "operator": "equals", "value": "high"}]}`, `[{"type": "change_priority", "value": "urgent"}]`)
		down := e.workflow("ticket.priority_changed", `{"rules": [{"field": "priority", "operator": "equals", "value": "urgent"}]}`, `[{"type": "change_priority", "value": "high"}]`)
		tk := e.open(customer, "Ping")
		if _, err := e.tickets.ChangePriority(e.ctx, agent, tk.ID, "high"); err != nil {
			t.Fatal(err)
		}
		// The agent's change, up's and down's; the change up makes on down's is the end.
		if n := e.work(); n != 3 {
			t.Fatalf("%d jobs ran, want 3", n)
		}
		if p := e.get(tk.ID).Priority; p != "urgent" {
			t.Fatalf("priority %s", p)
		}
		if got := e.statuses(up); !slices.Equal(got, []string{RunCompleted, RunCompleted}) {
			t.Fatalf("up: %v", got)
		}
		// On up's change down found the ticket already lowered by its own first run: it did
		// not match, which the run log does not record.
		if got := e.statuses(down); !slices.Equal(got, []string{RunCompleted}) {
			t.Fatalf("down: %v", got)
		}
		if r := e.runs(up); r[0].Depth != 0 || r[1].Depth != 1 {
			t.Fatalf("up's depths %d %d", r[0].Depth, r[1].Depth)
		}
		if n := len(e.pending()); n != 0 {
			t.Fatalf("%d jobs left", n)
		}
	})
}

// TestAWorkflowDoesNotSetItselfOff: a workflow on ticket.updated that changes the ticket
// causes a ticket.updated it does not run on.
func TestAWorkflowDoesNotSetItselfOff(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		w := e.workflow("ticket.updated", "", `[{"type": "change_priority", "value": "critical"}, {"type": "add_internal_note", "value": "Bumped."}]`)
		tk := e.open(customer, "Self")
		if _, err := e.tickets.ChangePriority(e.ctx, agent, tk.ID, "low"); err != nil {
			t.Fatal(err)
		}
		// Its own change enqueues nothing: no other workflow waits for it.
		if n := e.work(); n != 1 {
			t.Fatalf("%d jobs, want 1", n)
		}
		if got := e.statuses(w); !slices.Equal(got, []string{RunCompleted}) {
			t.Fatalf("runs %v", got)
		}
		if n := len(e.get(tk.ID).Replies); n != 1 {
			t.Fatalf("%d notes", n)
		}
	})
}

// TestAChainOfWorkflowsStopsAtMaxDepth: seven workflows, each adding the tag the next one
// waits for. Five run; the sixth is stopped with a run-log entry saying why, and the
// seventh never sees its tag. They run last to first, so that each runs on the event of
// the one before rather than on the same event after it.
func TestAChainOfWorkflowsStopsAtMaxDepth(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		tags := make([]int64, 8)
		for i := range tags {
			tags[i] = e.tag(fmt.Sprintf("step-%d", i))
		}
		chain := make([]*Workflow, 7)
		for i := range chain {
			chain[i] = e.workflow("ticket.tagged",
				fmt.Sprintf(`{"rules": [{"field": "tags", "operator": "contains", "value": %d}]}`, tags[i]),
				fmt.Sprintf(`[{"type": "add_tag", "value": %d}]`, tags[i+1]))
			position := len(chain) - i
			if _, err := e.svc.Update(e.ctx, auth.System(), chain[i].ID, Input{Position: &position}); err != nil {
				t.Fatal(err)
			}
		}
		tk := e.open(customer, "Dominoes")
		if _, err := e.tickets.AddTags(e.ctx, agent, tk.ID, []int64{tags[0]}); err != nil {
			t.Fatal(err)
		}
		e.work()
		if got := e.tagIDs(tk.ID); !slices.Equal(got, tags[:6]) {
			t.Fatalf("tags %v, want %v", got, tags[:6])
		}
		for i, w := range chain[:5] {
			if r := e.runs(w); r[len(r)-1].Status != RunCompleted || r[len(r)-1].Depth != i {
				t.Fatalf("workflow %d: %v", i, e.statuses(w))
			}
		}
		stopped := e.runs(chain[5])
		last := stopped[len(stopped)-1]
		if last.Status != RunStopped || !last.Matched || last.Depth != MaxDepth || !strings.Contains(last.Message, "at most 5") {
			t.Fatalf("the sixth workflow: %+v", last)
		}
		for _, r := range e.runs(chain[6]) {
			if r.Matched {
				t.Fatalf("the seventh workflow ran: %+v", r)
			}
		}
		// A person's next change starts a new chain.
		if _, err := e.tickets.AddTags(e.ctx, agent, tk.ID, []int64{tags[6]}); err != nil {
			t.Fatal(err)
		}
		e.work()
		if got := e.tagIDs(tk.ID); !slices.Equal(got, tags) {
			t.Fatalf("tags %v after a new chain", got)
		}
	})
}
