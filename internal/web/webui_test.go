package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

var (
	dataPageAttr = regexp.MustCompile(`<div id="app" data-page="([^"]*)"></div>`)
	csrfMeta     = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)
)

// browser is a plain cookie-keeping client, for what testdesk.Client does for you: HTML
// visits, and writes with or without the CSRF header.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newBrowser(t *testing.T, d *testdesk.Desk) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: d.Server.URL + "/support", http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, headers map[string]string, body any) (*http.Response, []byte) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		buf, _ := json.Marshal(body)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base + "/")
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// shellPage reads the page object out of an HTML shell.
func shellPage(t *testing.T, body []byte) testdesk.Page {
	t.Helper()
	m := dataPageAttr.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no data-page in %s", body)
	}
	var p testdesk.Page
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func flash(p testdesk.Page, key string) any   { return p.Props["flash"].(map[string]any)[key] }
func errorsOf(p testdesk.Page) map[string]any { return p.Props["errors"].(map[string]any) }

// TestOneURLThreeAnswers: the same URL answers an API client with JSON, the Inertia client
// with the page object and a browser with the HTML shell, whose build files are served.
func TestOneURLThreeAnswers(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer := d.User("customer")
		hostile := `Broken </div><script>alert(1)</script> "quotes" & 'more'`
		open(customer, hostile)

		api := customer.Do("GET", "/tickets", nil).Want(200).JSON()
		if _, ok := api["component"]; ok || len(api["data"].([]any)) != 1 {
			t.Fatalf("JSON: %v", api)
		}
		p := customer.Inertia("GET", "/tickets", nil).Want(200).Page()
		if p.Component != "Escalated/Customer/Index" || p.URL != "/support/tickets" {
			t.Fatalf("Inertia: %+v", p)
		}
		// No Accept header at all (scripts) is an API client too.
		if res := customer.Send("GET", "/tickets", "", nil).Want(200); !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("no Accept: %s", res.Header.Get("Content-Type"))
		}

		b := newBrowser(t, d)
		b.do("POST", "/login", nil, map[string]any{"email": customer.Email, "password": testdesk.Password})
		res, body := b.do("GET", "/tickets", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("browser: %d %v", res.StatusCode, res.Header)
		}
		page := shellPage(t, body)
		rows := page.Props["tickets"].(map[string]any)["data"].([]any)
		if page.Component != "Escalated/Customer/Index" || rows[0].(map[string]any)["subject"] != hostile {
			t.Fatalf("shell page %+v", page)
		}
		if strings.Contains(string(body), "<script>") || strings.Count(string(body), "<script") != 1 {
			t.Fatalf("the shell carries an inline script or a prop's markup:\n%s", body)
		}
		m := csrfMeta.FindSubmatch(body)
		if m == nil || len(m[1]) < 40 || string(m[1]) != b.cookie("XSRF-TOKEN") {
			t.Fatalf("csrf meta %q, cookie %q", m, b.cookie("XSRF-TOKEN"))
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self';", "style-src 'self' 'unsafe-inline';", "img-src 'self' data:;"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}

		// The script the shell loads is served, for good; the manifest is not.
		src := regexp.MustCompile(`<script type="module" src="/support([^"]+)"`).FindSubmatch(body)
		if src == nil || string(src[1]) != "/build/"+builtEntry(t) {
			t.Fatalf("script %q", src)
		}
		res, js := b.do("GET", string(src[1]), nil, nil)
		if res.StatusCode != 200 || len(js) == 0 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") ||
			res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Fatalf("asset: %d %v", res.StatusCode, res.Header)
		}
		for _, hidden := range []string{"/build/.vite/manifest.json", "/build/nothing.js", "/build/assets"} {
			if res, _ := b.do("GET", hidden, nil, nil); res.StatusCode != 404 {
				t.Errorf("GET %s: %d", hidden, res.StatusCode)
			}
		}
	})
}

// TestStaleBuildReloads: a visit made with another build of the frontend is told to load the
// page afresh, before anything else is looked at.
func TestStaleBuildReloads(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		req, _ := http.NewRequest("GET", d.Server.URL+"/support/tickets?status=open", nil)
		req.Header.Set("X-Inertia", "true")
		req.Header.Set("X-Inertia-Version", "an-old-build")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 409 || res.Header.Get("X-Inertia-Location") != "/support/tickets?status=open" {
			t.Fatalf("stale visit: %d %v", res.StatusCode, res.Header)
		}
	})
}

func TestPartialReloadSendsWhatItAsks(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		open(d.User("customer"), "Partial")
		agent.Header.Set("X-Inertia-Partial-Component", "Escalated/Agent/TicketIndex")
		agent.Header.Set("X-Inertia-Partial-Data", "tickets")
		p := agent.Inertia("GET", "/agent/tickets", nil).Want(200).Page()
		if len(p.Props) != 2 || p.Props["tickets"] == nil || p.Props["errors"] == nil {
			t.Fatalf("partial reload props: %v", keysOf(p.Props))
		}
		agent.Header.Del("X-Inertia-Partial-Data")
		agent.Header.Set("X-Inertia-Partial-Except", "ziggy,escalated")
		p = agent.Inertia("GET", "/agent/tickets", nil).Want(200).Page()
		if _, ok := p.Props["ziggy"]; ok || p.Props["departments"] == nil || p.Props["auth"] == nil {
			t.Fatalf("partial reload except: %v", keysOf(p.Props))
		}
	})
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestFormPostsRedirect: an Inertia form post runs the JSON handler and is answered with a
// 303: to the new object, or back, with the flash and the error bag for the next page.
func TestFormPostsRedirect(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, admin, agent := d.User("customer"), d.User("admin"), d.User("agent")
		customer.Header.Set("Referer", d.Server.URL+"/support/tickets/create")

		// A create goes to the new ticket, flashing its success once.
		res := customer.Inertia("POST", "/tickets", map[string]any{"subject": "Printer", "description": "On fire"}).Want(303)
		if res.Header.Get("Location") != "/support/tickets/ESC-00001" {
			t.Fatalf("created: Location %q", res.Header.Get("Location"))
		}
		p := customer.Follow(res).Want(200).Page()
		if p.Component != "Escalated/Customer/Show" || flash(p, "success") != "Ticket created." {
			t.Fatalf("after create: %s %v", p.Component, p.Props["flash"])
		}
		if again := customer.Inertia("GET", "/tickets/ESC-00001", nil).Page(); flash(again, "success") != nil {
			t.Fatalf("the flash showed twice")
		}

		// A refused form goes back with field → first message, shown once.
		res = customer.Inertia("POST", "/tickets", map[string]any{"subject": "", "description": "x"}).Want(303)
		if res.Header.Get("Location") != "/support/tickets/create" {
			t.Fatalf("refused: Location %q", res.Header.Get("Location"))
		}
		p = customer.Follow(res).Page()
		if msg, _ := errorsOf(p)["subject"].(string); msg == "" || p.Component != "Escalated/Customer/Create" {
			t.Fatalf("after 422: %s %v", p.Component, p.Props["errors"])
		}
		if again := customer.Inertia("GET", "/tickets/create", nil).Page(); len(errorsOf(again)) != 0 {
			t.Fatalf("the errors showed twice: %v", again.Props["errors"])
		}

		// PUT and DELETE are answered 303 too, so the browser follows with a GET.
		dept := admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales"}).Want(201).Data()["id"]
		admin.Header.Set("Referer", d.Server.URL+fmt.Sprintf("/support/admin/departments/%v/edit", dept))
		res = admin.Inertia("PUT", fmt.Sprint("/admin/departments/", dept), map[string]any{"name": "Sales EMEA"}).Want(303)
		if res.Header.Get("Location") != "/support/admin/departments" {
			t.Fatalf("update: Location %q", res.Header.Get("Location"))
		}
		p = admin.Follow(res).Page()
		if flash(p, "success") != "Department saved." || p.Props["departments"].([]any)[0].(map[string]any)["name"] != "Sales EMEA" {
			t.Fatalf("after update: %v %v", p.Props["flash"], p.Props["departments"])
		}
		res = admin.Inertia("DELETE", fmt.Sprint("/admin/departments/", dept), nil).Want(303)
		if res.Header.Get("Location") != "/support/admin/departments" {
			t.Fatalf("delete: Location %q", res.Header.Get("Location"))
		}

		// Refusals go back with the message: 403, 404 (not yours) and 409 (no such move).
		tk := open(customer, "Mine")
		agent.Header.Set("Referer", d.Server.URL+"/support/agent/tickets/"+tk.Ref)
		for _, c := range []struct {
			client *testdesk.Client
			path   string
			body   any
			msg    string
		}{
			{agent, "/admin/departments", map[string]any{"name": "X"}, "This action is unauthorized."},
			{d.User("customer"), tk.own("/reply"), map[string]any{"body": "Hi"}, "Ticket not found."},
			{agent, tk.path("/status"), map[string]any{"status": "reopened"}, "open"},
		} {
			res := c.client.Inertia("POST", c.path, c.body).Want(303)
			p := c.client.Follow(res).Page()
			if msg, _ := flash(p, "error").(string); !strings.Contains(msg, c.msg) {
				t.Errorf("POST %s: flash.error %q, want %q", c.path, msg, c.msg)
			}
		}

		// Nobody signed in is sent to sign in; a Referer from elsewhere is not followed.
		res = d.Anonymous().Inertia("POST", "/tickets", map[string]any{"subject": "x", "description": "y"}).Want(303)
		if res.Header.Get("Location") != "/support/login" {
			t.Fatalf("anonymous: Location %q", res.Header.Get("Location"))
		}
		customer.Header.Set("Referer", "https://evil.example/support/tickets")
		res = customer.Inertia("POST", tk.own("/reply"), map[string]any{"body": "Thanks"}).Want(303)
		if res.Header.Get("Location") != "/support/" {
			t.Fatalf("foreign Referer: Location %q", res.Header.Get("Location"))
		}
	})
}

// TestSignInThroughTheWebUI: a visitor sent to sign in comes back to the page they wanted;
// the front door sends each person home; the second factor has its page.
func TestSignInThroughTheWebUI(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		b := d.Anonymous()
		res := b.Inertia("GET", "/agent/tickets?status=open", nil).Want(303)
		if res.Header.Get("Location") != "/support/login" {
			t.Fatalf("anonymous visit: Location %q", res.Header.Get("Location"))
		}
		p := b.Follow(res).Want(200).Page()
		if p.Component != "Escalated/Auth/Login" || p.Props["action"] != "/support/login" || p.Props["auth"].(map[string]any)["user"] != nil {
			t.Fatalf("login page %+v", p)
		}
		b.Header.Set("Referer", d.Server.URL+"/support/login")
		p = b.Follow(b.Inertia("POST", "/login", map[string]any{"email": agent.Email, "password": "wrong"}).Want(303)).Page()
		if p.Component != "Escalated/Auth/Login" || errorsOf(p)["email"] == nil {
			t.Fatalf("wrong password: %s %v", p.Component, p.Props["errors"])
		}
		res = b.Inertia("POST", "/login", map[string]any{"email": agent.Email, "password": testdesk.Password, "remember": true}).Want(303)
		if res.Header.Get("Location") != "/support/agent/tickets?status=open" {
			t.Fatalf("after sign-in: Location %q", res.Header.Get("Location"))
		}
		user := b.Follow(res).Page().Props["auth"].(map[string]any)["user"].(map[string]any)
		if user["email"] != agent.Email || user["name"] != agent.Name || user["id"] != float64(agent.ID) {
			t.Fatalf("auth.user %v", user)
		}
		// Signed in, the sign-in page sends you home.
		if res := b.Inertia("GET", "/login", nil).Want(303); res.Header.Get("Location") != "/support/agent/tickets/dashboard" {
			t.Fatalf("login page when signed in: %q", res.Header.Get("Location"))
		}

		for _, c := range []struct {
			client *testdesk.Client
			home   string
		}{
			{d.User("customer"), "/support/tickets"},
			{agent, "/support/agent/tickets/dashboard"},
			{d.User("admin"), "/support/agent/tickets/dashboard"},
			{d.Anonymous(), "/support/login"},
		} {
			if res := c.client.Inertia("GET", "/", nil).Want(303); res.Header.Get("Location") != c.home {
				t.Errorf("front door for %s: %q, want %q", c.client.Email, res.Header.Get("Location"), c.home)
			}
		}

		// With two-factor sign-in on, the password leads to the second factor's page.
		enrol(t, d, agent)
		half := d.Anonymous()
		res = half.Inertia("POST", "/login", map[string]any{"email": agent.Email, "password": testdesk.Password}).Want(303)
		if res.Header.Get("Location") != "/support/two-factor/challenge" {
			t.Fatalf("2FA sign-in: Location %q", res.Header.Get("Location"))
		}
		p = half.Follow(res).Want(200).Page()
		if p.Component != "Escalated/Auth/TwoFactorChallenge" || p.Props["action"] != "/support/two-factor/verify" || p.Props["error"] != nil {
			t.Fatalf("challenge %+v", p.Props)
		}
		// Other pages send a half-signed-in session back to the challenge.
		if res := half.Inertia("GET", "/agent/tickets", nil).Want(303); res.Header.Get("Location") != "/support/two-factor/challenge" {
			t.Fatalf("half signed in: %q", res.Header.Get("Location"))
		}
		half.Header.Set("Referer", d.Server.URL+"/support/two-factor/challenge")
		p = half.Follow(half.Inertia("POST", "/two-factor/verify", map[string]any{"code": "000000"}).Want(303)).Page()
		if msg, _ := p.Props["error"].(string); msg == "" || errorsOf(p)["code"] != msg {
			t.Fatalf("wrong code: error %v, errors %v", p.Props["error"], p.Props["errors"])
		}

		// Signing out goes to the sign-in page.
		if res := agent.Inertia("POST", "/logout", nil).Want(303); res.Header.Get("Location") != "/support/login" {
			t.Fatalf("logout: %q", res.Header.Get("Location"))
		}
	})
}

// TestCSRFToken: a session that has rendered a page must send its token back on every
// write; API clients that never load a page, and requests without the session, are not
// asked for one.
func TestCSRFToken(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer := d.User("customer")
		creds := map[string]any{"email": customer.Email, "password": testdesk.Password}
		jsonHeaders := map[string]string{"Accept": "application/json"}

		// An API client signs in with JSON and writes without a token.
		api := newBrowser(t, d)
		if res, body := api.do("POST", "/login", jsonHeaders, creds); res.StatusCode != 200 {
			t.Fatalf("API sign-in: %d %s", res.StatusCode, body)
		}
		if res, body := api.do("POST", "/tickets", jsonHeaders, map[string]any{"subject": "API", "description": "x"}); res.StatusCode != 201 {
			t.Fatalf("API write: %d %s", res.StatusCode, body)
		}

		// A browser gets its token with the sign-in page; then every write needs it.
		b := newBrowser(t, d)
		b.do("GET", "/login", map[string]string{"Accept": "text/html"}, nil)
		token := b.cookie("XSRF-TOKEN")
		if token == "" {
			t.Fatal("no XSRF-TOKEN cookie after the sign-in page")
		}
		for _, h := range []map[string]string{
			jsonHeaders,
			{"Accept": "application/json", "X-XSRF-TOKEN": "forged"},
			{"X-Inertia": "true", "X-CSRF-TOKEN": token + "x"},
		} {
			res, body := b.do("POST", "/login", h, creds)
			if h["X-Inertia"] == "" && (res.StatusCode != 419 || !strings.Contains(string(body), "CSRF token mismatch")) {
				t.Fatalf("sign-in with %v: %d %s", h, res.StatusCode, body)
			}
			if h["X-Inertia"] != "" && res.StatusCode != 303 {
				t.Fatalf("Inertia sign-in with a wrong token: %d", res.StatusCode)
			}
		}
		if res, _ := b.do("GET", "/me", jsonHeaders, nil); res.StatusCode != 401 {
			t.Fatalf("a refused sign-in signed in: %d", res.StatusCode)
		}
		// The Inertia client sends the cookie as X-XSRF-TOKEN; fetch calls send the meta tag's
		// copy as X-CSRF-TOKEN.
		if res, body := b.do("POST", "/login", map[string]string{"X-Inertia": "true", "X-XSRF-TOKEN": token}, creds); res.StatusCode != 303 || res.Header.Get("Location") != "/support/tickets" {
			t.Fatalf("sign-in with the token: %d %v %s", res.StatusCode, res.Header, body)
		}
		if res, body := b.do("POST", "/tickets", map[string]string{"Accept": "application/json", "X-CSRF-TOKEN": token}, map[string]any{"subject": "Web", "description": "x"}); res.StatusCode != 201 {
			t.Fatalf("fetch write with the token: %d %s", res.StatusCode, body)
		}
		if res, _ := b.do("POST", "/tickets", jsonHeaders, map[string]any{"subject": "Forged", "description": "x"}); res.StatusCode != 419 {
			t.Fatalf("write without the token: %d", res.StatusCode)
		}
		// An Inertia write without it goes back with the message; nothing is written.
		res, _ := b.do("POST", "/tickets", map[string]string{"X-Inertia": "true", "Referer": d.Server.URL + "/support/tickets"}, map[string]any{"subject": "Forged", "description": "x"})
		if res.StatusCode != 303 || res.Header.Get("Location") != "/support/tickets" {
			t.Fatalf("Inertia write without the token: %d %v", res.StatusCode, res.Header)
		}
		if n := len(customer.Do("GET", "/tickets", nil).Want(200).JSON()["data"].([]any)); n != 2 {
			t.Fatalf("%d tickets, want the API's and the web's", n)
		}
	})
}

// TestErrorPages: a browser or Inertia visit that fails gets the Error page with the status.
func TestErrorPages(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, other := d.User("customer"), d.User("customer")
		tk := open(other, "Not yours")
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/no/such/page", 404},
			{tk.own(""), 404},
			{"/admin/departments", 403},
			{"/agent/tickets/" + tk.Ref, 403},
		} {
			p := customer.Inertia("GET", c.path, nil).Want(c.status).Page()
			if p.Component != "Escalated/Error" || p.Props["status"] != float64(c.status) || p.Props["home"] != "/support/" || p.Props["message"] == "" {
				t.Errorf("GET %s: %+v", c.path, p)
			}
			if p.Props["auth"].(map[string]any)["user"] == nil {
				t.Errorf("GET %s: the error page lost who is signed in", c.path)
			}
		}
		b := newBrowser(t, d)
		res, body := b.do("GET", "/no/such/page", map[string]string{"Accept": "text/html"}, nil)
		if res.StatusCode != 404 || shellPage(t, body).Component != "Escalated/Error" {
			t.Fatalf("browser 404: %d %s", res.StatusCode, body)
		}
		// API clients keep their JSON errors.
		if msg := customer.Do("GET", "/no/such/page", nil).Want(404).JSON()["message"]; msg != "Page not found." {
			t.Fatalf("JSON 404: %v", msg)
		}
	})
}

// TestSharedProps: every page carries the layout's settings, the user and the route table.
func TestSharedProps(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		desk := func(c *testdesk.Client, path string) map[string]any {
			return c.Inertia("GET", path, nil).Want(200).Page().Props["escalated"].(map[string]any)
		}
		admin := desk(d.User("admin"), "/agent/tickets")
		if admin["is_admin"] != true || admin["is_agent"] != true || admin["agent_type"] != "full" ||
			fmt.Sprint(admin["permissions"]) != "[*]" || admin["prefix"] != "support" {
			t.Fatalf("admin: %v", admin)
		}
		light := desk(d.User("light_agent"), "/agent/tickets")
		if light["is_admin"] != false || light["agent_type"] != "light" || !strings.Contains(fmt.Sprint(light["permissions"]), "reply.create_internal") {
			t.Fatalf("light agent: %v", light)
		}
		customer := desk(d.User("customer"), "/tickets")
		if customer["is_agent"] != false || customer["agent_type"] != nil || len(customer["permissions"].([]any)) != 0 {
			t.Fatalf("customer: %v", customer)
		}
		// The knowledge base is not served yet, so the layout must not link it.
		if customer["knowledge_base_enabled"] != false {
			t.Fatalf("knowledge base linked: %v", customer)
		}
		ziggy := d.Anonymous().Inertia("GET", "/login", nil).Want(200).Page().Props["ziggy"].(map[string]any)
		if ziggy["url"] != d.Server.URL || ziggy["routes"].(map[string]any)["escalated.customer.tickets.show"] == nil {
			t.Fatalf("ziggy: url %v, %d routes", ziggy["url"], len(ziggy["routes"].(map[string]any)))
		}
	})
}

// TestPageOnlyRoutesAnswerJSON: an API client asking for a page-only URL gets its props.
func TestPageOnlyRoutesAnswerJSON(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		got := d.User("customer").Do("GET", "/tickets/create", nil).Want(200).Data()
		if fmt.Sprint(got["priorities"]) != "[low medium high urgent critical]" || got["departments"] == nil {
			t.Fatalf("create page as JSON: %v", got)
		}
	})
}
