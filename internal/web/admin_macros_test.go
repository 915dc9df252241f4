package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func macroPath(id int64) string { return fmt.Sprintf("/admin/macros/%d", id) }

func idOf(r *testdesk.Response) int64 { return int64(r.Data()["id"].(float64)) }

// macroNames lists the names of the macros the client sees.
func macroNames(c *testdesk.Client) []string {
	var list struct {
		Data []map[string]any `json:"data"`
	}
	c.Do("GET", "/admin/macros", nil).Want(200).Decode(&list)
	names := []string{}
	for _, m := range list.Data {
		names = append(names, m["name"].(string))
	}
	return names
}

func TestAgentsKeepPersonalMacrosAndShareOthers(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, alice, bob, light := d.User("admin"), d.User("agent"), d.User("agent"), d.User("light_agent")
		customer := d.User("customer")
		tk := open(customer, "Macro target")

		// Macros are an agent tool: an agent makes personal ones without any admin right.
		res := alice.Do("POST", "/admin/macros", map[string]any{
			"name": "  Alice's triage ", "description": "Mine",
			"actions": []map[string]any{{"type": "priority", "value": "high"}},
		}).Want(201)
		personal := res.Data()
		pid := idOf(res)
		if personal["name"] != "Alice's triage" || personal["is_shared"] != false || personal["created_by"] != float64(alice.ID) ||
			len(personal["actions"].([]any)) != 1 {
			t.Fatalf("created %v", personal)
		}
		alice.Do("POST", "/admin/macros", map[string]any{"name": "Shared", "is_shared": true, "actions": []map[string]any{{"type": "priority", "value": "low"}}}).Want(403)
		sid := idOf(admin.Do("POST", "/admin/macros", map[string]any{
			"name": "Close politely", "is_shared": true,
			"actions": []map[string]any{{"type": "note", "value": "Closing."}},
		}).Want(201))

		if got := macroNames(alice); !slices.Equal(got, []string{"Alice's triage", "Close politely"}) {
			t.Fatalf("alice sees %v", got)
		}
		for _, c := range []*testdesk.Client{bob, light} {
			if got := macroNames(c); !slices.Equal(got, []string{"Close politely"}) {
				t.Fatalf("%s sees %v", c.Name, got)
			}
		}
		// Admins (macro.manage) see and manage every macro.
		if got := macroNames(admin); !slices.Equal(got, []string{"Alice's triage", "Close politely"}) {
			t.Fatalf("admin sees %v", got)
		}

		// Someone else's personal macro does not exist for bob.
		bob.Do("GET", macroPath(pid), nil).Want(404)
		bob.Do("PUT", macroPath(pid), map[string]any{"name": "Mine now"}).Want(404)
		bob.Do("DELETE", macroPath(pid), nil).Want(404)
		bob.Do("POST", tk.path("/macro"), map[string]any{"macro_id": pid}).Want(404)
		if d.count(`SELECT count(*) FROM ticket_activities WHERE ticket_id = ?`, tk.ID) != 0 {
			t.Fatal("bob's refused apply changed the ticket")
		}

		// A shared macro is seen by all, changed by macro.manage only.
		bob.Do("GET", macroPath(sid), nil).Want(200)
		alice.Do("PUT", macroPath(sid), map[string]any{"name": "Hijacked"}).Want(403)
		alice.Do("DELETE", macroPath(sid), nil).Want(403)
		alice.Do("PATCH", macroPath(pid), map[string]any{"is_shared": true}).Want(403)

		// The owner edits their own; PUT and PATCH keep what they do not send.
		d.Clock.Advance(time.Minute)
		updated := alice.Do("PATCH", macroPath(pid), map[string]any{"description": "Still mine"}).Want(200).Data()
		if updated["name"] != "Alice's triage" || updated["description"] != "Still mine" || updated["updated_at"] == personal["updated_at"] {
			t.Fatalf("patched %v", updated)
		}
		d.Clock.Advance(time.Minute)
		same := alice.Do("PUT", macroPath(pid), map[string]any{"name": "Alice's triage"}).Want(200).Data()
		if same["updated_at"] != updated["updated_at"] {
			t.Fatal("a change that changes nothing moved updated_at")
		}
		admin.Do("PATCH", macroPath(pid), map[string]any{"name": "Reviewed"}).Want(200)

		alice.Do("DELETE", macroPath(pid), nil).Want(204)
		alice.Do("GET", macroPath(pid), nil).Want(404)
		admin.Do("DELETE", macroPath(sid), nil).Want(204)
		var actions []string
		if err := d.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'macro' ORDER BY id`).Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		want := []string{"macro.created", "macro.created", "macro.updated", "macro.updated", "macro.deleted", "macro.deleted"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

func TestApplyingAMacroMakesEveryChange(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		agent, customer := d.User("agent"), d.User("customer")
		tk := open(customer, "Everything at once")
		tag1, tag2, dept := d.tag("vip"), d.tag("billing"), d.department("Finance")
		id := idOf(agent.Do("POST", "/admin/macros", map[string]any{
			"name": "Take it",
			"actions": []map[string]any{
				{"type": "status", "value": "in_progress"},
				{"type": "priority", "value": "urgent"},
				{"type": "assign", "value": agent.ID},
				{"type": "tags", "value": []int64{tag1, tag2, tag1}},
				{"type": "department", "value": dept},
				{"type": "note", "value": "Taking this one."},
				{"type": "reply", "value": "We are on it."},
			},
		}).Want(201))
		before := len(d.Events.Names(tk.ID))

		got := agent.Do("POST", tk.path("/macro"), map[string]any{"macro_id": id}).Want(200).Data()
		if got["status"] != "in_progress" || got["priority"] != "urgent" || got["assigned_to"] != float64(agent.ID) ||
			got["department_id"] != float64(dept) || got["assigned_at"] == nil || got["first_response_at"] == nil {
			t.Fatalf("ticket %v", got)
		}
		want := []string{"status_changed", "priority_changed", "assigned", "tag_added", "tag_added", "department_changed", "note_added", "replied"}
		if got := activityTypes(agent, tk); !slices.Equal(got, want) {
			t.Fatalf("activities %v, want %v", got, want)
		}
		wantEvents := []string{"TicketStatusChanged", "TicketPriorityChanged", "TicketAssigned", "TagAdded", "TagAdded",
			"DepartmentChanged", "InternalNoteAdded", "ReplyCreated", "TicketUpdated"}
		if got := d.Events.Names(tk.ID)[before:]; !slices.Equal(got, wantEvents) {
			t.Fatalf("events %v, want %v", got, wantEvents)
		}
		var audits []string
		if err := d.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? AND actor_id = ? ORDER BY id`, tk.ID, agent.ID).Scan(t.Context(), &audits); err != nil {
			t.Fatal(err)
		}
		wantAudits := []string{"ticket.status_changed", "ticket.priority_changed", "ticket.assigned", "ticket.tag_added",
			"ticket.department_changed", "ticket.note_added", "ticket.replied"}
		if !slices.Equal(audits, wantAudits) {
			t.Fatalf("audits %v, want %v", audits, wantAudits)
		}
		detail := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		replies := detail["replies"].([]any)
		if len(replies) != 2 || replies[0].(map[string]any)["is_internal_note"] != true || replies[1].(map[string]any)["body"] != "We are on it." ||
			len(detail["tags"].([]any)) != 2 {
			t.Fatalf("detail %v", detail)
		}
		// The customer sees the reply, not the note.
		if own := customer.Do("GET", tk.own(""), nil).Want(200).Data(); len(own["replies"].([]any)) != 1 {
			t.Fatalf("customer sees %v", own["replies"])
		}

		// assign and department accept null: unassign, no department.
		clear := idOf(agent.Do("POST", "/admin/macros", map[string]any{
			"name": "Release", "actions": []map[string]any{{"type": "assign", "value": nil}, {"type": "department", "value": nil}},
		}).Want(201))
		got = agent.Do("POST", tk.path("/macro"), map[string]any{"macro_id": clear}).Want(200).Data()
		if got["assigned_to"] != nil || got["department_id"] != nil || got["assigned_at"] != nil {
			t.Fatalf("after release %v", got)
		}
	})
}

// TestMacrosAreAllOrNothing: when one action is refused, by permission or by the ticket's
// state, none is applied.
func TestMacrosAreAllOrNothing(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, light, customer := d.User("admin"), d.User("agent"), d.User("light_agent"), d.User("customer")
		tk := open(customer, "Careful")
		reply := idOf(admin.Do("POST", "/admin/macros", map[string]any{
			"name": "Note then reply", "is_shared": true,
			"actions": []map[string]any{{"type": "note", "value": "Noted."}, {"type": "priority", "value": "high"}, {"type": "reply", "value": "Hello"}},
		}).Want(201))
		before := state(d.Desk, agent, tk)

		// A light agent may add notes but not public replies: nothing is applied.
		light.Do("POST", tk.path("/macro"), map[string]any{"macro_id": reply}).Want(403)
		if after := state(d.Desk, agent, tk); after != before {
			t.Fatalf("refused macro changed the ticket:\n%s\n%s", before, after)
		}
		// A light agent may not change the priority either; a notes-only macro works.
		noteOnly := idOf(admin.Do("POST", "/admin/macros", map[string]any{
			"name": "Note", "is_shared": true, "actions": []map[string]any{{"type": "note", "value": "Seen."}},
		}).Want(201))
		light.Do("POST", tk.path("/macro"), map[string]any{"macro_id": noteOnly}).Want(200)

		// closed → in_progress is not a transition: the priority change before it is undone.
		move(agent, tk, "closed")
		reopen := idOf(admin.Do("POST", "/admin/macros", map[string]any{
			"name": "Work on it", "is_shared": true,
			"actions": []map[string]any{{"type": "priority", "value": "urgent"}, {"type": "status", "value": "in_progress"}},
		}).Want(201))
		before = state(d.Desk, agent, tk)
		res := agent.Do("POST", tk.path("/macro"), map[string]any{"macro_id": reopen}).Want(409)
		if !strings.Contains(string(res.Body), "in_progress") {
			t.Fatalf("conflict %s", res.Body)
		}
		if after := state(d.Desk, agent, tk); after != before {
			t.Fatalf("failed macro changed the ticket:\n%s\n%s", before, after)
		}

		// A tag deleted since the macro was saved fails the whole macro.
		gone := d.tag("gone")
		tagging := idOf(admin.Do("POST", "/admin/macros", map[string]any{
			"name": "Tag", "is_shared": true,
			"actions": []map[string]any{{"type": "priority", "value": "low"}, {"type": "tags", "value": []int64{gone}}},
		}).Want(201))
		d.exec(`DELETE FROM tags WHERE id = ?`, gone)
		agent.Do("POST", tk.path("/macro"), map[string]any{"macro_id": tagging}).Want(422)
		if after := state(d.Desk, agent, tk); after != before {
			t.Fatalf("failed macro changed the ticket:\n%s\n%s", before, after)
		}
	})
}

// TestMacrosHaveNoTriggers asserts admin-surfaces/macros-have-no-triggers: a macro is applied
// by an agent, has no conditions and no trigger, and is not behind an admin permission.
func TestMacrosHaveNoTriggers(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		// is_admin_surface: false — a role with no admin permission uses macros.
		worker := d.User(d.Role("worker", "ticket.view", "ticket.edit", "macro.view", "macro.create"))
		customer := d.User("customer")
		actions := []map[string]any{{"type": "priority", "value": "high"}}
		for _, field := range []string{"trigger", "triggers", "conditions", "event", "schedule"} {
			res := worker.Do("POST", "/admin/macros", map[string]any{"name": "M", "actions": actions, field: "ticket.created"}).Want(422)
			if msg := res.FieldError(field); !strings.Contains(msg, "not accepted") {
				t.Fatalf("%s: %s", field, msg)
			}
		}
		if n := d.count(`SELECT count(*) FROM macros`); n != 0 {
			t.Fatalf("%d macros written by refused requests", n)
		}
		id := idOf(worker.Do("POST", "/admin/macros", map[string]any{"name": "Bump", "actions": actions}).Want(201))
		worker.Do("PATCH", macroPath(id), map[string]any{"conditions": []any{}}).Want(422).FieldError("conditions")

		// triggered_by: agent — nothing applies a macro by itself, not a new ticket, not the
		// scheduled rules.
		admin := d.User("admin")
		tk := open(customer, "Untouched")
		admin.Do("POST", "/admin/escalation-rules/run", nil).Want(200)
		admin.Do("POST", "/admin/automations/run", nil).Want(200)
		if got := worker.Do("GET", tk.path(""), nil).Want(200).Data(); got["priority"] != "medium" {
			t.Fatalf("a macro applied itself: %v", got["priority"])
		}
		worker.Do("POST", tk.path("/macro"), map[string]any{"macro_id": id}).Want(200)
		if got := worker.Do("GET", tk.path(""), nil).Want(200).Data(); got["priority"] != "high" {
			t.Fatalf("the agent's macro did not apply: %v", got["priority"])
		}
	})
}

func TestMacroAccess(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, customer := d.User("admin"), d.User("customer")
		tk := open(customer, "Access")
		id := idOf(admin.Do("POST", "/admin/macros", map[string]any{
			"name": "Shared", "is_shared": true, "actions": []map[string]any{{"type": "priority", "value": "low"}},
		}).Want(201))
		body := map[string]any{"name": "x", "actions": []map[string]any{{"type": "priority", "value": "low"}}}
		calls := []struct {
			method, path string
			body         any
		}{
			{"GET", "/admin/macros", nil},
			{"POST", "/admin/macros", body},
			{"GET", macroPath(id), nil},
			{"PUT", macroPath(id), body},
			{"PATCH", macroPath(id), body},
			{"DELETE", macroPath(id), nil},
			{"POST", tk.path("/macro"), map[string]any{"macro_id": id}},
		}
		anonymous := d.Anonymous()
		noMacros := d.User(d.Role("no_macros", "ticket.view", "ticket.edit"))
		viewOnly := d.User(d.Role("view_only", "ticket.view", "ticket.edit", "macro.view"))
		for _, c := range calls {
			anonymous.Do(c.method, c.path, c.body).Want(401)
			customer.Do(c.method, c.path, c.body).Want(403)
			noMacros.Do(c.method, c.path, c.body).Want(403)
		}
		// macro.view lists and applies shared macros but creates and changes none.
		viewOnly.Do("GET", "/admin/macros", nil).Want(200)
		viewOnly.Do("POST", "/admin/macros", body).Want(403)
		viewOnly.Do("PUT", macroPath(id), body).Want(403)
		viewOnly.Do("DELETE", macroPath(id), nil).Want(403)
		viewOnly.Do("POST", tk.path("/macro"), map[string]any{"macro_id": id}).Want(200)
		// Applying needs ticket.view: an agent without it is refused by the route.
		blind := d.User(d.Role("blind", "macro.view"))
		blind.Do("POST", tk.path("/macro"), map[string]any{"macro_id": id}).Want(403)
		if n := d.count(`SELECT count(*) FROM macros`); n != 1 {
			t.Fatalf("%d macros after refused requests", n)
		}
	})
}

func TestHostileMacroInput(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, customer := d.User("admin"), d.User("customer")
		tk := open(customer, "Hostile")
		dept := d.department("Real")
		id := idOf(admin.Do("POST", "/admin/macros", map[string]any{"name": "Ok", "actions": []map[string]any{{"type": "priority", "value": "low"}}}).Want(201))
		ok := []map[string]any{{"type": "priority", "value": "low"}}
		many := make([]map[string]any, 51)
		for i := range many {
			many[i] = map[string]any{"type": "priority", "value": "low"}
		}
		huge := make([]int64, 101)
		for i := range huge {
			huge[i] = int64(i + 1)
		}
		admin.Do("POST", "/admin/macros", map[string]any{"actions": ok}).Want(422).FieldError("name")
		admin.Do("POST", "/admin/macros", map[string]any{"name": "x"}).Want(422).FieldError("actions")
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"name": "x", "actions": []any{}}, "actions"},
			{map[string]any{"name": 5, "actions": ok}, "name"},
			{map[string]any{"name": "bad\x00name", "actions": ok}, "name"},
			{map[string]any{"name": strings.Repeat("n", 101), "actions": ok}, "name"},
			{map[string]any{"name": "x", "description": "\x00", "actions": ok}, "description"},
			{map[string]any{"name": "x", "is_shared": "yes", "actions": ok}, "is_shared"},
			{map[string]any{"name": "x", "actions": "priority"}, "actions"},
			{map[string]any{"name": "x", "actions": many}, "actions"},
			{map[string]any{"name": "x", "actions": []any{"priority"}}, "actions.0"},
			{map[string]any{"name": "x", "actions": []any{ok[0], map[string]any{"type": 5}}}, "actions.1.type"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "priority", "value": "low", "when": "now"}}}, "actions.0.when"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "delete_ticket"}}}, "actions.0.type"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "change_priority", "value": "low"}}}, "actions.0.type"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "\x00"}}}, "actions.0.type"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "priority"}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "priority", "value": 5}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "priority", "value": "extreme"}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "status", "value": "limbo"}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "status", "value": "open\x00"}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "assign", "value": customer.ID}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "assign", "value": "me"}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "assign", "value": 1.5}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "department", "value": dept + 100}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "tags", "value": []int64{}}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "tags", "value": huge}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "tags", "value": []int64{999}}}}, "actions.0.value.0"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "tags", "value": []any{"vip"}}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "reply", "value": ""}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "note", "value": "a\x00b"}}}, "actions.0.value"},
			{map[string]any{"name": "x", "actions": []any{map[string]any{"type": "note", "value": strings.Repeat("a", 65536)}}}, "actions.0.value"},
		} {
			admin.Do("POST", "/admin/macros", c.body).Want(422).FieldError(c.field)
			admin.Do("PUT", macroPath(id), c.body).Want(422).FieldError(c.field)
		}
		if n := d.count(`SELECT count(*) FROM macros`); n != 1 {
			t.Fatalf("%d macros after refused requests", n)
		}
		if m := admin.Do("GET", macroPath(id), nil).Want(200).Data(); m["name"] != "Ok" || len(m["actions"].([]any)) != 1 {
			t.Fatalf("refused updates changed the macro: %v", m)
		}

		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{}, "macro_id"},
			{map[string]any{"macro_id": "1"}, "macro_id"},
			{map[string]any{"macro_id": 1, "extra": true}, "extra"},
			{"[1]", "body"},
			{"not json", "body"},
		} {
			admin.Do("POST", tk.path("/macro"), c.body).Want(422).FieldError(c.field)
		}
		admin.Do("POST", tk.path("/macro"), map[string]any{"macro_id": 999999}).Want(404)
		admin.Do("POST", "/agent/tickets/999999/macro", map[string]any{"macro_id": id}).Want(404)
		admin.Do("GET", "/admin/macros/abc", nil).Want(404)
		admin.Do("GET", "/admin/macros/0", nil).Want(404)
		if n := d.count(`SELECT count(*) FROM ticket_activities WHERE ticket_id = ?`, tk.ID); n != 0 {
			t.Fatalf("refused applies wrote %d activities", n)
		}
	})
}
