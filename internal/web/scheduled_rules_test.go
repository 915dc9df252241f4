package web_test

import (
	"context"
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

		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		defer func() { stop(); <-done }()

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
