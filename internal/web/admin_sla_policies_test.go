package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// slaPolicyBody is a request body for a policy with the brief's targets; extra adds or
// replaces fields.
func slaPolicyBody(name string, extra map[string]any) map[string]any {
	body := map[string]any{
		"name":                 name,
		"first_response_hours": map[string]any{"low": 24, "medium": 8, "high": 4, "urgent": 1, "critical": 0.25},
		"resolution_hours":     map[string]any{"low": 72, "medium": 24, "high": 12, "urgent": 4, "critical": 2},
		"business_hours_only":  false,
		"is_default":           true,
	}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

func TestAdminManagesSLAPolicies(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent := d.User("admin"), d.User("agent")
		sales, support := d.department("Sales"), d.department("Support")
		schedule := int64(admin.Do("POST", "/admin/business-hours", officeHours("Office")).Want(201).Data()["id"].(float64))

		standard := admin.Do("POST", "/admin/sla-policies", slaPolicyBody(" Standard ", nil)).Want(201).Data()
		id := int64(standard["id"].(float64))
		if standard["name"] != "Standard" || standard["is_default"] != true || standard["is_active"] != true ||
			standard["pause_on_waiting"] != true || standard["warning_minutes"] != 30.0 || standard["business_schedule_id"] != nil ||
			len(standard["department_ids"].([]any)) != 0 || standard["created_at"] == nil {
			t.Fatalf("created %v", standard)
		}
		if fr := standard["first_response_hours"].(map[string]any); fr["critical"] != 0.25 || fr["low"] != 24.0 || len(fr) != 5 {
			t.Fatalf("first_response_hours %v", fr)
		}

		// A second default takes over; departments and a schedule are kept as sent.
		vip := admin.Do("POST", "/admin/sla-policies", slaPolicyBody("VIP", map[string]any{
			"business_hours_only": true, "business_schedule_id": schedule, "department_ids": []int64{support, sales, sales},
			"pause_on_waiting": false, "warning_minutes": 15, "description": "For the best customers",
		})).Want(201).Data()
		vipID := int64(vip["id"].(float64))
		if fmt.Sprint(vip["department_ids"]) != fmt.Sprint([]any{float64(sales), float64(support)}) ||
			vip["business_schedule_id"] != float64(schedule) || vip["pause_on_waiting"] != false || vip["warning_minutes"] != 15.0 {
			t.Fatalf("created %v", vip)
		}
		path := fmt.Sprintf("/admin/sla-policies/%d", id)
		if agent.Do("GET", path, nil).Want(200).Data()["is_default"] != false {
			t.Fatal("the previous default is still the default")
		}

		var list struct {
			Data []map[string]any `json:"data"`
		}
		agent.Do("GET", "/admin/sla-policies", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "Standard" || list.Data[1]["name"] != "VIP" {
			t.Fatalf("list %v", list.Data)
		}

		// PATCH changes what it sends; null clears the schedule.
		vipPath := fmt.Sprintf("/admin/sla-policies/%d", vipID)
		patched := admin.Do("PATCH", vipPath, map[string]any{
			"business_schedule_id": nil, "department_ids": []int64{sales},
			"resolution_hours": map[string]any{"low": 1, "medium": 1, "high": 1, "urgent": 1, "critical": 0.5},
		}).Want(200).Data()
		if patched["business_schedule_id"] != nil || fmt.Sprint(patched["department_ids"]) != fmt.Sprint([]any{float64(sales)}) ||
			patched["name"] != "VIP" || patched["business_hours_only"] != true || patched["resolution_hours"].(map[string]any)["critical"] != 0.5 {
			t.Fatalf("patched %v", patched)
		}
		// Support is free again, for another policy.
		admin.Do("PUT", path, map[string]any{"department_ids": []int64{support}, "is_default": true}).Want(200)
		if agent.Do("GET", vipPath, nil).Want(200).Data()["is_default"] != false {
			t.Fatal("making Standard the default again left VIP the default")
		}
		// An unchanged PATCH writes no audit entry.
		before := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'sla_policy'`)
		admin.Do("PATCH", vipPath, map[string]any{"name": "VIP"}).Want(200)
		if after := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'sla_policy'`); after != before {
			t.Fatalf("a no-op update wrote %d audit entries", after-before)
		}
		for _, action := range []string{"sla_policy.created", "sla_policy.updated"} {
			if d.count(`SELECT count(*) FROM audit_logs WHERE action = ? AND actor_id = ?`, action, admin.ID) == 0 {
				t.Fatalf("no %s audit entry", action)
			}
		}

		admin.Do("DELETE", vipPath, nil).Want(204)
		admin.Do("GET", vipPath, nil).Want(404)
		admin.Do("PATCH", vipPath, map[string]any{"name": "Back"}).Want(404)
		admin.Do("DELETE", vipPath, nil).Want(404)
		if d.count(`SELECT count(*) FROM audit_logs WHERE action = 'sla_policy.deleted' AND resource_id = ?`, vipID) != 1 {
			t.Fatal("the deletion was not audited")
		}
	})
}

// TestScheduleInUseCannotBeDeleted: a policy holds on to its business schedule.
func TestScheduleInUseCannotBeDeleted(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		schedule := int64(admin.Do("POST", "/admin/business-hours", officeHours("Office")).Want(201).Data()["id"].(float64))
		policy := admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Office hours", map[string]any{
			"business_hours_only": true, "business_schedule_id": schedule,
		})).Want(201).Data()
		schedulePath := fmt.Sprintf("/admin/business-hours/%d", schedule)
		res := admin.Do("DELETE", schedulePath, nil).Want(409)
		if msg := res.JSON()["message"].(string); !strings.Contains(msg, "Office hours") {
			t.Fatalf("conflict message %q does not name the policy", msg)
		}
		admin.Do("GET", schedulePath, nil).Want(200)
		admin.Do("PATCH", fmt.Sprintf("/admin/sla-policies/%v", policy["id"]), map[string]any{"business_schedule_id": nil}).Want(200)
		admin.Do("DELETE", schedulePath, nil).Want(204)
	})
}

func TestSLAPolicyInputIsChecked(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		dept := d.department("Sales")
		taken := admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Sales", map[string]any{"department_ids": []int64{dept}})).Want(201).Data()
		policies := d.count(`SELECT count(*) FROM sla_policies`)
		hours := func(changes map[string]any) map[string]any {
			h := map[string]any{"low": 24, "medium": 8, "high": 4, "urgent": 1, "critical": 0.25}
			for k, v := range changes {
				if v == nil {
					delete(h, k)
				} else {
					h[k] = v
				}
			}
			return h
		}
		for _, c := range []struct {
			field string
			body  any
		}{
			{"name", map[string]any{"first_response_hours": hours(nil), "resolution_hours": hours(nil)}},
			{"name", slaPolicyBody("   ", nil)},
			{"name", slaPolicyBody(strings.Repeat("n", 101), nil)},
			{"name", slaPolicyBody("Bad\x00name", nil)},
			{"name", slaPolicyBody("x", map[string]any{"name": 5})},
			{"first_response_hours", map[string]any{"name": "x", "resolution_hours": hours(nil)}},
			{"resolution_hours", slaPolicyBody("x", map[string]any{"resolution_hours": nil})},
			{"first_response_hours", slaPolicyBody("x", map[string]any{"first_response_hours": []int{1, 2}})},
			{"first_response_hours.high", slaPolicyBody("x", map[string]any{"first_response_hours": hours(map[string]any{"high": "4"})})},
			{"first_response_hours.high", slaPolicyBody("x", map[string]any{"first_response_hours": hours(map[string]any{"high": nil})})},
			{"first_response_hours.high", slaPolicyBody("x", map[string]any{"first_response_hours": hours(map[string]any{"high": 0})})},
			{"first_response_hours.high", slaPolicyBody("x", map[string]any{"first_response_hours": hours(map[string]any{"high": -1})})},
			{"first_response_hours.high", slaPolicyBody("x", map[string]any{"first_response_hours": hours(map[string]any{"high": 8761})})},
			{"first_response_hours.high", slaPolicyBody("x", map[string]any{"first_response_hours": hours(map[string]any{"high": 0.00001})})},
			{"resolution_hours.urgent", slaPolicyBody("x", map[string]any{"resolution_hours": hours(map[string]any{"urgent": true})})},
			{"resolution_hours.extreme", slaPolicyBody("x", map[string]any{"resolution_hours": hours(map[string]any{"extreme": 1})})},
			{"business_schedule_id", slaPolicyBody("x", map[string]any{"business_schedule_id": 999})},
			{"business_schedule_id", slaPolicyBody("x", map[string]any{"business_schedule_id": "1"})},
			{"department_ids.0", slaPolicyBody("x", map[string]any{"department_ids": []int64{999}})},
			{"department_ids.1", slaPolicyBody("x", map[string]any{"department_ids": []int64{999, dept}})},
			{"department_ids", slaPolicyBody("x", map[string]any{"department_ids": []string{"a"}})},
			{"warning_minutes", slaPolicyBody("x", map[string]any{"warning_minutes": -1})},
			{"warning_minutes", slaPolicyBody("x", map[string]any{"warning_minutes": 10081})},
			{"warning_minutes", slaPolicyBody("x", map[string]any{"warning_minutes": 1.5})},
			{"is_default", slaPolicyBody("x", map[string]any{"is_default": "yes"})},
			{"description", slaPolicyBody("x", map[string]any{"description": strings.Repeat("d", 1001)})},
			{"trigger", slaPolicyBody("x", map[string]any{"trigger": "ticket.created"})},
			{"body", `{"name": "x"`},
			{"body", `[]`},
		} {
			admin.Do("POST", "/admin/sla-policies", c.body).Want(422).FieldError(c.field)
		}
		path := fmt.Sprintf("/admin/sla-policies/%v", taken["id"])
		admin.Do("PATCH", path, map[string]any{"first_response_hours": map[string]any{"low": 1}}).Want(422).FieldError("first_response_hours.medium")
		admin.Do("PATCH", path, map[string]any{"name": ""}).Want(422).FieldError("name")
		if n := d.count(`SELECT count(*) FROM sla_policies`); n != policies {
			t.Fatalf("%d policies after refused input, want %d", n, policies)
		}
		admin.Do("GET", "/admin/sla-policies/abc", nil).Want(404)
		admin.Do("GET", "/admin/sla-policies/0", nil).Want(404)
		admin.Do("GET", "/admin/sla-policies/99999999999999999999", nil).Want(404)
	})
}

func TestSLAPolicyAccess(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		path := fmt.Sprintf("/admin/sla-policies/%v", admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Standard", nil)).Want(201).Data()["id"])

		// Agents hold sla.view but not sla.manage.
		agent := d.User("agent")
		agent.Do("GET", "/admin/sla-policies", nil).Want(200)
		agent.Do("GET", path, nil).Want(200)
		agent.Do("POST", "/admin/sla-policies", slaPolicyBody("Mine", nil)).Want(403)
		agent.Do("PUT", path, map[string]any{"name": "Mine"}).Want(403)
		agent.Do("PATCH", path, map[string]any{"name": "Mine"}).Want(403)
		agent.Do("DELETE", path, nil).Want(403)

		manager := d.User(d.Role("sla-manager", "sla.view", "sla.manage"))
		manager.Do("PATCH", path, map[string]any{"name": "Managed"}).Want(200)

		for _, c := range []*testdesk.Client{d.User("light_agent"), d.User("customer")} {
			c.Do("GET", "/admin/sla-policies", nil).Want(403)
			c.Do("GET", path, nil).Want(403)
			c.Do("POST", "/admin/sla-policies", slaPolicyBody("Mine", nil)).Want(403)
			c.Do("DELETE", path, nil).Want(403)
		}
		anon := d.Anonymous()
		anon.Do("GET", "/admin/sla-policies", nil).Want(401)
		anon.Do("POST", "/admin/sla-policies", slaPolicyBody("Mine", nil)).Want(401)
		anon.Do("DELETE", path, nil).Want(401)
		if admin.Do("GET", path, nil).Want(200).Data()["name"] != "Managed" {
			t.Fatal("a refused request changed the policy")
		}
	})
}
