package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestAPIHostileInput sends every endpoint input meant to break it. Each answer must be the
// documented refusal (checked against openapi.json), naming the field at fault, and nothing
// may be written.
func TestAPIHostileInput(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		customer := d.User("customer")
		tk := open(customer, "Target")
		c := bearer(t, d.Desk, tokenFor(t, admin, "*"))
		huge := `{"body": "` + strings.Repeat("a", 1<<20) + `"}`
		before := d.count(`SELECT count(*) FROM audit_logs`)

		type call struct {
			method, path string
			body         any
			status       int
			field        string
		}
		var calls []call
		// Every body-taking endpoint refuses what is not one JSON object of known fields.
		for _, ep := range []struct{ method, path string }{
			{"POST", "/tickets"},
			{"POST", "/tickets/" + tk.Ref + "/reply"},
			{"PATCH", "/tickets/" + tk.Ref + "/status"},
			{"PATCH", "/tickets/" + tk.Ref + "/priority"},
			{"POST", "/tickets/" + tk.Ref + "/assign"},
			{"POST", "/tickets/" + tk.Ref + "/tags"},
		} {
			calls = append(calls,
				call{ep.method, ep.path, `{"subject": `, 422, "body"},
				call{ep.method, ep.path, `null`, 422, "body"},
				call{ep.method, ep.path, `[]`, 422, "body"},
				call{ep.method, ep.path, `"text"`, 422, "body"},
				call{ep.method, ep.path, `{} {}`, 422, "body"},
				call{ep.method, ep.path, `{"is_admin": true}`, 422, "is_admin"},
				call{ep.method, ep.path, huge, 413, ""},
			)
		}
		nul := "a\x00b"
		calls = append(calls,
			// Validating a token takes no fields: a body that seems to name another token is
			// refused rather than answered for the caller's own.
			call{"POST", "/auth/validate", map[string]any{"token": "x"}, 422, "token"},
			call{"POST", "/auth/validate", `{`, 422, "body"},
			call{"POST", "/tickets", map[string]any{"description": "x"}, 422, "subject"},
			call{"POST", "/tickets", map[string]any{"subject": "   ", "description": "x"}, 422, "subject"},
			call{"POST", "/tickets", map[string]any{"subject": nul, "description": "x"}, 422, "subject"},
			call{"POST", "/tickets", map[string]any{"subject": strings.Repeat("s", 256), "description": "x"}, 422, "subject"},
			call{"POST", "/tickets", map[string]any{"subject": 42, "description": "x"}, 422, "subject"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": strings.Repeat("d", 65536)}, 422, "description"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "priority": "extreme"}, 422, "priority"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "ticket_type": "rant"}, 422, "ticket_type"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "channel": "pigeon"}, 422, "channel"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "department_id": 999999}, 422, "department_id"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "department_id": "1"}, 422, "department_id"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "requester_id": 999999}, 422, "requester_id"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "tag_ids": []int{999999}}, 422, "tag_ids"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "tag_ids": "1"}, 422, "tag_ids"},
			call{"POST", "/tickets", map[string]any{"subject": "x", "description": "x", "tag_ids": []float64{1.5}}, 422, "tag_ids"},

			call{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{}, 422, "body"},
			call{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": ""}, 422, "body"},
			call{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": nul}, 422, "body"},
			call{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": strings.Repeat("b", 65536)}, 422, "body"},
			call{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": "x", "is_internal_note": "yes"}, 422, "is_internal_note"},
			call{"POST", "/tickets/" + tk.Ref + "/reply", map[string]any{"body": []string{"x"}}, 422, "body"},

			call{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{}, 422, "status"},
			call{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": "flying"}, 422, "status"},
			call{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": strings.Repeat("s", 65)}, 422, "status"},
			call{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": nul}, 422, "status"},
			call{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": 3}, 422, "status"},
			call{"PATCH", "/tickets/" + tk.Ref + "/status", map[string]any{"status": "open"}, 409, ""},

			call{"PATCH", "/tickets/" + tk.Ref + "/priority", map[string]any{}, 422, "priority"},
			call{"PATCH", "/tickets/" + tk.Ref + "/priority", map[string]any{"priority": "HIGH"}, 422, "priority"},
			call{"PATCH", "/tickets/" + tk.Ref + "/priority", map[string]any{"priority": nil}, 422, "priority"},

			call{"POST", "/tickets/" + tk.Ref + "/assign", map[string]any{}, 422, "agent_id"},
			call{"POST", "/tickets/" + tk.Ref + "/assign", map[string]any{"agent_id": "me"}, 422, "agent_id"},
			call{"POST", "/tickets/" + tk.Ref + "/assign", map[string]any{"agent_id": customer.ID}, 422, "agent_id"},
			call{"POST", "/tickets/" + tk.Ref + "/assign", map[string]any{"agent_id": 999999}, 422, "agent_id"},
			call{"POST", "/tickets/" + tk.Ref + "/assign", map[string]any{"agent_id": -1}, 422, "agent_id"},

			call{"POST", "/tickets/" + tk.Ref + "/tags", map[string]any{}, 422, "tag_ids"},
			call{"POST", "/tickets/" + tk.Ref + "/tags", map[string]any{"tag_ids": []int{}}, 422, "tag_ids"},
			call{"POST", "/tickets/" + tk.Ref + "/tags", map[string]any{"tag_ids": []int{999999}}, 422, "tag_ids"},
			call{"POST", "/tickets/" + tk.Ref + "/tags", map[string]any{"tag_ids": []string{"1"}}, 422, "tag_ids"},
			call{"POST", "/tickets/" + tk.Ref + "/tags", map[string]any{"tag_ids": map[string]int{"a": 1}}, 422, "tag_ids"},
		)
		// Ticket keys that are not a ticket are not found, before or after the database.
		for _, key := range []string{"ESC-99999", "999999", "0", "-1", "ESC-", "..%2F..%2Fetc", "ESC-00001%27%20OR%201=1",
			"%00", "ESC-%0000001", strings.Repeat("9", 41), "99999999999999999999", "%E2%80%AE"} {
			for _, ep := range []struct {
				method, suffix string
				body           any
			}{
				{"GET", "", nil},
				{"DELETE", "", nil},
				{"POST", "/reply", map[string]any{"body": "x"}},
				{"PATCH", "/status", map[string]any{"status": "closed"}},
				{"PATCH", "/priority", map[string]any{"priority": "low"}},
				{"POST", "/assign", map[string]any{"agent_id": admin.ID}},
				{"POST", "/tags", map[string]any{"tag_ids": []int{1}}},
			} {
				calls = append(calls, call{ep.method, "/tickets/" + key + ep.suffix, ep.body, 404, ""})
			}
		}
		// Query strings: bad values name their parameter.
		for path, field := range map[string]string{
			"/tickets?page=0":                             "page",
			"/tickets?page=abc":                           "page",
			"/tickets?page=1e3":                           "page",
			"/tickets?per_page=101":                       "per_page",
			"/tickets?per_page=-5":                        "per_page",
			"/tickets?priority=extreme":                   "priority",
			"/tickets?status=" + strings.Repeat("s", 65):  "status",
			"/tickets?status=a%00b":                       "status",
			"/tickets?assigned_to=someone":                "assigned_to",
			"/tickets?unassigned=maybe":                   "unassigned",
			"/tickets?sla_breached=2":                     "sla_breached",
			"/tickets?department_id=-1":                   "department_id",
			"/tickets?tag=x":                              "tag",
			"/tickets?ticket_type=rant":                   "ticket_type",
			"/tickets?search=" + strings.Repeat("q", 201): "search",
			"/tickets?search=%00":                         "search",
			"/tickets?created_after=yesterday":            "created_after",
			"/tickets?created_before=2026-13-01":          "created_before",
			"/tickets?created_after=0000-01-01":           "created_after", // no year 0 in PostgreSQL
			"/tickets?created_after=0000-12-31T23:00:00Z": "created_after",
			"/tickets?sort=password_hash":                 "sort",
			"/tickets?direction=sideways":                 "direction",
			"/agents?page=abc":                            "page",
			"/agents?per_page=1000":                       "per_page",
			"/departments?per_page=0":                     "per_page",
			"/tags?page=-1":                               "page",
			"/reports/summary?days=0":                     "days",
			"/reports/summary?days=366":                   "days",
			"/reports/summary?days=abc":                   "days",
			"/reports/summary?days=1.5":                   "days",
			"/reports/summary?days=" + url.QueryEscape("7; DROP TABLE tickets"): "days",
		} {
			calls = append(calls, call{"GET", path, nil, 422, field})
		}

		for _, cl := range calls {
			r := c.Do(cl.method, cl.path, cl.body).Want(cl.status)
			if cl.field != "" {
				r.FieldError(cl.field)
			}
		}

		if n := d.count(`SELECT count(*) FROM tickets`); n != 1 {
			t.Fatalf("hostile input created tickets: %d in all", n)
		}
		if got := activityTypes(admin, tk); len(got) != 0 {
			t.Fatalf("hostile input changed the ticket: %v", got)
		}
		if after := d.count(`SELECT count(*) FROM audit_logs`); after != before {
			t.Fatalf("hostile input wrote %d audit entries", after-before)
		}
		// The desk still answers, and the ticket is intact.
		if c.Do("GET", "/tickets/"+tk.Ref, nil).Want(200).Data()["subject"] != "Target" {
			t.Fatal("the ticket changed")
		}
		c.Do("GET", fmt.Sprint("/tickets/", tk.ID), nil).Want(200)
	})
}
