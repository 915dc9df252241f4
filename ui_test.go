package escalated_test

import (
	"bytes"
	"encoding/json"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// page reads the page object of an Inertia answer, or of an HTML shell's data-page.
func page(t *testing.T, res *http.Response, body []byte) map[string]any {
	t.Helper()
	if res.Header.Get("X-Inertia") != "true" {
		m := regexp.MustCompile(`data-page="([^"]*)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("%d: no page in %s", res.StatusCode, body)
		}
		body = []byte(html.UnescapeString(string(m[1])))
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostServesItsOwnFrontend: WithUI replaces the page shell and the build the desk serves.
func TestHostServesItsOwnFrontend(t *testing.T) {
	build := fstest.MapFS{
		"manifest.json":       {Data: []byte(`{"resources/js/desk.js": {"file": "assets/desk-abc.js", "isEntry": true, "css": ["assets/desk-def.css"]}}`)},
		"assets/desk-abc.js":  {Data: []byte("console.log('host build')")},
		"assets/desk-def.css": {Data: []byte("body{}")},
	}
	shell := template.Must(template.New("host").Parse(`<!DOCTYPE html><html data-host="acme"><head>` +
		`<meta name="csrf-token" content="{{.CSRFToken}}">{{range .Styles}}<link rel="stylesheet" href="{{.}}">{{end}}` +
		`<script type="module" src="{{.Script}}"></script></head><body><div id="app" data-page="{{.Page}}"></div></body></html>`))
	desk, err := escalated.New(escalated.Config{Database: dbtest.SQLiteURL(t), StoragePath: t.TempDir()},
		escalated.WithUI(escalated.UI{Assets: build, Manifest: "manifest.json", Entry: "resources/js/desk.js", Template: shell}))
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	mux := http.NewServeMux()
	mux.Handle("/support/", desk.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/support/login", nil)
	req.Header.Set("Accept", "text/html")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`data-host="acme"`, `src="/support/build/assets/desk-abc.js"`, `href="/support/build/assets/desk-def.css"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("shell lacks %s: %s", want, body)
		}
	}
	if p := page(t, res, body); p["component"] != "Escalated/Auth/Login" {
		t.Fatalf("page %v", p)
	}
	res, err = http.Get(srv.URL + "/support/build/assets/desk-abc.js")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(js) != "console.log('host build')" {
		t.Fatalf("host asset: %d %s", res.StatusCode, js)
	}

	if _, err := escalated.New(escalated.Config{Database: dbtest.SQLiteURL(t), StoragePath: t.TempDir()},
		escalated.WithUI(escalated.UI{Assets: build, Manifest: "manifest.json"})); err == nil || !strings.Contains(err.Error(), "src/main.js") {
		t.Fatalf("a build without the entry: %v", err)
	}
}

// TestEmbeddedDeskServesTheWebUI: with the host's sign-in, pages and form posts work, the
// desk keeps only the web UI's state in its session, and someone signed out gets the Error
// page: the host, not the desk, has the sign-in page.
func TestEmbeddedDeskServesTheWebUI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		host := &hostApp{users: map[string]escalated.HostUser{"u1": {ExternalID: "u1", Name: "Alice", Email: "alice@host.test", Role: "customer"}}}
		desk, err := escalated.New(escalated.Config{Database: url, StoragePath: t.TempDir()}, escalated.WithIdentityResolver(host.resolve))
		if err != nil {
			t.Fatal(err)
		}
		defer desk.Close()
		mux := http.NewServeMux()
		mux.Handle("/support/", desk.Handler())
		srv := httptest.NewServer(mux)
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		version := ""
		visit := func(user, method, path string, body any) (*http.Response, map[string]any) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = bytes.NewReader(b)
			}
			req, _ := http.NewRequest(method, srv.URL+"/support"+path, rd)
			req.Header.Set("Accept", "text/html")
			if version != "" {
				req.Header.Set("X-Inertia", "true")
				req.Header.Set("X-Inertia-Version", version)
			}
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			for _, c := range jar.Cookies(req.URL) {
				if c.Name == "XSRF-TOKEN" {
					req.Header.Set("X-XSRF-TOKEN", c.Value)
				}
			}
			req.Header.Set("X-Host-User", user)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusSeeOther {
				return res, nil
			}
			return res, page(t, res, out)
		}

		res, p := visit("", "GET", "/tickets", nil)
		if res.StatusCode != 401 || p["component"] != "Escalated/Error" {
			t.Fatalf("signed out: %d %v", res.StatusCode, p)
		}
		if p["props"].(map[string]any)["ziggy"].(map[string]any)["routes"].(map[string]any)["login"] != nil {
			t.Fatal("the desk names a sign-in page it does not serve")
		}
		version = p["version"].(string)
		res, _ = visit("u1", "POST", "/tickets", map[string]any{"subject": "Invoice", "description": "Wrong amount"})
		if res.StatusCode != 303 || res.Header.Get("Location") != "/support/tickets/ESC-00001" {
			t.Fatalf("create: %d %v", res.StatusCode, res.Header)
		}
		_, p = visit("u1", "GET", "/tickets/ESC-00001", nil)
		props := p["props"].(map[string]any)
		if p["component"] != "Escalated/Customer/Show" || props["flash"].(map[string]any)["success"] != "Ticket created." ||
			props["auth"].(map[string]any)["user"].(map[string]any)["name"] != "Alice" {
			t.Fatalf("after create: %v", p)
		}
	})
}
