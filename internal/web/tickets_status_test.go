package web_test

import (
	"slices"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// allowedFrom is the default transition table of DOMAIN.md, each row in the statuses' display
// order, which is the order the desk lists them in.
var allowedFrom = map[string][]string{
	"open":                {"in_progress", "waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed"},
	"in_progress":         {"waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed"},
	"waiting_on_customer": {"open", "in_progress", "resolved", "closed"},
	"waiting_on_agent":    {"open", "in_progress", "escalated", "resolved", "closed"},
	"escalated":           {"in_progress", "resolved", "closed"},
	"resolved":            {"closed", "reopened"},
	"closed":              {"reopened"},
	"reopened":            {"in_progress", "waiting_on_customer", "waiting_on_agent", "escalated", "resolved", "closed"},
}

// walks reach each status from open through allowed moves.
var walks = map[string][]string{
	"open": nil, "in_progress": {"in_progress"}, "waiting_on_customer": {"waiting_on_customer"},
	"waiting_on_agent": {"waiting_on_agent"}, "escalated": {"escalated"}, "resolved": {"resolved"},
	"closed": {"closed"}, "reopened": {"closed", "reopened"},
}

func TestRefusedTransitionsListTheAllowedOnes(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		for from, allowed := range allowedFrom {
			tk := open(customer, "From "+from)
			move(agent, tk, walks[from]...)
			events := len(d.Events.Names(tk.ID))
			for to := range allowedFrom {
				if slices.Contains(allowed, to) {
					continue
				}
				r := agent.Do("POST", tk.path("/status"), map[string]any{"status": to}).Want(409)
				var body struct {
					Message            string              `json:"message"`
					Errors             map[string][]string `json:"errors"`
					AllowedTransitions []string            `json:"allowed_transitions"`
				}
				r.Decode(&body)
				if body.Message == "" {
					t.Fatalf("%s → %s: 409 without a message: %s", from, to, r.Body)
				}
				// A move to the current status is no transition, so it lists none.
				if to != from && (!slices.Equal(body.AllowedTransitions, allowed) || len(body.Errors["status"]) == 0) {
					t.Fatalf("%s → %s: allowed_transitions %v, want %v; body %s", from, to, body.AllowedTransitions, allowed, r.Body)
				}
			}
			if got := agent.Do("GET", tk.path(""), nil).Want(200).Data()["status"]; got != from || len(d.Events.Names(tk.ID)) != events {
				t.Fatalf("refused moves changed a %s ticket to %v or published events", from, got)
			}
			// Every allowed move is accepted from here; the first one is taken to prove it.
			agent.Do("POST", tk.path("/status"), map[string]any{"status": allowed[0]}).Want(200)
		}
		agent.Do("POST", open(customer, "x").path("/status"), map[string]any{}).Want(422).FieldError("status")
		agent.Do("POST", open(customer, "y").path("/status"), map[string]any{"status": "no_such"}).Want(422).FieldError("status")
	})
}
