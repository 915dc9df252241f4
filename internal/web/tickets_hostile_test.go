package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// bodyEndpoint is a ticket endpoint that reads a JSON body: a body it accepts and, per
// field, a value of the wrong type.
type bodyEndpoint struct {
	customer bool
	path     string
	valid    map[string]any
	wrong    map[string]any
}

func bodyEndpoints(tk ticket, agentID int64) []bodyEndpoint {
	return []bodyEndpoint{
		{true, "/tickets", map[string]any{"subject": "s", "description": "d"},
			map[string]any{"subject": 5, "description": []int{1}, "priority": 5, "ticket_type": true, "department_id": "x"}},
		{true, tk.own("/reply"), map[string]any{"body": "b"}, map[string]any{"body": 5}},
		{false, "/agent/tickets", map[string]any{"subject": "s", "description": "d"},
			map[string]any{"priority": 5, "requester_id": "x", "tag_ids": "x", "department_id": true, "channel": []string{}}},
		{false, tk.path("/reply"), map[string]any{"body": "b"}, map[string]any{"body": false}},
		{false, tk.path("/note"), map[string]any{"body": "b"}, map[string]any{"body": map[string]any{}}},
		{false, tk.path("/assign"), map[string]any{"agent_id": agentID}, map[string]any{"agent_id": "x"}},
		{false, tk.path("/status"), map[string]any{"status": "in_progress"}, map[string]any{"status": 1}},
		{false, tk.path("/priority"), map[string]any{"priority": "high"}, map[string]any{"priority": 5}},
		{false, tk.path("/department"), map[string]any{"department_id": nil}, map[string]any{"department_id": "x"}},
		{false, tk.path("/tags"), map[string]any{"tag_ids": []int{1}}, map[string]any{"tag_ids": "x"}},
		{false, "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "priority", "value": "high"},
			map[string]any{"ticket_ids": "x", "action": 5}},
	}
}

// state is what must not change when a request is refused.
func state(d *testdesk.Desk, staff *testdesk.Client, tk ticket) string {
	_, total := listSubjects(staff.Do("GET", "/agent/tickets", nil))
	detail := staff.Do("GET", tk.path(""), nil).Want(200).Data()
	return fmt.Sprintf("tickets=%d status=%v priority=%v assigned=%v replies=%d activities=%d events=%d",
		total, detail["status"], detail["priority"], detail["assigned_to"],
		len(detail["replies"].([]any)), len(detail["activities"].([]any)), len(d.Events.All()))
}

func TestHostileBodiesOnEveryTicketEndpoint(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Target")
		before := state(d, agent, tk)
		huge := `{"body": "` + strings.Repeat("a", 1<<20+10) + `"}`

		for _, ep := range bodyEndpoints(tk, agent.ID) {
			c := agent
			if ep.customer {
				c = customer
			}
			withExtra := map[string]any{"hack": 1}
			for k, v := range ep.valid {
				withExtra[k] = v
			}
			c.Do("POST", ep.path, withExtra).Want(422).FieldError("hack")
			for field, v := range ep.wrong {
				body := map[string]any{}
				for k, v := range ep.valid {
					body[k] = v
				}
				body[field] = v
				c.Do("POST", ep.path, body).Want(422).FieldError(field)
			}
			valid, _ := json.Marshal(ep.valid)
			for name, raw := range map[string]string{
				"invalid JSON":      `{"body": `,
				"empty body":        ``,
				"whitespace":        "  \n ",
				"array":             `[` + string(valid) + `]`,
				"null":              `null`,
				"string":            `"body"`,
				"number":            `5`,
				"trailing garbage":  string(valid) + ` x`,
				"two objects":       string(valid) + string(valid),
				"raw NUL in string": "{\"body\": \"a\x00b\"}",
			} {
				r := c.Do("POST", ep.path, raw)
				if r.Status != 422 {
					t.Fatalf("POST %s with %s: status %d, want 422: %s", ep.path, name, r.Status, r.Body)
				}
				r.FieldError("body")
			}
			c.Do("POST", ep.path, huge).Want(413)
			// A field given twice, in any case, would lose one of its values: refused by name.
			for field, v := range ep.valid {
				first, _ := json.Marshal(v)
				for _, name := range []string{field, strings.ToUpper(field)} {
					raw := `{"` + name + `": ` + string(first) + `, ` + string(valid[1:])
					c.Do("POST", ep.path, raw).Want(422).FieldError(field)
				}
				break
			}
		}
		if after := state(d, agent, tk); after != before {
			t.Fatalf("hostile bodies changed the desk:\n before %s\n after  %s", before, after)
		}
	})
}

func TestHostileText(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Text")
		before := state(d, agent, tk)
		long := strings.Repeat("é", 70_000)

		customer.Do("POST", "/tickets", map[string]any{"subject": "a\x00b", "description": "d"}).Want(422).FieldError("subject")
		customer.Do("POST", "/tickets", map[string]any{"subject": "s", "description": "d\x00"}).Want(422).FieldError("description")
		customer.Do("POST", "/tickets", map[string]any{"subject": "s", "description": long}).Want(422).FieldError("description")
		customer.Do("POST", "/tickets", map[string]any{"subject": strings.Repeat("s", 256), "description": "d"}).Want(422).FieldError("subject")
		customer.Do("POST", "/tickets", map[string]any{"subject": " \t\n", "description": "d"}).Want(422).FieldError("subject")
		agent.Do("POST", "/agent/tickets", map[string]any{"subject": "s\x00", "description": "d"}).Want(422).FieldError("subject")
		for _, path := range []string{tk.path("/reply"), tk.path("/note")} {
			agent.Do("POST", path, map[string]any{"body": "x\x00y"}).Want(422).FieldError("body")
			agent.Do("POST", path, map[string]any{"body": long}).Want(422).FieldError("body")
		}
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": "\x00"}).Want(422).FieldError("body")
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": long}).Want(422).FieldError("body")
		agent.Do("POST", tk.path("/status"), map[string]any{"status": "open\x00"}).Want(422).FieldError("status")
		agent.Do("POST", tk.path("/status"), map[string]any{"status": "' OR 1=1 --"}).Want(422).FieldError("status")
		agent.Do("POST", tk.path("/status"), map[string]any{"status": strings.Repeat("x", 100_000)}).Want(422).FieldError("status")
		agent.Do("POST", tk.path("/priority"), map[string]any{"priority": "high'; DROP TABLE tickets; --"}).Want(422).FieldError("priority")
		if after := state(d, agent, tk); after != before {
			t.Fatalf("refused text changed the desk:\n before %s\n after  %s", before, after)
		}

		// Bytes that are not UTF-8 never reach the database as such: the reply is either
		// refused or stored as valid UTF-8.
		r := agent.Do("POST", tk.path("/reply"), "{\"body\": \"caf\xe9 \xff\xfe\"}").Want(201, 422)
		if r.Status == 201 {
			for _, reply := range agent.Do("GET", tk.path(""), nil).Want(200).Data()["replies"].([]any) {
				if body := reply.(map[string]any)["body"].(string); !utf8.ValidString(body) {
					t.Fatalf("stored reply is not UTF-8: %q", body)
				}
			}
		}
		// Text at the limit is accepted.
		agent.Do("POST", tk.path("/note"), map[string]any{"body": strings.Repeat("é", 65535)}).Want(201)
	})
}

// injections are query values that try to break out of a parameter, the LIKE pattern or the
// ORDER BY clause, or that no database accepts as text.
var injections = []string{
	"' OR 1=1 --", `" OR ""="`, "id;DROP TABLE tickets", "1; DROP TABLE tickets; --", "1) OR (1=1",
	"t.id", "created_at DESC, (SELECT 1)", "%", "_", `\`, "%' --", "\x00", "a\x00b", "\xff\xfe",
	"99999999999999999999", "-1", "0", "1e3", strings.Repeat("x", 5000),
}

var filterKeys = []string{
	"status", "priority", "assigned_to", "unassigned", "department_id", "tag", "search", "created_after",
	"created_before", "sla_breached", "ticket_type", "sort", "direction", "page", "per_page",
}

func TestHostileFiltersNeverBreakTheQueue(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Plain subject")
		before := state(d, agent, tk)
		for _, list := range []struct {
			c    *testdesk.Client
			path string
		}{{agent, "/agent/tickets"}, {customer, "/tickets"}} {
			for _, key := range filterKeys {
				for _, v := range injections {
					r := list.c.Do("GET", list.path+"?"+key+"="+url.QueryEscape(v), nil)
					switch r.Status {
					case 200:
						// "0" is a valid false for the switches, and a search finds a part of the
						// ticket's reference (ESC-00001); every other value matches nothing.
						valid := v == "0" && (key == "unassigned" || key == "sla_breached") ||
							key == "search" && strings.Contains(tk.Ref, v)
						if _, total := listSubjects(r); total != 0 && !valid {
							t.Fatalf("GET %s?%s=%q lists %d tickets", list.path, key, v, total)
						}
					case 422:
						r.FieldError(key)
					default:
						t.Fatalf("GET %s?%s=%q: status %d: %s", list.path, key, v, r.Status, r.Body)
					}
				}
			}
		}
		if after := state(d, agent, tk); after != before {
			t.Fatalf("hostile filters changed the desk:\n before %s\n after  %s", before, after)
		}
	})
}

func TestSortAndDirectionAreAllowListed(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		for _, v := range []string{"id;DROP TABLE tickets", "t.id", "subject ASC", "SUBJECT", "password_hash", "1"} {
			agent.Do("GET", "/agent/tickets?sort="+url.QueryEscape(v), nil).Want(422).FieldError("sort")
		}
		for _, v := range []string{"up", "asc;", "ASC, id"} {
			agent.Do("GET", "/agent/tickets?direction="+url.QueryEscape(v), nil).Want(422).FieldError("direction")
		}
	})
}

// TestUnknownTicketKeysAreNotFound: every ticket route answers 404 for an id or reference
// that names no ticket the caller may see, whatever its shape.
func TestUnknownTicketKeysAreNotFound(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Exists")
		before := state(d, agent, tk)
		keys := []string{
			"2", "999999", "-1", "0", "99999999999999999999", "9223372036854775808", "ABC-00001", "ESC-99999",
			"ESC-", "-00001", "ESC-00001x", "ESC--00001", "1.0", "0x1", "+1", "%00", "%ff",
			"ESC-00001%00", url.PathEscape("' OR 1=1 --"), url.PathEscape("1;DROP TABLE tickets"),
			strings.Repeat("9", 100), url.PathEscape(strings.Repeat("ESC-", 30)),
		}
		routes := []struct {
			customer     bool
			method, path string
			body         any
		}{
			{true, "GET", "/tickets/%s", nil},
			{true, "POST", "/tickets/%s/reply", map[string]any{"body": "x"}},
			{true, "POST", "/tickets/%s/close", nil},
			{true, "POST", "/tickets/%s/reopen", nil},
			{false, "GET", "/agent/tickets/%s", nil},
			{false, "POST", "/agent/tickets/%s/reply", map[string]any{"body": "x"}},
			{false, "POST", "/agent/tickets/%s/note", map[string]any{"body": "x"}},
			{false, "POST", "/agent/tickets/%s/assign", map[string]any{"agent_id": agent.ID}},
			{false, "POST", "/agent/tickets/%s/status", map[string]any{"status": "in_progress"}},
			{false, "POST", "/agent/tickets/%s/priority", map[string]any{"priority": "high"}},
			{false, "POST", "/agent/tickets/%s/department", map[string]any{"department_id": nil}},
			{false, "POST", "/agent/tickets/%s/tags", map[string]any{"tag_ids": []int{1}}},
			{false, "DELETE", "/agent/tickets/%s/tags/1", nil},
		}
		for _, rt := range routes {
			c := agent
			if rt.customer {
				c = customer
			}
			for _, key := range keys {
				r := c.Do(rt.method, fmt.Sprintf(rt.path, key), rt.body)
				if r.Status != 404 {
					t.Fatalf("%s %s: status %d, want 404: %s", rt.method, fmt.Sprintf(rt.path, key), r.Status, r.Body)
				}
			}
		}
		// A tag id that names no tag is not found either, not a tag_ids field in error.
		for _, tag := range []string{"0", "-1", "x", "99999999999999999999", "999999", "9223372036854775807"} {
			agent.Do("DELETE", tk.path("/tags/"+tag), nil).Want(404)
		}
		if after := state(d, agent, tk); after != before {
			t.Fatalf("requests for unknown tickets changed the desk:\n before %s\n after  %s", before, after)
		}
		// The known ticket answers to its id, its reference and its reference in lower case.
		for _, key := range []string{fmt.Sprint(tk.ID), tk.Ref, strings.ToLower(tk.Ref)} {
			agent.Do("GET", "/agent/tickets/"+key, nil).Want(200)
			customer.Do("GET", "/tickets/"+key, nil).Want(200)
		}
	})
}

func TestWrongMethodIs405(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Methods")
		for _, c := range []struct {
			client       *testdesk.Client
			method, path string
			allow        string
		}{
			{customer, "PUT", "/tickets", "GET, HEAD, POST"},
			{customer, "DELETE", tk.own(""), "GET, HEAD"},
			{customer, "GET", tk.own("/reply"), "POST"},
			{customer, "GET", tk.own("/close"), "POST"},
			{agent, "POST", tk.path(""), "GET, HEAD"},
			{agent, "PATCH", tk.path("/status"), "POST"},
			{agent, "GET", tk.path("/assign"), "POST"},
			{agent, "PUT", tk.path("/tags"), "POST"},
			{agent, "POST", tk.path("/tags/1"), "DELETE"},
			{agent, "DELETE", "/agent/tickets", "GET, HEAD, POST"},
		} {
			r := c.client.Do(c.method, c.path, nil).Want(405)
			if got := r.Header.Get("Allow"); got != c.allow {
				t.Fatalf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
			}
			if msg, _ := r.JSON()["message"].(string); msg == "" {
				t.Fatalf("%s %s: 405 without a JSON message: %s", c.method, c.path, r.Body)
			}
		}
		// A path no route has is still a 404.
		agent.Do("GET", "/agent/tickets/"+tk.Ref+"/nothing", nil).Want(404)
		agent.Do("PUT", "/agent/nothing", nil).Want(404)
	})
}

func TestSignedOutCallersGet401(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		tk := open(d.User("customer"), "Private")
		anon := d.Anonymous()
		anon.Do("GET", "/tickets", nil).Want(401)
		anon.Do("GET", tk.own(""), nil).Want(401)
		anon.Do("POST", tk.own("/reply"), map[string]any{"body": "x"}).Want(401)
		anon.Do("GET", "/agent/tickets", nil).Want(401)
		anon.Do("POST", tk.path("/assign"), map[string]any{"agent_id": nil}).Want(401)
	})
}

// TestTicketActionsTakeNoFields: closing, reopening and waking a ticket act on the ticket
// alone. Their body may be left out or be {}; a field in it is refused by name, and broken
// JSON as such, without acting, rather than ignored.
func TestTicketActionsTakeNoFields(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent, admin := d.User("customer"), d.User("agent"), d.User("admin")
		tk := open(customer, "Actions")
		before := state(d, agent, tk)
		customer.Do("POST", tk.own("/close"), map[string]any{"reason": "Fixed it myself"}).Want(422).FieldError("reason")
		customer.Do("POST", tk.own("/close"), `{`).Want(422).FieldError("body")
		customer.Do("POST", tk.own("/close"), `null`).Want(422).FieldError("body")
		if after := state(d, agent, tk); after != before {
			t.Fatalf("refused closes changed the ticket:\n before %s\n after  %s", before, after)
		}
		customer.Do("POST", tk.own("/close"), `{}`).Want(200)
		customer.Do("POST", tk.own("/reopen"), map[string]any{"reason": "Broke again"}).Want(422).FieldError("reason")
		customer.Do("POST", tk.own("/reopen"), nil).Want(200)

		agent.Do("POST", tk.path("/snooze"), map[string]any{"duration_minutes": 60}).Want(200)
		for _, path := range []string{tk.path("/unsnooze"), "/admin/tickets/" + tk.Ref + "/unsnooze"} {
			admin.Do("POST", path, map[string]any{"until": "2026-03-02T12:00:00Z"}).Want(422).FieldError("until")
			admin.Do("POST", path, `[]`).Want(422).FieldError("body")
		}
		if got := agent.Do("GET", tk.path(""), nil).Want(200).Data(); got["is_snoozed"] != true {
			t.Fatalf("a refused wake-up woke the ticket: %v", got["is_snoozed"])
		}
		agent.Do("POST", tk.path("/unsnooze"), `{}`).Want(200)
	})
}
