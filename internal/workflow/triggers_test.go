package workflow

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestEveryTriggerRunsOnItsEvents: one workflow per trigger, and a ticket worked step by
// step; after each step exactly the workflows of the events that step caused have run.
func TestEveryTriggerRunsOnItsEvents(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		billing, vip := e.department("Billing"), e.tag("vip")
		byTrigger := map[string]*Workflow{}
		for _, tr := range Triggers {
			byTrigger[tr] = e.workflow(tr, "", fmt.Sprintf(`[{"type": "send_notification", "value": {"recipients": [%d]}}]`, agent.UserID))
		}
		ran := map[string]int{}
		var tk *ticket.Ticket
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		// hook hands an event to the workflows as the ticket service does for the SLA
		// engine's changes, which this branch has no service for.
		hook := func(name string) error {
			return e.db.InTx(e.ctx, func(ctx context.Context, tx bun.Tx) error {
				return e.svc.enqueue(ctx, tx, []event.Event{{
					Name: name, Ticket: event.TicketRef{ID: tk.ID, Reference: tk.Reference}, OccurredAt: e.clock.Now(),
					Data: map[string]any{"type": "first_response"},
				}})
			})
		}
		for _, step := range []struct {
			name string
			do   func()
			want []string
		}{
			{"create", func() { tk = e.open(customer, "Printer on fire") }, []string{"ticket.created"}},
			{"priority", func() { must(e.tickets.ChangePriority(e.ctx, agent, tk.ID, "high")) }, []string{"ticket.priority_changed", "ticket.updated"}},
			{"status", func() { must(e.tickets.ChangeStatus(e.ctx, agent, tk.ID, ticket.StatusInProgress)) }, []string{"ticket.status_changed", "ticket.updated"}},
			{"assign", func() { must(e.tickets.Assign(e.ctx, agent, tk.ID, &agent.UserID)) }, []string{"ticket.assigned", "ticket.updated"}},
			{"unassign", func() { must(e.tickets.Assign(e.ctx, agent, tk.ID, nil)) }, []string{"ticket.updated"}},
			{"tag", func() { must(e.tickets.AddTags(e.ctx, agent, tk.ID, []int64{vip})) }, []string{"ticket.tagged", "ticket.updated"}},
			{"untag", func() { must(e.tickets.RemoveTags(e.ctx, agent, tk.ID, []int64{vip})) }, []string{"ticket.updated"}},
			{"department", func() { must(e.tickets.ChangeDepartment(e.ctx, agent, tk.ID, &billing)) }, []string{"ticket.department_changed", "ticket.updated"}},
			{"customer reply", func() {
				must(e.tickets.Reply(e.ctx, customer, tk.ID, ticket.ReplyInput{Body: "Still burning."}))
			}, []string{"reply.created"}},
			{"agent reply", func() {
				must(e.tickets.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "On our way."}))
			}, []string{"reply.agent_reply", "reply.created"}},
			{"note", func() {
				must(e.tickets.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "Call the fire brigade.", IsInternalNote: true}))
			}, nil},
			{"resolve", func() { must(e.tickets.ChangeStatus(e.ctx, agent, tk.ID, ticket.StatusResolved)) }, []string{"ticket.status_changed", "ticket.updated"}},
			{"reopen", func() { must(e.tickets.ChangeStatusAsRequester(e.ctx, customer, tk.ID, ticket.StatusReopened)) }, []string{"ticket.reopened", "ticket.status_changed", "ticket.updated"}},
			{"sla warning", func() { must(nil, hook(event.SlaWarning)) }, []string{"sla.warning"}},
			{"sla breach", func() { must(nil, hook(event.SlaBreached)) }, []string{"sla.breached"}},
		} {
			step.do()
			e.work()
			var got []string
			for tr, w := range byTrigger {
				n := 0
				for _, r := range e.runs(w) {
					if r.Status != RunCompleted || r.Event != tr || *r.TicketID != tk.ID {
						t.Fatalf("%s: run %+v", step.name, r)
					}
					n++
				}
				if n > ran[tr] {
					got = append(got, tr)
				}
				if n > ran[tr]+1 {
					t.Fatalf("%s ran %d times on %s", tr, n-ran[tr], step.name)
				}
				ran[tr] = n
			}
			slices.Sort(got)
			if !slices.Equal(got, step.want) {
				t.Fatalf("%s ran %v, want %v", step.name, got, step.want)
			}
		}
		// Every run left its notification, as the system.
		if n := e.count(`SELECT count(*) FROM notifications WHERE user_id = ? AND type = 'workflow'`, agent.UserID); n != 23 {
			t.Fatalf("%d notifications, want 23", n)
		}
	})
}

// TestChangesWithoutActiveWorkflowsEnqueueNothing: the hook enqueues only for triggers an
// active workflow waits for, and a change that rolls back enqueues nothing.
func TestChangesWithoutActiveWorkflowsEnqueueNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		off := e.workflow("ticket.created", "", `[{"type": "change_priority", "value": "high"}]`)
		inactive := false
		if _, err := e.svc.Update(e.ctx, auth.System(), off.ID, Input{IsActive: &inactive}); err != nil {
			t.Fatal(err)
		}
		e.workflow("ticket.assigned", "", `[{"type": "change_priority", "value": "high"}]`)
		tk := e.open(customer, "Quiet")
		if _, err := e.tickets.ChangePriority(e.ctx, agent, tk.ID, "low"); err != nil {
			t.Fatal(err)
		}
		if n := len(e.pending()); n != 0 {
			t.Fatalf("%d jobs for events no active workflow waits for", n)
		}
		customerID := customer.UserID
		if _, err := e.tickets.Assign(e.ctx, agent, tk.ID, &customerID); err == nil {
			t.Fatal("assigned a customer")
		}
		if n := len(e.pending()); n != 0 {
			t.Fatalf("%d jobs for a change that rolled back", n)
		}
		if _, err := e.tickets.Assign(e.ctx, agent, tk.ID, &agent.UserID); err != nil {
			t.Fatal(err)
		}
		if n := len(e.pending()); n != 1 {
			t.Fatalf("%d jobs for an assignment, want 1", n)
		}
	})
}

// TestTheServiceChecksPermissions: automation.view reads workflows and their log,
// automation.manage changes them, whatever route calls the service.
func TestTheServiceChecksPermissions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		w := e.workflow("ticket.created", "", `[{"type": "close_ticket"}]`)
		name := "Mine now"
		if _, err := e.svc.List(e.ctx, agent); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Logs(e.ctx, agent, LogFilter{WorkflowID: w.ID, Page: 1, PerPage: 10}); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			func() error { _, err := e.svc.Create(e.ctx, agent, Input{Name: &name}); return err }(),
			func() error { _, err := e.svc.Update(e.ctx, agent, w.ID, Input{Name: &name}); return err }(),
			e.svc.Delete(e.ctx, agent, w.ID),
			func() error { _, err := e.svc.Get(e.ctx, customer, w.ID); return err }(),
			func() error { _, err := e.svc.List(e.ctx, customer); return err }(),
			func() error { _, _, err := e.svc.Logs(e.ctx, customer, LogFilter{Page: 1, PerPage: 10}); return err }(),
		} {
			if !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("err %v, want forbidden", err)
			}
		}
	})
}
