package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAdminManagesTags(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		customer := d.User("customer")

		bug := admin.Do("POST", "/admin/tags", map[string]any{"name": "Bug", "color": "#dc2626"}).Want(201).Data()
		if bug["slug"] != "bug" || bug["color"] != "#dc2626" || bug["tickets_count"] != 0.0 {
			t.Fatalf("created %v", bug)
		}
		bugID := int64(bug["id"].(float64))
		admin.Do("POST", "/admin/tags", map[string]any{"name": "Feature request"}).Want(201)

		ref := customer.Do("POST", "/tickets", map[string]any{"subject": "Crash", "description": "It crashed."}).Want(201).Data()["reference"].(string)
		agent.Do("POST", "/agent/tickets/"+ref+"/tags", map[string]any{"tag_ids": []int64{bugID}}).Want(200)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		agent.Do("GET", "/admin/tags", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "Bug" || list.Data[0]["tickets_count"] != 1.0 ||
			list.Data[1]["slug"] != "feature-request" || list.Data[1]["color"] != "" {
			t.Fatalf("list %v", list.Data)
		}

		path := fmt.Sprintf("/admin/tags/%d", bugID)
		updated := admin.Do("PUT", path, map[string]any{"name": "Defect"}).Want(200).Data()
		if updated["name"] != "Defect" || updated["slug"] != "defect" || updated["color"] != "#dc2626" || updated["tickets_count"] != 1.0 {
			t.Fatalf("updated %v", updated)
		}
		patched := admin.Do("PATCH", path, map[string]any{"color": "#2563EB"}).Want(200).Data()
		if patched["name"] != "Defect" || patched["color"] != "#2563EB" {
			t.Fatalf("patched %v", patched)
		}

		admin.Do("DELETE", path, nil).Want(204)
		admin.Do("DELETE", path, nil).Want(404)
		admin.Do("PATCH", path, map[string]any{"name": "Back"}).Want(404)
		if tags := agent.Do("GET", "/agent/tickets/"+ref, nil).Want(200).Data()["tags"].([]any); len(tags) != 0 {
			t.Fatalf("ticket keeps the deleted tag: %v", tags)
		}
		admin.Do("GET", "/admin/tags", nil).Want(200).Decode(&list)
		if len(list.Data) != 1 {
			t.Fatalf("list after delete %v", list.Data)
		}
	})
}

func TestTagAccess(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		path := fmt.Sprintf("/admin/tags/%v", admin.Do("POST", "/admin/tags", map[string]any{"name": "Bug"}).Want(201).Data()["id"])

		for _, role := range []string{"agent", "light_agent"} {
			staff := d.User(role)
			staff.Do("GET", "/admin/tags", nil).Want(200)
			staff.Do("POST", "/admin/tags", map[string]any{"name": "Mine"}).Want(403)
			staff.Do("PUT", path, map[string]any{"name": "Mine"}).Want(403)
			staff.Do("DELETE", path, nil).Want(403)
		}

		customer := d.User("customer")
		customer.Do("GET", "/admin/tags", nil).Want(403)
		customer.Do("POST", "/admin/tags", map[string]any{"name": "Mine"}).Want(403)
		customer.Do("DELETE", path, nil).Want(403)

		anon := d.Anonymous()
		anon.Do("GET", "/admin/tags", nil).Want(401)
		anon.Do("POST", "/admin/tags", map[string]any{"name": "Mine"}).Want(401)
		anon.Do("PATCH", path, map[string]any{"name": "Mine"}).Want(401)

		manager := d.User(d.Role("tag_manager", "tag.manage"))
		manager.Do("PATCH", path, map[string]any{"name": "Defect"}).Want(200)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		admin.Do("GET", "/admin/tags", nil).Want(200).Decode(&list)
		if len(list.Data) != 1 || list.Data[0]["name"] != "Defect" {
			t.Fatalf("list %v", list.Data)
		}
	})
}

func TestTagHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		path := fmt.Sprintf("/admin/tags/%v", admin.Do("POST", "/admin/tags", map[string]any{"name": "Bug"}).Want(201).Data()["id"])

		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"name": "X", "slug": "x"}, "slug"},
			{map[string]any{"name": 5}, "name"},
			{map[string]any{"name": "X", "color": 0xff0000}, "color"},
			{map[string]any{}, "name"},
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"name": strings.Repeat("n", 10000)}, "name"},
			{map[string]any{"name": strings.Repeat("n", 51)}, "name"},
			{map[string]any{"name": "nul\x00byte"}, "name"},
			{map[string]any{"name": "BUG"}, "name"},
			{map[string]any{"name": " bug! "}, "name"},
			{map[string]any{"name": "!!!"}, "name"},
			{map[string]any{"name": "X", "color": "red"}, "color"},
			{map[string]any{"name": "X", "color": "#12345"}, "color"},
			{map[string]any{"name": "X", "color": "#1234567"}, "color"},
			{map[string]any{"name": "X", "color": "#12345\x00"}, "color"},
			{`{"name": "X",}`, "body"},
			{`"X"`, "body"},
		} {
			admin.Do("POST", "/admin/tags", c.body).Want(422).FieldError(c.field)
		}
		other := fmt.Sprintf("/admin/tags/%v", admin.Do("POST", "/admin/tags", map[string]any{"name": "Other"}).Want(201).Data()["id"])
		admin.Do("PUT", other, map[string]any{"name": "bug"}).Want(422).FieldError("name")
		admin.Do("PATCH", other, map[string]any{"color": "blue"}).Want(422).FieldError("color")
		admin.Do("PATCH", other, map[string]any{"name": "Other", "extra": 1}).Want(422).FieldError("extra")
		// Re-spelling a tag's own name is not a clash with itself.
		admin.Do("PUT", path, map[string]any{"name": "BUG"}).Want(200)

		for _, bad := range []string{"abc", "0", "-7", "2.0", "999999", "99999999999999999999"} {
			p := "/admin/tags/" + bad
			admin.Do("PUT", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("PATCH", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("DELETE", p, nil).Want(404)
		}
		admin.Do("DELETE", "/admin/tags/", nil).Want(404)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		admin.Do("GET", "/admin/tags", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "BUG" || list.Data[1]["name"] != "Other" || list.Data[1]["color"] != "" {
			t.Fatalf("tags after hostile input: %v", list.Data)
		}
	})
}
