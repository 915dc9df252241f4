package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAdminManagesDepartments(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		other := d.User("light_agent")

		created := admin.Do("POST", "/admin/departments", map[string]any{
			"name": "Billing", "description": "Invoices and refunds", "agent_ids": []int64{agent.ID},
		}).Want(201).Data()
		id := int64(created["id"].(float64))
		if created["slug"] != "billing" || created["is_active"] != true || created["agents_count"] != 1.0 {
			t.Fatalf("created %v", created)
		}
		if a := created["agents"].([]any)[0].(map[string]any); a["id"] != float64(agent.ID) || a["name"] != agent.Name {
			t.Fatalf("created agents %v", created["agents"])
		}
		admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales", "slug": "sales-team", "is_active": false}).Want(201)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		agent.Do("GET", "/admin/departments", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "Billing" || list.Data[1]["slug"] != "sales-team" || list.Data[1]["is_active"] != false {
			t.Fatalf("list %v", list.Data)
		}

		path := fmt.Sprintf("/admin/departments/%d", id)
		updated := admin.Do("PUT", path, map[string]any{
			"name": "Billing & Payments", "agent_ids": []int64{agent.ID, other.ID},
		}).Want(200).Data()
		if updated["name"] != "Billing & Payments" || updated["slug"] != "billing" || updated["agents_count"] != 2.0 ||
			updated["description"] != "Invoices and refunds" {
			t.Fatalf("updated %v", updated)
		}
		patched := admin.Do("PATCH", path, map[string]any{"slug": "", "is_active": false}).Want(200).Data()
		if patched["slug"] != "billing-payments" || patched["is_active"] != false || patched["agents_count"] != 2.0 {
			t.Fatalf("patched %v", patched)
		}
		shown := agent.Do("GET", path, nil).Want(200).Data()
		if shown["name"] != "Billing & Payments" {
			t.Fatalf("shown %v", shown)
		}

		res := admin.Do("DELETE", path, nil).Want(204)
		if len(res.Body) != 0 {
			t.Fatalf("delete body %q", res.Body)
		}
		admin.Do("GET", path, nil).Want(404)
		admin.Do("DELETE", path, nil).Want(404)
		admin.Do("GET", "/admin/departments", nil).Want(200).Decode(&list)
		if len(list.Data) != 1 {
			t.Fatalf("list after delete %v", list.Data)
		}
	})
}

func TestDepartmentAccess(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		id := int64(admin.Do("POST", "/admin/departments", map[string]any{"name": "Support"}).Want(201).Data()["id"].(float64))
		path := fmt.Sprintf("/admin/departments/%d", id)

		agent := d.User("agent")
		agent.Do("GET", "/admin/departments", nil).Want(200)
		agent.Do("GET", path, nil).Want(200)
		agent.Do("POST", "/admin/departments", map[string]any{"name": "Mine"}).Want(403)
		agent.Do("PUT", path, map[string]any{"name": "Mine"}).Want(403)
		agent.Do("DELETE", path, nil).Want(403)

		customer := d.User("customer")
		customer.Do("GET", "/admin/departments", nil).Want(403)
		customer.Do("GET", path, nil).Want(403)
		customer.Do("POST", "/admin/departments", map[string]any{"name": "Mine"}).Want(403)

		anon := d.Anonymous()
		anon.Do("GET", "/admin/departments", nil).Want(401)
		anon.Do("POST", "/admin/departments", map[string]any{"name": "Mine"}).Want(401)
		anon.Do("DELETE", path, nil).Want(401)

		// Each action needs its own permission: a creator may not delete.
		creator := d.User(d.Role("dept_creator", "department.create"))
		creator.Do("POST", "/admin/departments", map[string]any{"name": "Theirs"}).Want(201)
		creator.Do("GET", "/admin/departments", nil).Want(403)
		creator.Do("DELETE", path, nil).Want(403)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		admin.Do("GET", "/admin/departments", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "Support" {
			t.Fatalf("list %v", list.Data)
		}
	})
}

func TestDepartmentHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		customer := d.User("customer")
		id := int64(admin.Do("POST", "/admin/departments", map[string]any{"name": "Support"}).Want(201).Data()["id"].(float64))
		path := fmt.Sprintf("/admin/departments/%d", id)

		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"name": "X", "colour": "red"}, "colour"},
			{map[string]any{"name": 5}, "name"},
			{map[string]any{"name": "X", "is_active": "yes"}, "is_active"},
			{map[string]any{"name": "X", "agent_ids": "1"}, "agent_ids"},
			{map[string]any{"name": "X", "agent_ids": []any{"one"}}, "agent_ids"},
			{map[string]any{"name": "X", "description": []int{1}}, "description"},
			{map[string]any{}, "name"},
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"name": "   "}, "name"},
			{map[string]any{"name": strings.Repeat("n", 10000)}, "name"},
			{map[string]any{"name": strings.Repeat("n", 101)}, "name"},
			{map[string]any{"name": "nul\x00byte"}, "name"},
			{map[string]any{"name": "X", "description": "nul\x00byte"}, "description"},
			{map[string]any{"name": "X", "slug": "Not a slug"}, "slug"},
			{map[string]any{"name": "X", "slug": "support"}, "slug"},
			{map[string]any{"name": "SUPPORT!"}, "slug"},
			{map[string]any{"name": "X", "agent_ids": []int64{999999}}, "agent_ids"},
			{map[string]any{"name": "X", "agent_ids": []int64{customer.ID}}, "agent_ids"},
			{map[string]any{"name": "X", "agent_ids": []int64{0}}, "agent_ids"},
			{`{"name": "X"} {"name": "Y"}`, "body"},
			{`[{"name": "X"}]`, "body"},
			{`{"name": "X"`, "body"},
			{``, "body"},
		} {
			admin.Do("POST", "/admin/departments", c.body).Want(422).FieldError(c.field)
		}
		admin.Do("PATCH", path, map[string]any{"name": ""}).Want(422).FieldError("name")
		admin.Do("PATCH", path, map[string]any{"agent_ids": []int64{999999}}).Want(422).FieldError("agent_ids")
		admin.Do("PATCH", path, map[string]any{"unknown": true}).Want(422).FieldError("unknown")

		// A department whose name clashes only after trimming and case-folding still clashes.
		other := admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales"}).Want(201).Data()
		admin.Do("PATCH", fmt.Sprintf("/admin/departments/%v", other["id"]), map[string]any{"slug": "support"}).Want(422).FieldError("slug")

		for _, bad := range []string{"abc", "0", "-1", "1.5", "999999", "99999999999999999999", "%00"} {
			p := "/admin/departments/" + bad
			admin.Do("GET", p, nil).Want(404)
			admin.Do("PUT", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("PATCH", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("DELETE", p, nil).Want(404)
		}
		admin.Do("PUT", "/admin/departments/", map[string]any{"name": "X"}).Want(404)
		admin.Do("DELETE", "/admin/departments/", nil).Want(404)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		admin.Do("GET", "/admin/departments", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[1]["name"] != "Support" || list.Data[1]["slug"] != "support" || list.Data[0]["slug"] != "sales" {
			t.Fatalf("departments after hostile input: %v", list.Data)
		}
	})
}

func TestDeletingDepartmentLeavesItsTicketsWithoutOne(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		customer := d.User("customer")
		ref := customer.Do("POST", "/tickets", map[string]any{"subject": "Refund", "description": "Please."}).Want(201).Data()["reference"].(string)
		dept := admin.Do("POST", "/admin/departments", map[string]any{"name": "Billing"}).Want(201).Data()
		deptID := int64(dept["id"].(float64))

		moved := agent.Do("POST", "/agent/tickets/"+ref+"/department", map[string]any{"department_id": deptID}).Want(200).Data()
		if moved["department_id"] != float64(deptID) {
			t.Fatalf("ticket department = %v", moved["department_id"])
		}
		if n := admin.Do("GET", fmt.Sprintf("/admin/departments/%d", deptID), nil).Want(200).Data()["tickets_count"]; n != 1.0 {
			t.Fatalf("tickets_count = %v, want 1", n)
		}

		admin.Do("DELETE", fmt.Sprintf("/admin/departments/%d", deptID), nil).Want(204)

		shown := agent.Do("GET", "/agent/tickets/"+ref, nil).Want(200).Data()
		if shown["department_id"] != nil || shown["department"] != nil {
			t.Fatalf("ticket still has department %v / %v", shown["department_id"], shown["department"])
		}
		queue := agent.Do("GET", fmt.Sprintf("/agent/tickets?department_id=%d", deptID), nil).Want(200).JSON()
		if queue["total"] != 0.0 {
			t.Fatalf("queue for the deleted department has %v tickets", queue["total"])
		}
		// The ticket can still be worked: moving it to a live department succeeds.
		next := int64(admin.Do("POST", "/admin/departments", map[string]any{"name": "Billing"}).Want(201).Data()["id"].(float64))
		agent.Do("POST", "/agent/tickets/"+ref+"/department", map[string]any{"department_id": next}).Want(200)
	})
}
