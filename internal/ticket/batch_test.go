package ticket_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestApplyMakesEveryChangeOnce: a batch leaves each change's own timeline entry, audit entry
// and events, in order, and one TicketUpdated for the whole batch.
func TestApplyMakesEveryChangeOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		tk := e.open(customer, "Printer on fire")
		tag, dept := e.tag("hardware"), e.department("Facilities")
		n := len(e.events.names(tk.ID))
		e.clock.Advance(time.Minute)

		got, err := e.svc.Apply(e.ctx, agent, tk.ID,
			ticket.OpPriority("urgent"),
			ticket.OpStatus(ticket.StatusInProgress),
			ticket.OpAssign(&agent.UserID),
			ticket.OpDepartment(&dept),
			ticket.OpAddTags([]int64{tag}),
			ticket.OpType("incident"),
			ticket.OpReply(ticket.ReplyInput{Body: "On it.", IsInternalNote: true}),
			ticket.OpReply(ticket.ReplyInput{Body: "We are looking into it."}),
		)
		if err != nil {
			t.Fatal(err)
		}
		if got.Priority != "urgent" || got.Status != ticket.StatusInProgress || got.AssignedTo == nil || *got.AssignedTo != agent.UserID ||
			got.DepartmentID == nil || *got.DepartmentID != dept || got.TicketType != "incident" || got.FirstResponseAt == nil ||
			!got.UpdatedAt.Equal(e.clock.Now()) || got.AssignedAt == nil || !got.AssignedAt.Equal(e.clock.Now()) {
			t.Fatalf("ticket after batch: %+v", got)
		}
		if want := []string{"priority_changed", "status_changed", "assigned", "department_changed", "tag_added", "note_added", "replied"}; !slices.Equal(e.activities(tk.ID)[0:], want) {
			t.Fatalf("activities %v, want %v", e.activities(tk.ID), want)
		}
		wantAudits := []string{"ticket.created", "ticket.priority_changed", "ticket.status_changed", "ticket.assigned", "ticket.department_changed",
			"ticket.tag_added", "ticket.type_changed", "ticket.note_added", "ticket.replied"}
		if got := e.audits(tk.ID); !slices.Equal(got, wantAudits) {
			t.Fatalf("audits %v, want %v", got, wantAudits)
		}
		wantEvents := []string{"TicketPriorityChanged", "TicketStatusChanged", "TicketAssigned", "DepartmentChanged", "TagAdded",
			"InternalNoteAdded", "ReplyCreated", "TicketUpdated"}
		if got := e.since(tk.ID, n); !slices.Equal(got, wantEvents) {
			t.Fatalf("events %v, want %v", got, wantEvents)
		}
	})
}

// TestApplyIsAllOrNothing: when one change is refused, by permission before anything is
// written or by the ticket's state while writing, none of the batch is applied.
func TestApplyIsAllOrNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, light := e.user("customer"), e.user("agent"), e.user("light_agent")
		tk := e.open(customer, "Half done")
		s := e.snap(tk.ID)

		// A light agent may add notes but not reply: the note is not added either.
		_, err := e.svc.Apply(e.ctx, light, tk.ID,
			ticket.OpReply(ticket.ReplyInput{Body: "note", IsInternalNote: true}),
			ticket.OpReply(ticket.ReplyInput{Body: "reply"}))
		wantErr(t, err, apperr.KindForbidden)
		e.unchanged(tk.ID, s, "a batch with a forbidden reply")

		// closed → in_progress is not a transition: the priority change before it is undone.
		if _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, ticket.StatusClosed); err != nil {
			t.Fatal(err)
		}
		s = e.snap(tk.ID)
		_, err = e.svc.Apply(e.ctx, agent, tk.ID, ticket.OpPriority("urgent"), ticket.OpStatus(ticket.StatusInProgress))
		wantErr(t, err, apperr.KindConflict)
		e.unchanged(tk.ID, s, "a batch with a refused transition")
		d, _ := e.svc.Get(e.ctx, agent, tk.ID)
		if d.Priority != "medium" {
			t.Fatalf("priority %s after a failed batch", d.Priority)
		}

		// A batch whose changes change nothing writes nothing; a status it is already in is
		// left alone rather than refused.
		_, err = e.svc.Apply(e.ctx, agent, tk.ID, ticket.OpStatus(ticket.StatusClosed), ticket.OpPriority("medium"))
		if err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "a batch of no changes")

		// Unknown values are refused before the ticket is touched.
		_, err = e.svc.Apply(e.ctx, agent, tk.ID, ticket.OpType("saga"))
		if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["ticket_type"]) == 0 {
			t.Fatalf("error %v", ae)
		}
		_, err = e.svc.Apply(e.ctx, agent, 999999, ticket.OpPriority("low"))
		wantErr(t, err, apperr.KindNotFound)
	})
}

// TestApplyPlannedSeesTheLockedTicket: the plan sees the ticket as it is, an empty plan writes
// nothing, and Done runs in the transaction with the ticket as written.
func TestApplyPlannedSeesTheLockedTicket(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		tk := e.open(customer, "Plan")
		s := e.snap(tk.ID)
		var done *ticket.Ticket
		_, err := e.svc.ApplyPlanned(e.ctx, e.user("admin"), tk.ID, ticket.Batch{
			Plan: func(ctx context.Context, tx bun.Tx, t ticket.Ticket) ([]ticket.Op, error) { return nil, nil },
			Done: func(ctx context.Context, tx bun.Tx, t *ticket.Ticket) error { done = t; return nil },
		})
		if err != nil || done == nil || !done.UpdatedAt.Equal(tk.UpdatedAt) {
			t.Fatalf("empty plan: err %v, done %v", err, done)
		}
		e.unchanged(tk.ID, s, "an empty plan")

		e.clock.Advance(time.Hour)
		_, err = e.svc.ApplyPlanned(e.ctx, e.user("admin"), tk.ID, ticket.Batch{
			Plan: func(ctx context.Context, tx bun.Tx, t ticket.Ticket) ([]ticket.Op, error) {
				if t.Priority != "medium" {
					return nil, nil
				}
				return []ticket.Op{ticket.OpPriority("high")}, nil
			},
			Done: func(ctx context.Context, tx bun.Tx, t *ticket.Ticket) error {
				done = t
				return apperr.Conflict("changed my mind")
			},
		})
		wantErr(t, err, apperr.KindConflict)
		if !done.UpdatedAt.Equal(e.clock.Now()) || done.Priority != "high" {
			t.Fatalf("Done saw %+v", done)
		}
		e.unchanged(tk.ID, s, "a batch whose Done failed")
	})
}

// TestChangeTypeAndAssignedAt: the ticket type has its own change, audited and announced by
// TicketUpdated; assigning sets assigned_at and unassigning clears it.
func TestChangeTypeAndAssignedAt(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, light := e.user("customer"), e.user("agent"), e.user("light_agent")
		tk := e.open(customer, "Typed")
		n := len(e.events.names(tk.ID))
		got, err := e.svc.ChangeType(e.ctx, agent, tk.ID, "problem")
		if err != nil || got.TicketType != "problem" {
			t.Fatalf("change type: %v %+v", err, got)
		}
		if action, old, new := e.lastAudit(tk.ID); action != "ticket.type_changed" || !strings.Contains(old, `"question"`) || !strings.Contains(new, `"problem"`) {
			t.Fatalf("audit %s %s %s", action, old, new)
		}
		if got := e.since(tk.ID, n); !slices.Equal(got, []string{"TicketUpdated"}) {
			t.Fatalf("events %v", got)
		}
		_, err = e.svc.ChangeType(e.ctx, light, tk.ID, "task")
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.ChangeType(e.ctx, agent, tk.ID, "")
		wantErr(t, err, apperr.KindValidation)

		e.clock.Advance(time.Hour)
		got, err = e.svc.Assign(e.ctx, agent, tk.ID, &agent.UserID)
		if err != nil || got.AssignedAt == nil || !got.AssignedAt.Equal(e.clock.Now()) {
			t.Fatalf("assigned_at after assign: %v %v", err, got.AssignedAt)
		}
		d, _ := e.svc.Get(e.ctx, agent, tk.ID)
		if d.AssignedAt == nil || !d.AssignedAt.Equal(e.clock.Now()) {
			t.Fatalf("stored assigned_at %v", d.AssignedAt)
		}
		got, err = e.svc.Assign(e.ctx, agent, tk.ID, nil)
		if err != nil || got.AssignedAt != nil {
			t.Fatalf("assigned_at after unassign: %v %v", err, got.AssignedAt)
		}
	})
}

// TestApplyRemovesTags: OpRemoveTags takes tags off as RemoveTags does, leaving tags the
// ticket does not have alone.
func TestApplyRemovesTags(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		tk := e.open(customer, "Tagged")
		keep, drop, never := e.tag("keep"), e.tag("drop"), e.tag("never")
		if _, err := e.svc.AddTags(e.ctx, agent, tk.ID, []int64{keep, drop}); err != nil {
			t.Fatal(err)
		}
		n := len(e.events.names(tk.ID))
		if _, err := e.svc.Apply(e.ctx, agent, tk.ID, ticket.OpRemoveTags([]int64{drop, never})); err != nil {
			t.Fatal(err)
		}
		if got := e.activities(tk.ID); !slices.Equal(got, []string{"tag_added", "tag_added", "tag_removed"}) {
			t.Fatalf("activities %v", got)
		}
		if got := e.since(tk.ID, n); !slices.Equal(got, []string{"TagRemoved", "TicketUpdated"}) {
			t.Fatalf("events %v", got)
		}
		if got := e.audits(tk.ID); got[len(got)-1] != "ticket.tag_removed" {
			t.Fatalf("audits %v", got)
		}
		_, err := e.svc.Apply(e.ctx, customer, tk.ID, ticket.OpRemoveTags([]int64{keep}))
		wantErr(t, err, apperr.KindForbidden)
	})
}

// TestOpSnoozeSnoozesInABatch: a workflow's snooze_ticket action snoozes through the same
// rules as Snooze: the ticket is flagged until then with its timeline and audit entries, a
// time in the past is refused, and a light agent may not snooze.
func TestOpSnoozeSnoozesInABatch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		tk := e.open(customer, "Waiting for parts")
		until := e.clock.Now().Add(90 * time.Minute)
		got, err := e.svc.Apply(e.ctx, agent, tk.ID, ticket.OpSnooze(until))
		if err != nil {
			t.Fatal(err)
		}
		if got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(until) || got.Status != ticket.StatusOpen {
			t.Fatalf("ticket after snooze: until %v status %s", got.SnoozedUntil, got.Status)
		}
		if acts := e.activities(tk.ID); !slices.Contains(acts, "snoozed") {
			t.Fatalf("activities %v lack snoozed", acts)
		}
		if _, err := e.svc.Apply(e.ctx, agent, tk.ID, ticket.OpSnooze(e.clock.Now().Add(-time.Minute))); err == nil {
			t.Fatal("a snooze into the past was accepted")
		}
		if _, err := e.svc.Apply(e.ctx, e.user("light_agent"), tk.ID, ticket.OpSnooze(until)); err == nil {
			t.Fatal("a light agent snoozed a ticket")
		}
	})
}
