package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/web"
)

// TestSecurityMatrix walks the route table and sends every route, with objects that belong to
// someone else, as each kind of caller that must not get through: nobody, another customer,
// a light agent, an agent whose role lacks exactly the route's permission, and a token whose
// abilities lack exactly it. What each must get follows from the route's guard, so a route
// added later is covered the moment it is in the routes file; one whose path names an object
// routeParams cannot make fails here.
func TestSecurityMatrix(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, owner, other := d.User("admin"), d.User("customer"), d.User("customer")
		light := d.User("light_agent")
		tk := open(owner, "Owned by A")
		params := routeParams(t, admin, owner, tk)
		lightPerms := map[string]bool{}
		for _, p := range []string{"ticket.view", "reply.create_internal", "kb.view", "department.view", "tag.view", "macro.view"} {
			lightPerms[p] = true
		}

		// One agent and one token per permission, each holding every permission but that one.
		without := map[string]*testdesk.Client{}
		agentWithout := func(perm string) *testdesk.Client {
			if c, ok := without[perm]; ok {
				return c
			}
			var rest []string
			for _, p := range auth.Permissions {
				if p != perm {
					rest = append(rest, p)
				}
			}
			slug := "no-" + strings.NewReplacer(".", "-", "_", "-").Replace(perm)
			d.Role(slug, rest...)
			c := d.User(slug)
			without[perm] = c
			return c
		}
		tokens := map[string]*testdesk.Client{}
		tokenWithout := func(perm string) *testdesk.Client {
			if c, ok := tokens[perm]; ok {
				return c
			}
			var rest []string
			for _, p := range auth.Permissions {
				if p != perm {
					rest = append(rest, p)
				}
			}
			tok := admin.Do("POST", "/admin/api-tokens", map[string]any{"name": "no " + perm, "abilities": rest}).Want(201).Data()["token"].(string)
			c := d.Bearer(tok)
			tokens[perm] = c
			return c
		}

		checked := 0
		for _, rt := range d.Handler().(*web.Server).Routes() {
			path := rt.Path
			for strings.Contains(path, "{") {
				open, end := strings.Index(path, "{"), strings.Index(path, "}")
				v, ok := params[path[open+1:end]]
				if !ok {
					t.Fatalf("%s %s: routeParams has no value for {%s}", rt.Method, rt.Path, path[open+1:end])
				}
				path = path[:open] + v + path[end+1:]
			}
			var body any
			if rt.Method != "GET" && rt.Method != "HEAD" {
				body = map[string]any{}
			}
			expect := func(who string, c *testdesk.Client, want int) {
				t.Helper()
				if got := c.Do(rt.Method, path, body); got.Status != want {
					t.Errorf("%s %s as %s: %d, want %d; body %s", rt.Method, rt.Path, who, got.Status, want, got.Body)
				}
				checked++
			}
			g := rt.Guard
			if g.Kind != "public" && !(g.Kind == "user" && g.MidSignIn) {
				expect("anonymous", d.Anonymous(), 401)
			}
			switch g.Kind {
			case "public":
				// A guest route answers a token that opens nothing as a thing that is not
				// there, whoever asks; the token is the only credential it takes.
				if strings.Contains(rt.Path, "{token}") {
					wrong := strings.Replace(rt.Path, "{token}", strings.Repeat("Z", 64), 1)
					for strings.Contains(wrong, "{") {
						open, end := strings.Index(wrong, "{"), strings.Index(wrong, "}")
						wrong = wrong[:open] + params[wrong[open+1:end]] + wrong[end+1:]
					}
					for who, c := range map[string]*testdesk.Client{"anonymous": d.Anonymous(), "a customer": other, "an admin": admin} {
						if got := c.Do(rt.Method, wrong, body); got.Status != 404 {
							t.Errorf("%s %s with a wrong token as %s: %d, want 404", rt.Method, rt.Path, who, got.Status)
						}
						checked++
					}
				}
			case "user":
				// Someone else's object is not there at all.
				if strings.Contains(rt.Path, "{ticket}") || strings.Contains(rt.Path, "{attachment}") {
					expect("another customer", other, 404)
				}
			case "staff":
				expect("a customer", other, 403)
				if g.Perm != "" {
					if !lightPerms[g.Perm] {
						expect("a light agent", light, 403)
					}
					expect("an agent without "+g.Perm, agentWithout(g.Perm), 403)
				}
				if strings.HasPrefix(rt.Path, "/api/") {
					t.Errorf("%s %s: an API route takes a session guard", rt.Method, rt.Path)
				}
			case "token":
				expect("a session", admin, 401)
				if g.Perm != "" {
					expect("a token without "+g.Perm, tokenWithout(g.Perm), 403)
				}
			}
		}
		if checked < 150 {
			t.Fatalf("checked %d route × caller pairs; the route table looks short", checked)
		}
		// Nothing the callers sent reached the ticket.
		detail := admin.Do("GET", tk.path(""), nil).Want(200).Data()
		if detail["status"] != "open" || detail["assigned_to"] != nil || fmt.Sprint(detail["priority"]) != "medium" {
			t.Fatalf("the ticket changed: %v", detail)
		}
	})
}
