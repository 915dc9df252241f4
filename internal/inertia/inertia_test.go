package inertia

import (
	"encoding/json"
	"errors"
	"html"
	"html/template"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const manifest = `{
  "src/main.js": {"file": "assets/main-1a2b.js", "src": "src/main.js", "isEntry": true,
    "css": ["assets/main-3c4d.css"], "imports": ["_vendor-5e6f.js", "_shared-7a8b.js"]},
  "_vendor-5e6f.js": {"file": "assets/vendor-5e6f.js", "css": ["assets/vendor-9c0d.css"]},
  "_shared-7a8b.js": {"file": "assets/shared-7a8b.js", "imports": ["_vendor-5e6f.js"], "css": ["assets/main-3c4d.css"]},
  "src/pages/Lazy.vue": {"file": "assets/Lazy-0e1f.js", "isDynamicEntry": true}
}`

func renderer(t *testing.T) *Renderer {
	t.Helper()
	x, err := New(nil, []byte(manifest), "src/main.js", "/support/build/")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestEntryAssetsFollowImportsOnce(t *testing.T) {
	a, err := EntryAssets([]byte(manifest), "src/main.js", "/b/")
	if err != nil {
		t.Fatal(err)
	}
	if a.Script != "/b/assets/main-1a2b.js" ||
		!slices.Equal(a.Styles, []string{"/b/assets/main-3c4d.css", "/b/assets/vendor-9c0d.css"}) ||
		!slices.Equal(a.Preloads, []string{"/b/assets/vendor-5e6f.js", "/b/assets/shared-7a8b.js"}) {
		t.Fatalf("assets %+v", a)
	}
	for _, bad := range []struct{ manifest, entry string }{
		{manifest, "src/other.js"},
		{`{"src/main.js": {"file": "a.js", "imports": ["_gone.js"]}}`, "src/main.js"},
		{`not json`, "src/main.js"},
	} {
		if _, err := EntryAssets([]byte(bad.manifest), bad.entry, "/b/"); err == nil {
			t.Errorf("%s in %s: no error", bad.entry, bad.manifest)
		}
	}
}

func TestVersionIsTheManifestsHash(t *testing.T) {
	x := renderer(t)
	other, err := New(nil, []byte(strings.Replace(manifest, "1a2b", "9999", 1)), "src/main.js", "/support/build/")
	if err != nil {
		t.Fatal(err)
	}
	if x.Version() == "" || x.Version() == other.Version() || x.Version() != renderer(t).Version() {
		t.Fatalf("versions %q %q", x.Version(), other.Version())
	}
}

func inertiaRequest(method, target string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set(HeaderInertia, "true")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func TestInertiaVisitGetsThePageAsJSON(t *testing.T) {
	x := renderer(t)
	w := httptest.NewRecorder()
	p := Page{Component: "Escalated/Customer/Index", Props: map[string]any{"tickets": []int{1}}, URL: "/support/tickets?page=2"}
	if err := x.Render(w, inertiaRequest("GET", "/support/tickets?page=2", HeaderVersion, x.Version()), 200, p, "tok"); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Header().Get(HeaderInertia) != "true" || w.Header().Get("Vary") != HeaderInertia ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var got Page
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Component != p.Component || got.URL != p.URL || got.Version != x.Version() || len(got.Props["tickets"].([]any)) != 1 {
		t.Fatalf("page %+v", got)
	}
}

var dataPage = regexp.MustCompile(`<div id="app" data-page="([^"]*)"></div>`)

// TestFirstVisitGetsTheShell: the page object rides in an attribute, escaped so that no prop
// can end the attribute or open a tag, and the only script is the build's module.
func TestFirstVisitGetsTheShell(t *testing.T) {
	x := renderer(t)
	hostile := `"></div><script>alert(1)</script><div x='&amp;`
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/support/tickets", nil)
	r.Header.Set("Accept", "text/html")
	p := Page{Component: "Escalated/Customer/Show", Props: map[string]any{"subject": hostile}, URL: "/support/tickets"}
	if err := x.Render(w, r, 200, p, "the-token"); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get(HeaderInertia) != "" || w.Header().Get("Vary") != HeaderInertia {
		t.Fatalf("headers %v", w.Header())
	}
	for _, want := range []string{
		`<meta name="csrf-token" content="the-token">`,
		`<script type="module" src="/support/build/assets/main-1a2b.js"></script>`,
		`<link rel="stylesheet" href="/support/build/assets/main-3c4d.css">`,
		`<link rel="stylesheet" href="/support/build/assets/vendor-9c0d.css">`,
		`<link rel="modulepreload" href="/support/build/assets/vendor-5e6f.js">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("shell lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || strings.Count(body, "<script") != 1 || strings.Count(body, "</div>") != 1 {
		t.Fatalf("the shell has markup from a prop or an inline script:\n%s", body)
	}
	m := dataPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no data-page:\n%s", body)
	}
	var got Page
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatal(err)
	}
	if got.Props["subject"] != hostile || got.Version != x.Version() || got.Component != p.Component {
		t.Fatalf("page %+v", got)
	}
}

func TestHeadSendsNoBody(t *testing.T) {
	x := renderer(t)
	for _, r := range []*http.Request{httptest.NewRequest("HEAD", "/x", nil), inertiaRequest("HEAD", "/x")} {
		w := httptest.NewRecorder()
		if err := x.Render(w, r, 200, Page{Component: "C", Props: map[string]any{}}, ""); err != nil {
			t.Fatal(err)
		}
		if w.Code != 200 || w.Body.Len() != 0 {
			t.Fatalf("HEAD: %d %q", w.Code, w.Body)
		}
	}
}

func TestPartialReloads(t *testing.T) {
	x := renderer(t)
	var computed []string
	lazy := func(name string) Lazy {
		return func() (any, error) { computed = append(computed, name); return name, nil }
	}
	props := func() map[string]any {
		return map[string]any{
			"tickets": lazy("tickets"), "filters": "f", "ziggy": lazy("ziggy"),
			"errors": Always{Value: lazy("errors")},
		}
	}
	keys := func(w *httptest.ResponseRecorder) []string {
		var p Page
		json.Unmarshal(w.Body.Bytes(), &p)
		var out []string
		for k := range p.Props {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		name    string
		headers []string
		want    []string
	}{
		{"full visit", nil, []string{"errors", "filters", "tickets", "ziggy"}},
		{"only", []string{HeaderPartialComponent, "Page", HeaderPartialData, "tickets"}, []string{"errors", "tickets"}},
		{"only, two", []string{HeaderPartialComponent, "Page", HeaderPartialData, "tickets, filters"}, []string{"errors", "filters", "tickets"}},
		{"except", []string{HeaderPartialComponent, "Page", HeaderPartialExcept, "ziggy"}, []string{"errors", "filters", "tickets"}},
		{"only and except", []string{HeaderPartialComponent, "Page", HeaderPartialData, "tickets,ziggy", HeaderPartialExcept, "ziggy"}, []string{"errors", "tickets"}},
		{"errors always", []string{HeaderPartialComponent, "Page", HeaderPartialExcept, "errors"}, []string{"errors", "filters", "tickets", "ziggy"}},
		{"another component", []string{HeaderPartialComponent, "Other", HeaderPartialData, "tickets"}, []string{"errors", "filters", "tickets", "ziggy"}},
	} {
		computed = nil
		w := httptest.NewRecorder()
		headers := append([]string{HeaderVersion, x.Version()}, c.headers...)
		if err := x.Render(w, inertiaRequest("GET", "/p", headers...), 200, Page{Component: "Page", Props: props()}, ""); err != nil {
			t.Fatal(err)
		}
		if got := keys(w); !slices.Equal(got, c.want) {
			t.Errorf("%s: props %v, want %v", c.name, got, c.want)
		}
		// A lazy prop left out is never computed.
		slices.Sort(computed)
		var wantComputed []string
		for _, k := range c.want {
			if k != "filters" {
				wantComputed = append(wantComputed, k)
			}
		}
		if !slices.Equal(computed, wantComputed) {
			t.Errorf("%s: computed %v, want %v", c.name, computed, wantComputed)
		}
	}
	// Partial headers on a first visit mean nothing: the shell has every prop.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/p", nil)
	r.Header.Set(HeaderPartialComponent, "Page")
	r.Header.Set(HeaderPartialData, "tickets")
	if err := x.Render(w, r, 200, Page{Component: "Page", Props: props()}, ""); err != nil {
		t.Fatal(err)
	}
	if m := dataPage.FindStringSubmatch(w.Body.String()); m == nil || !strings.Contains(html.UnescapeString(m[1]), `"ziggy"`) {
		t.Fatalf("first visit with partial headers: %s", w.Body)
	}
}

func TestLazyErrorsFailTheRender(t *testing.T) {
	x := renderer(t)
	boom := errors.New("boom")
	w := httptest.NewRecorder()
	err := x.Render(w, inertiaRequest("GET", "/p", HeaderVersion, x.Version()), 200,
		Page{Component: "P", Props: map[string]any{"a": Lazy(func() (any, error) { return nil, boom })}}, "")
	if !errors.Is(err, boom) || w.Body.Len() != 0 || w.Code != 200 {
		t.Fatalf("err %v, wrote %d %q", err, w.Code, w.Body)
	}
}

func TestStaleVisitsReloadTheBuild(t *testing.T) {
	x := renderer(t)
	for _, c := range []struct {
		r     *http.Request
		stale bool
	}{
		{inertiaRequest("GET", "/p", HeaderVersion, x.Version()), false},
		{inertiaRequest("GET", "/p", HeaderVersion, "old"), true},
		{inertiaRequest("GET", "/p"), true},
		// Only GETs: a form post made with an old build still gets its answer.
		{inertiaRequest("POST", "/p", HeaderVersion, "old"), false},
		{httptest.NewRequest("GET", "/p", nil), false},
	} {
		if got := x.Stale(c.r); got != c.stale {
			t.Errorf("%s %v: stale %v", c.r.Method, c.r.Header, got)
		}
	}
	w := httptest.NewRecorder()
	Location(w, inertiaRequest("GET", "/p"), "/support/tickets?page=2")
	if w.Code != http.StatusConflict || w.Header().Get(HeaderLocation) != "/support/tickets?page=2" {
		t.Fatalf("location for Inertia: %d %v", w.Code, w.Header())
	}
	w = httptest.NewRecorder()
	Location(w, httptest.NewRequest("GET", "/p", nil), "/support/tickets")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/support/tickets" {
		t.Fatalf("location for a browser: %d %v", w.Code, w.Header())
	}
}

func TestHostShell(t *testing.T) {
	shell := template.Must(template.New("host").Parse(`<html data-host><body><div id="app" data-page="{{.Page}}"></div><script type="module" src="{{.Script}}"></script></body></html>`))
	x, err := New(shell, []byte(manifest), "src/main.js", "/help/build/")
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := x.Render(w, httptest.NewRequest("GET", "/help", nil), 200, Page{Component: "C", Props: map[string]any{}}, ""); err != nil {
		t.Fatal(err)
	}
	if body := w.Body.String(); !strings.Contains(body, "data-host") || !strings.Contains(body, `src="/help/build/assets/main-1a2b.js"`) {
		t.Fatalf("host shell: %s", body)
	}
}
