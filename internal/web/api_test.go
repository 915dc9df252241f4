package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAPIServesItsDocument(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		// No token is needed to read the document.
		body := newAPI(t, d.Anonymous()).Do("GET", "/openapi.json", nil).Want(200).JSON()
		var file map[string]any
		src, err := os.ReadFile("openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(src, &file); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(body["paths"]) != fmt.Sprint(file["paths"]) || body["openapi"] != "3.1.0" {
			t.Fatalf("served document differs from openapi.json")
		}
		servers, _ := json.Marshal(body["servers"])
		if string(servers) != `[{"url":"/support/api/v1"}]` {
			t.Fatalf("servers = %s", servers)
		}
	})
}

func TestAPIDocumentIsValidOpenAPI31(t *testing.T) {
	ok, errs := specValidator(t).ValidateDocument()
	if !ok {
		for _, e := range errs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", f.FieldPath, f.Reason)
			}
		}
	}
}

// TestAPIEveryEndpoint walks every endpoint's happy path with an admin's all-abilities
// token; each answer is checked against the document by the api client.
func TestAPIEveryEndpoint(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		agent := d.User("agent")
		customer := d.User("customer")
		tok := tokenFor(t, admin, "*")
		c := bearer(t, d.Desk, tok)

		valid := c.Do("POST", "/auth/validate", nil).Want(200).Data()
		if valid["user"].(map[string]any)["id"] != float64(admin.ID) || fmt.Sprint(valid["permissions"]) != "[*]" ||
			valid["token"].(map[string]any)["name"] != "test" {
			t.Fatalf("validate = %v", valid)
		}

		support := admin.Do("POST", "/admin/departments", map[string]any{"name": "Support", "agent_ids": []int64{agent.ID}}).Want(201).Data()
		billing := admin.Do("POST", "/admin/tags", map[string]any{"name": "billing"}).Want(201).Data()
		urgent := admin.Do("POST", "/admin/tags", map[string]any{"name": "vip"}).Want(201).Data()

		created := c.Do("POST", "/tickets", map[string]any{
			"subject": "Printer on fire", "description": "Smoke everywhere.", "priority": "high",
			"requester_id": customer.ID, "department_id": support["id"], "tag_ids": []any{billing["id"]},
		}).Want(201).Data()
		ref := created["reference"].(string)
		if created["channel"] != "api" || created["status"] != "open" || created["requester_id"] != float64(customer.ID) {
			t.Fatalf("created = %v", created)
		}
		second := c.Do("POST", "/tickets", map[string]any{"subject": "Second", "description": "Also.", "channel": "email"}).Want(201).Data()
		if second["channel"] != "email" || second["requester_id"] != float64(admin.ID) {
			t.Fatalf("second = %v", second)
		}

		list := c.Do("GET", "/tickets", nil).Want(200).JSON()
		if meta := list["meta"].(map[string]any); meta["total"] != 2.0 || meta["current_page"] != 1.0 || meta["last_page"] != 1.0 || meta["per_page"] != 25.0 {
			t.Fatalf("meta = %v", meta)
		}
		paged := c.Do("GET", "/tickets?sort=created_at&direction=asc&per_page=1&page=2", nil).Want(200).JSON()
		rows := paged["data"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["subject"] != "Second" || paged["meta"].(map[string]any)["last_page"] != 2.0 {
			t.Fatalf("page 2 = %v", paged)
		}
		filtered := c.Do("GET", "/tickets?priority=high&tag="+fmt.Sprint(billing["id"]), nil).Want(200).JSON()["data"].([]any)
		if len(filtered) != 1 || filtered[0].(map[string]any)["reference"] != ref {
			t.Fatalf("filtered = %v", filtered)
		}

		reply := c.Do("POST", "/tickets/"+ref+"/reply", map[string]any{"body": "On our way."}).Want(201).Data()
		note := c.Do("POST", "/tickets/"+ref+"/reply", map[string]any{"body": "Bring the extinguisher.", "is_internal_note": true}).Want(201).Data()
		if reply["is_internal_note"] != false || note["is_internal_note"] != true {
			t.Fatalf("reply = %v, note = %v", reply, note)
		}

		moved := c.Do("PATCH", "/tickets/"+ref+"/status", map[string]any{"status": "in_progress"}).Want(200).Data()
		if moved["status"] != "in_progress" {
			t.Fatalf("moved = %v", moved)
		}
		refused := c.Do("PATCH", "/tickets/"+ref+"/status", map[string]any{"status": "reopened"}).Want(409).JSON()
		if len(refused["allowed_transitions"].([]any)) == 0 {
			t.Fatalf("refused = %v", refused)
		}
		if c.Do("PATCH", "/tickets/"+ref+"/priority", map[string]any{"priority": "urgent"}).Want(200).Data()["priority"] != "urgent" {
			t.Fatal("priority unchanged")
		}
		if c.Do("POST", "/tickets/"+ref+"/assign", map[string]any{"agent_id": agent.ID}).Want(200).Data()["assigned_to"] != float64(agent.ID) {
			t.Fatal("not assigned")
		}
		if c.Do("POST", "/tickets/"+ref+"/assign", map[string]any{"agent_id": nil}).Want(200).Data()["assigned_to"] != nil {
			t.Fatal("not unassigned")
		}
		c.Do("POST", "/tickets/"+ref+"/tags", map[string]any{"tag_ids": []any{urgent["id"]}}).Want(200)

		shown := c.Do("GET", "/tickets/"+ref, nil).Want(200).Data()
		byID := c.Do("GET", fmt.Sprint("/tickets/", created["id"]), nil).Want(200).Data()
		if shown["reference"] != byID["reference"] || len(shown["replies"].([]any)) != 2 || len(shown["tags"].([]any)) != 2 ||
			len(shown["activities"].([]any)) < 5 || shown["department"].(map[string]any)["name"] != "Support" {
			t.Fatalf("shown = %v", shown)
		}

		stats := c.Do("GET", "/dashboard", nil).Want(200).Data()
		if stats["open"] != 2.0 {
			t.Fatalf("stats = %v", stats)
		}
		agents := c.Do("GET", "/agents", nil).Want(200).JSON()
		if names := names(agents["data"]); strings.Join(names, ",") != "admin 1,agent 2" {
			t.Fatalf("agents = %v", names)
		}
		if names := names(c.Do("GET", "/departments", nil).Want(200).JSON()["data"]); strings.Join(names, ",") != "Support" {
			t.Fatalf("departments = %v", names)
		}
		tags := c.Do("GET", "/tags?per_page=1&page=2", nil).Want(200).JSON()
		if names := names(tags["data"]); strings.Join(names, ",") != "vip" || tags["meta"].(map[string]any)["total"] != 2.0 {
			t.Fatalf("tags = %v", tags)
		}
		if empty := c.Do("GET", "/tags?page=9", nil).Want(200).JSON(); len(empty["data"].([]any)) != 0 {
			t.Fatalf("page 9 = %v", empty)
		}
		summary := c.Do("GET", "/reports/summary?days=7", nil).Want(200).Data()
		if summary["days"] != 7.0 || summary["open"] != 2.0 || summary["created"] != 2.0 {
			t.Fatalf("summary = %v", summary)
		}

		// Deleting takes the ticket's replies, timeline and tags with it and leaves an audit entry.
		id := int64(created["id"].(float64))
		del := c.Do("DELETE", "/tickets/"+ref, nil).Want(204)
		if len(del.Body) != 0 {
			t.Fatalf("delete answered a body: %s", del.Body)
		}
		c.Do("GET", "/tickets/"+ref, nil).Want(404)
		c.Do("DELETE", "/tickets/"+ref, nil).Want(404)
		for _, table := range []string{"replies", "ticket_activities", "ticket_tags"} {
			if n := d.count(`SELECT count(*) FROM `+table+` WHERE ticket_id = ?`, id); n != 0 {
				t.Errorf("%d %s rows outlive their ticket", n, table)
			}
		}
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.deleted' AND resource_id = ? AND actor_id = ?`, id, admin.ID); n != 1 {
			t.Fatalf("ticket.deleted audit entries = %d", n)
		}
		if c.Do("GET", "/tickets", nil).Want(200).JSON()["meta"].(map[string]any)["total"] != 1.0 {
			t.Fatal("deleted ticket still listed")
		}
	})
}

func names(list any) []string {
	var out []string
	for _, row := range list.([]any) {
		out = append(out, row.(map[string]any)["name"].(string))
	}
	return out
}

// TestAPITokenScope: a token does what its abilities name and no more, even when its owner
// may do more.
func TestAPITokenScope(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		customer := d.User("customer")
		tk := open(customer, "Scoped")
		viewer := bearer(t, d, tokenFor(t, agent, "ticket.view"))

		viewer.Do("GET", "/tickets", nil).Want(200)
		viewer.Do("GET", "/tickets/"+tk.Ref, nil).Want(200)
		viewer.Do("GET", "/dashboard", nil).Want(200)
		viewer.Do("GET", "/agents", nil).Want(200)
		for _, call := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": "Hello"}},
			{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": "Psst", "is_internal_note": true}},
			{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": "in_progress"}},
			{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": "resolved"}},
			{"PATCH", "/tickets/" + tk.Ref + "/priority", map[string]any{"priority": "low"}},
			{"POST", "/tickets/" + tk.Ref + "/assign", map[string]any{"agent_id": agent.ID}},
			{"POST", "/tickets/" + tk.Ref + "/tags", map[string]any{"tag_ids": []int{1}}},
			{"POST", "/tickets", map[string]any{"subject": "x", "description": "y"}},
			{"DELETE", "/tickets/" + tk.Ref, nil},
			{"GET", "/departments", nil},
			{"GET", "/tags", nil},
			{"GET", "/reports/summary", nil},
		} {
			viewer.Do(call.method, call.path, call.body).Want(403)
		}
		if got := activityTypes(agent, tk); len(got) != 0 {
			t.Fatalf("refused calls changed the ticket: %v", got)
		}

		// "*" is whatever the owner holds: an agent's token cannot delete, as the agent cannot.
		all := bearer(t, d, tokenFor(t, agent, "*"))
		all.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "Hello"}).Want(201)
		all.Do("DELETE", "/tickets/"+tk.Ref, nil).Want(403)
		perms := all.Do("POST", "/auth/validate", nil).Want(200).Data()["permissions"].([]any)
		if slices.Contains(perms, any("*")) || slices.Contains(perms, any("ticket.delete")) || !slices.Contains(perms, any("reply.create")) {
			t.Fatalf("agent's * token permissions = %v", perms)
		}
	})
}

// TestAPITokenFollowsItsOwner: the owner's rights are read on every request, so a change of
// role, of the role's permissions or of the account reaches the token at once.
func TestAPITokenFollowsItsOwner(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		customer := d.User("customer")
		tk := open(customer, "Follow the owner")
		c := bearer(t, d, tokenFor(t, agent, "ticket.view", "reply.create", "reply.create_internal"))
		rolePath := fmt.Sprintf("/admin/users/%d/role", agent.ID)

		c.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "First"}).Want(201)

		admin.Do("PATCH", rolePath, map[string]any{"role": "light_agent"}).Want(200)
		c.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "Second"}).Want(403)
		c.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "A note", "is_internal_note": true}).Want(201)
		c.Do("GET", "/tickets", nil).Want(200)
		perms := c.Do("POST", "/auth/validate", nil).Want(200).Data()["permissions"]
		if fmt.Sprint(perms) != "[ticket.view reply.create_internal]" {
			t.Fatalf("light agent's token permissions = %v", perms)
		}

		// A custom role losing a permission takes it from its holders' tokens too.
		d.Role("triage", "ticket.view", "reply.create")
		admin.Do("PATCH", rolePath, map[string]any{"role": "triage"}).Want(200)
		c.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "Third"}).Want(201)
		role := findRole(t, admin, "triage")
		admin.Do("PATCH", fmt.Sprint("/admin/roles/", role), map[string]any{"permissions": []string{"ticket.view"}}).Want(200)
		c.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "Fourth"}).Want(403)

		// A requester has no staff rights: the token no longer authenticates anyone.
		admin.Do("PATCH", rolePath, map[string]any{"role": "customer"}).Want(200)
		c.Do("GET", "/tickets", nil).Want(401)
		admin.Do("PATCH", rolePath, map[string]any{"role": "agent"}).Want(200)
		c.Do("POST", "/tickets/"+tk.Ref+"/reply", map[string]any{"body": "Back"}).Want(201)

		admin.Do("DELETE", fmt.Sprintf("/admin/users/%d", agent.ID), nil).Want(200)
		c.Do("GET", "/tickets", nil).Want(401)
	})
}

func findRole(t *testing.T, admin *testdesk.Client, slug string) any {
	t.Helper()
	for _, r := range admin.Do("GET", "/admin/roles", nil).Want(200).JSON()["data"].([]any) {
		if r := r.(map[string]any); r["slug"] == slug {
			return r["id"]
		}
	}
	t.Fatalf("no role %s", slug)
	return nil
}

// TestAPIRefusesBadTokens: anything but a live token of a current staff member is a 401 that
// says how to authenticate.
func TestAPIRefusesBadTokens(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		tok := tokenFor(t, admin, "*")
		bearer(t, d, tok).Do("GET", "/tickets", nil).Want(200)

		unknown := strings.Repeat("ab", 32)
		for name, header := range map[string][]string{
			"no header":          nil,
			"empty":              {""},
			"scheme only":        {"Bearer"},
			"empty token":        {"Bearer "},
			"basic":              {"Basic " + tok},
			"no scheme":          {tok},
			"upper case":         {"Bearer " + strings.ToUpper(tok)},
			"short":              {"Bearer " + tok[:63]},
			"long":               {"Bearer " + tok + "0"},
			"unknown":            {"Bearer " + unknown},
			"not hex":            {"Bearer " + strings.Repeat("zz", 32)},
			"two headers":        {"Bearer " + tok, "Bearer " + tok},
			"token then garbage": {"Bearer " + tok + " x"},
		} {
			c := d.Anonymous()
			if header != nil {
				c.Header = map[string][]string{"Authorization": header}
			}
			r := c.Do("GET", "/api/v1/tickets", nil).Want(401)
			conforms(t, r)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate = %q", name, r.Header.Get("WWW-Authenticate"))
			}
		}
		// The scheme is case-insensitive (RFC 9110).
		lower := d.Anonymous()
		lower.Header = map[string][]string{"Authorization": {"bearer " + tok}}
		lower.Do("GET", "/api/v1/tickets", nil).Want(200)

		// Revoked: refused on the next request.
		id, revoked := createToken(t, admin, map[string]any{"name": "short-lived", "abilities": []string{"ticket.view"}})
		rc := bearer(t, d, revoked)
		rc.Do("GET", "/tickets", nil).Want(200)
		admin.Do("DELETE", fmt.Sprint("/admin/api-tokens/", id), nil).Want(204)
		rc.Do("GET", "/tickets", nil).Want(401)

		// Expired: refused from the expiry on.
		_, expiring := createToken(t, admin, map[string]any{"name": "hour", "abilities": []string{"ticket.view"},
			"expires_at": testdesk.Start.Add(time.Hour).Format(time.RFC3339)})
		ec := bearer(t, d, expiring)
		ec.Do("GET", "/tickets", nil).Want(200)
		d.Clock.Advance(time.Hour - time.Microsecond)
		ec.Do("GET", "/tickets", nil).Want(200)
		d.Clock.Advance(time.Microsecond)
		ec.Do("GET", "/tickets", nil).Want(401)
		ec.Do("POST", "/auth/validate", nil).Want(401)
		bearer(t, d, tok).Do("GET", "/tickets", nil).Want(200)
	})
}

// TestAPIAndSessionsDoNotMix: the API takes tokens only and the desk's own routes sessions
// only, so a browser's cookie cannot drive the API and a leaked token cannot drive the UI.
func TestAPIAndSessionsDoNotMix(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		tok := tokenFor(t, admin, "*")

		for _, path := range []string{"/api/v1/tickets", "/api/v1/dashboard"} {
			r := admin.Do("GET", path, nil).Want(401)
			conforms(t, r)
		}
		r := admin.Do("POST", "/api/v1/auth/validate", nil).Want(401)
		conforms(t, r)

		c := d.Bearer(tok)
		for _, path := range []string{"/me", "/agent/tickets", "/admin/api-tokens", "/admin/users", "/tickets"} {
			c.Do("GET", path, nil).Want(401)
		}
		c.Do("POST", "/admin/api-tokens", map[string]any{"name": "more", "abilities": []string{"*"}}).Want(401)

		// A cookie and a token together: each side still reads only its own credential.
		both := d.User("agent")
		both.Header = map[string][]string{"Authorization": {"Bearer " + tok}}
		if both.Do("GET", "/me", nil).Want(200).Data()["id"] != float64(both.ID) {
			t.Fatal("the desk took the token over the session")
		}
		valid := both.Do("POST", "/api/v1/auth/validate", nil).Want(200).Data()
		if valid["user"].(map[string]any)["id"] != float64(admin.ID) {
			t.Fatal("the API took the session over the token")
		}
	})
}
