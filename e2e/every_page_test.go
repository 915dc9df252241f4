package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/twofactor"
	"github.com/escalated-dev/escalated-go/internal/web"
)

// minPageVisits is the fewest page visits TestEveryPage accepts: the route table has about
// fifty page routes, some visited with more than one object and most staff pages by more
// than one role. Far fewer means the walk skipped routes it should have visited.
const minPageVisits = 90

// TestEveryPage walks the route table and opens every page of the web UI in Chromium, as
// the kind of person its guard admits (an admin for staff routes, a customer for customer
// routes, a visitor for public ones and a guest's link, someone halfway through two-factor
// sign-in for the challenge), on a desk with something of everything. A page fails when it
// throws or logs a console error, misses a file of the desk (a script, a style sheet),
// answers other than 200, shows the desk's Error page or "undefined"/"NaN"/"Invalid
// Date"/"[object Object]", never shows its heading, or links into the desk somewhere that
// is not found (or refused) for the person looking at it.
//
// The desk runs standalone (its own sign-in) on SQLite and PostgreSQL, and embedded in a host
// that signs people in itself (WithIdentityResolver, so no sign-in or two-factor routes) on
// SQLite: the route table, and so what the pages may link to, differs between the two.
func TestEveryPage(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *testdesk.Desk) { walkEveryPage(t, d, nil) })
	t.Run("embedded", func(t *testing.T) {
		requireBrowser(t)
		host := &sync.Map{}
		d := testdesk.New(t, dbtest.SQLiteURL(t), escalated.WithIdentityResolver(func(r *http.Request) (*escalated.HostUser, error) {
			if u, ok := host.Load(r.Header.Get(hostUserHeader)); ok {
				hu := u.(escalated.HostUser)
				return &hu, nil
			}
			return nil, nil
		}))
		d.Clock.Set(time.Now())
		walkEveryPage(t, d, host)
	})
}

// hostUserHeader names the signed-in host user (by email) to the embedded desk's resolver.
const hostUserHeader = "X-Host-User"

// walkEveryPage furnishes the desk and visits every page route. host, for an embedded desk,
// is the host application's users by email.
func walkEveryPage(t *testing.T, d *testdesk.Desk, host *sync.Map) {
	start := time.Now()
	w := furnish(t, d, host)
	setUp := time.Since(start)

	visits, routes := 0, 0
	pageOf := map[string]string{}
	for _, rt := range d.Handler().(*web.Server).Routes() {
		if rt.Method != http.MethodGet || rt.UI.Page == "" {
			continue // JSON only, or a write
		}
		routes++
		pageOf[rt.Path] = rt.UI.Page
		people := w.peopleFor(rt)
		if len(people) == 0 {
			t.Errorf("%s %s: no one to visit it as (guard %q): teach TestEveryPage who may", rt.Method, rt.Path, rt.Guard.Kind)
			continue
		}
		for _, path := range w.expand(t, rt) {
			for _, who := range people {
				w.checkPage(t, who, path, rt.UI.Page)
				visits++
			}
		}
	}
	// The queue, the inbox and the audit log narrowed, as their filters leave them.
	for _, path := range []string{
		"/agent/tickets?status=resolved&priority=high",
		"/agent/tickets?search=nothing+matches+this",
		"/agent/tickets?following=true&sort=priority&direction=desc",
		"/agent/tickets?assigned_to=unassigned&snoozed=true",
		"/agent/notifications?unread=true",
		"/admin/audit-log?page=2",
	} {
		w.checkPage(t, w.admin, path, pageOf[strings.SplitN(path, "?", 2)[0]])
		visits++
	}
	t.Logf("visited %d pages of %d page routes (set-up %s, walk %s)", visits, routes, setUp.Round(time.Millisecond), (time.Since(start) - setUp).Round(time.Millisecond))
	if visits < minPageVisits {
		t.Fatalf("visited %d pages, want at least %d: the walk skipped routes", visits, minPageVisits)
	}
}

// checkPage opens path as who and checks the page renders: 200, the route's component, a
// heading, no Error page, no JavaScript error, and every link into the desk that who has
// not followed yet leads somewhere. It reports what is wrong and goes on, so one run lists
// every broken page.
func (w *world) checkPage(t *testing.T, who *Person, path, component string) {
	t.Helper()
	status := who.Visit(path)
	got := who.rendered()
	var problems []string
	if status != 200 {
		problems = append(problems, fmt.Sprintf("HTTP status %d", status))
	}
	if got.Component != component {
		problems = append(problems, fmt.Sprintf("the server sent the page %q, want %q", got.Component, component))
	}
	switch {
	case got.ErrorPage != "":
		problems = append(problems, "the Error page: "+got.ErrorPage)
	case got.Heading == "":
		problems = append(problems, "no heading (h1) within "+stepTimeout.String())
	}
	if got.Junk != "" {
		problems = append(problems, fmt.Sprintf("the page shows %q: %q", got.Junk, got.JunkContext))
	}
	// An error that came after the page before was checked is counted here: pages leave
	// nothing running that could throw later, so it is this page's, or that one's.
	for _, e := range who.takeJSErrors() {
		problems = append(problems, e)
	}
	if dead := w.deadLinks(who); len(dead) > 0 {
		problems = append(problems, "links that lead nowhere: "+strings.Join(dead, ", "))
	}
	if len(problems) > 0 {
		shot := ""
		if png, err := who.screenshot(); err == nil {
			shot = who.save("FAILED-"+path, png)
		}
		t.Errorf("%s as %s (screenshot %s):\n\t%s", path, who.who(), shot, strings.Join(problems, "\n\t"))
	}
}

// pageState is what a page shows once it has rendered.
type pageState struct {
	Component   string `json:"component"`
	Heading     string `json:"heading"`
	ErrorPage   string `json:"error"`
	Junk        string `json:"junk"`
	JunkContext string `json:"junkContext"`
}

// renderedJS is truthy once the page has a heading or shows the Error page ("Error 404"
// under its heading). Text nodes, not innerText, are searched for junk, so a value held in
// a form control does not count.
const renderedJS = `(() => {
	const heading = [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()).find((t) => t !== '') ?? '';
	const code = [...document.querySelectorAll('p')].map((p) => p.textContent.trim()).find((t) => /^Error \d{3}$/.test(t));
	if (!heading && !code) return null;
	let component = '';
	try { component = JSON.parse(document.getElementById('app').dataset.page).component } catch (e) {}
	const junk = /(^|[^A-Za-z])(undefined|NaN|Invalid Date|\[object Object\])([^A-Za-z]|$)/;
	let found = '', context = '';
	const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	while (w.nextNode()) {
		const m = w.currentNode.textContent.match(junk);
		if (m && w.currentNode.parentElement?.closest('script, style, noscript') == null) {
			found = m[2];
			context = w.currentNode.parentElement.textContent.trim().slice(0, 200);
			break;
		}
	}
	return { component, heading, error: code ? heading + ' (' + code + ')' : '', junk: found, junkContext: context };
})()`

// rendered waits until the page has rendered (or a JavaScript error says it will not) and
// returns what it shows; a page that never renders has no heading.
func (p *Person) rendered() pageState {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	for {
		// Short polls, so a page that threw is given up on at once rather than at the deadline.
		st, err := chromedp.Run(ctx, chromedp.Poll[pageState](renderedJS, chromedp.WithPollingTimeout(time.Second)))
		if err == nil {
			return st
		}
		// Any other error is a page load (a redirect) that ended the poll with the page it
		// ran in: poll again in the new one.
		p.mu.Lock()
		threw := len(p.jsErrors) > 0
		p.mu.Unlock()
		if threw || ctx.Err() != nil {
			var last pageState
			last.Component, _ = chromedp.Run(p.ctx, chromedp.Evaluate[string](`(() => { try { return JSON.parse(document.getElementById('app').dataset.page).component } catch (e) { return '' } })()`))
			return last
		}
	}
}

// deadLinks follows, from the page, each link into the desk that who has not followed yet
// (as the browser would, with who's cookies and headers) and returns those that do not
// answer 200 or a redirect.
func (w *world) deadLinks(who *Person) []string {
	ctx, cancel := context.WithTimeout(who.ctx, stepTimeout)
	defer cancel()
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')).filter((h) => h.startsWith(`+js(who.URL("/")[len(who.desk.Server.URL):])+`)))]`))
	if err != nil {
		return []string{"(the links could not be read: " + err.Error() + ")"}
	}
	if w.followed[who] == nil {
		w.followed[who] = map[string]bool{}
	}
	var fresh []string
	for _, h := range hrefs {
		if !w.followed[who][h] {
			w.followed[who][h] = true
			fresh = append(fresh, h)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	dead, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(async (hrefs) => {
		const dead = [];
		for (const h of hrefs) {
			const r = await fetch(h, { headers: { Accept: 'text/html', `+js(linkCheckHeader)+`: '1' }, redirect: 'manual' });
			if (r.status !== 200 && r.type !== 'opaqueredirect') dead.push(h + ' (' + r.status + ')');
		}
		return dead;
	})(`+mustJSON(fresh)+`)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return []string{"(the links could not be followed: " + err.Error() + ")"}
	}
	return dead
}

// linkCheckHeader marks deadLinks' own requests, which watched leaves to it.
const linkCheckHeader = "X-Link-Check"

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// watched counts a file of the desk's page (a script, a style sheet, an image) that fails
// to load, or answers 400 or more, among the person's JavaScript errors: the page may look
// fine and still miss its code.
func watched(p *Person) *Person {
	p.t.Helper()
	desk := p.URL("/")
	checks := map[network.RequestID]bool{} // deadLinks' requests; events come one at a time
	err := chromedp.Listen(p.ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			for k := range e.Request.Headers {
				if strings.EqualFold(k, linkCheckHeader) {
					checks[e.RequestID] = true
				}
			}
		case *network.EventResponseReceived:
			// The browser asks the host for /favicon.ico: not the desk's.
			if e.Type != network.ResourceTypeDocument && e.Response.Status >= 400 && strings.HasPrefix(e.Response.URL, desk) && !checks[e.RequestID] {
				msg = fmt.Sprintf("%s answered %d", e.Response.URL, e.Response.Status)
			}
		case *network.EventLoadingFailed:
			if e.Type != network.ResourceTypeDocument && !e.Canceled && !checks[e.RequestID] {
				msg = fmt.Sprintf("a %s failed to load: %s", e.Type, e.ErrorText)
			}
		}
		if msg != "" {
			p.mu.Lock()
			p.jsErrors = append(p.jsErrors, msg)
			p.mu.Unlock()
		}
	})
	if err != nil {
		p.t.Fatalf("e2e: listen to %s's page loads: %v", p.who(), err)
	}
	return p
}

// takeJSErrors returns the JavaScript errors seen since the last call and forgets them.
func (p *Person) takeJSErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.jsErrors
	p.jsErrors = nil
	return out
}

func (p *Person) screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.FullScreenshot(100))
}

// world is a desk with something of everything, the people who look at it, and a value for
// every path parameter of a page route.
type world struct {
	admin, customer, visitor, midSignIn *Person
	// staff are the admin, an agent, a light agent and someone with a custom role that
	// may only view tickets and reply, with the permissions each holds.
	staff []staffMember
	// params holds the values each path parameter is visited with, per area: "customer"
	// for the customer's own routes, "" for everyone else.
	params map[string]map[string][]string
	// followed is, per person, the links into the desk already followed.
	followed map[*Person]map[string]bool

	d *testdesk.Desk
	// host holds the host application's users by email when the desk is embedded.
	host *sync.Map
}

// person creates an account with the role and opens a browser for it. On an embedded desk
// the host application says who the browser's user is from the start.
func (w *world) person(t *testing.T, role, name string) *Person {
	t.Helper()
	p := watched(NewPerson(t, w.d, role, name))
	if w.host != nil {
		w.host.Store(p.Email, escalated.HostUser{ExternalID: "host-" + p.Email, Name: p.Name, Email: p.Email, Role: role})
		setHeader := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{hostUserHeader: p.Email}})
			return err
		})
		if err := chromedp.Do(p.ctx, setHeader); err != nil {
			t.Fatalf("e2e: sign %s in through the host: %v", p.Name, err)
		}
	}
	return p
}

// api is an HTTP client signed in as p.
func (w *world) api(p *Person) *testdesk.Client {
	if w.host == nil {
		return p.API()
	}
	c := w.d.Anonymous()
	c.ID, c.Name, c.Email = p.ID, p.Name, p.Email
	c.Header.Set(hostUserHeader, p.Email)
	return c
}

// signIn signs p's browser in: through the desk's sign-in page, or (embedded) not at all,
// since the host signs every request in.
func (w *world) signIn(p *Person) {
	if w.host == nil {
		p.SignIn()
	}
}

type staffMember struct {
	*Person
	perms map[string]bool
}

// peopleFor is who visits a route: whoever its guard admits. Staff pages are visited by
// every staff member whose role holds the route's permission, since pages show less to
// those who may do less.
func (w *world) peopleFor(rt web.Route) []*Person {
	switch rt.Guard.Kind {
	case "public":
		return []*Person{w.visitor}
	case "user":
		return []*Person{w.customer}
	case "two_factor":
		return []*Person{w.midSignIn}
	case "staff":
		var out []*Person
		for _, m := range w.staff {
			if rt.Guard.Perm == "" || m.perms["*"] || m.perms[rt.Guard.Perm] {
				out = append(out, m.Person)
			}
		}
		return out
	}
	return nil
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// expand turns a route's path into the paths to visit: one per value of its parameter (a
// route has at most one), or the path itself.
func (w *world) expand(t *testing.T, rt web.Route) []string {
	t.Helper()
	names := pathParam.FindAllStringSubmatch(rt.Path, -1)
	if len(names) == 0 {
		return []string{rt.Path}
	}
	if len(names) > 1 {
		t.Errorf("%s: more than one parameter; teach TestEveryPage to fill it", rt.Path)
		return nil
	}
	name := names[0][1]
	area := ""
	if rt.Guard.Kind == "user" {
		area = "customer"
	}
	values := w.params[area][name]
	if len(values) == 0 {
		t.Errorf("%s: no value for {%s}; make one in furnish", rt.Path, name)
		return nil
	}
	var out []string
	for _, v := range values {
		out = append(out, strings.Replace(rt.Path, names[0][0], url.PathEscape(v), 1))
	}
	return out
}

// furnish fills the desk through its HTTP interface (with its background jobs running):
// departments, tags, a custom role, a business schedule, an SLA policy, a custom status, an
// escalation rule, an automation, macros and canned responses (shared and personal), a
// webhook that has delivered and one that has failed, a workflow that has run, an API token,
// notifications, the customer's tickets (one with replies, a note, files, tags, an assignee
// and a follower, one resolved, one snoozed, one past its SLA) and a guest's ticket with an
// answer. It signs the customer and the staff in (the agent with two-factor on), and leaves
// one more person halfway through two-factor sign-in.
func furnish(t *testing.T, d *testdesk.Desk, host *sync.Map) *world {
	t.Helper()
	// Workflows and webhook deliveries run as background jobs.
	d.RunJobs()

	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/broken") {
			http.Error(w, "<html>upstream failure</html>", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"ok": true}`)
	}))
	t.Cleanup(hook.Close)

	w := &world{params: map[string]map[string][]string{"": {}, "customer": {}}, followed: map[*Person]map[string]bool{}, d: d, host: host}
	w.admin = w.person(t, "admin", "Ada Admin")
	w.customer = w.person(t, "customer", "Cy Customer")
	w.visitor = watched(Visitor(t, d))
	admin, customer := w.api(w.admin), w.api(w.customer)
	agent, err := d.Users.Create(context.Background(), escalated.NewUser{Name: "Sam Agent", Email: "sam.agent@example.test", Password: testdesk.Password, Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	set := func(area, name string, values ...string) {
		w.params[area][name] = append(w.params[area][name], values...)
	}
	num := func(r *testdesk.Response) int64 { return int64(r.Want(201).Data()["id"].(float64)) }
	id := func(r *testdesk.Response) string { return fmt.Sprint(num(r)) }

	sales := num(admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales", "description": "Quotes and orders", "agent_ids": []int64{agent.ID, w.admin.ID}}))
	support := id(admin.Do("POST", "/admin/departments", map[string]any{"name": "Support"}))
	admin.Do("POST", "/admin/departments", map[string]any{"name": "Closed shop", "is_active": false}).Want(201)
	set("", "department", fmt.Sprint(sales), support)
	billing := num(admin.Do("POST", "/admin/tags", map[string]any{"name": "Billing"}))
	vip := num(admin.Do("POST", "/admin/tags", map[string]any{"name": "VIP"}))
	set("", "role", id(admin.Do("POST", "/admin/roles", map[string]any{"slug": "triage", "name": "Triage", "permissions": []string{"ticket.view", "reply.create"}})))
	admin.Do("POST", "/admin/statuses", map[string]any{"slug": "awaiting_parts", "name": "Awaiting parts", "category": "on_hold", "color": "#f59e0b"}).Want(201)
	set("", "status", "open", "awaiting_parts")

	var schedule []map[string]any
	for day := 1; day <= 5; day++ {
		schedule = append(schedule, map[string]any{"day": day, "start": "09:00", "end": "17:00"})
	}
	hours := num(admin.Do("POST", "/admin/business-hours", map[string]any{
		"name": "Office", "timezone": "Europe/Berlin", "schedule": schedule,
		"holidays": []map[string]any{{"date": "2026-12-25", "recurring": true, "name": "Christmas"}},
	}))
	set("", "business_hour", fmt.Sprint(hours))
	set("", "sla_policy", id(admin.Do("POST", "/admin/sla-policies", map[string]any{
		"name": "Standard", "is_default": true, "business_hours_only": true, "business_schedule_id": hours,
		"first_response_hours": map[string]any{"low": 24, "medium": 8, "high": 4, "urgent": 1, "critical": 0.25},
		"resolution_hours":     map[string]any{"low": 72, "medium": 24, "high": 12, "urgent": 4, "critical": 2},
	})))

	set("", "escalation_rule", id(admin.Do("POST", "/admin/escalation-rules", map[string]any{
		"name": "Tell the admin", "conditions": []map[string]any{{"field": "status", "value": "open"}},
		"actions": []map[string]any{{"type": "notify", "value": []int64{w.admin.ID}}},
	})))
	set("", "automation", id(admin.Do("POST", "/admin/automations", map[string]any{
		"name": "Stale", "conditions": []map[string]any{{"field": "hours_since_updated", "operator": ">", "value": 48}},
		"actions": []map[string]any{{"type": "change_priority", "value": "low"}},
	})))
	macro := num(admin.Do("POST", "/admin/macros", map[string]any{"name": "Escalate to sales", "description": "High priority, Sales", "is_shared": true,
		"actions": []map[string]any{{"type": "priority", "value": "high"}}}))
	admin.Do("POST", "/admin/macros", map[string]any{"name": "Mine", "actions": []map[string]any{{"type": "priority", "value": "low"}}}).Want(201)
	admin.Do("POST", "/admin/canned-responses", map[string]any{"title": "Thanks", "body": "Thanks for writing.", "is_shared": true}).Want(201)
	admin.Do("POST", "/admin/canned-responses", map[string]any{"title": "Mine", "body": "Mine only."}).Want(201)

	u, _ := url.Parse(hook.URL)
	admin.Do("POST", "/admin/settings", map[string]any{"webhook_allowed_hosts": []string{u.Host}}).Want(200)
	webhook := id(admin.Do("POST", "/admin/webhooks", map[string]any{"url": hook.URL + "/escalated", "events": []string{"ticket.created", "reply.created"}}))
	broken := id(admin.Do("POST", "/admin/webhooks", map[string]any{"url": hook.URL + "/broken", "events": []string{"ticket.created"}}))
	set("", "webhook", webhook, broken)
	workflow := id(admin.Do("POST", "/admin/workflows", map[string]any{
		"name": "Triage", "description": "Tag and tell", "trigger": "ticket.created",
		"conditions": map[string]any{"match": "all", "rules": []map[string]any{{"field": "subject", "operator": "contains", "value": "invoice"}}},
		"actions": []map[string]any{
			{"type": "add_tag", "value": billing},
			{"type": "send_notification", "value": map[string]any{"recipients": []any{w.admin.ID}, "message": "An invoice question."}},
		},
	}))
	set("", "workflow", workflow)
	admin.Do("POST", "/admin/api-tokens", map[string]any{"name": "CRM", "abilities": []string{"ticket.view"}, "expires_at": "2099-01-01"}).Want(201)

	// The customer's tickets: one past its SLA, one worked on, one resolved, one snoozed.
	open := func(subject string, extra map[string]any) string {
		body := map[string]any{"subject": subject, "description": "About " + subject + ".\nSecond line."}
		for k, v := range extra {
			body[k] = v
		}
		return customer.Do("POST", "/tickets", body).Want(201).Data()["reference"].(string)
	}
	// One ticket three days old, long past its SLA due times.
	d.Clock.Set(time.Now().Add(-72 * time.Hour))
	old := open("Old complaint", map[string]any{"priority": "urgent"})
	d.Clock.Set(time.Now())
	busy := open("Wrong invoice total", map[string]any{"priority": "high", "department_id": sales})
	resolved := open("Password reset", nil)
	snoozed := open("Delivery date", map[string]any{"priority": "low"})
	multipartPost(t, customer, "/tickets/"+busy+"/reply", map[string]string{"body": "Here is the invoice."}, "invoice.txt", "total: 42").Want(201)
	multipartPost(t, admin, "/agent/tickets/"+busy+"/reply", map[string]string{"body": "We are **on it**."}, "answer.txt", "fixed").Want(201)
	admin.Do("POST", "/agent/tickets/"+busy+"/note", map[string]any{"body": "Check with finance."}).Want(201)
	admin.Do("POST", "/agent/tickets/"+busy+"/assign", map[string]any{"agent_id": agent.ID}).Want(200)
	admin.Do("POST", "/agent/tickets/"+busy+"/tags", map[string]any{"tag_ids": []int64{vip}}).Want(200)
	admin.Do("POST", "/agent/tickets/"+busy+"/follow", nil).Want(200)
	admin.Do("POST", "/agent/tickets/"+busy+"/macro", map[string]any{"macro_id": macro}).Want(200)
	admin.Do("POST", "/agent/tickets/"+resolved+"/reply", map[string]any{"body": "Reset."}).Want(201)
	admin.Do("POST", "/agent/tickets/"+resolved+"/status", map[string]any{"status": "resolved"}).Want(200)
	admin.Do("POST", "/agent/tickets/"+snoozed+"/snooze", map[string]any{"duration_minutes": 120}).Want(200)
	set("customer", "ticket", busy, resolved, snoozed, old)

	// A guest's ticket, answered.
	guest := multipartPost(t, d.Anonymous(), "/guest", map[string]string{
		"name": "Gus Guest", "email": "gus@example.test", "subject": "Opening hours", "description": "When are you open?",
	}, "question.txt", "hours?").Want(201).Data()
	token := guest["token"].(string)
	guestRef := guest["ticket"].(map[string]any)["reference"].(string)
	multipartPost(t, admin, "/agent/tickets/"+guestRef+"/reply", map[string]string{"body": "Nine to five."}, "hours.txt", "9-17").Want(201)
	set("", "token", token)
	set("", "ticket", busy, resolved, snoozed, old, guestRef)

	// Notifications from the escalation rule (and from the workflow, which ran on "Wrong
	// invoice total"); a test event for the webhook's log.
	admin.Do("POST", "/admin/escalation-rules/run", map[string]any{}).Want(200)
	admin.Do("POST", "/admin/webhooks/"+webhook+"/test", nil).Want(202)
	until(t, "the workflow's run log", func() bool {
		return len(admin.Do("GET", "/admin/workflows/"+workflow+"/logs", nil).Want(200).JSON()["data"].([]any)) > 0
	})
	until(t, "the webhooks' deliveries", func() bool {
		return len(admin.Do("GET", "/admin/webhooks/"+webhook+"/deliveries", nil).Want(200).JSON()["data"].([]any)) >= 3 &&
			len(admin.Do("GET", "/admin/webhooks/"+broken+"/deliveries", nil).Want(200).JSON()["data"].([]any)) >= 1
	})

	// Someone with two-factor on, stopped at the second step (the desk's own sign-in only).
	if host == nil {
		w.midSignIn = w.person(t, "agent", "Tess Twofactor")
		enrol(t, d, w.api(w.midSignIn))
		w.midSignIn.SignIn()
		w.midSignIn.WaitPath("/two-factor/challenge")
	}

	w.signIn(w.customer)
	for _, m := range []struct{ role, name string }{{"admin", ""}, {"agent", "Al Agent"}, {"light_agent", "Lu Light"}, {"triage", "Tri Age"}} {
		p := w.admin
		if m.name != "" {
			p = w.person(t, m.role, m.name)
		}
		me := w.api(p).Do("GET", "/me", nil).Want(200).Data()
		perms := map[string]bool{}
		for _, perm := range me["permissions"].([]any) {
			perms[perm.(string)] = true
		}
		if len(perms) == 0 {
			t.Fatalf("%s holds no permissions: %v", p.Name, me)
		}
		w.signIn(p)
		w.staff = append(w.staff, staffMember{p, perms})
	}
	if host == nil {
		// The agent, signed in, turns two-factor on: their page shows it on.
		enrol(t, d, w.api(w.staff[1].Person))
	}
	return w
}

// enrol turns two-factor sign-in on for the account c is signed in as.
func enrol(t *testing.T, d *testdesk.Desk, c *testdesk.Client) {
	t.Helper()
	secret := c.Do("POST", "/admin/settings/two-factor/setup", nil).Want(200).Data()["secret"].(string)
	code, err := twofactor.Code(secret, d.Clock.Now().Unix()/twofactor.Period)
	if err != nil {
		t.Fatal(err)
	}
	c.Do("POST", "/admin/settings/two-factor/confirm", map[string]any{"code": code}).Want(200)
}

// until polls cond until it holds, for what the desk's background jobs do within moments.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", what, stepTimeout)
		}
		<-tick.C
	}
}

// multipartPost sends a form with fields and one file, as the web UI does with attachments.
func multipartPost(t *testing.T, c *testdesk.Client, path string, fields map[string]string, name, content string) *testdesk.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("attachments[]", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	return c.Send("POST", path, mw.FormDataContentType(), buf.Bytes())
}
