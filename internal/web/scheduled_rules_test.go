package web_test

import (
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// TestDeskRunsEscalationRulesBySchedule: nobody presses "run now"; the desk's background
// work evaluates the rules by itself once it runs.
func TestDeskRunsEscalationRulesBySchedule(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, customer := d.User("admin"), d.User("customer")
		tk := open(customer, "Urgent by rule")
		admin.Do("POST", "/admin/escalation-rules", map[string]any{
			"name":       "Old tickets become urgent",
			"conditions": []map[string]any{{"field": "age_hours", "value": 2}},
			"actions":    []map[string]any{{"type": "change_priority", "value": "urgent"}},
		}).Want(201)
		d.Clock.Advance(3 * time.Hour)

		d.RunJobs()

		// The minutely job runs as soon as the desk starts; wait for its work.
		deadline := time.Now().Add(20 * time.Second)
		for admin.Do("GET", tk.path(""), nil).Want(200).Data()["priority"] != "urgent" {
			if time.Now().After(deadline) {
				t.Fatal("the escalation rule did not act within 20s of Run starting")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestDeskSweepsSLABySchedule: nobody calls the sweep; once the desk runs, its minutely job
// finds the ticket past its due dates and records both breaches.
func TestDeskSweepsSLABySchedule(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, customer := d.User("admin"), d.User("customer")
		admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Standard", nil)).Want(201)
		tk := openAs(admin, customer, "Fast, please", map[string]any{"priority": "critical"})
		created := admin.Do("GET", tk.path(""), nil).Want(200).Data()
		if created["sla_policy_id"] == nil || created["first_response_due_at"] != "2026-03-02T10:15:00Z" ||
			created["resolution_due_at"] != "2026-03-02T12:00:00Z" {
			t.Fatalf("new ticket's SLA: %v", created)
		}
		d.Clock.Advance(3 * time.Hour)

		d.RunJobs()

		deadline := time.Now().Add(20 * time.Second)
		for {
			shown := admin.Do("GET", tk.path(""), nil).Want(200).Data()
			if shown["sla_first_response_breached"] == true && shown["sla_resolution_breached"] == true {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the SLA sweep did not record the breaches within 20s of Run starting: %v", shown)
			}
			time.Sleep(20 * time.Millisecond)
		}
		breaches := 0
		for _, e := range d.Events.All() {
			if e.Ticket.ID == tk.ID && e.Name == "SlaBreached" {
				breaches++
			}
		}
		if breaches != 2 {
			t.Fatalf("%d SlaBreached events, want 2", breaches)
		}
	})
}

// TestDeskRunsAutomationsBySchedule: nobody presses "run now"; once the desk runs, its
// minutely job applies the automation whose hours have passed, as the system.
func TestDeskRunsAutomationsBySchedule(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		tk := open(customer, "Nudge me")
		admin.Do("POST", "/admin/automations", map[string]any{
			"name":       "Nudge unassigned",
			"conditions": []map[string]any{{"field": "assigned", "value": "unassigned"}, {"field": "hours_since_created", "operator": ">", "value": 1}},
			"actions":    []map[string]any{{"type": "change_priority", "value": "high"}},
		}).Want(201)
		d.Clock.Advance(2 * time.Hour)

		d.RunJobs()
		eventually(t, "the automation", func() bool {
			return agent.Do("GET", tk.path(""), nil).Want(200).Data()["priority"] == "high"
		})
		if got := activityTypes(agent, tk); len(got) != 1 || got[0] != "priority_changed" {
			t.Fatalf("activities %v", got)
		}
	})
}
