package web_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// allowed reads the allowed_transitions of a refused status change.
func allowed(r *testdesk.Response) []string {
	var body struct {
		AllowedTransitions []string `json:"allowed_transitions"`
	}
	r.Decode(&body)
	return body.AllowedTransitions
}

func TestAdminCustomStatusAndTransitions(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		customer := d.User("customer")

		st := admin.Do("POST", "/admin/statuses", map[string]any{
			"slug": "awaiting_parts", "name": "Awaiting parts", "category": "on_hold", "color": "#f59e0b",
		}).Want(201).Data()
		if st["slug"] != "awaiting_parts" || st["category"] != "on_hold" || st["is_system"] != false {
			t.Fatalf("created status = %v", st)
		}
		var list struct{ Data []map[string]any }
		admin.Do("GET", "/admin/statuses", nil).Want(200).Decode(&list)
		if n := len(list.Data); n != 9 || list.Data[8]["slug"] != "awaiting_parts" {
			t.Fatalf("statuses = %v", list.Data)
		}

		table := transitions(admin)
		table["in_progress"] = append(table["in_progress"], "awaiting_parts")
		table["awaiting_parts"] = []string{"in_progress"}
		admin.Do("PUT", "/admin/transitions", map[string]any{"transitions": table}).Want(200)

		ref := customer.Do("POST", "/tickets", map[string]any{"subject": "Pump broken", "description": "Needs a seal."}).
			Want(201).Data()["reference"].(string)
		move := func(to string) *testdesk.Response {
			return agent.Do("POST", "/agent/tickets/"+ref+"/status", map[string]any{"status": to})
		}
		move("in_progress").Want(200)
		move("awaiting_parts").Want(200)
		refused := move("resolved").Want(409)
		if got := allowed(refused); !slices.Equal(got, []string{"in_progress"}) {
			t.Fatalf("allowed_transitions = %v, want [in_progress]", got)
		}
		move("in_progress").Want(200)
		move("awaiting_parts").Want(200)

		// A new table applies to the very next change.
		table["awaiting_parts"] = []string{"waiting_on_customer"}
		got := admin.Do("PUT", "/admin/transitions", map[string]any{"transitions": table}).Want(200).Data()
		if targets := got["awaiting_parts"].([]any); len(targets) != 1 || targets[0] != "waiting_on_customer" {
			t.Fatalf("replaced table has awaiting_parts → %v", targets)
		}
		if got := allowed(move("in_progress").Want(409)); !slices.Equal(got, []string{"waiting_on_customer"}) {
			t.Fatalf("allowed_transitions after the change = %v", got)
		}

		// A status a ticket is in stays; once empty it goes, with its transitions.
		msg := admin.Do("DELETE", "/admin/statuses/awaiting_parts", nil).Want(409).JSON()["message"].(string)
		if !strings.Contains(msg, "1 ticket") {
			t.Fatalf("delete conflict message %q does not count the tickets", msg)
		}
		move("waiting_on_customer").Want(200)
		admin.Do("DELETE", "/admin/statuses/awaiting_parts", nil).Want(204)
		after := transitions(admin)
		if _, ok := after["awaiting_parts"]; ok || slices.Contains(after["in_progress"], "awaiting_parts") {
			t.Fatalf("transitions of the deleted status remain: %v", after)
		}
		admin.Do("DELETE", "/admin/statuses/awaiting_parts", nil).Want(404)
		admin.Do("DELETE", "/admin/statuses/open", nil).Want(409)

		// Built-in statuses are renamed and reordered but keep their category.
		renamed := admin.Do("PATCH", "/admin/statuses/open", map[string]any{"name": "New", "position": 3}).Want(200).Data()
		if renamed["name"] != "New" || renamed["position"] != float64(3) || renamed["category"] != "open" {
			t.Fatalf("renamed built-in = %v", renamed)
		}
		admin.Do("PUT", "/admin/statuses/open", map[string]any{"category": "pending"}).Want(422).FieldError("category")
	})
}

func transitions(c *testdesk.Client) map[string][]string {
	var body struct{ Data map[string][]string }
	c.Do("GET", "/admin/transitions", nil).Want(200).Decode(&body)
	return body.Data
}

func TestAdminStatusesAccess(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		viewer := d.User(d.Role("settings_viewer", "settings.view"))
		newStatus := map[string]any{"slug": "parked", "name": "Parked", "category": "on_hold"}
		for _, c := range []struct {
			who    *testdesk.Client
			status int
		}{{d.User("customer"), 403}, {d.User("agent"), 403}, {d.Anonymous(), 401}} {
			c.who.Do("GET", "/admin/statuses", nil).Want(c.status)
			c.who.Do("POST", "/admin/statuses", newStatus).Want(c.status)
			c.who.Do("PATCH", "/admin/statuses/open", map[string]any{"name": "Mine"}).Want(c.status)
			c.who.Do("DELETE", "/admin/statuses/open", nil).Want(c.status)
			c.who.Do("GET", "/admin/transitions", nil).Want(c.status)
			c.who.Do("PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{}}).Want(c.status)
		}
		viewer.Do("GET", "/admin/statuses", nil).Want(200)
		viewer.Do("GET", "/admin/transitions", nil).Want(200)
		viewer.Do("POST", "/admin/statuses", newStatus).Want(403)
		viewer.Do("PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{}}).Want(403)
		if got := transitions(viewer); len(got["open"]) == 0 {
			t.Fatalf("refused replacement cleared the table: %v", got)
		}
	})
}

func TestAdminStatusesRejectHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		huge := strings.Repeat("é", 100000)
		for _, c := range []struct {
			method, path string
			body         any
			field        string
		}{
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X", "category": "open", "is_system": true}, "is_system"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X", "category": "open", "position": "1"}, "position"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X", "category": "open", "position": 1e12}, "position"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X", "category": "open", "position": -1}, "position"},
			{"POST", "/admin/statuses", map[string]any{"slug": 7, "name": "X", "category": "open"}, "slug"},
			{"POST", "/admin/statuses", map[string]any{"slug": "Bad Slug", "name": "X", "category": "open"}, "slug"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x\x00", "name": "X", "category": "open"}, "slug"},
			{"POST", "/admin/statuses", map[string]any{"slug": strings.Repeat("a", 41), "name": "X", "category": "open"}, "slug"},
			{"POST", "/admin/statuses", map[string]any{"slug": "open", "name": "Again", "category": "open"}, "slug"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X\x00", "category": "open"}, "name"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": huge, "category": "open"}, "name"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "  ", "category": "open"}, "name"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X", "category": "closed"}, "category"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X"}, "category"},
			{"POST", "/admin/statuses", map[string]any{"slug": "x", "name": "X", "category": "open", "color": "blue"}, "color"},
			{"POST", "/admin/statuses", `[]`, "body"},
			{"PATCH", "/admin/statuses/open", map[string]any{"slug": "renamed"}, "slug"},
			{"PATCH", "/admin/statuses/open", map[string]any{"name": ""}, "name"},
			{"PATCH", "/admin/statuses/open", map[string]any{"name": 5}, "name"},
			{"PATCH", "/admin/statuses/open", map[string]any{"color": "#12345g"}, "color"},
			{"PUT", "/admin/transitions", map[string]any{}, "transitions"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": []string{"open"}}, "transitions"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{"open": "closed"}}, "transitions"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{}, "extra": 1}, "extra"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{"open": []string{"open"}}}, "transitions.open"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{"open": []string{"nowhere"}}}, "transitions.open"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{"nowhere": []string{"open"}}}, "transitions.nowhere"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{"open\x00": []string{"closed"}}}, "transitions"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{huge: []string{"closed"}}}, "transitions"},
			{"PUT", "/admin/transitions", map[string]any{"transitions": map[string]any{"open": []string{huge}}}, "transitions.open"},
		} {
			r := admin.Do(c.method, c.path, c.body).Want(422)
			if len(r.Body) > 2000 {
				t.Errorf("%s %s: the 422 body is %d bytes; hostile input was echoed", c.method, c.path, len(r.Body))
			}
			r.FieldError(c.field)
		}
		admin.Do("PATCH", "/admin/statuses/nowhere", map[string]any{"name": "X"}).Want(404)
		admin.Do("PATCH", "/admin/statuses/"+strings.Repeat("a", 500), map[string]any{"name": "X"}).Want(404)

		// Nothing of the above was written.
		var list struct{ Data []map[string]any }
		admin.Do("GET", "/admin/statuses", nil).Want(200).Decode(&list)
		if len(list.Data) != 8 || list.Data[0]["name"] != "Open" {
			t.Fatalf("statuses after refused input = %v", list.Data)
		}
		if got := transitions(admin); !slices.Equal(got["closed"], []string{"reopened"}) {
			t.Fatalf("transitions after refused input = %v", got)
		}
	})
}

// The transition grid page: an admin opens it, takes "resolved → reopened" away and saves through
// the Inertia form; the page comes back with the flash and the new table, and an agent's move
// the table no longer allows is a 409. A viewer sees the page but cannot save.
func TestAdminTransitionsPage(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		p := visit(t, admin, "/admin/transitions", "Escalated/Admin/Transitions/Index")
		table := map[string][]string{}
		for from, to := range p.Props["transitions"].(map[string]any) {
			for _, s := range to.([]any) {
				if !(from == "resolved" && s == "reopened") {
					table[from] = append(table[from], s.(string))
				}
			}
		}
		if len(p.Props["statuses"].([]any)) == 0 || len(table["resolved"]) == len(p.Props["transitions"].(map[string]any)["resolved"].([]any)) {
			t.Fatalf("page props: statuses %v, transitions %v", p.Props["statuses"], p.Props["transitions"])
		}
		after := submit(t, admin, "PUT", "/admin/transitions", map[string]any{"transitions": table}, "/support/admin/transitions")
		if flash(after, "success") != "Transitions saved." || slices.Contains(after.Props["transitions"].(map[string]any)["resolved"].([]any), any("reopened")) {
			t.Fatalf("after save: flash %v, table %v", after.Props["flash"], after.Props["transitions"])
		}

		tk := open(customer, "Fixed already")
		move(agent, tk, "resolved")
		res := agent.Do("POST", tk.path("/status"), map[string]any{"status": "reopened"}).Want(409).JSON()
		if allowed, _ := res["allowed_transitions"].([]any); len(allowed) == 0 || slices.Contains(allowed, any("reopened")) {
			t.Fatalf("409 %v", res)
		}

		viewer := d.User(d.Role("transitions_viewer", "settings.view"))
		visit(t, viewer, "/admin/transitions", "Escalated/Admin/Transitions/Index")
		restore := map[string][]string{"resolved": {"closed", "reopened"}}
		viewer.Inertia("PUT", "/admin/transitions", map[string]any{"transitions": restore}).Want(303)
		if got := transitions(viewer); slices.Contains(got["resolved"], "reopened") || len(got["open"]) == 0 {
			t.Fatalf("a viewer changed the table: %v", got)
		}
		refused(t, agent, 403, "/admin/transitions")
	})
}
