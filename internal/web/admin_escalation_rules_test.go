package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// ruleSurface is one admin surface of scheduled rules: where it lives, who may use it, and a
// rule body it accepts.
type ruleSurface struct {
	base, resource string
	table          string
	viewPerm       string
	managePerm     string
	valid          func() map[string]any
}

var (
	escalationSurface = ruleSurface{"/admin/escalation-rules", "escalation_rule", "escalation_rules", "escalation.view", "escalation.manage", func() map[string]any {
		return map[string]any{
			"name":       "Stale and urgent",
			"conditions": []map[string]any{{"field": "age_hours", "value": 24}, {"field": "priority", "value": "urgent"}},
			"actions":    []map[string]any{{"type": "escalate"}},
		}
	}}
	automationSurface = ruleSurface{"/admin/automations", "automation", "automations", "automation.view", "automation.manage", func() map[string]any {
		return map[string]any{
			"name":       "Close solved",
			"conditions": []map[string]any{{"field": "status", "value": "resolved"}, {"field": "hours_since_updated", "operator": ">=", "value": 72}},
			"actions":    []map[string]any{{"type": "change_status", "value": "closed"}},
		}
	}}
)

func (s ruleSurface) path(id int64) string { return fmt.Sprintf("%s/%d", s.base, id) }

func ruleNames(c *testdesk.Client, base string) []string {
	var list struct {
		Data []map[string]any `json:"data"`
	}
	c.Do("GET", base, nil).Want(200).Decode(&list)
	names := []string{}
	for _, r := range list.Data {
		names = append(names, r["name"].(string))
	}
	return names
}

func testRuleCRUD(t *testing.T, s ruleSurface) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent := d.User("admin"), d.User("agent")
		res := admin.Do("POST", s.base, s.valid()).Want(201)
		first := res.Data()
		id := idOf(res)
		if first["is_active"] != true || first["position"] != 0.0 || first["description"] != "" ||
			len(first["conditions"].([]any)) != 2 || len(first["actions"].([]any)) != 1 || first["created_at"] == nil {
			t.Fatalf("created %v", first)
		}
		second := s.valid()
		second["name"], second["description"], second["is_active"] = "Another", "Runs after", false
		created := admin.Do("POST", s.base, second).Want(201).Data()
		if created["position"] != 1.0 || created["is_active"] != false || created["description"] != "Runs after" {
			t.Fatalf("second %v", created)
		}
		// Agents see the rules (view) but do not change them (manage).
		if got := ruleNames(agent, s.base); !slices.Equal(got, []string{first["name"].(string), "Another"}) {
			t.Fatalf("list %v", got)
		}
		agent.Do("GET", s.path(id), nil).Want(200)

		// Order is by position: moving the first rule last.
		d.Clock.Advance(time.Minute)
		moved := admin.Do("PATCH", s.path(id), map[string]any{"position": 5}).Want(200).Data()
		if moved["position"] != 5.0 || moved["name"] != first["name"] || moved["updated_at"] == first["updated_at"] {
			t.Fatalf("moved %v", moved)
		}
		if got := ruleNames(admin, s.base); !slices.Equal(got, []string{"Another", first["name"].(string)}) {
			t.Fatalf("list after move %v", got)
		}
		// PUT replaces the lists it sends and keeps the rest.
		replaced := admin.Do("PUT", s.path(id), map[string]any{
			"name": "Renamed", "conditions": []map[string]any{{"field": "priority", "value": "low"}},
		}).Want(200).Data()
		if replaced["name"] != "Renamed" || len(replaced["conditions"].([]any)) != 1 || len(replaced["actions"].([]any)) != 1 || replaced["position"] != 5.0 {
			t.Fatalf("replaced %v", replaced)
		}
		d.Clock.Advance(time.Minute)
		same := admin.Do("PATCH", s.path(id), map[string]any{"name": "Renamed", "conditions": []map[string]any{{"field": "priority", "value": "low"}}}).Want(200).Data()
		if same["updated_at"] != replaced["updated_at"] {
			t.Fatal("a change that changes nothing moved updated_at")
		}
		shown := admin.Do("GET", s.path(id), nil).Want(200).Data()
		if fmt.Sprint(shown) != fmt.Sprint(same) {
			t.Fatalf("show %v\nafter update %v", shown, same)
		}

		admin.Do("DELETE", s.path(id), nil).Want(204)
		admin.Do("GET", s.path(id), nil).Want(404)
		admin.Do("PUT", s.path(id), map[string]any{"name": "Back"}).Want(404)
		admin.Do("DELETE", s.path(id), nil).Want(404)
		var actions []string
		if err := d.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = ? ORDER BY id`, s.resource).Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		r := s.resource
		if want := []string{r + ".created", r + ".created", r + ".updated", r + ".updated", r + ".deleted"}; !slices.Equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

func testRuleAccess(t *testing.T, s ruleSurface) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		id := idOf(admin.Do("POST", s.base, s.valid()).Want(201))
		reads := []struct{ method, path string }{{"GET", s.base}, {"GET", s.path(id)}}
		writes := []struct {
			method, path string
			body         any
		}{
			{"POST", s.base, s.valid()},
			{"PUT", s.path(id), s.valid()},
			{"PATCH", s.path(id), map[string]any{"name": "x"}},
			{"DELETE", s.path(id), nil},
			{"POST", s.base + "/run", nil},
		}
		anonymous, customer, light := d.Anonymous(), d.User("customer"), d.User("light_agent")
		viewer := d.User(d.Role("viewer_"+s.resource, s.viewPerm))
		manager := d.User(d.Role("manager_"+s.resource, s.viewPerm, s.managePerm))
		agent := d.User("agent")
		for _, r := range reads {
			anonymous.Do(r.method, r.path, nil).Want(401)
			customer.Do(r.method, r.path, nil).Want(403)
			light.Do(r.method, r.path, nil).Want(403)
			viewer.Do(r.method, r.path, nil).Want(200)
			agent.Do(r.method, r.path, nil).Want(200)
		}
		for _, w := range writes {
			anonymous.Do(w.method, w.path, w.body).Want(401)
			customer.Do(w.method, w.path, w.body).Want(403)
			viewer.Do(w.method, w.path, w.body).Want(403)
			agent.Do(w.method, w.path, w.body).Want(403)
		}
		if n := d.count(`SELECT count(*) FROM ` + s.table); n != 1 {
			t.Fatalf("%d rules after refused requests", n)
		}
		manager.Do("POST", s.base, s.valid()).Want(201)
		manager.Do("POST", s.base+"/run", nil).Want(200)
		manager.Do("DELETE", s.path(id), nil).Want(204)
	})
}

// hostileRuleBodies are bodies every rule surface refuses, with the field each error names.
func hostileRuleBodies(s ruleSurface) []struct {
	body  map[string]any
	field string
} {
	with := func(key string, v any) map[string]any {
		b := s.valid()
		b[key] = v
		return b
	}
	cond := func(c ...map[string]any) map[string]any { return with("conditions", c) }
	act := func(a ...map[string]any) map[string]any { return with("actions", a) }
	many := make([]map[string]any, 51)
	for i := range many {
		many[i] = map[string]any{"field": "priority", "value": "low"}
	}
	manyActions := make([]map[string]any, 1000)
	for i := range manyActions {
		manyActions[i] = map[string]any{"type": "change_priority", "value": "low"}
	}
	return []struct {
		body  map[string]any
		field string
	}{
		{with("trigger", "ticket.created"), "trigger"},
		{with("name", 5), "name"},
		{with("name", " "), "name"},
		{with("name", "a\x00b"), "name"},
		{with("description", strings.Repeat("d", 1001)), "description"},
		{with("is_active", "yes"), "is_active"},
		{with("position", -1), "position"},
		{with("position", "1"), "position"},
		{with("position", 1.5), "position"},
		{with("conditions", "priority"), "conditions"},
		{with("conditions", []any{}), "conditions"},
		{with("conditions", many), "conditions"},
		{with("conditions", []any{5}), "conditions.0"},
		{cond(map[string]any{"field": "priority", "value": "low"}, map[string]any{"field": "weather", "value": "rain"}), "conditions.1.field"},
		{cond(map[string]any{"value": "low"}), "conditions.0.field"},
		{cond(map[string]any{"field": 5, "value": "low"}), "conditions.0.field"},
		{cond(map[string]any{"field": "priority\x00", "value": "low"}), "conditions.0.field"},
		{cond(map[string]any{"field": "priority", "value": "low", "match": "all"}), "conditions.0.match"},
		{cond(map[string]any{"field": "priority"}), "conditions.0.value"},
		{cond(map[string]any{"field": "priority", "value": 3}), "conditions.0.value"},
		{cond(map[string]any{"field": "priority", "value": "meh"}), "conditions.0.value"},
		{cond(map[string]any{"field": "status", "value": "limbo"}), "conditions.0.value"},
		{cond(map[string]any{"field": "status", "value": "open\x00"}), "conditions.0.value"},
		{cond(map[string]any{"field": "status", "value": strings.Repeat("s", 10000)}), "conditions.0.value"},
		{cond(map[string]any{"field": "assigned", "value": "someone"}), "conditions.0.value"},
		{cond(map[string]any{"field": "assigned", "value": true}), "conditions.0.value"},
		{with("actions", []any{}), "actions"},
		{with("actions", manyActions), "actions"},
		{act(map[string]any{"type": "explode"}), "actions.0.type"},
		{act(map[string]any{"type": "apply_macro", "value": 1}), "actions.0.type"},
		{act(map[string]any{"type": "change_priority", "value": "low", "delay": 5}), "actions.0.delay"},
		{act(map[string]any{"type": "change_priority", "value": []string{"low"}}), "actions.0.value"},
		{act(map[string]any{"type": "change_priority", "value": "low"}, map[string]any{"type": 7}), "actions.1.type"},
	}
}

func testHostileRules(t *testing.T, s ruleSurface, extra func(d *sqlDesk, customerID int64) []struct {
	body  map[string]any
	field string
}) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, customer := d.User("admin"), d.User("customer")
		id := idOf(admin.Do("POST", s.base, s.valid()).Want(201))
		before := admin.Do("GET", s.path(id), nil).Want(200).Body
		for _, c := range append(hostileRuleBodies(s), extra(d, customer.ID)...) {
			admin.Do("POST", s.base, c.body).Want(422).FieldError(c.field)
			admin.Do("PUT", s.path(id), c.body).Want(422).FieldError(c.field)
		}
		for _, field := range []string{"name", "conditions", "actions"} {
			b := s.valid()
			delete(b, field)
			admin.Do("POST", s.base, b).Want(422).FieldError(field)
		}
		admin.Do("POST", s.base, "[]").Want(422).FieldError("body")
		admin.Do("POST", s.base, `{"name": "x"} {}`).Want(422).FieldError("body")
		if n := d.count(`SELECT count(*) FROM ` + s.table); n != 1 {
			t.Fatalf("%d rules after refused requests", n)
		}
		if after := admin.Do("GET", s.path(id), nil).Want(200).Body; string(after) != string(before) {
			t.Fatalf("refused updates changed the rule:\n%s\n%s", before, after)
		}
		admin.Do("GET", s.base+"/abc", nil).Want(404)
		admin.Do("GET", s.base+"/run", nil).Want(404)
		admin.Do("PUT", s.base+"/999999", s.valid()).Want(404)
	})
}

func TestAdminManagesEscalationRules(t *testing.T) { testRuleCRUD(t, escalationSurface) }
func TestEscalationRuleAccess(t *testing.T)        { testRuleAccess(t, escalationSurface) }

func TestHostileEscalationRules(t *testing.T) {
	testHostileRules(t, escalationSurface, func(d *sqlDesk, customerID int64) []struct {
		body  map[string]any
		field string
	} {
		dept := d.department("Real")
		with := func(c, a []map[string]any) map[string]any {
			b := escalationSurface.valid()
			if c != nil {
				b["conditions"] = c
			}
			if a != nil {
				b["actions"] = a
			}
			return b
		}
		return []struct {
			body  map[string]any
			field string
		}{
			// Escalation conditions take no operator, and automation fields are unknown here.
			{with([]map[string]any{{"field": "age_hours", "operator": ">", "value": 2}}, nil), "conditions.0.operator"},
			{with([]map[string]any{{"field": "hours_since_created", "value": 2}}, nil), "conditions.0.field"},
			{with([]map[string]any{{"field": "age_hours", "value": "24"}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "age_hours", "value": -1}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "no_response_hours", "value": 1e9}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "sla_breached", "value": "yes"}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "department_id", "value": dept + 100}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "department_id", "value": 1.5}}, nil), "conditions.0.value"},
			{with(nil, []map[string]any{{"type": "change_status", "value": "closed"}}), "actions.0.type"},
			{with(nil, []map[string]any{{"type": "escalate", "value": "now"}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "assign_to", "value": customerID}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "assign_to", "value": nil}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "change_department", "value": dept + 100}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "notify", "value": []any{}}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "notify", "value": "assignee"}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "notify", "value": []any{"assignee", "boss"}}}), "actions.0.value.1"},
			{with(nil, []map[string]any{{"type": "notify", "value": []any{customerID}}}), "actions.0.value.0"},
		}
	})
}

// TestRunEscalationsNow: an admin runs the escalation rules at once; the rule acts through the
// ticket service and only once per ticket until the ticket changes.
func TestRunEscalationsNow(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		tk := open(customer, "Nobody answered")
		other := open(customer, "Answered")
		agent.Do("POST", other.path("/reply"), map[string]any{"body": "Hello"}).Want(201)
		admin.Do("POST", "/admin/escalation-rules", map[string]any{
			"name":       "No answer in 4 hours",
			"conditions": []map[string]any{{"field": "no_response_hours", "value": 4}},
			"actions":    []map[string]any{{"type": "escalate"}, {"type": "assign_to", "value": agent.ID}, {"type": "notify", "value": []any{"assignee"}}},
		}).Want(201)
		if got := admin.Do("POST", "/admin/escalation-rules/run", nil).Want(200).Data(); got["applied"] != 0.0 || got["rules"] != 1.0 {
			t.Fatalf("early run %v", got)
		}
		d.Clock.Advance(4 * time.Hour)
		// A run takes no fields: one that seems to choose its rules is refused, not taken for
		// a run of them all.
		admin.Do("POST", "/admin/escalation-rules/run", map[string]any{"rule_ids": []int{1}}).Want(422).FieldError("rule_ids")
		admin.Do("POST", "/admin/escalation-rules/run", `[]`).Want(422).FieldError("body")
		// The rule acts at the next run, so the refused ones ran nothing; {} is a run.
		if got := admin.Do("POST", "/admin/escalation-rules/run", `{}`).Want(200).Data(); got["applied"] != 1.0 || got["failed"] != 0.0 {
			t.Fatalf("run %v", got)
		}
		detail := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		if detail["status"] != "escalated" || detail["assigned_to"] != float64(agent.ID) {
			t.Fatalf("ticket %v", detail)
		}
		if got := activityTypes(agent, tk); !slices.Equal(got, []string{"escalated", "assigned"}) {
			t.Fatalf("activities %v", got)
		}
		if n := d.count(`SELECT count(*) FROM notifications WHERE user_id = ? AND ticket_id = ? AND type = 'escalation'`, agent.ID, tk.ID); n != 1 {
			t.Fatalf("%d notifications", n)
		}
		if got := agent.Do("GET", other.path(""), nil).Want(200).Data(); got["status"] != "open" {
			t.Fatalf("answered ticket %v", got["status"])
		}
		d.Clock.Advance(time.Minute)
		if got := admin.Do("POST", "/admin/escalation-rules/run", nil).Want(200).Data(); got["applied"] != 0.0 {
			t.Fatalf("second run %v", got)
		}
	})
}
