package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/web"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	d := limitedDesk(t, dbtest.SQLiteURL(t), escalated.RateLimits{PerMinute: 100, Login: 10, TwoFactor: 5})
	agent := d.User("agent")
	enrol(t, d, agent)
	d.Clock.Advance(time.Minute)
	half := halfSignIn(t, d, agent.Email)
	crossSite := d.User("customer")
	crossSite.Header.Set("Sec-Fetch-Site", "cross-site")
	leaving := d.User("customer")
	anon := d.Anonymous()
	var limited *testdesk.Response
	for range 11 {
		if limited = login(anon, "nobody@example.test", "wrong"); limited.Status == 429 {
			break
		}
	}

	responses := map[string]*testdesk.Response{
		"200":                       agent.Do("GET", "/me", nil).Want(200),
		"204":                       leaving.Do("POST", "/logout", nil).Want(204),
		"401":                       anon.Do("GET", "/me", nil).Want(401),
		"401 owing a second factor": half.Do("GET", "/me", nil).Want(401),
		"403":                       agent.Do("GET", "/admin/audit-logs", nil).Want(403),
		"403 cross-origin":          crossSite.Do("POST", "/tickets", map[string]any{"subject": "x", "description": "y"}).Want(403),
		"404":                       anon.Do("GET", "/no/such/page", nil).Want(404),
		"405":                       anon.Do("DELETE", "/healthz", nil).Want(405),
		"422":                       agent.Do("POST", "/agent/tickets", "{").Want(422),
		"429":                       limited.Want(429),
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
			"frame-ancestors 'self'; object-src 'none'; base-uri 'self'; form-action 'self'",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "SAMEORIGIN",
	}
	for name, res := range responses {
		for h, v := range want {
			if got := res.Header.Get(h); got != v {
				t.Errorf("%s: %s = %q, want %q", name, h, got, v)
			}
		}
	}
}

func TestCrossOriginWritesAreRefused(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer := d.User("customer")
		ticketCount := func() int {
			_, total := listSubjects(customer.Do("GET", "/tickets", nil))
			return total
		}
		post := func(header, value string) *testdesk.Response {
			customer.Header = map[string][]string{header: {value}}
			defer func() { customer.Header = map[string][]string{} }()
			return customer.Do("POST", "/tickets", map[string]any{"subject": "From " + value, "description": "Hi"})
		}
		for _, refused := range [][2]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
			{"Origin", "https://evil.example"},
		} {
			res := post(refused[0], refused[1]).Want(403)
			if msg := res.JSON()["message"]; msg != "Cross-origin request refused." {
				t.Fatalf("%v: message %v", refused, msg)
			}
		}
		if n := ticketCount(); n != 0 {
			t.Fatalf("%d tickets after refused cross-origin posts", n)
		}
		post("Sec-Fetch-Site", "same-origin").Want(201)
		post("Sec-Fetch-Site", "none").Want(201) // typed or bookmarked by the user
		post("Origin", d.Server.URL).Want(201)
		if n := ticketCount(); n != 3 {
			t.Fatalf("%d tickets after same-origin posts, want 3", n)
		}
		// Reads are safe from anywhere; sign-in is a write.
		customer.Header.Set("Sec-Fetch-Site", "cross-site")
		customer.Do("GET", "/tickets", nil).Want(200)
		login(customer, customer.Email, testdesk.Password).Want(403)
	})
}

// TestGetRoutesChangeNothing calls every GET route in the route table, and HEAD on each, as
// an admin with objects to show, and checks that no table changed. Sessions are left out:
// sliding their expiry on use is the point of them.
func TestGetRoutesChangeNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := testdesk.New(t, url)
		conn, err := db.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })

		admin, customer := d.User("admin"), d.User("customer")
		enrol(t, d, admin)
		// The admin is the requester, so the customer routes show the ticket to them too.
		tk := open(admin, "Walk the routes")
		params := routeParams(t, admin, customer, tk)

		half := halfSignIn(t, d, admin.Email)

		routes := d.Handler().(*web.Server).Routes()
		// The API takes a token; its first use records last_used_at, which happens here,
		// before the snapshot (the clock stands still, so it is not written again).
		api := d.Bearer(admin.Do("POST", "/admin/api-tokens", map[string]any{"name": "walker", "abilities": []string{"*"}}).Want(201).Data()["token"].(string))
		api.Do("GET", "/api/v1/dashboard", nil).Want(200)

		before := snapshot(t, conn)
		called := 0
		for _, rt := range routes {
			if rt.Method != "GET" {
				continue
			}
			path := strings.ReplaceAll(rt.Path, "{$}", "")
			for strings.Contains(path, "{") {
				open, end := strings.Index(path, "{"), strings.Index(path, "}")
				name := path[open+1 : end]
				v, ok := params[name]
				if !ok {
					t.Fatalf("%s %s: no test value for {%s}; add one to params", rt.Method, rt.Path, name)
				}
				path = path[:open] + v + path[end+1:]
			}
			// The second factor's page is for a session that owes it; the sign-in page sends
			// someone signed in home.
			c := admin
			switch rt.Guard.Kind {
			case "two_factor":
				c = half
			case "token":
				c = api
			}
			for _, method := range []string{"GET", "HEAD"} {
				c.Do(method, path, nil).Want(200)
				called++
			}
			if rt.UI.Page != "" {
				c.Inertia("GET", path, nil).Want(200, 303)
				called++
			}
		}
		after := snapshot(t, conn)
		for _, row := range before {
			if !slices.Contains(after, row) {
				t.Errorf("GET routes changed or removed %s", row)
			}
		}
		for _, row := range after {
			if !slices.Contains(before, row) {
				t.Errorf("GET routes wrote %s", row)
			}
		}
		if called < 40 {
			t.Fatalf("called %d GET/HEAD routes; the route table looks short", called)
		}
	})
}

// snapshot renders every row of every table but sessions and schema_migrations.
func snapshot(t *testing.T, conn *db.DB) []string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if conn.Dialect == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	if err := conn.R.NewRaw(q).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, table := range tables {
		if table == "sessions" || table == "schema_migrations" {
			continue
		}
		rows, err := conn.R.QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			out = append(out, fmt.Sprint(table, vals))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 20 {
		t.Fatalf("snapshot holds %d rows; it is not reading the tables", len(out))
	}
	return out
}

// routeParams makes one object of every kind a route names and returns a value for each path
// parameter of the route table: the ticket tk (with a note and a file), and objects created
// by admin. A route whose parameter has no entry here fails the tests that walk the table.
func routeParams(t *testing.T, admin, customer *testdesk.Client, tk ticket) map[string]string {
	t.Helper()
	id := func(r *testdesk.Response) string { return fmt.Sprint(r.Want(201).Data()["id"]) }
	params := map[string]string{
		"ticket":         tk.Ref,
		"department":     id(admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales"})),
		"tag":            id(admin.Do("POST", "/admin/tags", map[string]any{"name": "Billing"})),
		"role":           id(admin.Do("POST", "/admin/roles", map[string]any{"slug": "walker", "name": "Walker", "permissions": []string{"ticket.view"}})),
		"user":           fmt.Sprint(customer.ID),
		"status":         "open",
		"business_hour":  id(admin.Do("POST", "/admin/business-hours", officeHours("Office"))),
		"macro":          id(admin.Do("POST", "/admin/macros", map[string]any{"name": "Low", "actions": []map[string]any{{"type": "priority", "value": "low"}}})),
		"cannedResponse": id(admin.Do("POST", "/admin/canned-responses", map[string]any{"title": "Thanks", "body": "Thanks for writing."})),
		"escalation_rule": id(admin.Do("POST", "/admin/escalation-rules", map[string]any{
			"name": "Old", "conditions": []map[string]any{{"field": "age_hours", "value": 2}}, "actions": []map[string]any{{"type": "escalate"}}})),
		"automation": id(admin.Do("POST", "/admin/automations", map[string]any{
			"name": "Stale", "conditions": []map[string]any{{"field": "hours_since_updated", "operator": ">", "value": 48}}, "actions": []map[string]any{{"type": "change_priority", "value": "low"}}})),
	}
	// Only the guard matters for a delivery: no GET route names one.
	params["delivery"] = "1"
	// A notification is someone's own; no GET route names one, and notifications_http_test.go
	// checks that another's is not found.
	params["notification"] = "1"
	params["webhook"] = id(admin.Do("POST", "/admin/webhooks", map[string]any{"url": "https://hooks.example.com/escalated", "events": []string{"ticket.created"}}))
	params["sla_policy"] = id(admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Standard", nil)))
	params["workflow"] = id(admin.Do("POST", "/admin/workflows", map[string]any{
		"name": "Triage", "trigger": "ticket.created", "actions": []map[string]any{{"type": "change_priority", "value": "high"}}}))
	admin.Do("POST", tk.path("/note"), map[string]any{"body": "A note"}).Want(201)
	reply := post(admin, tk.path("/reply"), [][2]string{{"body", "With a file"}}, upload{name: "a.txt", content: "hello"}).Want(201).Data()
	params["attachment"] = fmt.Sprint(attachmentsOf(reply["attachments"])[0]["id"])
	params["path..."] = builtEntry(t)
	params["$"] = ""
	// {token} is a guest ticket's token (the guest routes); the one route that names an API
	// token by {token}, DELETE /admin/api-tokens/{token}, is never walked with GET, and its
	// guard answers before the value is read. The guest ticket holds a file of its own.
	guest := post(admin, "/guest", [][2]string{{"name", "Walker"}, {"email", "walker@example.test"}, {"subject", "Guest"}, {"description", "A guest's"}},
		upload{name: "g.txt", content: "guest file"}).Want(201).Data()
	params["token"] = guest["token"].(string)
	shown := admin.Do("GET", "/guest/"+params["token"], nil).Want(200).Data()
	params["guest_attachment"] = fmt.Sprint(attachmentsOf(shown["attachments"])[0]["id"])

	params["reference"] = tk.Ref
	return params
}
