package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAdminManagesUsers(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		for _, u := range []map[string]any{
			{"name": "Ada Lovelace", "email": "ada@example.test", "password": "analytical", "role": "agent"},
			{"name": "Grace Hopper", "email": "grace@navy.example", "password": "compiler!", "role": "light_agent"},
			{"name": "Alan Turing", "email": "alan@example.test", "password": "enigma123"},
		} {
			created := admin.Do("POST", "/admin/users", u).Want(201)
			if strings.Contains(string(created.Body), "password") {
				t.Fatalf("created user shows a password: %s", created.Body)
			}
		}

		all := admin.Do("GET", "/admin/users", nil).Want(200)
		if strings.Contains(string(all.Body), "password") || strings.Contains(string(all.Body), "argon2") {
			t.Fatalf("user list leaks password hashes: %s", all.Body)
		}
		page := all.JSON()
		for _, key := range []string{"data", "current_page", "per_page", "total", "last_page", "from", "to", "links", "next_page_url", "prev_page_url"} {
			if _, ok := page[key]; !ok {
				t.Fatalf("user list has no %q: %v", key, page)
			}
		}
		if names := userNames(page); strings.Join(names, ",") != "Ada Lovelace,admin 1,Alan Turing,Grace Hopper" {
			t.Fatalf("users = %v, want all four by name", names)
		}

		for query, want := range map[string]string{
			"search=ADA":                          "Ada Lovelace",
			"search=navy.EXAMPLE":                 "Grace Hopper",
			"search=a%25":                         "",
			"search=_":                            "",
			"role=agent":                          "Ada Lovelace",
			"role=customer":                       "Alan Turing",
			"role=customer&search=grace":          "",
			"role=nobody":                         "",
			"search=" + url.QueryEscape(" alan "): "Alan Turing",
		} {
			got := userNames(admin.Do("GET", "/admin/users?"+query, nil).Want(200).JSON())
			if strings.Join(got, ",") != want {
				t.Errorf("%s: users = %v, want %q", query, got, want)
			}
		}

		second := admin.Do("GET", "/admin/users?per_page=3&page=2&search=a", nil).Want(200).JSON()
		if second["total"] != 4.0 || second["last_page"] != 2.0 || second["from"] != 4.0 ||
			strings.Join(userNames(second), ",") != "Grace Hopper" || !strings.Contains(second["prev_page_url"].(string), "search=a") {
			t.Fatalf("second page = %v", second)
		}

		ada := findUser(t, admin, "ada@example.test")
		path := fmt.Sprint("/admin/users/", ada["id"])
		shown := admin.Do("GET", path, nil).Want(200)
		if strings.Contains(string(shown.Body), "password") || shown.Data()["role"] != "agent" || shown.Data()["is_active"] != true {
			t.Fatalf("shown = %s", shown.Body)
		}

		updated := admin.Do("PATCH", path, map[string]any{"name": " Ada King ", "email": "ada.king@example.test", "password": "difference engine"}).Want(200).Data()
		if updated["name"] != "Ada King" || updated["email"] != "ada.king@example.test" || updated["role"] != "agent" {
			t.Fatalf("updated = %v", updated)
		}
		// Changing only the case of one's own email is not a clash with oneself.
		admin.Do("PUT", path, map[string]any{"email": "Ada.King@example.test"}).Want(200)

		ada2 := d.Anonymous()
		ada2.Do("POST", "/login", map[string]any{"email": "ada@example.test", "password": "analytical"}).Want(422)
		ada2.Do("POST", "/login", map[string]any{"email": "ada.king@example.test", "password": "analytical"}).Want(422)
		ada2.Do("POST", "/login", map[string]any{"email": "ada.king@example.test", "password": "difference engine"}).Want(200)
		ada2.Do("GET", "/agent/tickets", nil).Want(200)

		promoted := admin.Do("PATCH", path+"/role", map[string]any{"role": "admin"}).Want(200).Data()
		if promoted["role"] != "admin" {
			t.Fatalf("promoted = %v", promoted)
		}
		ada2.Do("GET", "/admin/users", nil).Want(200)
		admin.Do("PATCH", path+"/role", map[string]any{"role": "customer"}).Want(200)
		ada2.Do("GET", "/agent/tickets", nil).Want(403)
		ada2.Do("GET", "/tickets", nil).Want(200)

		gone := admin.Do("DELETE", path, nil).Want(200).Data()
		if gone["is_active"] != false {
			t.Fatalf("deleted user = %v, want deactivated", gone)
		}
		ada2.Do("GET", "/me", nil).Want(401)
		admin.Do("GET", path, nil).Want(200)
		if names := userNames(admin.Do("GET", "/admin/users?search=ada", nil).Want(200).JSON()); len(names) != 1 {
			t.Fatalf("users matching ada = %v, want the deactivated one still listed for admins", names)
		}

		// Reactivated, they may sign in again.
		admin.Do("PATCH", path, map[string]any{"is_active": true}).Want(200)
		ada2.Do("POST", "/login", map[string]any{"email": "ada.king@example.test", "password": "difference engine"}).Want(200)
		ada2.Do("GET", "/me", nil).Want(200)
	})
}

func TestDeactivatedUserIsSignedOutAtOnce(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		other := d.Anonymous()
		other.Do("POST", "/login", map[string]any{"email": agent.Email, "password": testdesk.Password}).Want(200)
		agent.Do("GET", "/agent/tickets", nil).Want(200)

		admin.Do("DELETE", fmt.Sprint("/admin/users/", agent.ID), nil).Want(200)
		agent.Do("GET", "/agent/tickets", nil).Want(401)
		other.Do("GET", "/me", nil).Want(401)
		agent.Do("POST", "/login", map[string]any{"email": agent.Email, "password": testdesk.Password}).Want(422)
		agent.Do("GET", "/me", nil).Want(401)

		// Deactivating twice changes nothing more.
		admin.Do("DELETE", fmt.Sprint("/admin/users/", agent.ID), nil).Want(200)
	})
}

func TestPasswordResetByAdminSignsUserOut(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		admin.Do("PATCH", fmt.Sprint("/admin/users/", agent.ID), map[string]any{"password": "a new secret"}).Want(200)
		agent.Do("GET", "/me", nil).Want(401)
		agent.Do("POST", "/login", map[string]any{"email": agent.Email, "password": "a new secret"}).Want(200)

		// An admin who changes their own password stays signed in.
		admin.Do("PATCH", fmt.Sprint("/admin/users/", admin.ID), map[string]any{"password": "my new secret"}).Want(200)
		admin.Do("GET", "/me", nil).Want(200)
	})
}

func TestLastAdminIsProtected(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		self := fmt.Sprint("/admin/users/", admin.ID)
		admin.Do("DELETE", self, nil).Want(409)
		admin.Do("PATCH", self, map[string]any{"is_active": false}).Want(409)
		admin.Do("PATCH", self, map[string]any{"role": "agent"}).Want(409)
		admin.Do("PATCH", self+"/role", map[string]any{"role": "customer"}).Want(409)
		// Keeping one's own role is no change at all.
		admin.Do("PATCH", self+"/role", map[string]any{"role": "admin"}).Want(200)
		admin.Do("PATCH", self, map[string]any{"is_active": true, "name": "Boss"}).Want(200)

		// A second admin may be demoted while another remains.
		second := d.User("admin")
		admin.Do("PATCH", fmt.Sprint("/admin/users/", second.ID, "/role"), map[string]any{"role": "agent"}).Want(200)
		third := d.User("admin")
		admin.Do("DELETE", fmt.Sprint("/admin/users/", third.ID), nil).Want(200)

		// Someone holding every permission but not the admin role still cannot remove the last
		// active admin; the deactivated admin does not count.
		d.Role("deputy", auth.Permissions...)
		deputy := d.User("deputy")
		msg := deputy.Do("DELETE", self, nil).Want(409).JSON()["message"].(string)
		if !strings.Contains(msg, "last active admin") {
			t.Fatalf("message = %q", msg)
		}
		deputy.Do("PATCH", self+"/role", map[string]any{"role": "deputy"}).Want(409)
		deputy.Do("PATCH", self, map[string]any{"is_active": false}).Want(409)
		admin.Do("GET", "/admin/users", nil).Want(200)

		// Once another admin is active again, the first may go.
		deputy.Do("PATCH", fmt.Sprint("/admin/users/", third.ID), map[string]any{"is_active": true}).Want(200)
		deputy.Do("DELETE", self, nil).Want(200)
		admin.Do("GET", "/me", nil).Want(401)
	})
}

func TestUserManagersCannotRaiseOrTouchHigherRoles(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		d.Role("people", "user.view", "user.manage", "ticket.view")
		manager := d.User("people")
		agent := d.User("agent")

		created := manager.Do("POST", "/admin/users", map[string]any{"name": "New", "email": "new@example.test", "password": "password1"}).Want(201).Data()
		newPath := fmt.Sprint("/admin/users/", created["id"])
		manager.Do("PATCH", newPath, map[string]any{"name": "Newer"}).Want(200)
		manager.Do("PATCH", newPath+"/role", map[string]any{"role": "admin"}).Want(403)
		manager.Do("PATCH", newPath+"/role", map[string]any{"role": "agent"}).Want(403)
		manager.Do("POST", "/admin/users", map[string]any{"name": "Evil", "email": "evil@example.test", "password": "password1", "role": "admin"}).Want(403)
		manager.Do("PATCH", fmt.Sprint("/admin/users/", manager.ID, "/role"), map[string]any{"role": "admin"}).Want(403)
		manager.Do("DELETE", fmt.Sprint("/admin/users/", admin.ID), nil).Want(403)
		manager.Do("PATCH", fmt.Sprint("/admin/users/", agent.ID), map[string]any{"password": "taken over"}).Want(403)
		admin.Do("GET", "/me", nil).Want(200)
		agent.Do("GET", "/me", nil).Want(200)
		if u := admin.Do("GET", newPath, nil).Want(200).Data(); u["role"] != "customer" {
			t.Fatalf("new user = %v", u)
		}
	})
}

func TestUserEndpointsRefuseHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		path := fmt.Sprint("/admin/users/", agent.ID)

		cases := []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"unknown field", "PATCH", path, map[string]any{"password_hash": "x"}, "password_hash"},
			{"is_active not a boolean", "PATCH", path, map[string]any{"is_active": "yes"}, "is_active"},
			{"name not a string", "PUT", path, map[string]any{"name": 5}, "name"},
			{"bad email", "PATCH", path, map[string]any{"email": "not an email"}, "email"},
			{"email with a display name", "PATCH", path, map[string]any{"email": "Eve <eve@example.test>"}, "email"},
			{"email with NUL", "PATCH", path, map[string]any{"email": "eve\x00@example.test"}, "email"},
			{"duplicate email in other case", "PATCH", path, map[string]any{"email": strings.ToUpper(admin.Email)}, "email"},
			{"blank name", "PATCH", path, map[string]any{"name": " "}, "name"},
			{"huge name", "PATCH", path, map[string]any{"name": strings.Repeat("x", 50_000)}, "name"},
			{"NUL in name", "PATCH", path, map[string]any{"name": "x\x00y"}, "name"},
			{"short password", "PATCH", path, map[string]any{"password": "short"}, "password"},
			{"huge password", "PATCH", path, map[string]any{"password": strings.Repeat("p", 5000)}, "password"},
			{"unknown role", "PATCH", path, map[string]any{"role": "overlord"}, "role"},
			{"malformed role", "PATCH", path, map[string]any{"role": "x\x00"}, "role"},
			{"role change without role", "PATCH", path + "/role", map[string]any{}, "role"},
			{"role not a string", "PATCH", path + "/role", map[string]any{"role": 1}, "role"},
			{"role change with extra field", "PATCH", path + "/role", map[string]any{"role": "admin", "value": true}, "value"},
			{"create duplicate email", "POST", "/admin/users", map[string]any{"name": "A", "email": strings.ToUpper(agent.Email), "password": "password1"}, "email"},
			{"array body", "PATCH", path, `[]`, "body"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				admin.Do(c.method, c.path, c.body).Want(422).FieldError(c.field)
			})
		}
		u := admin.Do("GET", path, nil).Want(200).Data()
		if u["name"] != agent.Name || u["email"] != agent.Email || u["role"] != "agent" || u["is_active"] != true {
			t.Fatalf("user changed by refused requests: %v", u)
		}
		agent.Do("GET", "/agent/tickets", nil).Want(200)
		d.Anonymous().Do("POST", "/login", map[string]any{"email": agent.Email + "\x00", "password": testdesk.Password}).Want(422)

		for _, q := range []string{"search=" + url.QueryEscape("a\x00"), "search=" + strings.Repeat("s", 300), "role=" + url.QueryEscape("a b"), "per_page=1000", "page=0", "page=x"} {
			admin.Do("GET", "/admin/users?"+q, nil).Want(422)
		}

		for _, p := range []string{"/admin/users/999999", "/admin/users/abc", "/admin/users/0", "/admin/users/1e3", "/admin/users/99999999999999999999999"} {
			admin.Do("GET", p, nil).Want(404)
			admin.Do("PATCH", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("PATCH", p+"/role", map[string]any{"role": "agent"}).Want(404)
			admin.Do("DELETE", p, nil).Want(404)
		}
	})
}

func TestUserEndpointsNeedPermission(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		d.User("admin")
		agent := d.User("agent")
		target := d.User("customer")
		path := fmt.Sprint("/admin/users/", target.ID)

		// Agents may look people up but not change them.
		agent.Do("GET", "/admin/users", nil).Want(200)
		agent.Do("GET", path, nil).Want(200)
		for _, c := range []*testdesk.Client{agent, d.User("light_agent"), target} {
			c.Do("POST", "/admin/users", map[string]any{"name": "X", "email": "x@example.test", "password": "password1"}).Want(403)
			c.Do("PATCH", path, map[string]any{"name": "X"}).Want(403)
			c.Do("PUT", path, map[string]any{"name": "X"}).Want(403)
			c.Do("PATCH", path+"/role", map[string]any{"role": "agent"}).Want(403)
			c.Do("DELETE", path, nil).Want(403)
		}
		for _, c := range []*testdesk.Client{d.User("light_agent"), target} {
			c.Do("GET", "/admin/users", nil).Want(403)
			c.Do("GET", path, nil).Want(403)
		}
		anon := d.Anonymous()
		anon.Do("GET", "/admin/users", nil).Want(401)
		anon.Do("GET", path, nil).Want(401)
		anon.Do("PATCH", path+"/role", map[string]any{"role": "admin"}).Want(401)
		anon.Do("DELETE", path, nil).Want(401)
		target.Do("GET", "/me", nil).Want(200)
	})
}

func userNames(page map[string]any) []string {
	var out []string
	for _, v := range page["data"].([]any) {
		out = append(out, v.(map[string]any)["name"].(string))
	}
	return out
}

func findUser(t *testing.T, c *testdesk.Client, email string) map[string]any {
	t.Helper()
	for _, v := range c.Do("GET", "/admin/users?search="+url.QueryEscape(email), nil).Want(200).JSON()["data"].([]any) {
		if u := v.(map[string]any); u["email"] == email {
			return u
		}
	}
	t.Fatalf("no user %s", email)
	return nil
}
