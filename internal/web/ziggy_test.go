package web_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/web"
)

type ziggyRoute struct {
	URI        string            `json:"uri"`
	Methods    []string          `json:"methods"`
	Parameters []string          `json:"parameters"`
	Wheres     map[string]string `json:"wheres"`
}

type ziggyConfig struct {
	URL      string                `json:"url"`
	Port     *int                  `json:"port"`
	Defaults map[string]any        `json:"defaults"`
	Routes   map[string]ziggyRoute `json:"routes"`
}

// ziggyOf reads props.ziggy from a page.
func ziggyOf(t *testing.T, p testdesk.Page) ziggyConfig {
	t.Helper()
	var z ziggyConfig
	b, _ := json.Marshal(p.Props["ziggy"])
	if err := json.Unmarshal(b, &z); err != nil {
		t.Fatal(err)
	}
	return z
}

// TestZiggyListsTheRouteTable: every named route of the table is in props.ziggy with its URI
// (no leading slash), its methods (a GET with HEAD) and its parameters, and a route name
// means one URI.
func TestZiggyListsTheRouteTable(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		z := ziggyOf(t, d.User("admin").Inertia("GET", "/agent/tickets", nil).Want(200).Page())
		if z.URL != d.Server.URL || z.Port == nil || z.Defaults == nil {
			t.Fatalf("ziggy url %q port %v defaults %v", z.URL, z.Port, z.Defaults)
		}
		named := 0
		for _, rt := range d.Handler().(*web.Server).Routes() {
			if rt.Name == "" || strings.HasPrefix(rt.Path, "/api/") {
				continue // the REST API is not the frontend's
			}
			named++
			zr, ok := z.Routes[rt.Name]
			if !ok {
				t.Errorf("%s is not in ziggy", rt.Name)
				continue
			}
			path := strings.TrimSuffix(strings.ReplaceAll(strings.ReplaceAll(rt.Path, "{$}", ""), "...}", "}"), "/")
			if want := "support" + path; zr.URI != want {
				t.Errorf("%s: uri %q, want %q (one name, two URIs?)", rt.Name, zr.URI, want)
			}
			if !slices.Contains(zr.Methods, rt.Method) || (rt.Method == "GET" && !slices.Contains(zr.Methods, "HEAD")) {
				t.Errorf("%s %s: methods %v", rt.Method, rt.Name, zr.Methods)
			}
			var params []string
			for _, m := range regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`).FindAllStringSubmatch(rt.Path, -1) {
				if m[1] != "$" {
					params = append(params, m[1])
				}
			}
			if !slices.Equal(zr.Parameters, params) && !(len(params) == 0 && len(zr.Parameters) == 0) {
				t.Errorf("%s: parameters %v, want %v", rt.Name, zr.Parameters, params)
			}
		}
		if len(z.Routes) != len(uniqueNames(d)) || named < 80 {
			t.Fatalf("ziggy has %d routes for %d named lines", len(z.Routes), named)
		}
		if w := z.Routes["escalated.agent.tickets.show"].Wheres["ticket"]; !regexp.MustCompile("^("+w+")$").MatchString("ESC-00042") ||
			!regexp.MustCompile("^("+w+")$").MatchString("42") {
			t.Fatalf("ticket where %q refuses a reference or an id", w)
		}
	})
}

func uniqueNames(d *testdesk.Desk) map[string]bool {
	out := map[string]bool{}
	for _, rt := range d.Handler().(*web.Server).Routes() {
		if rt.Name != "" && !strings.HasPrefix(rt.Path, "/api/") {
			out[rt.Name] = true
		}
	}
	return out
}

// contractRoute is a row of routes.tsv: a route name the shared frontend calls, with the
// methods it calls it with and the arguments it passes to route().
type contractRoute struct {
	name     string
	methods  []string // the verbs of frontend_methods
	argForms []string // the alternatives of frontend_route_args
}

func contractRoutes(t *testing.T) []contractRoute {
	t.Helper()
	f, err := os.Open(filepath.Join(contractDir(t), "routes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	verb := regexp.MustCompile(`^[A-Z]+`)
	var out []contractRoute
	for _, row := range rows[1:] {
		c := contractRoute{name: row[col["name"]]}
		for _, m := range strings.Split(row[col["frontend_methods"]], ",") {
			if v := verb.FindString(strings.TrimSpace(m)); v != "" && !slices.Contains(c.methods, v) {
				c.methods = append(c.methods, v)
			}
		}
		for _, a := range strings.Split(row[col["frontend_route_args"]], " | ") {
			c.argForms = append(c.argForms, strings.TrimSpace(a))
		}
		out = append(out, c)
	}
	if len(out) < 150 {
		t.Fatalf("routes.tsv has %d rows; it is not the contract", len(out))
	}
	return out
}

// argsFit reports whether route(name, args) in the frontend's form fills the route's
// parameters as Ziggy would: no argument for no parameter; a scalar for one; [a, b] for two
// in order; {key: value} with a key for every parameter (the others go to the query string).
// Calls made through a variable (<via ...>) cannot be read and fit.
func argsFit(form string, params []string) bool {
	switch {
	case strings.HasPrefix(form, "<via"):
		return true
	case form == "":
		return len(params) == 0
	case strings.HasPrefix(form, "["):
		return len(strings.Split(strings.Trim(form, "[]"), ",")) == len(params)
	case strings.HasPrefix(form, "{"):
		var keys []string
		for _, kv := range strings.Split(strings.Trim(form, "{} "), ",") {
			keys = append(keys, strings.TrimSpace(strings.SplitN(kv, ":", 2)[0]))
		}
		for _, p := range params {
			if !slices.Contains(keys, p) {
				return false
			}
		}
		return true
	default:
		return len(params) == 1
	}
}

// TestZiggyResolvesTheContractsRoutes: every route name of routes.tsv the desk serves
// resolves with the methods the frontend uses and takes the arguments it passes. The names
// not served yet are listed, as information.
func TestZiggyResolvesTheContractsRoutes(t *testing.T) {
	contract := contractRoutes(t)
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		z := ziggyOf(t, d.Anonymous().Inertia("GET", "/login", nil).Want(200).Page())
		var served, missing []string
		for _, c := range contract {
			zr, ok := z.Routes[c.name]
			if !ok {
				missing = append(missing, c.name)
				continue
			}
			served = append(served, c.name)
			for _, m := range c.methods {
				if !slices.Contains(zr.Methods, m) {
					t.Errorf("%s: the frontend calls it with %s; the desk serves %v", c.name, m, zr.Methods)
				}
			}
			for _, form := range c.argForms {
				if !argsFit(form, zr.Parameters) {
					t.Errorf("%s: the frontend passes %q; the route takes %v", c.name, form, zr.Parameters)
				}
			}
		}
		for _, must := range []string{"login", "escalated.customer.tickets.index", "escalated.agent.tickets.show", "escalated.admin.settings", "escalated.two-factor.verify"} {
			if !slices.Contains(served, must) {
				t.Errorf("%s is not served", must)
			}
		}
		t.Logf("routes.tsv: %d names served, %d not served yet: %s", len(served), len(missing), strings.Join(missing, " "))
	})
}
