package web_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/web"
	"github.com/escalated-dev/escalated-go/ui"
)

// contractDir is the shared frontend contract (../shared/escalated-contract beside the
// repository, as CI has it), or ESCALATED_CONTRACT_DIR.
func contractDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ESCALATED_CONTRACT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "escalated-contract")
	}
	if _, err := os.Stat(filepath.Join(dir, "pages.json")); err != nil {
		t.Fatalf("the shared frontend contract is not at %s (set ESCALATED_CONTRACT_DIR): %v", dir, err)
	}
	return dir
}

// contractPages is pages.json: every page component the shared frontend has, with the props
// it reads.
func contractPages(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(contractDir(t), "pages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Pages map[string][]string `json:"pages"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Pages) < 80 {
		t.Fatalf("pages.json lists %d pages; it is not the contract", len(c.Pages))
	}
	return c.Pages
}

// deskOwnPages are pages the desk renders that the shared frontend does not have: the
// standalone server's sign-in form, which a host application provides itself, and pages for
// features the shared frontend has none for (the staff's notification inbox, the transition
// table), which our frontend links only when their routes exist.
var deskOwnPages = map[string][]string{
	"Escalated/Auth/Login":              {"action"},
	"Escalated/Agent/Notifications":     {"notifications", "filters", "unread_count"},
	"Escalated/Admin/Transitions/Index": {"statuses", "transitions"},
}

// sharedProps are the props every page carries.
var sharedProps = []string{"escalated", "auth", "flash", "errors", "ziggy"}

// builtEntry is the file the frontend build's manifest names for its entry module.
func builtEntry(t *testing.T) string {
	t.Helper()
	b, err := fs.ReadFile(ui.Dist, "dist/.vite/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct {
		File string `json:"file"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["src/main.js"].File == "" {
		t.Fatalf("the build's manifest has no src/main.js entry: %s", b)
	}
	return m["src/main.js"].File
}

// TestEveryPageMatchesTheContract walks the route table and visits every GET route that
// declares a page as the Inertia client would, as someone allowed to see it: the component
// must be one the shared frontend has (or a documented desk-own page), and every prop the
// contract lists for it must be there, with the shared props.
func TestEveryPageMatchesTheContract(t *testing.T) {
	contract := contractPages(t)
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		enrol(t, d.Desk, admin)
		half := halfSignIn(t, d.Desk, admin.Email)
		customer := d.User("customer")
		// The admin is the requester, so the customer pages show the ticket to them too.
		tk := open(admin, "Show me the pages")
		admin.Do("POST", tk.path("/note"), map[string]any{"body": "A note"}).Want(201)
		// One object of every kind a page names (hardening_test.go), so a new page's path is
		// covered the moment it is in the routes file.
		params := routeParams(t, admin, customer, tk)
		check := func(label string, p testdesk.Page, component string) {
			t.Helper()
			if p.Component != component {
				t.Errorf("%s: component %q, want %q", label, p.Component, component)
				return
			}
			want, ok := contract[component]
			if !ok {
				if want, ok = deskOwnPages[component]; !ok {
					t.Errorf("%s: %s is neither in pages.json nor a desk-own page: the frontend would show a blank screen", label, component)
					return
				}
			}
			for _, prop := range append(want, sharedProps...) {
				if _, ok := p.Props[prop]; !ok {
					t.Errorf("%s: %s has no %q prop", label, component, prop)
				}
			}
		}

		rendered := map[string]bool{}
		for _, rt := range d.Handler().(*web.Server).Routes() {
			if rt.Method != "GET" || rt.UI.Page == "" {
				continue
			}
			path := rt.Path
			for strings.Contains(path, "{") {
				open, end := strings.Index(path, "{"), strings.Index(path, "}")
				v, ok := params[path[open+1:end]]
				if !ok {
					t.Fatalf("%s: no test value for %s; add one to params", rt.Path, path[open:end+1])
				}
				path = path[:open] + v + path[end+1:]
			}
			c := admin
			switch {
			case rt.Guard.Kind == "two_factor":
				c = half
			case rt.Name == "login":
				c = d.Anonymous()
			}
			res := c.Inertia("GET", path, nil).Want(200)
			if got := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(got, "X-Inertia") {
				t.Errorf("GET %s: Vary %q", path, got)
			}
			p := res.Page()
			if p.URL != "/support"+path || p.Version != d.Handler().(*web.Server).AssetVersion() {
				t.Errorf("GET %s: url %q version %q", path, p.URL, p.Version)
			}
			check("GET "+path, p, rt.UI.Page)
			rendered[rt.UI.Page] = true
		}
		// The Error page, for what is not there and what may not be seen.
		check("missing page", admin.Inertia("GET", "/no/such/page", nil).Want(404).Page(), "Escalated/Error")
		check("forbidden page", customer.Inertia("GET", "/admin/departments", nil).Want(403).Page(), "Escalated/Error")
		rendered["Escalated/Error"] = true

		// The pages the issue asks for, so a route that loses its page is noticed.
		for _, want := range []string{
			"Escalated/Customer/Index", "Escalated/Customer/Create", "Escalated/Customer/Show",
			"Escalated/Agent/Dashboard", "Escalated/Agent/TicketIndex", "Escalated/Agent/TicketShow",
			"Escalated/Admin/Departments/Index", "Escalated/Admin/Departments/Form", "Escalated/Admin/Tags/Index",
			"Escalated/Admin/Roles/Index", "Escalated/Admin/Roles/Form", "Escalated/Admin/Users/Index",
			"Escalated/Admin/Statuses/Index", "Escalated/Admin/Statuses/Form", "Escalated/Admin/Settings",
			"Escalated/Admin/Settings/TwoFactor", "Escalated/Admin/BusinessHours/Index", "Escalated/Admin/BusinessHours/Form",
			"Escalated/Admin/EscalationRules/Index", "Escalated/Admin/EscalationRules/Form",
			"Escalated/Admin/Automations/Index", "Escalated/Admin/Automations/Form", "Escalated/Admin/Macros/Index",
			"Escalated/Admin/CannedResponses/Index",
			"Escalated/Admin/AuditLog/Index", "Escalated/Auth/TwoFactorChallenge", "Escalated/Auth/Login", "Escalated/Error",
			"Escalated/Guest/Create", "Escalated/Guest/Show",
			"Escalated/Admin/SlaPolicies/Index", "Escalated/Admin/SlaPolicies/Form",
			"Escalated/Admin/Workflows/Index", "Escalated/Admin/Workflows/Form", "Escalated/Admin/Workflows/Logs",
			"Escalated/Admin/Webhooks/Index", "Escalated/Admin/Webhooks/Form", "Escalated/Admin/Webhooks/DeliveryLog",
			"Escalated/Admin/ApiTokens/Index", "Escalated/Admin/Transitions/Index", "Escalated/Agent/Notifications",
		} {
			if !rendered[want] {
				t.Errorf("no route renders %s", want)
			}
		}
		var names []string
		for name := range rendered {
			names = append(names, name)
		}
		slices.Sort(names)
		t.Logf("%d pages rendered: %s", len(names), strings.Join(names, ", "))
	})
}
