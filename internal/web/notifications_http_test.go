package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// An escalation rule tells an agent about a ticket; the agent finds it in their inbox and in
// the header's count, opens the inbox page and marks it read. Nobody else can read or mark it.
func TestNotificationInbox(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, ada, bo, cy := d.User("admin"), d.User("agent"), d.User("agent"), d.User("customer")
		admin.Do("POST", "/admin/escalation-rules", map[string]any{
			"name": "Tell Ada", "conditions": []map[string]any{{"field": "status", "value": "open"}},
			"actions": []map[string]any{{"type": "notify", "value": []int64{ada.ID}}},
		}).Want(201)
		tk := open(cy, "Printer on fire")
		admin.Do("POST", "/admin/escalation-rules/run", map[string]any{}).Want(200)

		list := ada.Do("GET", "/agent/notifications", nil).Want(200).JSON()
		rows := list["data"].([]any)
		if list["total"] != float64(1) || len(rows) != 1 {
			t.Fatalf("ada's inbox: %v", list)
		}
		n := rows[0].(map[string]any)
		data := n["data"].(map[string]any)
		if n["type"] != "escalation" || data["reference"] != tk.Ref || data["rule_name"] != "Tell Ada" || n["read_at"] != nil {
			t.Fatalf("notification %v", n)
		}
		id := fmt.Sprint(n["id"])

		page := ada.Inertia("GET", "/agent/notifications", nil).Want(200).Page()
		if page.Component != "Escalated/Agent/Notifications" || page.Props["unread_count"] != float64(1) {
			t.Fatalf("inbox page %s %v", page.Component, page.Props["unread_count"])
		}
		if got := page.Props["escalated"].(map[string]any)["unread_notifications"]; got != float64(1) {
			t.Fatalf("header count %v, want 1", got)
		}
		if got := bo.Do("GET", "/agent/notifications", nil).Want(200).JSON()["total"]; got != float64(0) {
			t.Fatalf("bo sees %v notifications, want none", got)
		}

		// Not yours: 404, and it stays unread. Customers have no inbox.
		bo.Do("POST", "/agent/notifications/"+id+"/read", nil).Want(404)
		cy.Do("GET", "/agent/notifications", nil).Want(403)
		cy.Do("POST", "/agent/notifications/"+id+"/read", nil).Want(403)
		d.Anonymous().Do("GET", "/agent/notifications", nil).Want(401)

		read := ada.Do("POST", "/agent/notifications/"+id+"/read", nil).Want(200).Data()
		if read["read_at"] == nil {
			t.Fatalf("marked read: %v", read)
		}
		if got := ada.Do("GET", "/agent/notifications?unread=true", nil).Want(200).JSON()["total"]; got != float64(0) {
			t.Fatalf("%v unread after marking read, want 0", got)
		}

		// Another escalation, then read-all from the page: 303 back, with the flash.
		admin.Do("POST", "/admin/escalation-rules", map[string]any{
			"name": "Tell Ada again", "conditions": []map[string]any{{"field": "status", "value": "open"}},
			"actions": []map[string]any{{"type": "notify", "value": []int64{ada.ID}}},
		}).Want(201)
		admin.Do("POST", "/admin/escalation-rules/run", map[string]any{}).Want(200)
		res := ada.Inertia("POST", "/agent/notifications/read-all", map[string]any{})
		res.Want(303)
		if got := ada.Do("GET", "/agent/notifications?unread=true", nil).Want(200).JSON()["total"]; got != float64(0) {
			t.Fatalf("%v unread after read-all, want 0", got)
		}
	})
}

func TestNotificationHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		ada := d.User("agent")
		if msg := ada.Do("GET", "/agent/notifications?unread=maybe", nil).Want(422).FieldError("unread"); msg == "" {
			t.Fatal("no error for unread")
		}
		ada.Do("GET", "/agent/notifications?page=-1", nil).Want(422)
		for _, id := range []string{"abc", "0", "-1", "1%20OR%201=1", "99999999999999999999"} {
			ada.Do("POST", "/agent/notifications/"+id+"/read", nil).Want(404)
		}
		// Marking all read marks the caller's own and takes no fields: one that seems to
		// choose whose is refused by name rather than ignored.
		ada.Do("POST", "/agent/notifications/read-all", map[string]any{"user_id": 1}).Want(422).FieldError("user_id")
		ada.Do("POST", "/agent/notifications/read-all", `{`).Want(422).FieldError("body")
		ada.Do("POST", "/agent/notifications/1/read", map[string]any{"read": false}).Want(422).FieldError("read")
		if got := ada.Do("POST", "/agent/notifications/read-all", `{}`).Want(200).Data()["marked"]; got != float64(0) {
			t.Fatalf("marked %v, want 0", got)
		}
	})
}

// TestWorkflowNotificationsReachTheInbox: a workflow's send_notification, run by the desk's
// background work, leaves a notification in the named agent's inbox, counted in the header,
// and in nobody else's.
func TestWorkflowNotificationsReachTheInbox(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, ada, bo, cy := d.User("admin"), d.User("agent"), d.User("agent"), d.User("customer")
		admin.Do("POST", "/admin/workflows", map[string]any{
			"name": "Tell Ada of new tickets", "trigger": "ticket.created",
			"actions": []map[string]any{{"type": "send_notification", "value": map[string]any{"recipients": []int64{ada.ID}, "message": "A new one."}}},
		}).Want(201)
		d.RunJobs()
		tk := open(cy, "Kettle leaks")
		var rows []any
		eventually(t, "the workflow's notification", func() bool {
			rows = ada.Do("GET", "/agent/notifications", nil).Want(200).JSON()["data"].([]any)
			return len(rows) > 0
		})
		n := rows[0].(map[string]any)
		if len(rows) != 1 || n["type"] != "workflow" || n["read_at"] != nil || !strings.Contains(fmt.Sprint(n["data"]), tk.Ref) {
			t.Fatalf("ada's inbox %v", rows)
		}
		if got := ada.Inertia("GET", "/agent/notifications", nil).Want(200).Page().Props["escalated"].(map[string]any)["unread_notifications"]; got != float64(1) {
			t.Fatalf("header count %v, want 1", got)
		}
		if got := bo.Do("GET", "/agent/notifications", nil).Want(200).JSON()["total"]; got != float64(0) {
			t.Fatalf("bo sees %v notifications, want none", got)
		}
	})
}
