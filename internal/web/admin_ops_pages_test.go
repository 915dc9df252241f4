package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// The web UI of SLA policies, workflows, webhooks and API tokens: each GET renders its page
// with the contract's props, a staff member without the permission gets the Error page, and
// each Inertia form post is answered 303 with its flash.

// visit renders path as the Inertia client and checks the component.
func visit(t *testing.T, c *testdesk.Client, path, component string) testdesk.Page {
	t.Helper()
	p := c.Inertia("GET", path, nil).Want(200).Page()
	if p.Component != component {
		t.Fatalf("GET %s: component %q, want %q", path, p.Component, component)
	}
	return p
}

// submit makes an Inertia form post, wants the 303 to where, and returns the page it leads to.
func submit(t *testing.T, c *testdesk.Client, method, path string, body any, where string) testdesk.Page {
	t.Helper()
	res := c.Inertia(method, path, body).Want(303)
	if got := res.Header.Get("Location"); got != where {
		p := c.Follow(res).Page()
		t.Fatalf("%s %s: to %q, want %q; flash %v errors %v", method, path, got, where, p.Props["flash"], p.Props["errors"])
	}
	return c.Follow(res).Want(200).Page()
}

// refused checks that c gets the Error page with status for each path.
func refused(t *testing.T, c *testdesk.Client, status int, paths ...string) {
	t.Helper()
	for _, path := range paths {
		if p := c.Inertia("GET", path, nil).Want(status).Page(); p.Component != "Escalated/Error" {
			t.Errorf("GET %s: %s, want the Error page", path, p.Component)
		}
	}
}

func list(v any) []map[string]any {
	var out []map[string]any
	for _, x := range v.([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestSLAPolicyPages(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		schedule := admin.Do("POST", "/admin/business-hours", officeHours("Office")).Want(201).Data()["id"]

		p := visit(t, admin, "/admin/sla-policies", "Escalated/Admin/SlaPolicies/Index")
		if len(p.Props["policies"].([]any)) != 0 {
			t.Fatalf("policies = %v", p.Props["policies"])
		}
		p = visit(t, admin, "/admin/sla-policies/create", "Escalated/Admin/SlaPolicies/Form")
		if p.Props["policy"] != nil || fmt.Sprint(p.Props["priorities"]) != "[low medium high urgent critical]" ||
			list(p.Props["schedules"])[0]["id"] != schedule {
			t.Fatalf("create form = %v %v %v", p.Props["policy"], p.Props["priorities"], p.Props["schedules"])
		}

		// What the Form page posts.
		body := map[string]any{
			"name": "Standard", "description": "", "is_active": true, "is_default": true, "business_hours_only": true,
			"first_response_hours": map[string]any{"low": 24, "medium": 8, "high": 4, "urgent": 1, "critical": 0.25},
			"resolution_hours":     map[string]any{"low": 72, "medium": 24, "high": 12, "urgent": 4, "critical": 2},
			"business_schedule_id": schedule,
		}
		p = submit(t, admin, "POST", "/admin/sla-policies", body, "/support/admin/sla-policies")
		if p.Component != "Escalated/Admin/SlaPolicies/Index" || flash(p, "success") != "SLA policy created." {
			t.Fatalf("after create: %s %v", p.Component, p.Props["flash"])
		}
		policy := list(p.Props["policies"])[0]
		id := policy["id"]
		if policy["name"] != "Standard" || policy["business_schedule_id"] != schedule || policy["first_response_hours"].(map[string]any)["high"] != 4.0 {
			t.Fatalf("policy = %v", policy)
		}
		p = visit(t, admin, fmt.Sprint("/admin/sla-policies/", id, "/edit"), "Escalated/Admin/SlaPolicies/Form")
		if p.Props["policy"].(map[string]any)["id"] != id {
			t.Fatalf("edit form = %v", p.Props["policy"])
		}
		body["name"] = "Gold"
		p = submit(t, admin, "PUT", fmt.Sprint("/admin/sla-policies/", id), body, "/support/admin/sla-policies")
		if flash(p, "success") != "SLA policy saved." || list(p.Props["policies"])[0]["name"] != "Gold" {
			t.Fatalf("after update: %v %v", p.Props["flash"], p.Props["policies"])
		}

		// A bad hour goes back with the field named as the form shows it.
		admin.Inertia("GET", fmt.Sprint("/admin/sla-policies/", id, "/edit"), nil).Want(200)
		body["first_response_hours"] = map[string]any{"low": 24, "medium": 8, "high": -1, "urgent": 1, "critical": 0.25}
		res := admin.Inertia("PUT", fmt.Sprint("/admin/sla-policies/", id), body).Want(303)
		if e := errorsOf(admin.Follow(res).Page()); e["first_response_hours.high"] == nil {
			t.Fatalf("errors = %v", e)
		}

		p = submit(t, admin, "DELETE", fmt.Sprint("/admin/sla-policies/", id), nil, "/support/admin/sla-policies")
		if flash(p, "success") != "SLA policy deleted." || len(p.Props["policies"].([]any)) != 0 {
			t.Fatalf("after delete: %v %v", p.Props["flash"], p.Props["policies"])
		}
		admin.Inertia("GET", "/admin/sla-policies/999999/edit", nil).Want(404)

		// sla.view shows the list; the forms need sla.manage.
		d.Role("sla-viewer", "ticket.view", "sla.view")
		viewer := d.User("sla-viewer")
		visit(t, viewer, "/admin/sla-policies", "Escalated/Admin/SlaPolicies/Index")
		refused(t, viewer, 403, "/admin/sla-policies/create", "/admin/sla-policies/1/edit")
		d.Role("plain", "ticket.view")
		refused(t, d.User("plain"), 403, "/admin/sla-policies", "/admin/sla-policies/create")
		refused(t, d.User("customer"), 403, "/admin/sla-policies")
	})
}

func TestWorkflowPages(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		p := visit(t, admin, "/admin/workflows", "Escalated/Admin/Workflows/Index")
		if len(p.Props["workflows"].([]any)) != 0 {
			t.Fatalf("workflows = %v", p.Props["workflows"])
		}
		p = visit(t, admin, "/admin/workflows/create", "Escalated/Admin/Workflows/Form")
		if p.Props["workflow"] != nil || len(p.Props["trigger_events"].([]any)) != 12 || len(p.Props["operators"].([]any)) != 13 ||
			len(p.Props["action_types"].([]any)) != 13 || len(p.Props["agents"].([]any)) != 1 {
			t.Fatalf("create form = %v", p.Props)
		}

		// What the Form page posts: values in the shapes the actions take.
		body := map[string]any{
			"name": "Urgent billing", "description": "", "trigger": "ticket.created", "is_active": true,
			"conditions": map[string]any{"match": "all", "rules": []map[string]any{
				{"field": "subject", "operator": "contains", "value": "invoice"},
				{"field": "priority", "operator": "in", "value": []string{"medium", "high"}},
			}},
			"actions": []map[string]any{
				{"type": "change_priority", "value": "urgent"},
				{"type": "send_notification", "value": map[string]any{"recipients": []any{"assignee", admin.ID}, "message": "Look"}},
				{"type": "snooze_ticket", "value": map[string]any{"minutes": 60}},
			},
		}
		p = submit(t, admin, "POST", "/admin/workflows", body, "/support/admin/workflows")
		if p.Component != "Escalated/Admin/Workflows/Index" || flash(p, "success") != "Workflow created." {
			t.Fatalf("after create: %s %v", p.Component, p.Props["flash"])
		}
		wf := list(p.Props["workflows"])[0]
		id := wf["id"]
		if wf["trigger"] != "ticket.created" || wf["is_active"] != true {
			t.Fatalf("workflow = %v", wf)
		}
		p = visit(t, admin, fmt.Sprint("/admin/workflows/", id), "Escalated/Admin/Workflows/Form")
		if p.Props["workflow"].(map[string]any)["name"] != "Urgent billing" {
			t.Fatalf("edit form = %v", p.Props["workflow"])
		}
		// The same URL still answers an API client with the workflow.
		if admin.Do("GET", fmt.Sprint("/admin/workflows/", id), nil).Want(200).Data()["name"] != "Urgent billing" {
			t.Fatal("the workflow's JSON is gone")
		}
		body["name"] = "Billing"
		p = submit(t, admin, "PUT", fmt.Sprint("/admin/workflows/", id), body, "/support/admin/workflows")
		if flash(p, "success") != "Workflow saved." || list(p.Props["workflows"])[0]["name"] != "Billing" {
			t.Fatalf("after update: %v %v", p.Props["flash"], p.Props["workflows"])
		}

		// Toggle: the shared frontend's PUT {active}, and a bare POST that flips.
		p = submit(t, admin, "PUT", fmt.Sprint("/admin/workflows/", id, "/toggle"), map[string]any{"active": false}, "/support/")
		if flash(p, "success") != "Workflow switched." {
			t.Fatalf("after toggle: %v", p.Props["flash"])
		}
		if admin.Do("GET", fmt.Sprint("/admin/workflows/", id), nil).Data()["is_active"] != false {
			t.Fatal("toggle {active: false} left it on")
		}
		admin.Inertia("POST", fmt.Sprint("/admin/workflows/", id, "/toggle"), map[string]any{}).Want(303)
		if admin.Do("GET", fmt.Sprint("/admin/workflows/", id), nil).Data()["is_active"] != true {
			t.Fatal("a bare toggle did not flip it back on")
		}
		if admin.Do("POST", fmt.Sprint("/admin/workflows/", id, "/toggle"), nil).Want(200).Data()["is_active"] != false {
			t.Fatal("a toggle without a body did not flip it")
		}
		admin.Do("PUT", fmt.Sprint("/admin/workflows/", id, "/toggle"), map[string]any{"active": "yes"}).Want(422)
		admin.Do("PUT", fmt.Sprint("/admin/workflows/", id, "/toggle"), map[string]any{"is_active": true}).Want(200)

		// The run log: a ticket the workflow acts on.
		d.RunJobs()
		tk := open(d.User("customer"), "Your invoice")
		eventually(t, "the workflow's run", func() bool {
			return admin.Do("GET", "/admin/workflows/logs", nil).Want(200).JSON()["total"] == 1.0
		})
		for _, path := range []string{"/admin/workflows/logs", fmt.Sprint("/admin/workflows/logs?workflow=", id), fmt.Sprint("/admin/workflows/", id, "/logs")} {
			p = visit(t, admin, path, "Escalated/Admin/Workflows/Logs")
			logs := p.Props["logs"].(map[string]any)
			if logs["total"] != 1.0 || list(p.Props["workflows"])[0]["name"] != "Billing" {
				t.Fatalf("GET %s: logs %v workflows %v", path, logs, p.Props["workflows"])
			}
			if run := list(logs["data"])[0]; run["ticket_reference"] != tk.Ref || run["event"] != "ticket.created" {
				t.Fatalf("GET %s: run = %v", path, run)
			}
		}

		p = submit(t, admin, "DELETE", fmt.Sprint("/admin/workflows/", id), nil, "/support/admin/workflows")
		if flash(p, "success") != "Workflow deleted." || len(p.Props["workflows"].([]any)) != 0 {
			t.Fatalf("after delete: %v %v", p.Props["flash"], p.Props["workflows"])
		}

		d.Role("wf-viewer", "ticket.view", "automation.view")
		viewer := d.User("wf-viewer")
		visit(t, viewer, "/admin/workflows", "Escalated/Admin/Workflows/Index")
		visit(t, viewer, "/admin/workflows/logs", "Escalated/Admin/Workflows/Logs")
		refused(t, viewer, 403, "/admin/workflows/create")
		if res := viewer.Inertia("PUT", "/admin/workflows/1/toggle", map[string]any{"active": true}).Want(303); res.Header.Get("Location") != "/support/" {
			t.Fatalf("a refused toggle goes to %q", res.Header.Get("Location"))
		}
		d.Role("plain", "ticket.view")
		refused(t, d.User("plain"), 403, "/admin/workflows", "/admin/workflows/create", "/admin/workflows/logs")
	})
}

func TestWebhookPages(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		visit(t, admin, "/admin/webhooks", "Escalated/Admin/Webhooks/Index")
		p := visit(t, admin, "/admin/webhooks/create", "Escalated/Admin/Webhooks/Form")
		if p.Props["webhook"] != nil || len(p.Props["availableEvents"].([]any)) != 17 {
			t.Fatalf("create form = %v %v", p.Props["webhook"], p.Props["availableEvents"])
		}

		// The secret comes once, as a string flash, and never in a list.
		body := map[string]any{"url": "https://hooks.example.com/desk", "events": []string{"ticket.created"}, "is_active": true}
		p = submit(t, admin, "POST", "/admin/webhooks", body, "/support/admin/webhooks")
		secret, _ := flash(p, "webhook_secret").(string)
		if flash(p, "success") != "Webhook created." || len(secret) < 32 {
			t.Fatalf("after create: %v", p.Props["flash"])
		}
		hook := list(p.Props["webhooks"])[0]
		id := hook["id"]
		if _, ok := hook["secret"]; ok {
			t.Fatalf("the list holds the secret: %v", hook)
		}
		for _, path := range []string{"/admin/webhooks", fmt.Sprint("/admin/webhooks/", id, "/edit"), fmt.Sprint("/admin/webhooks/", id, "/deliveries")} {
			res := admin.Inertia("GET", path, nil).Want(200)
			if strings.Contains(string(res.Body), secret) {
				t.Fatalf("GET %s shows the secret again", path)
			}
		}

		p = visit(t, admin, fmt.Sprint("/admin/webhooks/", id, "/edit"), "Escalated/Admin/Webhooks/Form")
		if p.Props["webhook"].(map[string]any)["url"] != "https://hooks.example.com/desk" {
			t.Fatalf("edit form = %v", p.Props["webhook"])
		}
		body["events"] = []string{"ticket.created", "reply.created"}
		p = submit(t, admin, "PUT", fmt.Sprint("/admin/webhooks/", id), body, "/support/admin/webhooks")
		if flash(p, "success") != "Webhook saved." || len(list(p.Props["webhooks"])[0]["events"].([]any)) != 2 {
			t.Fatalf("after update: %v %v", p.Props["flash"], p.Props["webhooks"])
		}

		p = visit(t, admin, fmt.Sprint("/admin/webhooks/", id, "/deliveries"), "Escalated/Admin/Webhooks/DeliveryLog")
		if p.Props["webhook"].(map[string]any)["id"] != id || p.Props["deliveries"].(map[string]any)["total"] != 0.0 {
			t.Fatalf("delivery log = %v %v", p.Props["webhook"], p.Props["deliveries"])
		}
		if res := admin.Inertia("POST", fmt.Sprint("/admin/webhooks/", id, "/test"), map[string]any{}).Want(303); flash(admin.Follow(res).Page(), "success") != "Test event queued." {
			t.Fatal("no flash after a test event")
		}
		admin.Inertia("GET", "/admin/webhooks/999999/deliveries", nil).Want(404)

		p = submit(t, admin, "DELETE", fmt.Sprint("/admin/webhooks/", id), nil, "/support/admin/webhooks")
		if flash(p, "success") != "Webhook deleted." || len(p.Props["webhooks"].([]any)) != 0 {
			t.Fatalf("after delete: %v %v", p.Props["flash"], p.Props["webhooks"])
		}

		d.Role("hook-viewer", "ticket.view", "webhook.view")
		viewer := d.User("hook-viewer")
		visit(t, viewer, "/admin/webhooks", "Escalated/Admin/Webhooks/Index")
		refused(t, viewer, 403, "/admin/webhooks/create", "/admin/webhooks/1/edit")
		d.Role("plain", "ticket.view")
		refused(t, d.User("plain"), 403, "/admin/webhooks", "/admin/webhooks/create", "/admin/webhooks/1/deliveries")
	})
}

func TestAPITokenPage(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent := d.User("admin"), d.User("agent")
		p := visit(t, admin, "/admin/api-tokens", "Escalated/Admin/ApiTokens/Index")
		if p.Props["api_enabled"] != true || len(p.Props["tokens"].([]any)) != 0 || len(p.Props["users"].([]any)) != 2 {
			t.Fatalf("page = %v %v %v", p.Props["api_enabled"], p.Props["tokens"], p.Props["users"])
		}

		// What the page posts; the plaintext comes back once, as a string.
		res := admin.Inertia("POST", "/admin/api-tokens", map[string]any{"name": "CRM", "user_id": agent.ID, "abilities": []string{"ticket.view"}, "expires_at": "2099-01-01"}).Want(303)
		p = admin.Follow(res).Want(200).Page()
		plain, ok := flash(p, "plain_text_token").(string)
		if !ok || !hexToken.MatchString(plain) || flash(p, "success") != "API token created." {
			t.Fatalf("flash = %v", p.Props["flash"])
		}
		bearer(t, d.Desk, plain).Do("GET", "/tickets", nil).Want(200)
		p = visit(t, admin, "/admin/api-tokens", "Escalated/Admin/ApiTokens/Index")
		if flash(p, "plain_text_token") != nil || strings.Contains(fmt.Sprint(p.Props), plain) {
			t.Fatal("the token is shown twice")
		}
		tok := list(p.Props["tokens"])[0]
		if tok["name"] != "CRM" || tok["user"].(map[string]any)["id"] != float64(agent.ID) {
			t.Fatalf("tokens = %v", p.Props["tokens"])
		}

		// An agent sees their own tokens and may make one only for themselves.
		p = visit(t, agent, "/admin/api-tokens", "Escalated/Admin/ApiTokens/Index")
		if users := list(p.Props["users"]); len(users) != 1 || users[0]["id"] != float64(agent.ID) || len(p.Props["tokens"].([]any)) != 1 {
			t.Fatalf("agent's page = %v %v", p.Props["users"], p.Props["tokens"])
		}
		res = agent.Inertia("POST", "/admin/api-tokens", map[string]any{"name": "Mine", "user_id": admin.ID, "abilities": []string{"*"}}).Want(303)
		if msg, _ := flash(agent.Follow(res).Page(), "error").(string); !strings.Contains(msg, "other users") {
			t.Fatalf("flash.error = %q", msg)
		}

		res = admin.Inertia("DELETE", fmt.Sprint("/admin/api-tokens/", tok["id"]), nil).Want(303)
		if p = admin.Follow(res).Page(); flash(p, "success") != "API token revoked." {
			t.Fatalf("after revoke: %v", p.Props["flash"])
		}
		bearer(t, d.Desk, plain).Do("GET", "/tickets", nil).Want(401)
		refused(t, d.User("customer"), 403, "/admin/api-tokens")
	})
}

// TestFirstSteps: the front door sends each role home; an admin's home says where departments,
// SLA policies and the team are set up, says plainly that mail is not built, and marks what
// is done; an agent's home has no setup steps.
func TestFirstSteps(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, light := d.User("admin"), d.User("agent"), d.User("light_agent")
		for c, home := range map[*testdesk.Client]string{
			admin: "/support/agent/tickets/dashboard", agent: "/support/agent/tickets/dashboard",
			light: "/support/agent/tickets/dashboard", d.User("customer"): "/support/tickets", d.Anonymous(): "/support/login",
		} {
			if got := c.Inertia("GET", "/", nil).Want(303).Header.Get("Location"); got != home {
				t.Errorf("front door for %q: %q, want %q", c.Email, got, home)
			}
		}

		steps := func(c *testdesk.Client) map[string]map[string]any {
			p := visit(t, c, "/agent/tickets/dashboard", "Escalated/Agent/Dashboard")
			out := map[string]map[string]any{}
			for _, s := range list(p.Props["setup"]) {
				out[s["key"].(string)] = s
			}
			return out
		}
		if s := steps(agent); len(s) != 0 {
			t.Fatalf("an agent gets setup steps: %v", s)
		}
		s := steps(admin)
		for key, href := range map[string]string{"departments": "/admin/departments", "sla": "/admin/sla-policies", "team": "/admin/users"} {
			if s[key]["href"] != href || s[key]["available"] != true || s[key]["done"] != (key == "team") {
				t.Errorf("step %s = %v", key, s[key])
			}
		}
		if mail := s["mail"]; mail["available"] != false || mail["href"] != nil || !strings.Contains(mail["text"].(string), "not built yet") {
			t.Errorf("the mail step = %v", mail)
		}
		// Every link a step gives is a page the admin can open.
		for _, step := range s {
			if href, ok := step["href"].(string); ok {
				admin.Inertia("GET", href, nil).Want(200)
			}
		}

		admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales"}).Want(201)
		admin.Do("POST", "/admin/sla-policies", slaPolicyBody("Standard", nil)).Want(201)
		if s := steps(admin); s["departments"]["done"] != true || s["sla"]["done"] != true {
			t.Fatalf("after setting up: %v", s)
		}

		// The empty queue is a page with nothing in it; what to do next is its text (ui tests).
		p := visit(t, agent, "/agent/tickets", "Escalated/Agent/TicketIndex")
		if len(p.Props["tickets"].(map[string]any)["data"].([]any)) != 0 {
			t.Fatalf("queue = %v", p.Props["tickets"])
		}
	})
}
