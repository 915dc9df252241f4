package escalated_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// TestLoadConfigReadsTheFileThenTheEnvironment: every key of the README's configuration
// table is read from the file, and its environment variable, where it has one, wins.
func TestLoadConfigReadsTheFileThenTheEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "escalated.json")
	if err := os.WriteFile(file, []byte(`{
		"database": "desk.db", "route_prefix": "help", "ticket_reference_prefix": "HD",
		"default_priority": "high", "allow_customer_close": false, "auto_close_resolved_after_days": 3,
		"sla": {"enabled": false, "business_hours_only": true,
			"business_hours": {"start": "08:00", "end": "16:00", "timezone": "Europe/Berlin", "days": [1, 2, 3]}},
		"enable_real_time": true, "secure_cookies": true,
		"rate_limits": {"per_minute": 100, "login": 4, "two_factor": 3, "guest_create": 2, "guest_lookup": 9}
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := escalated.LoadConfig(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	bh := fromFile.Sla.BusinessHours
	if fromFile.Database != "desk.db" || fromFile.RoutePrefix != "help" || fromFile.TicketReferencePrefix != "HD" ||
		fromFile.DefaultPriority != "high" || *fromFile.AllowCustomerClose || *fromFile.AutoCloseResolvedAfterDays != 3 ||
		*fromFile.Sla.Enabled || !fromFile.Sla.BusinessHoursOnly || bh.Start != "08:00" || bh.End != "16:00" ||
		bh.Timezone != "Europe/Berlin" || !slices.Equal(bh.Days, []int{1, 2, 3}) || !fromFile.EnableRealTime || !fromFile.SecureCookies ||
		fromFile.RateLimits != (escalated.RateLimits{PerMinute: 100, Login: 4, TwoFactor: 3, GuestCreate: 2, GuestLookup: 9}) {
		t.Fatalf("from the file: %+v", fromFile)
	}

	env := map[string]string{
		"ESCALATED_DATABASE_URL": "postgres://desk@db/desk", "ESCALATED_ROUTE_PREFIX": "desk",
		"ESCALATED_TICKET_REFERENCE_PREFIX": "OPS", "ESCALATED_DEFAULT_PRIORITY": "low",
		"ESCALATED_ALLOW_CUSTOMER_CLOSE": "true", "ESCALATED_AUTO_CLOSE_RESOLVED_AFTER_DAYS": "0",
		"ESCALATED_SLA_ENABLED": "true", "ESCALATED_ENABLE_REAL_TIME": "false", "ESCALATED_SECURE_COOKIES": "false",
		"ESCALATED_RATE_LIMIT_PER_MINUTE": "-1", "ESCALATED_RATE_LIMIT_LOGIN": "20", "ESCALATED_RATE_LIMIT_TWO_FACTOR": "6",
		"ESCALATED_RATE_LIMIT_GUEST_CREATE": "7", "ESCALATED_RATE_LIMIT_GUEST_LOOKUP": "8",
	}
	cfg, err := escalated.LoadConfig(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "postgres://desk@db/desk" || cfg.RoutePrefix != "desk" || cfg.TicketReferencePrefix != "OPS" ||
		cfg.DefaultPriority != "low" || !*cfg.AllowCustomerClose || *cfg.AutoCloseResolvedAfterDays != 0 ||
		!*cfg.Sla.Enabled || cfg.EnableRealTime || cfg.SecureCookies ||
		cfg.RateLimits != (escalated.RateLimits{PerMinute: -1, Login: 20, TwoFactor: 6, GuestCreate: 7, GuestLookup: 8}) {
		t.Fatalf("the environment over the file: %+v", cfg)
	}
	// What the environment does not name stays as the file has it.
	if !cfg.Sla.BusinessHoursOnly || cfg.Sla.BusinessHours.Timezone != "Europe/Berlin" {
		t.Fatalf("file values the environment does not name: %+v", cfg.Sla)
	}

	for k, v := range map[string]string{"ESCALATED_ALLOW_CUSTOMER_CLOSE": "maybe", "ESCALATED_SECURE_COOKIES": "on!", "ESCALATED_AUTO_CLOSE_RESOLVED_AFTER_DAYS": "-2"} {
		if _, err := escalated.LoadConfig("", func(key string) string { return map[string]string{k: v}[key] }); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", k, v, err)
		}
	}
}

// TestConfiguredDefaultsReachTheDesk: the configuration's reference prefix, default priority
// and allow_customer_close are what a desk does until an admin changes the settings, which
// then win. secure_cookies marks the session cookie Secure.
func TestConfiguredDefaultsReachTheDesk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		no, days := false, 0
		cfg := testdesk.Config(url)
		cfg.TicketReferencePrefix, cfg.DefaultPriority, cfg.AllowCustomerClose, cfg.AutoCloseResolvedAfterDays = "HD", "high", &no, &days
		d := testdesk.NewConfig(t, cfg)
		admin, customer := d.User("admin"), d.User("customer")

		set := admin.Do("GET", "/admin/settings", nil).Want(200).Data()
		if set["ticket_reference_prefix"] != "HD" || set["default_priority"] != "high" || set["allow_customer_close"] != false || set["auto_close_resolved_after_days"] != 0.0 {
			t.Fatalf("settings of a configured desk: %v", set)
		}
		tk := customer.Do("POST", "/tickets", map[string]any{"subject": "Kettle", "description": "Leaks"}).Want(201).Data()
		ref, _ := tk["reference"].(string)
		if !strings.HasPrefix(ref, "HD-") || tk["priority"] != "high" {
			t.Fatalf("new ticket %v, want reference HD-… and priority high", tk)
		}
		customer.Do("POST", "/tickets/"+ref+"/close", nil).Want(403)

		admin.Do("POST", "/admin/settings", map[string]any{"ticket_reference_prefix": "OPS", "default_priority": "low", "allow_customer_close": true}).Want(200)
		tk = customer.Do("POST", "/tickets", map[string]any{"subject": "Toaster", "description": "Burns"}).Want(201).Data()
		if ref, _ := tk["reference"].(string); !strings.HasPrefix(ref, "OPS-") || tk["priority"] != "low" {
			t.Fatalf("ticket after the admin's settings %v, want reference OPS-… and priority low", tk)
		}
		if got := customer.Do("POST", "/tickets/"+ref+"/close", nil).Want(200).Data()["status"]; got != "closed" {
			t.Fatalf("customer close once the setting allows it: status %v", got)
		}
	})

	for _, secure := range []bool{false, true} {
		cfg := testdesk.Config(dbtest.SQLiteURL(t))
		cfg.SecureCookies = secure
		d := testdesk.NewConfig(t, cfg)
		if _, err := d.Users.Create(t.Context(), escalated.NewUser{Name: "Ann", Email: "ann@example.test", Password: testdesk.Password, Role: "agent"}); err != nil {
			t.Fatal(err)
		}
		res := d.Anonymous().Do("POST", "/login", map[string]any{"email": "ann@example.test", "password": testdesk.Password}).Want(200)
		var session *http.Cookie
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			if c.Name == "escalated_session" {
				session = c
			}
		}
		if session == nil || session.Secure != secure || !session.HttpOnly {
			t.Fatalf("secure_cookies %v: session cookie %+v", secure, session)
		}
	}
}
