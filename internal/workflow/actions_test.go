package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/webhook"
)

func results(r Run) []string {
	var out []string
	for _, a := range r.Actions {
		out = append(out, fmt.Sprintf("%d %s %s", a.Index, a.Type, a.Status))
	}
	return out
}

// TestEveryActionChangesTheTicketAsTheSystem: one workflow holding every ticket action acts
// in one change, through the ticket service, as the system; snoozing and webhooks, which
// this desk cannot do yet, are recorded as failed and the rest applies.
func TestEveryActionChangesTheTicketAsTheSystem(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, watcher, gone := e.user("customer"), e.user("agent"), e.user("agent"), e.user("agent")
		billing := e.department("Billing")
		old, added, fromMacro := e.tag("old"), e.tag("added"), e.tag("from-macro")
		macroName := "Shared triage"
		shared := true
		macroActions := []rules.Action{{Type: "tags", Value: []byte(fmt.Sprintf("[%d]", fromMacro))}, {Type: "note", Value: []byte(`"From the macro."`)}}
		m, err := e.rules.CreateMacro(e.ctx, auth.System(), rules.MacroInput{Name: &macroName, IsShared: &shared, Actions: &macroActions})
		if err != nil {
			t.Fatal(err)
		}
		w := e.workflow("ticket.created", "", fmt.Sprintf(`[
			{"type": "assign_agent", "value": %d},
			{"type": "change_status", "value": "in_progress"},
			{"type": "change_priority", "value": "urgent"},
			{"type": "add_tag", "value": %d},
			{"type": "remove_tag", "value": %d},
			{"type": "move_department", "value": %d},
			{"type": "add_internal_note", "value": "Triaged by a workflow."},
			{"type": "send_notification", "value": {"recipients": ["assignee", %d, %d], "message": "Have a look."}},
			{"type": "apply_macro", "value": %d},
			{"type": "send_webhook", "value": {"url": "https://hooks.example.test/in"}},
			{"type": "snooze_ticket", "value": {"minutes": 60}}
		]`, agent.UserID, added, old, billing, watcher.UserID, gone.UserID, m.ID))
		e.exec(`UPDATE users SET is_active = FALSE WHERE id = ?`, gone.UserID)

		tk := e.open(customer, "Everything at once", func(in *ticket.CreateInput) { in.TagIDs = []int64{old} })
		e.work()

		got := e.get(tk.ID)
		if got.Status != ticket.StatusInProgress || got.Priority != "urgent" || got.AssignedTo == nil || *got.AssignedTo != agent.UserID ||
			got.DepartmentID == nil || *got.DepartmentID != billing || !slices.Equal(e.tagIDs(tk.ID), []int64{added, fromMacro}) {
			t.Fatalf("ticket %+v, tags %v", got.Ticket, e.tagIDs(tk.ID))
		}
		var notes []string
		for _, r := range got.Replies {
			if !r.IsInternalNote || r.AuthorID != nil {
				t.Fatalf("reply %+v is not a note by the system", r)
			}
			notes = append(notes, r.Body)
		}
		if !slices.Equal(notes, []string{"Triaged by a workflow.", "From the macro."}) {
			t.Fatalf("notes %v", notes)
		}
		wantActivities := []string{"assigned", "status_changed", "priority_changed", "tag_added", "tag_removed", "department_changed", "note_added", "tag_added", "note_added"}
		if got := e.activities(tk.ID); !slices.Equal(got, wantActivities) {
			t.Fatalf("activities %v", got)
		}
		if n := e.count(`SELECT count(*) FROM ticket_activities WHERE ticket_id = ? AND causer_id IS NOT NULL`, tk.ID); n != 0 {
			t.Fatalf("%d activities caused by someone other than the system", n)
		}
		if n := e.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? AND actor_id IS NULL`, tk.ID); n != 9 {
			t.Fatalf("%d audit entries by the system, want 9", n)
		}
		// The assignee and the named active agent are told; the agent deactivated since the
		// workflow was saved is not.
		var told []int64
		if err := e.db.R.NewRaw(`SELECT user_id FROM notifications WHERE ticket_id = ? AND type = 'workflow' ORDER BY user_id`, tk.ID).Scan(e.ctx, &told); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(told, []int64{agent.UserID, watcher.UserID}) {
			t.Fatalf("notified %v", told)
		}

		runs := e.runs(w)
		if len(runs) != 1 || runs[0].Status != RunFailed || !runs[0].Matched || runs[0].FinishedAt == nil {
			t.Fatalf("runs %+v", runs)
		}
		want := []string{
			"0 assign_agent applied", "1 change_status applied", "2 change_priority applied", "3 add_tag applied",
			"4 remove_tag applied", "5 move_department applied", "6 add_internal_note applied",
			"7 send_notification applied", "8 apply_macro applied", "9 send_webhook failed", "10 snooze_ticket failed",
		}
		if got := results(runs[0]); !slices.Equal(got, want) {
			t.Fatalf("results %v", got)
		}
		if msg := runs[0].Actions[9].Message; !strings.Contains(msg, "Webhooks are not available") {
			t.Fatalf("webhook message %q", msg)
		}
		if msg := runs[0].Actions[10].Message; !strings.Contains(msg, "Snoozing is not available") {
			t.Fatalf("snooze message %q", msg)
		}
	})
}

// TestSnoozeWebhookAndCloseWhenTheDeskCanDoThem: with a snoozer and a webhook sender wired,
// snooze_ticket makes the snoozer's change and send_webhook hands the delivery over in the
// run's transaction; close_ticket closes.
func TestSnoozeWebhookAndCloseWhenTheDeskCanDoThem(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		snoozed := e.tag("snoozed")
		var until []time.Time
		e.svc.Snoozer = func(at time.Time) ticket.Op {
			until = append(until, at)
			return ticket.OpAddTags([]int64{snoozed}) // stands in for the snooze change
		}
		hooks := &fakeWebhooks{}
		e.svc.Webhooks = hooks
		w := e.workflow("ticket.created", "", `[
			{"type": "snooze_ticket", "value": {"minutes": 90}},
			{"type": "send_webhook", "value": {"url": "https://hooks.example.test/in", "secret": "a secret of some length"}},
			{"type": "close_ticket"}
		]`)
		tk := e.open(customer, "Wired")
		e.work()
		got := e.get(tk.ID)
		if got.Status != ticket.StatusClosed || got.ClosedAt == nil || !slices.Equal(e.tagIDs(tk.ID), []int64{snoozed}) {
			t.Fatalf("ticket %+v", got.Ticket)
		}
		if len(until) != 1 || !until[0].Equal(start.Add(90*time.Minute)) {
			t.Fatalf("snoozed until %v", until)
		}
		sent := hooks.sent
		if len(sent) != 1 || sent[0].URL != "https://hooks.example.test/in" || sent[0].SealedSecret != "sealed:a secret of some length" ||
			sent[0].Event != "ticket.created" || sent[0].Action != 1 || sent[0].RunID == 0 ||
			sent[0].Payload["ticket"].(event.TicketRef).ID != tk.ID || sent[0].Payload["workflow"].(map[string]any)["id"] != w.ID {
			t.Fatalf("webhooks %+v", sent)
		}
		if st := e.statuses(w); !slices.Equal(st, []string{RunCompleted}) {
			t.Fatalf("runs %v", st)
		}
	})
}

// fakeWebhooks accepts every URL and secret and records the deliveries enqueued, checking
// that they come with a live transaction.
type fakeWebhooks struct{ sent []webhook.ActionDelivery }

func (f *fakeWebhooks) CheckActionURL(_ context.Context, url string) (string, string, error) {
	return url, "", nil
}
func (f *fakeWebhooks) CheckActionSecret(string) string { return "" }
func (f *fakeWebhooks) SealActionSecret(_, secret string) (string, error) {
	return "sealed:" + secret, nil
}
func (f *fakeWebhooks) EnqueueActionTx(ctx context.Context, tx bun.Tx, d webhook.ActionDelivery) error {
	var one int
	if err := tx.NewRaw(`SELECT 1`).Scan(ctx, &one); err != nil {
		return err
	}
	f.sent = append(f.sent, d)
	return nil
}

// TestARefusedChangeAppliesNoneOfTheWorkflow: when the ticket service refuses one action, the
// workflow's other changes are undone with it, the run log names the refused action, and
// the next workflow still runs.
func TestARefusedChangeAppliesNoneOfTheWorkflow(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		tg := e.tag("never")
		bad := e.workflow("ticket.created", "", fmt.Sprintf(`[
			{"type": "add_tag", "value": %d},
			{"type": "send_notification", "value": {"recipients": [%d]}},
			{"type": "change_status", "value": "reopened"},
			{"type": "change_priority", "value": "high"},
			{"type": "delay", "value": {"minutes": 5}},
			{"type": "close_ticket"}
		]`, tg, agent.UserID))
		next := e.workflow("ticket.created", "", `[{"type": "change_priority", "value": "low"}]`)
		tk := e.open(customer, "Refused")
		e.work()

		got := e.get(tk.ID)
		if len(got.Tags) != 0 || got.Priority != "low" || got.Status != ticket.StatusOpen {
			t.Fatalf("ticket %+v, tags %v", got.Ticket, got.Tags)
		}
		if n := e.count(`SELECT count(*) FROM notifications`); n != 0 {
			t.Fatalf("%d notifications from a refused run", n)
		}
		runs := e.runs(bad)
		if len(runs) != 1 || runs[0].Status != RunFailed || !strings.Contains(runs[0].Message, "cannot move from open to reopened") {
			t.Fatalf("runs %+v", runs)
		}
		want := []string{"0 add_tag skipped", "1 send_notification skipped", "2 change_status failed", "3 change_priority skipped", "4 delay skipped", "5 close_ticket skipped"}
		if got := results(runs[0]); !slices.Equal(got, want) {
			t.Fatalf("results %v", got)
		}
		if st := e.statuses(next); !slices.Equal(st, []string{RunCompleted}) {
			t.Fatalf("the next workflow: %v", st)
		}
		if n := len(e.pending()); n != 0 {
			t.Fatalf("%d jobs left: the refused run scheduled its delay", n)
		}
	})
}

// TestAMacroGoneSinceSavingFailsItsActionOnly: what a workflow names may be deleted after it
// is saved; the action fails in the run log and the others apply.
func TestAMacroGoneSinceSavingFailsItsActionOnly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		name, shared := "Soon gone", true
		acts := []rules.Action{{Type: "priority", Value: []byte(`"low"`)}}
		m, err := e.rules.CreateMacro(e.ctx, auth.System(), rules.MacroInput{Name: &name, IsShared: &shared, Actions: &acts})
		if err != nil {
			t.Fatal(err)
		}
		w := e.workflow("ticket.created", "", fmt.Sprintf(`[{"type": "apply_macro", "value": %d}, {"type": "change_priority", "value": "high"}]`, m.ID))
		if err := e.rules.DeleteMacro(e.ctx, auth.System(), m.ID); err != nil {
			t.Fatal(err)
		}
		tk := e.open(customer, "Macro gone")
		e.work()
		if p := e.get(tk.ID).Priority; p != "high" {
			t.Fatalf("priority %s", p)
		}
		r := e.runs(w)[0]
		if got := results(r); !slices.Equal(got, []string{"0 apply_macro failed", "1 change_priority applied"}) || !strings.Contains(r.Actions[0].Message, "Macro not found") {
			t.Fatalf("run %+v", r)
		}
	})
}

// TestARetriedJobRunsNoWorkflowTwice: River runs a job again when it fails or its process
// dies; the run log makes the second attempt a no-op.
func TestARetriedJobRunsNoWorkflowTwice(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		acting := e.workflow("ticket.created", "", `[{"type": "add_internal_note", "value": "Once."}]`)
		passing := e.workflow("ticket.created", `{"rules": [{"field": "subject", "operator": "contains", "value": "never"}]}`, `[{"type": "add_internal_note", "value": "Never."}]`)
		tk := e.open(customer, "Retried")
		jobs := e.pending()
		if len(jobs) != 1 {
			t.Fatalf("%d jobs", len(jobs))
		}
		for range 2 {
			if err := e.runJob(jobs[0]); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(e.get(tk.ID).Replies); n != 1 {
			t.Fatalf("%d notes, want 1", n)
		}
		if len(e.runs(acting)) != 1 || len(e.runs(passing)) != 0 {
			t.Fatalf("runs %v %v", e.statuses(acting), e.statuses(passing))
		}
	})
}
