package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/web"
)

// hostilePathValues replace one path parameter at a time. None names an object, so every
// route must answer 4xx (404 for one that reads no body), never 5xx.
var hostilePathValues = []string{
	"0", "-1", "99999999999999999999", "9223372036854775807", "abc", "1.5", "%00", "%27%20OR%201=1--",
	strings.Repeat("x", 300),
}

// hostileQueries are added to every GET route: bad page numbers, huge pages, SQL as a sort key,
// PHP-style arrays, NUL, repeated and unknown keys, a broken escape. Known keys may be refused
// with a 422 that names them; unknown ones are ignored, as the shared frontend sends them all.
var hostileQueries = []string{
	"page=-1", "page=abc", "page=99999999999999999999", "per_page=100000", "per_page=0",
	"sort=" + url.QueryEscape("drop table"), "direction=sideways", "status[]=x", "status=open&status=closed",
	"search=%00", "q=%00", "search=" + strings.Repeat("x", 300), "page=1&page=2&page=abc",
	"zz_unknown_filter=1", "department_id=99999999999999999999", "days=abc", "unread=maybe", "%zz=1",
	// The filters of one list or another: ids past int32 and int64, dates that are none.
	"user_id=9223372036854775807", "assigned_to=9223372036854775807", "tag=2147483648",
	"workflow=9223372036854775807", "days=99999999999999999999", "date_from=2026-13-45", "date_to=%00",
	"action=%00", "auditable_type=%00", "created_after=0000-01-01", "created_before=9999-12-31",
	"created_after=0000-01-01T00:00:00Z", "created_before=9999-12-31T23:00:00-05:00", "date_from=0000-01-01",
	"date_to=9999-12-31",
}

// hostileBodies are raw JSON bodies no route accepts.
var hostileBodies = []struct{ name, body string }{
	{"cut-off JSON", `{`},
	{"null", `null`},
	{"an array", `[]`},
	{"a string", `"text"`},
	{"two objects", `{} {}`},
}

// wrongTypes gives the fields most routes take values of the wrong type.
const wrongTypes = `{"name": {}, "subject": [1], "body": 5, "status": false, "priority": 7, "value": {"a": []}}`

// ignoresBody lists the POST routes that read no request body at all, with why that is
// right. Every DELETE route reads none either: content in a DELETE has no defined meaning
// (RFC 9110 §9.3.5) and no client of the desk sends one. The walk checks only that no body
// makes them fail. Every other route that is not a GET reads a JSON object (or a form) and
// refuses anything else, an unknown field by its name (see docs/decisions.md).
var ignoresBody = map[string]string{
	"POST /logout": "signing out must work whatever comes with it: a host's plain HTML form " +
		"posts its own fields (a CSRF token, say), and refusing them would leave the person signed in",
}

// takesNoFields lists the routes that act on their path alone yet read their body: it may be
// empty or {}, and any field in it is refused by name, so nothing a client sends is lost.
var takesNoFields = map[string]bool{
	"POST /tickets/{ticket}/close":                                   true,
	"POST /tickets/{ticket}/reopen":                                  true,
	"POST /agent/tickets/{ticket}/follow":                            true,
	"POST /agent/tickets/{ticket}/unsnooze":                          true,
	"POST /agent/notifications/read-all":                             true,
	"POST /agent/notifications/{notification}/read":                  true,
	"POST /admin/settings/two-factor/setup":                          true,
	"POST /admin/tickets/{ticket}/unsnooze":                          true,
	"POST /admin/tickets/{ticket}/follow":                            true,
	"POST /admin/escalation-rules/run":                               true,
	"POST /admin/automations/run":                                    true,
	"POST /admin/webhooks/deliveries/{delivery}/retry":               true,
	"POST /admin/webhooks/{webhook}/test":                            true,
	"POST /admin/webhooks/{webhook}/deliveries/{delivery}/redeliver": true,
	"POST /api/v1/auth/validate":                                     true,
	"POST /api/v1/tickets/{reference}/follow":                        true,
}

// TestEveryRouteSurvivesHostileInput walks the route table as a caller that passes each
// route's guard (an admin's session, a half-signed-in session for the second factor's routes,
// a token with every ability for the API, nobody for public routes) and sends hostile input:
// path parameters that name nothing, hostile query strings on every GET, and hostile bodies,
// JSON and multipart, on every route that takes one. No answer may be a 5xx; errors are JSON
// {message, errors}, a 422 names its field, and an unknown field is refused by name. The walk
// runs the routes that remove things last, so the others see live objects.
func TestEveryRouteSurvivesHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, customer := d.User("admin"), d.User("customer")
		enrol(t, d, admin)
		// The admin is the requester, so the customer routes reach the ticket too.
		tk := open(admin, "Hostile walk")
		params := routeParams(t, admin, customer, tk)
		half := halfSignIn(t, d, admin.Email)
		api := d.Bearer(tokenFor(t, admin, "*"))
		// routeParams names a notification and a delivery that do not exist; these do, so
		// the routes that act on one get as far as their body.
		admin.Do("POST", "/admin/escalation-rules", map[string]any{"name": "Tell me",
			"conditions": []map[string]any{{"field": "status", "value": "open"}},
			"actions":    []map[string]any{{"type": "notify", "value": []int64{admin.ID}}}}).Want(201)
		admin.Do("POST", "/admin/escalation-rules/run", nil).Want(200)
		inbox := admin.Do("GET", "/agent/notifications", nil).Want(200).JSON()["data"].([]any)
		if len(inbox) == 0 {
			t.Fatal("no notification to walk the notification routes with")
		}
		params["notification"] = fmt.Sprint(inbox[0].(map[string]any)["id"])
		params["delivery"] = fmt.Sprint(insertDelivery(t, d, params["webhook"]))
		// One file of at most 1 KiB per upload, so a multipart body past its limit is small.
		admin.Do("POST", "/admin/settings", map[string]any{"max_attachments_per_reply": 1, "max_attachment_size_kb": 1}).Want(200)
		const multipartLimit = 1<<20 + 1<<10
		huge := `{"body": "` + strings.Repeat("a", 1<<20) + `"}`
		hugeForm := strings.Repeat("a", multipartLimit+1<<16)

		// Public routes are called by a new nobody each time: a hostile field on a valid
		// sign-in may sign its caller in.
		caller := func(rt web.Route) *testdesk.Client {
			switch rt.Guard.Kind {
			case "public":
				return d.Anonymous()
			case "two_factor":
				return half
			case "token":
				return api
			}
			return admin
		}
		fill := func(rt web.Route, over map[string]string) string {
			path := strings.ReplaceAll(rt.Path, "{$}", "")
			for strings.Contains(path, "{") {
				open, end := strings.Index(path, "{"), strings.Index(path, "}")
				name := path[open+1 : end]
				v, ok := over[name]
				if !ok {
					v, ok = params[name]
				}
				if !ok {
					t.Fatalf("%s %s: routeParams has no value for {%s}", rt.Method, rt.Path, name)
				}
				path = path[:open] + v + path[end+1:]
			}
			return path
		}

		pairs := 0
		routesSeen := map[string]bool{}
		// check sends one request and checks what every answer must be; it returns the answer
		// for the checks that depend on the route.
		check := func(rt web.Route, c *testdesk.Client, what string, send func() *testdesk.Response) *testdesk.Response {
			t.Helper()
			pairs++
			routesSeen[rt.Method+" "+rt.Path] = true
			r := send()
			if r.Status >= 500 {
				t.Errorf("%s %s with %s: %d: %s", rt.Method, rt.Path, what, r.Status, r.Body)
				return r
			}
			if r.Status >= 400 {
				errorShape(t, rt, what, r)
			}
			return r
		}

		routes := d.Handler().(*web.Server).Routes()
		var deletes, rest []web.Route
		for _, rt := range routes {
			if rt.Method == "DELETE" {
				deletes = append(deletes, rt)
			} else {
				rest = append(rest, rt)
			}
		}

		// 1. Path parameters that name nothing. Nothing is found, so nothing is changed, and the
		// DELETE routes are safe here.
		for _, rt := range routes {
			c := caller(rt)
			for _, name := range pathParams(rt.Path) {
				if name == "$" {
					continue
				}
				for _, v := range hostilePathValues {
					path := fill(rt, map[string]string{name: v})
					var body any
					if takesBody(rt) {
						body = map[string]any{}
					}
					r := check(rt, c, fmt.Sprintf("{%s}=%q", name, v), func() *testdesk.Response { return c.Do(rt.Method, path, body) })
					switch {
					case r.Status >= 500:
					case r.Status < 400:
						t.Errorf("%s %s with {%s}=%q: %d, want 4xx: %s", rt.Method, rt.Path, name, v, r.Status, r.Body)
					case body == nil && r.Status != 404:
						t.Errorf("%s %s with {%s}=%q: %d, want 404: %s", rt.Method, rt.Path, name, v, r.Status, r.Body)
					}
					// The web UI's visit to a page renders the Error page, from the same props
					// builders that answer JSON with data.
					if rt.Method == "GET" && rt.UI.Page != "" {
						pairs++
						if r := c.Inertia("GET", path, nil); r.Status != 404 {
							t.Errorf("Inertia GET %s with {%s}=%q: %d, want 404: %.300s", rt.Path, name, v, r.Status, r.Body)
						}
					}
				}
			}
		}

		// 2. Hostile query strings on every GET route.
		for _, rt := range rest {
			if rt.Method != "GET" {
				continue
			}
			c := caller(rt)
			path := fill(rt, nil)
			// A query changes nothing about who may ask: the answer is the one without it, or
			// a 422 naming a parameter.
			base := c.Do("GET", path, nil).Status
			for _, q := range hostileQueries {
				r := check(rt, c, "?"+q, func() *testdesk.Response { return c.Do("GET", path+"?"+q, nil) })
				// A filter naming an object that is not there may be a 404 too.
				if r.Status < 500 && r.Status != base && r.Status != 422 && r.Status != 404 {
					t.Errorf("GET %s?%s: %d, want %d, 404 or 422: %s", rt.Path, q, r.Status, base, r.Body)
				}
				if rt.UI.Page != "" {
					pairs++
					if r := c.Inertia("GET", path+"?"+q, nil); r.Status >= 500 {
						t.Errorf("Inertia GET %s?%s: %d: %.300s", rt.Path, q, r.Status, r.Body)
					}
				}
			}
		}

		// 3. Hostile bodies on every route that takes one; 4. the DELETE routes, last.
		for _, rt := range rest {
			if !takesBody(rt) {
				continue
			}
			c := caller(rt)
			path := fill(rt, nil)
			key := rt.Method + " " + rt.Path
			_, ignores := ignoresBody[key]
			refused := func(what string, r *testdesk.Response, status int, field string) {
				t.Helper()
				if ignores || r.Status >= 500 {
					return
				}
				if r.Status != status {
					t.Errorf("%s with %s: %d, want %d: %s", key, what, r.Status, status, r.Body)
					return
				}
				if field != "" && !hasFieldError(r, field) {
					t.Errorf("%s with %s: the 422 does not name %q: %s", key, what, field, r.Body)
				}
			}
			for _, b := range hostileBodies {
				r := check(rt, c, b.name, func() *testdesk.Response { return c.Do(rt.Method, path, b.body) })
				refused(b.name, r, 422, "body")
			}
			r := check(rt, c, "an unknown field", func() *testdesk.Response { return c.Do(rt.Method, path, `{"zz_unknown_field": 1}`) })
			refused("an unknown field", r, 422, "zz_unknown_field")
			if ignores && r.Status == 422 {
				t.Errorf("%s is listed in ignoresBody, yet refuses an unknown field: %s", key, r.Body)
			}
			r = check(rt, c, "fields of the wrong type", func() *testdesk.Response { return c.Do(rt.Method, path, wrongTypes) })
			refused("fields of the wrong type", r, 422, "")
			r = check(rt, c, "a body past the limit", func() *testdesk.Response { return c.Do(rt.Method, path, huge) })
			refused("a body past the limit", r, 413, "")

			// The same as a form. A route that takes forms names the unknown field; one that
			// takes only JSON refuses the content type, naming body.
			ct, form := multipartForm([][2]string{{"zz_unknown_field", "1"}})
			r = check(rt, c, "a form with an unknown field", func() *testdesk.Response { return c.Send(rt.Method, path, ct, form) })
			takesForms := hasFieldError(r, "zz_unknown_field")
			if !takesForms {
				refused("a form with an unknown field", r, 422, "body")
			}
			ct, form = multipartForm(nil, upload{field: "body", name: "a.txt", content: "x"}, upload{field: "subject", name: "b.txt", content: "y"})
			r = check(rt, c, "a form with files in text fields", func() *testdesk.Response { return c.Send(rt.Method, path, ct, form) })
			refused("a form with files in text fields", r, 422, "")
			r = check(rt, c, "a broken form", func() *testdesk.Response {
				return c.Send(rt.Method, path, "multipart/form-data; boundary=xyz", []byte("--xyz\r\nnot a part"))
			})
			refused("a broken form", r, 422, "body")
			r = check(rt, c, "a form without a boundary", func() *testdesk.Response {
				return c.Send(rt.Method, path, "multipart/form-data", []byte("zz"))
			})
			refused("a form without a boundary", r, 422, "body")
			ct, form = multipartForm(nil, upload{name: "big.txt", content: hugeForm})
			r = check(rt, c, "a form past the limit", func() *testdesk.Response { return c.Send(rt.Method, path, ct, form) })
			if takesForms || r.Status == 413 {
				// A route that reads only JSON may refuse the content type before or after
				// the size.
				refused("a form past the limit", r, 413, "")
			} else {
				refused("a form past the limit", r, 422, "body")
			}
			// The web UI's form posts turn refusals into redirects with the errors.
			for _, b := range []string{`{`, `{"zz_unknown_field": 1}`, wrongTypes} {
				pairs++
				if r := c.Inertia(rt.Method, path, b); r.Status >= 500 {
					t.Errorf("Inertia %s with %s: %d: %.300s", key, b, r.Status, r.Body)
				}
			}
			for _, other := range []string{"text/plain", "application/x-www-form-urlencoded"} {
				r = check(rt, c, other, func() *testdesk.Response {
					return c.Send(rt.Method, path, other, []byte("subject=x&zz_unknown_field=1"))
				})
				refused(other, r, 422, "body")
			}
			// A route that takes no fields still takes no body, or {}, as the web UI sends.
			if takesNoFields[key] {
				for _, b := range []any{nil, `{}`, " \n"} {
					r = check(rt, c, fmt.Sprintf("the body %q", b), func() *testdesk.Response { return c.Do(rt.Method, path, b) })
					if r.Status == 413 || r.Status == 422 {
						t.Errorf("%s refuses the body %q it should take: %s", key, b, r.Body)
					}
				}
			}
		}

		// 3b. Hostile values of the right JSON type, field by field: NUL, text far past any
		// limit, numbers past int32 and int64, negative ones, and the same inside lists and
		// objects. A probe {field: null, "zz_probe": 1} finds the fields a route knows without
		// running it (the strict decoder stops at the first unknown field); each known field
		// then gets every value, on top of a valid body where the route needs one.
		settings := admin.Do("GET", "/admin/settings", nil).Want(200).Data()
		fields := slices.Clone(commonFields)
		for k := range settings {
			fields = append(fields, k)
		}
		slices.Sort(fields)
		fields = slices.Compact(fields)
		for _, rt := range rest {
			if !takesBody(rt) {
				continue
			}
			key := rt.Method + " " + rt.Path
			if _, ok := ignoresBody[key]; ok {
				continue
			}
			c := caller(rt)
			path := fill(rt, nil)
			var known []string
			for _, f := range fields {
				probe, _ := json.Marshal(map[string]any{f: nil, "zz_probe": 1})
				r := c.Do(rt.Method, path, string(probe))
				if r.Status >= 500 {
					t.Errorf("%s with the probe %s: %d: %s", key, probe, r.Status, r.Body)
					continue
				}
				if !unknownField(r, f) {
					known = append(known, f)
				}
			}
			if len(known) == 0 && !takesNoFields[key] {
				t.Errorf("%s: no field of the walk's list is known to it; add its fields to commonFields", key)
			}
			for _, f := range known {
				for _, v := range hostileValues {
					body := map[string]any{}
					if base, ok := validBodies(admin, customer)[key]; ok {
						body = base
					}
					body[f] = v
					raw, _ := json.Marshal(body)
					what := fmt.Sprintf("%s = %.60s", f, mustJSON(v))
					r := check(rt, c, what, func() *testdesk.Response { return c.Do(rt.Method, path, raw) })
					if r.Status == 422 && !namesOnly(r, f, known) {
						t.Errorf("%s with %s: a 422 that names neither %s nor another field of the route: %s", key, what, f, r.Body)
					}
				}
			}
		}

		// 4. DELETE routes last, with every hostile body: they read none (see ignoresBody), so
		// the first removes its object and the rest find nothing; none may fail. The API token
		// route gets a token of its own rather than the guest token routeParams names, and the
		// status route a status of its own (the seeded ones may not be removed). No POST
		// removes anything a later route needs: logout is called as nobody, and two-factor
		// disable and the bulk delete get no valid body.
		doomedID, _ := createToken(t, admin, map[string]any{"name": "doomed", "abilities": []string{"ticket.view"}})
		admin.Do("POST", "/admin/statuses", map[string]any{"slug": "doomed", "name": "Doomed", "category": "on_hold"}).Want(201)
		for _, rt := range deletes {
			c := caller(rt)
			over := map[string]string{}
			switch rt.Path {
			case "/admin/api-tokens/{token}":
				over["token"] = fmt.Sprint(doomedID)
			case "/admin/statuses/{status}":
				over["status"] = "doomed"
			}
			if rt.Path == "/agent/tickets/{ticket}/tags/{tag}" {
				admin.Do("POST", tk.path("/tags"), fmt.Sprintf(`{"tag_ids": [%s]}`, params["tag"])).Want(200)
			}
			path := fill(rt, over)
			bodies := append(slices.Clone(hostileBodies), struct{ name, body string }{"an unknown field", `{"zz_unknown_field": 1}`},
				struct{ name, body string }{"fields of the wrong type", wrongTypes}, struct{ name, body string }{"a body past the limit", huge})
			statuses := []int{}
			for _, b := range bodies {
				r := check(rt, c, b.name, func() *testdesk.Response { return c.Do("DELETE", path, b.body) })
				statuses = append(statuses, r.Status)
			}
			if statuses[0] >= 300 {
				t.Errorf("DELETE %s: %d for a live object with a body it should ignore", rt.Path, statuses[0])
			}
		}

		if len(routesSeen) < 170 || pairs < 10000 {
			t.Fatalf("checked %d routes and %d route × input pairs; the route table looks short", len(routesSeen), pairs)
		}
		t.Logf("checked %d routes and %d route × input pairs", len(routesSeen), pairs)
	})
}

// commonFields are the request fields the routes take (their input structs' JSON names);
// the settings keys are added from the desk's own list.
var commonFields = []string{
	"abilities", "action", "actions", "active", "agent_id", "agent_ids", "body", "business_hours_only",
	"business_schedule_id", "category", "channel", "code", "color", "conditions", "date", "day", "days",
	"department_id", "department_ids", "description", "duration_minutes", "email", "end", "events",
	"expires_at", "field", "first_response_hours", "holidays", "is_active", "is_default", "is_internal_note",
	"is_shared", "macro_id", "name", "operator", "password", "pause_on_waiting", "permissions", "position",
	"priority", "recovery_code", "recurring", "remember", "requester_email", "requester_id", "requester_name",
	"resolution_hours", "role", "schedule", "secret", "slug", "start", "status", "subject", "tag_ids",
	"ticket_ids", "ticket_type", "timezone", "title", "transitions", "trigger", "type", "until", "url",
	"user_id", "value", "warning_minutes",
}

// hostileValues are of every JSON type, so each field gets some of its own type.
var hostileValues = []any{
	"a\x00b", "", strings.Repeat("é", 70_000), " ", "-1", "99999999999999999999",
	// Times and dates PostgreSQL cannot store, or only just.
	"0000-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00", "0000-01-01", "9999-12-31",
	json.Number("9223372036854775807"), json.Number("-9223372036854775808"), json.Number("2147483648"),
	-1, 0, 1e300, 1.5, true,
	[]any{"a\x00b"}, []any{json.Number("9223372036854775807")}, []any{json.Number("2147483648")}, []any{-1}, []any{nil},
	map[string]any{"a\x00b": "a\x00b", "low": json.Number("9223372036854775807"), "medium": -1},
	[]any{map[string]any{"field": "a\x00b", "operator": "a\x00b", "value": "a\x00b", "type": "a\x00b",
		"day": json.Number("9223372036854775807"), "start": "25:99", "end": "a\x00b", "date": "2026-02-30", "name": "a\x00b"}},
}

// validBodies are bodies the routes that create things accept, for a hostile field to ride on.
func validBodies(admin, customer *testdesk.Client) map[string]map[string]any {
	ticket := func() map[string]any { return map[string]any{"subject": "s", "description": "d"} }
	return map[string]map[string]any{
		"POST /tickets":                       ticket(),
		"POST /agent/tickets":                 {"subject": "s", "description": "d", "requester_id": customer.ID},
		"POST /api/v1/tickets":                ticket(),
		"POST /guest":                         {"name": "G", "email": "g@example.test", "subject": "s", "description": "d"},
		"POST /login":                         {"email": customer.Email, "password": testdesk.Password},
		"POST /admin/departments":             {"name": "Walk"},
		"POST /admin/tags":                    {"name": "walk"},
		"POST /admin/roles":                   {"slug": "walk", "name": "Walk", "permissions": []string{"ticket.view"}},
		"POST /admin/users":                   {"name": "Walk", "email": "walk@example.test", "password": "password1"},
		"POST /admin/statuses":                {"slug": "walk", "name": "Walk", "category": "open"},
		"POST /admin/business-hours":          officeHours("Walk"),
		"POST /admin/sla-policies":            slaPolicyBody("Walk", nil),
		"POST /admin/macros":                  {"name": "Walk", "actions": []map[string]any{{"type": "priority", "value": "low"}}},
		"POST /admin/canned-responses":        {"title": "Walk", "body": "b"},
		"POST /admin/escalation-rules":        {"name": "Walk", "conditions": []map[string]any{{"field": "age_hours", "value": 2}}, "actions": []map[string]any{{"type": "escalate"}}},
		"POST /admin/automations":             {"name": "Walk", "conditions": []map[string]any{{"field": "hours_since_updated", "operator": ">", "value": 48}}, "actions": []map[string]any{{"type": "change_priority", "value": "low"}}},
		"POST /admin/webhooks":                {"url": "https://hooks.example.com/walk", "events": []string{"ticket.created"}},
		"POST /admin/workflows":               {"name": "Walk", "trigger": "ticket.created", "actions": []map[string]any{{"type": "change_priority", "value": "high"}}},
		"POST /admin/api-tokens":              {"name": "walk", "abilities": []string{"ticket.view"}},
		"POST /agent/tickets/bulk":            {"ticket_ids": []int64{1}, "action": "priority", "value": "high"},
		"POST /agent/tickets/{ticket}/snooze": {"duration_minutes": 60},
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// namesOnly says whether a 422 names field (or a part of it, as field.0.date) or, for a rule
// across fields, others the route takes.
func namesOnly(r *testdesk.Response, field string, known []string) bool {
	var body struct {
		Errors map[string][]string `json:"errors"`
	}
	json.Unmarshal(r.Body, &body)
	for k := range body.Errors {
		if k != field && !strings.HasPrefix(k, field+".") && !slices.Contains(known, k) {
			return false
		}
	}
	return true
}

// unknownField says whether the answer refuses field as one the route does not take.
func unknownField(r *testdesk.Response, field string) bool {
	if !hasFieldError(r, field) {
		return false
	}
	var body struct {
		Errors map[string][]string `json:"errors"`
	}
	json.Unmarshal(r.Body, &body)
	return strings.Contains(body.Errors[field][0], "not accepted")
}

// insertDelivery writes a failed delivery of the webhook straight into the database: only
// the job that sends a webhook makes one, and the walk runs no jobs.
func insertDelivery(t *testing.T, d *testdesk.Desk, webhook string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Open(ctx, d.Config().Database)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	webhookID, err := strconv.ParseInt(webhook, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = conn.W.NewRaw(`INSERT INTO webhook_deliveries (webhook_id, event, message_id, attempt, status, body, created_at)
		VALUES (?, 'ticket.created', 'msg_walk', 1, 'failed', '{}', ?) RETURNING id`, webhookID, d.Clock.Now()).Scan(ctx, &id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// takesBody says whether the walk sends the route bodies: every method but GET, HEAD and
// DELETE.
func takesBody(rt web.Route) bool {
	return rt.Method != "GET" && rt.Method != "HEAD" && rt.Method != "DELETE"
}

// pathParams lists the names of a route path's {parameters}.
func pathParams(path string) []string {
	var out []string
	for rest := path; strings.Contains(rest, "{"); {
		open, end := strings.Index(rest, "{"), strings.Index(rest, "}")
		out = append(out, rest[open+1:end])
		rest = rest[end+1:]
	}
	return out
}

// errorShape checks an error answer is rule 4's JSON: {"message": text, "errors": {field:
// [text]}}, errors required on a 422.
func errorShape(t *testing.T, rt web.Route, what string, r *testdesk.Response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s with %s: %d as %q, not JSON: %.200s", rt.Method, rt.Path, what, r.Status, ct, r.Body)
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Errorf("%s %s with %s: %d body is not a JSON object: %.200s", rt.Method, rt.Path, what, r.Status, r.Body)
		return
	}
	var msg string
	if json.Unmarshal(body["message"], &msg) != nil || msg == "" {
		t.Errorf("%s %s with %s: %d without a message: %s", rt.Method, rt.Path, what, r.Status, r.Body)
	}
	for k := range body {
		if !slices.Contains([]string{"message", "errors", "allowed_transitions"}, k) {
			t.Errorf("%s %s with %s: %d has a key %q besides message and errors: %s", rt.Method, rt.Path, what, r.Status, k, r.Body)
		}
	}
	var errs map[string][]string
	if raw, ok := body["errors"]; ok {
		if json.Unmarshal(raw, &errs) != nil {
			t.Errorf("%s %s with %s: errors is not {field: [messages]}: %s", rt.Method, rt.Path, what, r.Body)
		}
	}
	if r.Status == 422 && len(errs) == 0 {
		t.Errorf("%s %s with %s: a 422 that names no field: %s", rt.Method, rt.Path, what, r.Body)
	}
	for field, msgs := range errs {
		if field == "" || len(msgs) == 0 || msgs[0] == "" {
			t.Errorf("%s %s with %s: an empty field error: %s", rt.Method, rt.Path, what, r.Body)
		}
	}
}

// hasFieldError says whether the answer is a 422 naming field.
func hasFieldError(r *testdesk.Response, field string) bool {
	if r.Status != 422 {
		return false
	}
	var body struct {
		Errors map[string][]string `json:"errors"`
	}
	return json.Unmarshal(r.Body, &body) == nil && len(body.Errors[field]) > 0
}
