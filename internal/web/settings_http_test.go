package web_test

import (
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAdminChangesSettings(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		got := admin.Do("GET", "/admin/settings", nil).Want(200).Data()
		if got["allow_customer_close"] != true || got["ticket_reference_prefix"] != "ESC" || got["guest_policy_mode"] != "unassigned" {
			t.Fatalf("default settings = %v", got)
		}

		got = admin.Do("POST", "/admin/settings", map[string]any{
			"ticket_reference_prefix": "HELP", "csat_scale": 3, "widget_enabled": true,
		}).Want(200).Data()
		if got["ticket_reference_prefix"] != "HELP" || got["csat_scale"] != float64(3) || got["widget_enabled"] != true {
			t.Fatalf("settings after update = %v", got)
		}

		// New tickets take the new prefix; references stay unique.
		customer := d.User("customer")
		tk := customer.Do("POST", "/tickets", map[string]any{"subject": "Hi", "description": "There"}).Want(201).Data()
		if ref := tk["reference"].(string); !strings.HasPrefix(ref, "HELP-") {
			t.Fatalf("reference = %q, want HELP- prefix", ref)
		}
	})
}

func TestSettingsRefuseBadInputAndOutsiders(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		cases := []struct {
			body  string
			field string
		}{
			{`{"no_such_setting": true}`, "no_such_setting"},
			{`{"allow_customer_close": "yes"}`, "allow_customer_close"},
			{`{"csat_scale": 9}`, "csat_scale"},
			{`{"csat_scale": 4.5}`, "csat_scale"},
			{`{"ticket_reference_prefix": "ES-C"}`, "ticket_reference_prefix"},
			{`{"ticket_reference_prefix": "esc"}`, "ticket_reference_prefix"},
			{`{"guest_policy_mode": "everyone"}`, "guest_policy_mode"},
			{`{"widget_color": "red"}`, "widget_color"},
			{`{"widget_greeting": "` + strings.Repeat("x", 501) + `"}`, "widget_greeting"},
			// PostgreSQL stores no NUL; the audit row of the change failed with a 500.
			{`{"widget_greeting": "Hi\u0000there"}`, "widget_greeting"},
			{`{}`, "body"},
			{`[]`, "body"},
			{`{"csat_scale": 3} {"x": 1}`, "body"},
			{`not json`, "body"},
		}
		for _, c := range cases {
			admin.Do("POST", "/admin/settings", c.body).Want(422).FieldError(c.field)
		}
		// A request with one bad key stores none of its good ones.
		admin.Do("POST", "/admin/settings", `{"csat_scale": 3, "bogus": 1}`).Want(422)
		if got := admin.Do("GET", "/admin/settings", nil).Want(200).Data(); got["csat_scale"] != float64(5) {
			t.Fatalf("csat_scale = %v after a refused update, want 5", got["csat_scale"])
		}
		admin.Do("POST", "/admin/settings", `{"widget_greeting": "`+strings.Repeat("é", 600)+`"`).Want(422)
		// The limit counts characters, not bytes: 500 two-byte letters fit, 501 do not.
		greeting := strings.Repeat("é", 500)
		admin.Do("POST", "/admin/settings", map[string]any{"widget_greeting": greeting}).Want(200)
		if got := admin.Do("GET", "/admin/settings", nil).Want(200).Data(); got["widget_greeting"] != greeting {
			t.Fatalf("widget_greeting = %q, want 500 × é", got["widget_greeting"])
		}
		admin.Do("POST", "/admin/settings", map[string]any{"widget_greeting": greeting + "é"}).Want(422).FieldError("widget_greeting")

		d.User("agent").Do("POST", "/admin/settings", map[string]any{"csat_scale": 3}).Want(403)
		d.User("customer").Do("GET", "/admin/settings", nil).Want(403)
		d.Anonymous().Do("GET", "/admin/settings", nil).Want(401)
	})
}
