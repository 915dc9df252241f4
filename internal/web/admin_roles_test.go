package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAdminManagesRoles(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")

		list := rolesBySlug(t, admin.Do("GET", "/admin/roles", nil).Want(200))
		if len(list) != 3 {
			t.Fatalf("roles = %v, want the three system roles", list)
		}
		if perms := strs(list["admin"]["permissions"]); len(perms) != len(auth.Permissions) {
			t.Fatalf("admin shows %d permissions, want all %d", len(perms), len(auth.Permissions))
		}
		if list["admin"]["users_count"] != 1.0 || list["admin"]["is_system"] != true {
			t.Fatalf("admin role = %v", list["admin"])
		}
		if perms := strs(list["light_agent"]["permissions"]); !slices.Contains(perms, "reply.create_internal") || slices.Contains(perms, "reply.create") {
			t.Fatalf("light_agent permissions = %v", perms)
		}

		created := admin.Do("POST", "/admin/roles", map[string]any{
			"slug": "triage", "name": "Triage", "description": "Sorts the queue.",
			"permissions": []string{"ticket.view", "ticket.view", "tag.view"},
		}).Want(201).Data()
		id := fmt.Sprint(created["id"])
		if got := strs(created["permissions"]); !slices.Equal(got, []string{"ticket.view", "tag.view"}) {
			t.Fatalf("created permissions = %v, want duplicates dropped", got)
		}
		holder := d.User("triage")

		shown := admin.Do("GET", "/admin/roles/"+id, nil).Want(200).Data()
		if shown["name"] != "Triage" || shown["users_count"] != 1.0 || shown["is_system"] != false {
			t.Fatalf("shown = %v", shown)
		}

		updated := admin.Do("PUT", "/admin/roles/"+id, map[string]any{
			"name": "Triage desk", "description": "", "permissions": []string{"ticket.view", "ticket.assign"},
		}).Want(200).Data()
		if updated["name"] != "Triage desk" || updated["description"] != "" ||
			!slices.Equal(strs(updated["permissions"]), []string{"ticket.view", "ticket.assign"}) {
			t.Fatalf("updated = %v", updated)
		}

		// Renaming a custom role's slug moves its holders with it.
		renamed := admin.Do("PATCH", "/admin/roles/"+id, map[string]any{"slug": "triage-team"}).Want(200).Data()
		if renamed["slug"] != "triage-team" || renamed["name"] != "Triage desk" {
			t.Fatalf("renamed = %v", renamed)
		}
		me := holder.Do("GET", "/me", nil).Want(200).Data()
		if me["role"] != "triage-team" || !slices.Equal(strs(me["permissions"]), []string{"ticket.view", "ticket.assign"}) {
			t.Fatalf("holder after rename = %v", me)
		}

		// A role somebody holds stays until they are moved.
		msg := admin.Do("DELETE", "/admin/roles/"+id, nil).Want(409).JSON()["message"].(string)
		if !strings.Contains(msg, "1 user holds") {
			t.Fatalf("conflict message %q does not say how many users hold the role", msg)
		}
		admin.Do("PATCH", fmt.Sprintf("/admin/users/%d/role", holder.ID), map[string]any{"role": "agent"}).Want(200)
		admin.Do("DELETE", "/admin/roles/"+id, nil).Want(204)
		admin.Do("GET", "/admin/roles/"+id, nil).Want(404)
		if _, ok := rolesBySlug(t, admin.Do("GET", "/admin/roles", nil).Want(200))["triage-team"]; ok {
			t.Fatal("deleted role still listed")
		}
	})
}

func TestSystemRolesAreProtected(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		list := rolesBySlug(t, admin.Do("GET", "/admin/roles", nil).Want(200))
		adminID, agentID := fmt.Sprint(list["admin"]["id"]), fmt.Sprint(list["agent"]["id"])

		for _, slug := range []string{"admin", "agent", "light_agent"} {
			admin.Do("DELETE", fmt.Sprint("/admin/roles/", list[slug]["id"]), nil).Want(409)
		}
		admin.Do("PATCH", "/admin/roles/"+adminID, map[string]any{"permissions": []string{"ticket.view"}}).Want(422).FieldError("permissions")
		admin.Do("PATCH", "/admin/roles/"+adminID, map[string]any{"slug": "boss"}).Want(422).FieldError("slug")
		admin.Do("PATCH", "/admin/roles/"+agentID, map[string]any{"slug": "worker"}).Want(422).FieldError("slug")
		// Sending the admin role back as it is, as an edit form does, is fine.
		same := admin.Do("PUT", "/admin/roles/"+adminID, map[string]any{
			"slug": "admin", "name": "Administrator", "permissions": auth.Permissions,
		}).Want(200).Data()
		if same["name"] != "Administrator" || len(strs(same["permissions"])) != len(auth.Permissions) {
			t.Fatalf("admin role after rename = %v", same)
		}

		// The agent role's permissions may change, and its holders feel it on their next request.
		ref := openTicket(t, d)
		agent.Do("POST", "/agent/tickets/"+ref+"/assign", map[string]any{"agent_id": agent.ID}).Want(200)
		perms := slices.DeleteFunc(strs(list["agent"]["permissions"]), func(p string) bool { return p == "ticket.assign" })
		admin.Do("PATCH", "/admin/roles/"+agentID, map[string]any{"permissions": perms}).Want(200)
		agent.Do("POST", "/agent/tickets/"+ref+"/assign", map[string]any{"agent_id": nil}).Want(403)
		agent.Do("GET", "/agent/tickets/"+ref, nil).Want(200)
	})
}

func TestCustomRolePermissionsDecideAccess(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		d.Role("viewer", "ticket.view")
		viewer := d.User("viewer")
		ref := openTicket(t, d)

		queue := viewer.Do("GET", "/agent/tickets", nil).Want(200).JSON()
		if queue["total"] != 1.0 {
			t.Fatalf("viewer queue total = %v, want 1", queue["total"])
		}
		viewer.Do("POST", "/agent/tickets/"+ref+"/assign", map[string]any{"agent_id": viewer.ID}).Want(403)
		viewer.Do("GET", "/admin/roles", nil).Want(403)

		id := fmt.Sprint(rolesBySlug(t, admin.Do("GET", "/admin/roles", nil).Want(200))["viewer"]["id"])
		admin.Do("PATCH", "/admin/roles/"+id, map[string]any{"permissions": []string{"ticket.view", "ticket.assign"}}).Want(200)
		viewer.Do("POST", "/agent/tickets/"+ref+"/assign", map[string]any{"agent_id": viewer.ID}).Want(200)

		admin.Do("PATCH", "/admin/roles/"+id, map[string]any{"permissions": []string{}}).Want(200)
		viewer.Do("GET", "/agent/tickets", nil).Want(403)
	})
}

func TestRoleManagersCannotGrantWhatTheyLack(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		d.Role("role-admin", "role.view", "role.manage", "ticket.view")
		manager := d.User("role-admin")

		manager.Do("POST", "/admin/roles", map[string]any{"slug": "x", "name": "X", "permissions": []string{"ticket.delete"}}).Want(403)
		created := manager.Do("POST", "/admin/roles", map[string]any{"slug": "y", "name": "Y", "permissions": []string{"ticket.view"}}).Want(201).Data()
		id := fmt.Sprint(created["id"])
		manager.Do("PATCH", "/admin/roles/"+id, map[string]any{"permissions": []string{"ticket.view", "role.manage", "user.manage"}}).Want(403)

		// Their own role is no way round it either.
		own := fmt.Sprint(rolesBySlug(t, manager.Do("GET", "/admin/roles", nil).Want(200))["role-admin"]["id"])
		manager.Do("PATCH", "/admin/roles/"+own, map[string]any{"permissions": []string{"role.view", "role.manage", "ticket.view", "settings.manage"}}).Want(403)

		// A role holding more than the manager can still be renamed or trimmed.
		agentID := fmt.Sprint(rolesBySlug(t, manager.Do("GET", "/admin/roles", nil).Want(200))["agent"]["id"])
		manager.Do("PATCH", "/admin/roles/"+agentID, map[string]any{"name": "Support agent"}).Want(200)
	})
}

func TestRoleEndpointsRefuseHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		id := fmt.Sprint(admin.Do("POST", "/admin/roles", map[string]any{"slug": "ops", "name": "Ops"}).Want(201).Data()["id"])

		cases := []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"unknown field", "POST", "/admin/roles", map[string]any{"slug": "a", "name": "A", "is_system": true}, "is_system"},
			{"permissions not a list", "POST", "/admin/roles", map[string]any{"slug": "a", "name": "A", "permissions": "ticket.view"}, "permissions"},
			{"permission not a string", "POST", "/admin/roles", `{"slug":"a","name":"A","permissions":[1]}`, "permissions"},
			{"unknown permission", "POST", "/admin/roles", map[string]any{"slug": "a", "name": "A", "permissions": []string{"ticket.view", "ticket.fly"}}, "permissions"},
			{"customer slug", "POST", "/admin/roles", map[string]any{"slug": "customer", "name": "Customer"}, "slug"},
			{"slug taken", "POST", "/admin/roles", map[string]any{"slug": "agent", "name": "Agent 2"}, "slug"},
			{"bad slug", "POST", "/admin/roles", map[string]any{"slug": "Ops Team", "name": "A"}, "slug"},
			{"missing name", "POST", "/admin/roles", map[string]any{"slug": "a"}, "name"},
			{"huge name", "POST", "/admin/roles", map[string]any{"slug": "a", "name": strings.Repeat("n", 10_000)}, "name"},
			{"NUL in name", "POST", "/admin/roles", map[string]any{"slug": "a", "name": "a\x00b"}, "name"},
			{"huge description", "POST", "/admin/roles", map[string]any{"slug": "a", "name": "A", "description": strings.Repeat("d", 100_000)}, "description"},
			{"not JSON", "POST", "/admin/roles", `{"slug":`, "body"},
			{"update unknown field", "PATCH", "/admin/roles/" + id, map[string]any{"users_count": 0}, "users_count"},
			{"update wrong type", "PATCH", "/admin/roles/" + id, map[string]any{"name": 5}, "name"},
			{"update unknown permission", "PUT", "/admin/roles/" + id, map[string]any{"permissions": []string{"*"}}, "permissions"},
			{"update to customer slug", "PATCH", "/admin/roles/" + id, map[string]any{"slug": "customer"}, "slug"},
			{"update to taken slug", "PATCH", "/admin/roles/" + id, map[string]any{"slug": "light_agent"}, "slug"},
			{"update blank name", "PATCH", "/admin/roles/" + id, map[string]any{"name": "  "}, "name"},
			{"update NUL in description", "PATCH", "/admin/roles/" + id, map[string]any{"description": "\x00"}, "description"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				admin.Do(c.method, c.path, c.body).Want(422).FieldError(c.field)
			})
		}
		shown := admin.Do("GET", "/admin/roles/"+id, nil).Want(200).Data()
		if shown["slug"] != "ops" || shown["name"] != "Ops" || len(strs(shown["permissions"])) != 0 {
			t.Fatalf("role changed by refused requests: %v", shown)
		}
		if n := len(admin.Do("GET", "/admin/roles", nil).Want(200).JSON()["data"].([]any)); n != 4 {
			t.Fatalf("%d roles after refused creates, want 4", n)
		}

		for _, path := range []string{"/admin/roles/999999", "/admin/roles/abc", "/admin/roles/0", "/admin/roles/-1", "/admin/roles/99999999999999999999999"} {
			admin.Do("GET", path, nil).Want(404)
			admin.Do("PATCH", path, map[string]any{"name": "X"}).Want(404)
			admin.Do("DELETE", path, nil).Want(404)
		}
	})
}

func TestRoleEndpointsNeedPermission(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		id := fmt.Sprint(admin.Do("POST", "/admin/roles", map[string]any{"slug": "ops", "name": "Ops"}).Want(201).Data()["id"])
		d.Role("auditor", "role.view")
		auditor := d.User("auditor")
		auditor.Do("GET", "/admin/roles", nil).Want(200)
		auditor.Do("GET", "/admin/roles/"+id, nil).Want(200)

		body := map[string]any{"name": "Hacked"}
		for _, c := range []*testdesk.Client{d.User("agent"), d.User("light_agent"), d.User("customer"), auditor} {
			if c != auditor {
				c.Do("GET", "/admin/roles", nil).Want(403)
				c.Do("GET", "/admin/roles/"+id, nil).Want(403)
			}
			c.Do("POST", "/admin/roles", map[string]any{"slug": "z", "name": "Z"}).Want(403)
			c.Do("PATCH", "/admin/roles/"+id, body).Want(403)
			c.Do("PUT", "/admin/roles/"+id, body).Want(403)
			c.Do("DELETE", "/admin/roles/"+id, nil).Want(403)
		}
		anon := d.Anonymous()
		anon.Do("GET", "/admin/roles", nil).Want(401)
		anon.Do("POST", "/admin/roles", map[string]any{"slug": "z", "name": "Z"}).Want(401)
		anon.Do("PATCH", "/admin/roles/"+id, body).Want(401)
		anon.Do("DELETE", "/admin/roles/"+id, nil).Want(401)
		if got := admin.Do("GET", "/admin/roles/"+id, nil).Want(200).Data()["name"]; got != "Ops" {
			t.Fatalf("name = %v after refused updates", got)
		}
	})
}

// rolesBySlug reads a role list response into a map keyed by slug.
func rolesBySlug(t *testing.T, r *testdesk.Response) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, v := range r.JSON()["data"].([]any) {
		role := v.(map[string]any)
		out[role["slug"].(string)] = role
	}
	return out
}

func strs(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// openTicket has a new customer open a ticket and returns its reference.
func openTicket(t *testing.T, d *testdesk.Desk) string {
	t.Helper()
	created := d.User("customer").Do("POST", "/tickets", map[string]any{"subject": "Help", "description": "Please."}).Want(201).Data()
	return created["reference"].(string)
}
