package web_test

import (
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// TestStoredMarkupNeverComesBackExecutable stores script payloads wherever people type text
// (subject, description, reply, names, a filename) and reads every view of them back: the
// bytes never hold live markup, and every answer is JSON that browsers may not sniff.
func TestStoredMarkupNeverComesBackExecutable(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		const payload = `<script>alert(1)</script><img src=x onerror=alert(1)>"'&`
		admin, customer := d.User("admin"), d.User("customer")
		tk := open(customer, payload)
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": payload}).Want(201)
		post(admin, tk.path("/reply"), [][2]string{{"body", payload}}, upload{name: payload + ".txt", content: payload}).Want(201)
		admin.Do("POST", "/admin/tags", map[string]any{"name": "<b>tag</b>"}).Want(201)
		admin.Do("POST", "/admin/departments", map[string]any{"name": payload}).Want(201)
		token := admin.Do("POST", "/admin/api-tokens", map[string]any{"name": payload, "abilities": []string{"*"}}).Want(201).Data()["token"].(string)
		api := d.Bearer(token)

		reads := []struct {
			c    *testdesk.Client
			path string
		}{
			{customer, "/tickets"}, {customer, tk.own("")},
			{admin, "/agent/tickets"}, {admin, tk.path("")}, {admin, "/agent"},
			{admin, "/admin/tags"}, {admin, "/admin/departments"}, {admin, "/admin/audit-log"},
			{admin, "/admin/api-tokens"},
			{api, "/api/v1/tickets"}, {api, "/api/v1/tickets/" + tk.Ref},
		}
		for _, r := range reads {
			res := r.c.Do("GET", r.path, nil).Want(200)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("GET %s: Content-Type %q", r.path, ct)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s: no nosniff", r.path)
			}
			for _, live := range []string{"<script", "<img", "<b>"} {
				if strings.Contains(strings.ToLower(string(res.Body)), live) {
					t.Errorf("GET %s: body holds live %q: %s", r.path, live, res.Body)
				}
			}
		}
	})
}
