package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func workflowPath(id int64) string { return fmt.Sprintf("/admin/workflows/%d", id) }

func validWorkflow() map[string]any {
	return map[string]any{
		"name":    "Urgent refunds",
		"trigger": "ticket.created",
		"conditions": map[string]any{"match": "any", "rules": []map[string]any{
			{"field": "subject", "operator": "matches", "value": "(?i)refund"},
			{"field": "priority", "operator": "greater_than_or_equal", "value": "urgent"},
		}},
		"actions": []map[string]any{{"type": "change_priority", "value": "high"}},
	}
}

func TestAdminManagesWorkflows(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		res := admin.Do("POST", "/admin/workflows", validWorkflow()).Want(201)
		first := res.Data()
		id := idOf(res)
		conds := first["conditions"].(map[string]any)
		if first["name"] != "Urgent refunds" || first["trigger"] != "ticket.created" || first["is_active"] != true || first["position"] != 0.0 ||
			first["description"] != "" || conds["match"] != "any" || len(conds["rules"].([]any)) != 2 || len(first["actions"].([]any)) != 1 {
			t.Fatalf("created %v", first)
		}
		if _, ok := first["version"]; ok {
			t.Fatal("the version is internal")
		}
		// Without conditions a workflow acts on every event of its trigger; it runs after the
		// others unless given a position.
		second := admin.Do("POST", "/admin/workflows", map[string]any{
			"name": " Greet ", "description": "Say hello", "trigger": "reply.created",
			"actions": []map[string]any{{"type": "add_internal_note", "value": "Replied."}},
		}).Want(201).Data()
		if second["position"] != 1.0 || second["name"] != "Greet" || second["conditions"].(map[string]any)["match"] != "all" ||
			len(second["conditions"].(map[string]any)["rules"].([]any)) != 0 {
			t.Fatalf("second %v", second)
		}
		third := idOf(admin.Do("POST", "/admin/workflows", map[string]any{
			"name": "First of all", "trigger": "ticket.tagged", "position": 0, "is_active": false,
			"actions": []map[string]any{{"type": "close_ticket"}},
		}).Want(201))
		if got := ruleNames(admin, "/admin/workflows"); !slices.Equal(got, []string{"Urgent refunds", "First of all", "Greet"}) {
			t.Fatalf("order %v", got)
		}
		if got := admin.Do("GET", workflowPath(third), nil).Want(200).Data(); got["is_active"] != false {
			t.Fatalf("show %v", got)
		}

		// PATCH and PUT keep what they are not sent; a list that is sent replaces the old one.
		patched := admin.Do("PATCH", workflowPath(id), map[string]any{"is_active": false}).Want(200).Data()
		if patched["is_active"] != false || patched["name"] != "Urgent refunds" || len(patched["conditions"].(map[string]any)["rules"].([]any)) != 2 {
			t.Fatalf("patched %v", patched)
		}
		put := admin.Do("PUT", workflowPath(id), map[string]any{"conditions": map[string]any{"rules": []any{}}}).Want(200).Data()
		if got := put["conditions"].(map[string]any); got["match"] != "all" || len(got["rules"].([]any)) != 0 || put["is_active"] != false {
			t.Fatalf("put %v", put)
		}
		// Saving what is there writes nothing.
		admin.Do("PUT", workflowPath(id), map[string]any{"name": "Urgent refunds"}).Want(200)
		// A new trigger is checked against the stored conditions.
		admin.Do("PATCH", workflowPath(int64(second["id"].(float64))), map[string]any{
			"conditions": map[string]any{"rules": []map[string]any{{"field": "reply_body", "operator": "contains", "value": "thanks"}}},
		}).Want(200)
		admin.Do("PATCH", workflowPath(int64(second["id"].(float64))), map[string]any{"trigger": "ticket.created"}).Want(422).FieldError("conditions.rules.0.field")

		admin.Do("DELETE", workflowPath(id), nil).Want(204)
		admin.Do("GET", workflowPath(id), nil).Want(404)
		admin.Do("PUT", workflowPath(id), map[string]any{"name": "Back"}).Want(404)
		admin.Do("DELETE", workflowPath(id), nil).Want(404)
		admin.Do("GET", workflowPath(id)+"/logs", nil).Want(404)

		var actions []string
		if err := d.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'workflow' ORDER BY id`).Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		want := []string{"workflow.created", "workflow.created", "workflow.created", "workflow.updated", "workflow.updated", "workflow.updated", "workflow.deleted"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

func TestWorkflowAccess(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		id := idOf(admin.Do("POST", "/admin/workflows", validWorkflow()).Want(201))
		reads := []string{"/admin/workflows", workflowPath(id), workflowPath(id) + "/logs", "/admin/workflows/logs"}
		writes := []struct {
			method, path string
			body         any
		}{
			{"POST", "/admin/workflows", validWorkflow()},
			{"PUT", workflowPath(id), validWorkflow()},
			{"PATCH", workflowPath(id), map[string]any{"name": "x"}},
			{"DELETE", workflowPath(id), nil},
		}
		anonymous, customer, light := d.Anonymous(), d.User("customer"), d.User("light_agent")
		viewer := d.User(d.Role("workflow_viewer", "automation.view"))
		outsider := d.User(d.Role("ticket_only", "ticket.view"))
		manager := d.User(d.Role("workflow_manager", "automation.view", "automation.manage"))
		agent := d.User("agent")
		for _, path := range reads {
			anonymous.Do("GET", path, nil).Want(401)
			customer.Do("GET", path, nil).Want(403)
			light.Do("GET", path, nil).Want(403)
			outsider.Do("GET", path, nil).Want(403)
			viewer.Do("GET", path, nil).Want(200)
			agent.Do("GET", path, nil).Want(200)
		}
		for _, w := range writes {
			anonymous.Do(w.method, w.path, w.body).Want(401)
			customer.Do(w.method, w.path, w.body).Want(403)
			viewer.Do(w.method, w.path, w.body).Want(403)
			agent.Do(w.method, w.path, w.body).Want(403)
		}
		if n := d.count(`SELECT count(*) FROM workflows`); n != 1 {
			t.Fatalf("%d workflows after refused requests", n)
		}
		manager.Do("POST", "/admin/workflows", validWorkflow()).Want(201)
		manager.Do("PATCH", workflowPath(id), map[string]any{"name": "Renamed"}).Want(200)
		manager.Do("DELETE", workflowPath(id), nil).Want(204)
	})
}

func TestHostileWorkflows(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		personal := idOf(agent.Do("POST", "/admin/macros", map[string]any{"name": "Mine", "actions": []map[string]any{{"type": "priority", "value": "low"}}}).Want(201))
		with := func(key string, v any) map[string]any {
			b := validWorkflow()
			b[key] = v
			return b
		}
		rules := func(r ...map[string]any) map[string]any {
			return with("conditions", map[string]any{"match": "all", "rules": r})
		}
		rule := func(field, op string, value any) map[string]any {
			return map[string]any{"field": field, "operator": op, "value": value}
		}
		acts := func(a ...map[string]any) map[string]any { return with("actions", a) }
		act := func(typ string, value any) map[string]any { return map[string]any{"type": typ, "value": value} }
		manyRules := make([]map[string]any, 51)
		for i := range manyRules {
			manyRules[i] = rule("priority", "equals", "low")
		}
		manyActions := make([]map[string]any, 51)
		for i := range manyActions {
			manyActions[i] = act("change_priority", "low")
		}
		ok := act("change_priority", "low")
		cases := []struct {
			body  any
			field string
		}{
			{with("name", 5), "name"},
			{with("name", " "), "name"},
			{with("name", "a\x00b"), "name"},
			{with("name", strings.Repeat("n", 101)), "name"},
			{with("description", strings.Repeat("d", 1001)), "description"},
			{with("is_active", "yes"), "is_active"},
			{with("position", -1), "position"},
			{with("position", 1.5), "position"},
			{with("position", "1"), "position"},
			// Workflows run on events: no time trigger, nothing outside the vocabulary.
			{with("trigger", "hourly"), "trigger"},
			{with("trigger", "schedule"), "trigger"},
			{with("trigger", "ticket.resolved"), "trigger"},
			{with("trigger", ""), "trigger"},
			{with("trigger", 5), "trigger"},
			{with("trigger", []string{"ticket.created"}), "trigger"},
			{with("triggers", []string{"ticket.created"}), "triggers"},
			{with("schedule", "0 * * * *"), "schedule"},
			{with("every_minutes", 5), "every_minutes"},
			// Conditions.
			{with("conditions", []any{}), "conditions"},
			{with("conditions", "all"), "conditions"},
			{with("conditions", nil), "conditions"},
			{with("conditions", map[string]any{"match": "some"}), "conditions.match"},
			{with("conditions", map[string]any{"match": 1}), "conditions.match"},
			{with("conditions", map[string]any{"rules": map[string]any{}}), "conditions.rules"},
			{with("conditions", map[string]any{"when": "now"}), "conditions.when"},
			{with("conditions", map[string]any{"rules": manyRules}), "conditions.rules"},
			{with("conditions", map[string]any{"rules": []any{"x"}}), "conditions.rules.0"},
			{rules(rule("status", "equals", "open"), rule("priority", "equals", "low"), rule("subject", "resembles", "x")), "conditions.rules.2.operator"},
			{rules(rule("planet", "equals", "mars")), "conditions.rules.0.field"},
			{rules(map[string]any{"operator": "equals", "value": "x"}), "conditions.rules.0.field"},
			{rules(map[string]any{"field": "status", "operator": "equals", "value": "open", "negate": true}), "conditions.rules.0.negate"},
			{rules(map[string]any{"field": "status", "operator": 5, "value": "open"}), "conditions.rules.0.operator"},
			{rules(rule("status", "contains", "open")), "conditions.rules.0.operator"},
			{rules(rule("tags", "equals", 1)), "conditions.rules.0.operator"},
			{rules(rule("hours_since_created", "matches", "1")), "conditions.rules.0.operator"},
			{rules(rule("status", "equals", "limbo")), "conditions.rules.0.value"},
			{rules(rule("status", "equals", 5)), "conditions.rules.0.value"},
			{rules(rule("status", "equals", nil)), "conditions.rules.0.value"},
			{rules(rule("ticket_type", "in", []string{"question", "saga"})), "conditions.rules.0.value.1"},
			{rules(rule("priority", "greater_than", "huge")), "conditions.rules.0.value"},
			{rules(rule("subject", "equals", strings.Repeat("s", 256))), "conditions.rules.0.value"},
			{rules(rule("subject", "contains", "a\x00")), "conditions.rules.0.value"},
			{rules(rule("subject", "in", "x")), "conditions.rules.0.value"},
			{rules(rule("subject", "in", []string{})), "conditions.rules.0.value"},
			{rules(rule("subject", "is_empty", "x")), "conditions.rules.0.value"},
			{rules(rule("subject", "matches", "(")), "conditions.rules.0.value"},
			{rules(rule("subject", "matches", "a{1001}")), "conditions.rules.0.value"},
			{rules(rule("subject", "matches", "")), "conditions.rules.0.value"},
			{rules(rule("subject", "matches", strings.Repeat("a", 257))), "conditions.rules.0.value"},
			{rules(rule("description", "matches", ".{0,200}x")), "conditions.rules.0.value"},
			{rules(rule("department_id", "equals", 999)), "conditions.rules.0.value"},
			{rules(rule("department_id", "equals", "1")), "conditions.rules.0.value"},
			{rules(rule("assigned_to", "equals", customer.ID)), "conditions.rules.0.value"},
			{rules(rule("tags", "in", []any{1, "x"})), "conditions.rules.0.value.1"},
			{rules(rule("tags", "contains", 0)), "conditions.rules.0.value"},
			{rules(rule("hours_since_created", "greater_than", -1)), "conditions.rules.0.value"},
			{rules(rule("hours_since_created", "greater_than", "2")), "conditions.rules.0.value"},
			{rules(rule("sla_breached", "equals", "yes")), "conditions.rules.0.value"},
			{rules(rule("reply_body", "contains", "thanks")), "conditions.rules.0.field"},
			// Actions.
			{with("actions", []any{}), "actions"},
			{with("actions", "close"), "actions"},
			{with("actions", manyActions), "actions"},
			{with("actions", []any{5}), "actions.0"},
			{acts(ok, map[string]any{"type": "explode"}), "actions.1.type"},
			{acts(map[string]any{"type": 7}), "actions.0.type"},
			{acts(map[string]any{"type": "close_ticket", "when": "now"}), "actions.0.when"},
			{acts(act("escalate", nil)), "actions.0.type"},
			{acts(act("change_status", "limbo")), "actions.0.value"},
			{acts(act("change_status", nil)), "actions.0.value"},
			{acts(act("change_priority", "meh")), "actions.0.value"},
			{acts(act("assign_agent", customer.ID)), "actions.0.value"},
			{acts(act("assign_agent", "me")), "actions.0.value"},
			{acts(act("add_tag", 999)), "actions.0.value"},
			{acts(act("remove_tag", []int{1})), "actions.0.value"},
			{acts(act("move_department", 0)), "actions.0.value"},
			{acts(act("add_internal_note", " ")), "actions.0.value"},
			{acts(act("add_internal_note", "\x00")), "actions.0.value"},
			{acts(act("add_internal_note", strings.Repeat("n", 65536))), "actions.0.value"},
			{acts(act("send_notification", map[string]any{})), "actions.0.value.recipients"},
			{acts(act("send_notification", []int{1})), "actions.0.value"},
			{acts(act("send_notification", map[string]any{"recipients": []any{"boss"}})), "actions.0.value.recipients.0"},
			{acts(act("send_notification", map[string]any{"recipients": []any{customer.ID}})), "actions.0.value.recipients.0"},
			{acts(act("send_notification", map[string]any{"recipients": []any{"assignee"}, "message": 5})), "actions.0.value.message"},
			{acts(act("send_notification", map[string]any{"recipients": []any{"assignee"}, "subject": "x"})), "actions.0.value.subject"},
			{acts(act("send_webhook", map[string]any{})), "actions.0.value.url"},
			{acts(act("send_webhook", map[string]any{"url": "ftp://example.test/"})), "actions.0.value.url"},
			{acts(act("send_webhook", map[string]any{"url": "https://user:secret@example.test/"})), "actions.0.value.url"},
			{acts(act("send_webhook", map[string]any{"url": "/relative"})), "actions.0.value.url"},
			{acts(act("send_webhook", "https://example.test/")), "actions.0.value"},
			{acts(act("apply_macro", personal)), "actions.0.value"},
			{acts(act("apply_macro", 999)), "actions.0.value"},
			{acts(act("close_ticket", true)), "actions.0.value"},
			{acts(act("snooze_ticket", map[string]any{})), "actions.0.value.minutes"},
			{acts(act("snooze_ticket", map[string]any{"minutes": 0})), "actions.0.value.minutes"},
			{acts(act("snooze_ticket", map[string]any{"minutes": 1.5})), "actions.0.value.minutes"},
			{acts(act("snooze_ticket", 60)), "actions.0.value"},
			{acts(act("delay", map[string]any{"minutes": 60 * 24 * 91}), ok), "actions.0.value.minutes"},
			{acts(act("delay", map[string]any{"hours": 1}), ok), "actions.0.value.hours"},
			{acts(ok, act("delay", map[string]any{"minutes": 5})), "actions.1.type"},
			// Not a workflow at all.
			{"[]", "body"},
			{`{"name": "x"} {}`, "body"},
		}
		id := idOf(admin.Do("POST", "/admin/workflows", validWorkflow()).Want(201))
		before := admin.Do("GET", workflowPath(id), nil).Want(200).Body
		audits := d.count(`SELECT count(*) FROM audit_logs`)
		for _, c := range cases {
			admin.Do("POST", "/admin/workflows", c.body).Want(422).FieldError(c.field)
			admin.Do("PUT", workflowPath(id), c.body).Want(422).FieldError(c.field)
			admin.Do("PATCH", workflowPath(id), c.body).Want(422).FieldError(c.field)
		}
		for _, field := range []string{"name", "trigger", "actions"} {
			b := validWorkflow()
			delete(b, field)
			admin.Do("POST", "/admin/workflows", b).Want(422).FieldError(field)
		}
		if n := d.count(`SELECT count(*) FROM workflows`); n != 1 {
			t.Fatalf("%d workflows after refused requests", n)
		}
		if n := d.count(`SELECT count(*) FROM audit_logs`); n != audits {
			t.Fatalf("refused requests wrote %d audit entries", n-audits)
		}
		// The toggle's body is optional, yet refused like any other: a body past the limit was
		// a 422 saying it "could not be read".
		huge := `{"active": false, "x": "` + strings.Repeat("a", 1<<20) + `"}`
		for _, method := range []string{"PUT", "POST"} {
			admin.Do(method, workflowPath(id)+"/toggle", huge).Want(413)
			admin.Do(method, workflowPath(id)+"/toggle", `{"active": false`).Want(422).FieldError("body")
			admin.Do(method, workflowPath(id)+"/toggle", map[string]any{"enabled": false}).Want(422).FieldError("enabled")
		}
		if after := admin.Do("GET", workflowPath(id), nil).Want(200).Body; string(after) != string(before) {
			t.Fatalf("refused updates changed the workflow:\n%s\n%s", before, after)
		}
		for _, path := range []string{"/admin/workflows/abc", "/admin/workflows/0", "/admin/workflows/-1", "/admin/workflows/99999999999999999999", "/admin/workflows/999999"} {
			admin.Do("GET", path, nil).Want(404)
			admin.Do("GET", path+"/logs", nil).Want(404)
			admin.Do("PUT", path, validWorkflow()).Want(404)
			admin.Do("DELETE", path, nil).Want(404)
		}
		for _, c := range []struct{ query, field string }{
			{"page=0", "page"}, {"page=x", "page"}, {"per_page=101", "per_page"}, {"per_page=-1", "per_page"},
		} {
			admin.Do("GET", workflowPath(id)+"/logs?"+c.query, nil).Want(422).FieldError(c.field)
			admin.Do("GET", "/admin/workflows/logs?"+c.query, nil).Want(422).FieldError(c.field)
		}
		for _, q := range []string{"x", "0", "-3", "1.5"} {
			admin.Do("GET", "/admin/workflows/logs?workflow="+q, nil).Want(422).FieldError("workflow")
		}
		admin.Do("GET", "/admin/workflows/logs?workflow=999999", nil).Want(404)
	})
}
