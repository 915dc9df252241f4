package ticket_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// statuses are the built-in statuses in their display order.
var statuses = []string{"open", "in_progress", "waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed", "reopened"}

// table is the default transition table, copied from DOMAIN.md rather than from the code
// under test, so a drift in either shows here.
var table = map[string][]string{
	"open":                {"in_progress", "waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed"},
	"in_progress":         {"waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed"},
	"waiting_on_customer": {"open", "in_progress", "resolved", "closed"},
	"waiting_on_agent":    {"open", "in_progress", "escalated", "resolved", "closed"},
	"escalated":           {"in_progress", "resolved", "closed"},
	"resolved":            {"reopened", "closed"},
	"closed":              {"reopened"},
	"reopened":            {"in_progress", "waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed"},
}

// specific is the activity type and event a move to a status writes besides
// TicketStatusChanged; statuses not listed write a status_changed activity only.
var specific = map[string]struct{ activity, event string }{
	"resolved":  {"resolved", "TicketResolved"},
	"closed":    {"closed", "TicketClosed"},
	"reopened":  {"reopened", "TicketReopened"},
	"escalated": {"escalated", "TicketEscalated"},
}

// inDisplayOrder sorts statuses by their position, the order the desk lists them in.
func inDisplayOrder(list []string) []string {
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b string) int { return slices.Index(statuses, a) - slices.Index(statuses, b) })
	return out
}

// pathTo is the shortest walk through the table from open to status.
func pathTo(status string) []string {
	prev := map[string]string{"open": ""}
	queue := []string{"open"}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range table[s] {
			if _, seen := prev[n]; !seen {
				prev[n] = s
				queue = append(queue, n)
			}
		}
	}
	var path []string
	for s := status; s != "open"; s = prev[s] {
		path = append([]string{s}, path...)
	}
	return path
}

// ticketIn opens a ticket and walks it to status through allowed moves.
func (e *env) ticketIn(agent, customer *auth.Actor, status string) *ticket.Ticket {
	e.t.Helper()
	tk := e.open(customer, "Walk to "+status)
	for _, s := range pathTo(status) {
		var err error
		if tk, err = e.svc.ChangeStatus(e.ctx, agent, tk.ID, s); err != nil {
			e.t.Fatalf("walk to %s: move to %s: %v", status, s, err)
		}
	}
	return tk
}

func TestEveryTransitionOfTheDefaultTable(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		for _, from := range statuses {
			for _, to := range statuses {
				t.Run(from+"_to_"+to, func(t *testing.T) {
					tk := e.ticketIn(agent, customer, from)
					e.clock.Advance(time.Minute)
					acts, events, audits := len(e.activities(tk.ID)), len(e.events.names(tk.ID)), len(e.audits(tk.ID))

					got, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, to)
					if !slices.Contains(table[from], to) {
						ae := wantErr(t, err, apperr.KindConflict)
						if from != to && !slices.Equal(ae.Extra["allowed_transitions"].([]string), inDisplayOrder(table[from])) {
							t.Fatalf("allowed_transitions = %v, want %v", ae.Extra["allowed_transitions"], inDisplayOrder(table[from]))
						}
						d, err := e.svc.Get(e.ctx, agent, tk.ID)
						if err != nil || d.Status != from || !d.UpdatedAt.Equal(tk.UpdatedAt) {
							t.Fatalf("refused move changed the ticket: %+v, %v", d, err)
						}
						if len(e.activities(tk.ID)) != acts || len(e.events.names(tk.ID)) != events || len(e.audits(tk.ID)) != audits {
							t.Fatal("a refused move wrote an activity, an audit row or published an event")
						}
						return
					}
					if err != nil {
						t.Fatalf("%s → %s: %v", from, to, err)
					}
					now := e.clock.Now()
					d, err := e.svc.Get(e.ctx, agent, tk.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.Status != to || d.Status != to || !d.UpdatedAt.Equal(now) {
						t.Fatalf("status %s / stored %s, updated_at %v; want %s at %v", got.Status, d.Status, d.UpdatedAt, to, now)
					}
					switch to {
					case "resolved":
						if d.ResolvedAt == nil || !d.ResolvedAt.Equal(now) {
							t.Fatalf("resolved_at = %v, want %v", d.ResolvedAt, now)
						}
					case "closed":
						if d.ClosedAt == nil || !d.ClosedAt.Equal(now) {
							t.Fatalf("closed_at = %v, want %v", d.ClosedAt, now)
						}
					case "reopened":
						if d.ResolvedAt != nil || d.ClosedAt != nil {
							t.Fatalf("reopened ticket keeps resolved_at %v / closed_at %v", d.ResolvedAt, d.ClosedAt)
						}
					}
					wantType, wantEvents := "status_changed", []string{"TicketStatusChanged", "TicketUpdated"}
					if sp, ok := specific[to]; ok {
						wantType, wantEvents = sp.activity, []string{"TicketStatusChanged", sp.event, "TicketUpdated"}
					}
					last := d.Activities[len(d.Activities)-1]
					var props map[string]string
					json.Unmarshal(last.Properties, &props)
					if len(d.Activities) != acts+1 || last.Type != wantType || props["from"] != from || props["to"] != to {
						t.Fatalf("activities %d→%d, last %s %s; want one %s from %s to %s", acts, len(d.Activities), last.Type, last.Properties, wantType, from, to)
					}
					if last.CauserID == nil || *last.CauserID != agent.UserID {
						t.Fatalf("activity causer = %v, want %d", last.CauserID, agent.UserID)
					}
					if got := e.events.names(tk.ID)[events:]; !slices.Equal(got, wantEvents) {
						t.Fatalf("events = %v, want %v", got, wantEvents)
					}
					if got := e.audits(tk.ID)[audits:]; !slices.Equal(got, []string{"ticket.status_changed"}) {
						t.Fatalf("audit rows = %v, want one ticket.status_changed", got)
					}
				})
			}
		}
	})
}

func TestResolveCloseReopenTimestamps(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		tk := e.open(customer, "Lifecycle")
		e.clock.Advance(time.Hour)
		resolvedAt := e.clock.Now()
		if _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "resolved"); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		closedAt := e.clock.Now()
		tk, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "closed")
		if err != nil {
			t.Fatal(err)
		}
		if tk.ResolvedAt == nil || !tk.ResolvedAt.Equal(resolvedAt) || tk.ClosedAt == nil || !tk.ClosedAt.Equal(closedAt) {
			t.Fatalf("after resolve and close: resolved_at %v closed_at %v", tk.ResolvedAt, tk.ClosedAt)
		}
		e.clock.Advance(time.Hour)
		if _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "reopened"); err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.ResolvedAt != nil || d.ClosedAt != nil {
			t.Fatalf("reopen kept resolved_at %v closed_at %v", d.ResolvedAt, d.ClosedAt)
		}
		if want := []string{"resolved", "closed", "reopened"}; !slices.Equal(e.activities(tk.ID), want) {
			t.Fatalf("activities = %v, want %v", e.activities(tk.ID), want)
		}
		want := []string{"TicketCreated",
			"TicketStatusChanged", "TicketResolved", "TicketUpdated",
			"TicketStatusChanged", "TicketClosed", "TicketUpdated",
			"TicketStatusChanged", "TicketReopened", "TicketUpdated"}
		if got := e.events.names(tk.ID); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
	})
}

func TestStatusChangeNeedsItsPermission(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		light := e.user("light_agent")
		editor := e.user(e.role("editor", "ticket.view", "ticket.edit"))
		tk := e.open(customer, "Permissions")

		_, err := e.svc.ChangeStatus(e.ctx, light, tk.ID, "in_progress")
		wantErr(t, err, apperr.KindForbidden)
		// ticket.edit moves a ticket along, but resolving and closing need ticket.close.
		if _, err := e.svc.ChangeStatus(e.ctx, editor, tk.ID, "in_progress"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ChangeStatus(e.ctx, editor, tk.ID, "resolved")
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.ChangeStatus(e.ctx, editor, tk.ID, "no_such_status")
		if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["status"]) == 0 {
			t.Fatalf("unknown status error names no status field: %v", ae)
		}
		if want := []string{"status_changed"}; !slices.Equal(e.activities(tk.ID), want) {
			t.Fatalf("activities = %v, want %v", e.activities(tk.ID), want)
		}
	})
}
