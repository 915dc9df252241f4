package web_test

import (
	"fmt"
	"testing"
)

// TestAdminChangesApplyToTheNextTicket: SLA policies, business hours and workflows changed on
// the admin pages reach the very next ticket, though the desk keeps them in memory
// (internal/cache) and the clock does not move.
func TestAdminChangesApplyToTheNextTicket(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, customer := d.User("admin"), d.User("customer")
		// open has the customer open a ticket of medium priority and returns its policy id
		// (0 for none), its first-response due date and the workflow evaluations it enqueued.
		open := func() (policy int64, due any, evaluations int) {
			t.Helper()
			d.exec(`DELETE FROM river_job WHERE kind = 'workflows.evaluate'`)
			tk := customer.Do("POST", "/tickets", map[string]any{"subject": "Help", "description": "Please."}).Want(201).Data()
			if id, ok := tk["sla_policy_id"].(float64); ok {
				policy = int64(id)
			}
			return policy, tk["first_response_due_at"], d.count(`SELECT count(*) FROM river_job WHERE kind = 'workflows.evaluate'`)
		}
		if policy, _, n := open(); policy != 0 || n != 0 {
			t.Fatalf("with nothing defined: policy %d, %d evaluations", policy, n)
		}

		id := int64(admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Standard", nil)).Want(201).Data()["id"].(float64))
		path := fmt.Sprint("/admin/sla-policies/", id)
		if policy, due, _ := open(); policy != id || due != "2026-03-02T18:00:00Z" {
			t.Fatalf("policy created: policy %d, first response due %v", policy, due)
		}
		// Monday 10:00 UTC is 05:00 in New York; eight office hours (09–12, 13–17) later is
		// Tuesday 10:00 there, 15:00 UTC.
		schedule := int64(admin.Do("POST", "/admin/business-hours", officeHours("Office")).Want(201).Data()["id"].(float64))
		admin.Do("PATCH", path, map[string]any{"business_hours_only": true, "business_schedule_id": schedule}).Want(200)
		if _, due, _ := open(); due != "2026-03-03T15:00:00Z" {
			t.Fatalf("policy counting office hours: first response due %v", due)
		}
		// The same hours in UTC: 10–12 and 13–17 on Monday, 09–11 on Tuesday.
		admin.Do("PATCH", fmt.Sprint("/admin/business-hours/", schedule), map[string]any{"timezone": "UTC"}).Want(200)
		if _, due, _ := open(); due != "2026-03-03T11:00:00Z" {
			t.Fatalf("office hours moved to UTC: first response due %v", due)
		}
		admin.Do("PATCH", path, map[string]any{"is_active": false}).Want(200)
		if policy, due, _ := open(); policy != 0 || due != nil {
			t.Fatalf("policy deactivated: policy %d, first response due %v", policy, due)
		}

		workflow := admin.Do("POST", "/admin/workflows", map[string]any{
			"name": "Triage", "trigger": "ticket.created", "actions": []map[string]any{{"type": "change_priority", "value": "high"}},
		}).Want(201).Data()
		wpath := fmt.Sprint("/admin/workflows/", int64(workflow["id"].(float64)))
		if _, _, n := open(); n != 1 {
			t.Fatalf("workflow created: %d evaluations, want 1", n)
		}
		admin.Do("POST", wpath+"/toggle", nil).Want(200)
		if _, _, n := open(); n != 0 {
			t.Fatalf("workflow switched off: %d evaluations", n)
		}
		admin.Do("POST", wpath+"/toggle", nil).Want(200)
		if _, _, n := open(); n != 1 {
			t.Fatalf("workflow switched on again: %d evaluations, want 1", n)
		}
		admin.Do("DELETE", wpath, nil).Want(204)
		if _, _, n := open(); n != 0 {
			t.Fatalf("workflow deleted: %d evaluations", n)
		}
	})
}
