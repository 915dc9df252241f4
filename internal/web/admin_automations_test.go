package web_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAdminManagesAutomations(t *testing.T) { testRuleCRUD(t, automationSurface) }
func TestAutomationAccess(t *testing.T)        { testRuleAccess(t, automationSurface) }

func TestHostileAutomations(t *testing.T) {
	testHostileRules(t, automationSurface, func(d *sqlDesk, customerID int64) []struct {
		body  map[string]any
		field string
	} {
		with := func(c, a []map[string]any) map[string]any {
			b := automationSurface.valid()
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
			{with([]map[string]any{{"field": "hours_since_created", "value": 2}}, nil), "conditions.0.operator"},
			{with([]map[string]any{{"field": "hours_since_created", "operator": "equals", "value": 2}}, nil), "conditions.0.operator"},
			{with([]map[string]any{{"field": "hours_since_created", "operator": "!=", "value": 2}}, nil), "conditions.0.operator"},
			{with([]map[string]any{{"field": "hours_since_created", "operator": 5, "value": 2}}, nil), "conditions.0.operator"},
			{with([]map[string]any{{"field": "hours_since_created", "operator": ">", "value": "2"}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "hours_since_assigned", "operator": ">", "value": -0.5}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "status", "operator": ">", "value": "open"}}, nil), "conditions.0.operator"},
			{with([]map[string]any{{"field": "age_hours", "value": 2}}, nil), "conditions.0.field"},
			{with([]map[string]any{{"field": "ticket_type", "value": "saga"}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "subject_contains", "value": ""}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "subject_contains", "value": "a\x00"}}, nil), "conditions.0.value"},
			{with([]map[string]any{{"field": "subject_contains", "value": strings.Repeat("s", 256)}}, nil), "conditions.0.value"},
			{with(nil, []map[string]any{{"type": "escalate"}}), "actions.0.type"},
			{with(nil, []map[string]any{{"type": "change_status", "value": "limbo"}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "assign", "value": customerID}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "add_tag", "value": 999}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "add_tag", "value": []int{1}}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "set_ticket_type", "value": "saga"}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "add_note", "value": " "}}), "actions.0.value"},
			{with(nil, []map[string]any{{"type": "add_note", "value": "\x00"}}), "actions.0.value"},
		}
	})
}

// TestAutomationsAreTimeBased asserts admin-surfaces/automations-are-time-based: automations
// run on the schedule, read hours_since_* conditions, take no event trigger, and are an admin
// surface.
func TestAutomationsAreTimeBased(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		tag := d.tag("followed-up")
		valid := func() map[string]any {
			return map[string]any{
				"name": "Follow up",
				"conditions": []map[string]any{
					{"field": "hours_since_created", "operator": ">=", "value": 0},
					{"field": "hours_since_last_reply", "operator": ">", "value": 2},
				},
				"actions": []map[string]any{{"type": "add_tag", "value": tag}},
			}
		}
		// accepts_event_trigger: false — no trigger field, no event as a condition, no
		// workflow operators.
		for _, c := range []struct {
			key   string
			value any
			field string
		}{
			{"trigger", "ticket.created", "trigger"},
			{"triggers", []string{"reply.created"}, "triggers"},
			{"event", "ticket.updated", "event"},
			{"conditions", []map[string]any{{"field": "ticket.created", "value": true}}, "conditions.0.field"},
			{"conditions", []map[string]any{{"field": "event", "value": "reply.created"}}, "conditions.0.field"},
			{"conditions", map[string]any{"match": "all", "rules": []any{}}, "conditions"},
		} {
			b := valid()
			b[c.key] = c.value
			admin.Do("POST", "/admin/automations", b).Want(422).FieldError(c.field)
		}
		// is_admin_surface: true — agents see automations but do not make them.
		agent.Do("POST", "/admin/automations", valid()).Want(403)
		admin.Do("POST", "/admin/automations", valid()).Want(201)

		// triggered_by: schedule — replies and new tickets do not run it; the scan does, once
		// the hours have passed.
		tk := open(customer, "Waiting for a follow-up")
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": "Any news?"}).Want(201)
		hasTag := func() bool {
			return len(agent.Do("GET", tk.path(""), nil).Want(200).Data()["tags"].([]any)) == 1
		}
		if hasTag() {
			t.Fatal("an automation ran on an event")
		}
		admin.Do("POST", "/admin/automations/run", nil).Want(200)
		if hasTag() {
			t.Fatal("the automation acted before its hours had passed")
		}
		d.Clock.Advance(2*time.Hour + time.Second)
		if hasTag() {
			t.Fatal("the automation ran without being run")
		}
		// A run takes no fields: one that seems to choose its automations is refused, not
		// taken for a run of them all.
		admin.Do("POST", "/admin/automations/run", map[string]any{"automation_ids": []int{1}}).Want(422).FieldError("automation_ids")
		admin.Do("POST", "/admin/automations/run", `{`).Want(422).FieldError("body")
		if hasTag() {
			t.Fatal("a refused run ran the automation")
		}
		if got := admin.Do("POST", "/admin/automations/run", nil).Want(200).Data(); got["applied"] != 1.0 || !hasTag() {
			t.Fatalf("run %v", got)
		}
		if got := activityTypes(agent, tk); !slices.Equal(got, []string{"replied", "tag_added"}) {
			t.Fatalf("activities %v", got)
		}
	})
}

// TestAutomationsActAgainAfterAChange: a run acts once per ticket; when an agent changes the
// ticket, the automation may act again.
func TestAutomationsActAgainAfterAChange(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		tk := open(customer, "Nudge")
		admin.Do("POST", "/admin/automations", map[string]any{
			"name":       "Nudge unassigned",
			"conditions": []map[string]any{{"field": "assigned", "value": "unassigned"}, {"field": "hours_since_created", "operator": ">", "value": 1}},
			"actions":    []map[string]any{{"type": "add_note", "value": "Still unassigned."}},
		}).Want(201)
		notes := func() int { return len(agent.Do("GET", tk.path(""), nil).Want(200).Data()["replies"].([]any)) }
		d.Clock.Advance(90 * time.Minute)
		for range 3 {
			admin.Do("POST", "/admin/automations/run", nil).Want(200)
			d.Clock.Advance(time.Minute)
		}
		if n := notes(); n != 1 {
			t.Fatalf("%d notes, want 1", n)
		}
		agent.Do("POST", tk.path("/priority"), map[string]any{"priority": "high"}).Want(200)
		admin.Do("POST", "/admin/automations/run", nil).Want(200)
		admin.Do("POST", "/admin/automations/run", nil).Want(200)
		if n := notes(); n != 2 {
			t.Fatalf("%d notes after the ticket changed, want 2", n)
		}
		// Assigned tickets no longer match.
		agent.Do("POST", tk.path("/assign"), map[string]any{"agent_id": agent.ID}).Want(200)
		admin.Do("POST", "/admin/automations/run", nil).Want(200)
		if n := notes(); n != 2 {
			t.Fatalf("%d notes on an assigned ticket, want 2", n)
		}
	})
}
