package escalated_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

func TestSecurityConfigFromEnvironment(t *testing.T) {
	env := map[string]string{
		"ESCALATED_SECRET_KEY":              "k3y-from-the-environment-0123456789",
		"ESCALATED_TRUSTED_PROXIES":         " 10.0.0.0/8, 192.0.2.1 ,",
		"ESCALATED_RATE_LIMIT_PER_MINUTE":   "600",
		"ESCALATED_RATE_LIMIT_LOGIN":        "-1",
		"ESCALATED_RATE_LIMIT_GUEST_LOOKUP": "12",
	}
	cfg, err := escalated.LoadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecretKey != env["ESCALATED_SECRET_KEY"] || !slices.Equal(cfg.TrustedProxies, []string{"10.0.0.0/8", "192.0.2.1"}) {
		t.Fatalf("secret key %q, proxies %q", cfg.SecretKey, cfg.TrustedProxies)
	}
	if want := (escalated.RateLimits{PerMinute: 600, Login: -1, TwoFactor: 5, GuestCreate: 5, GuestLookup: 12}); cfg.RateLimits != want {
		t.Fatalf("rate limits %+v, want %+v", cfg.RateLimits, want)
	}

	env = map[string]string{"ESCALATED_RATE_LIMIT_TWO_FACTOR": "five"}
	if _, err := escalated.LoadConfig("", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "ESCALATED_RATE_LIMIT_TWO_FACTOR") {
		t.Fatalf("a non-number limit: err = %v", err)
	}
}

func TestNewRefusesBadSecurityConfig(t *testing.T) {
	for name, cfg := range map[string]escalated.Config{
		"short secret key": {SecretKey: "too short"},
		"bad proxy":        {TrustedProxies: []string{"10.0.0.0/33"}},
		"proxy name":       {TrustedProxies: []string{"proxy.internal"}},
	} {
		cfg.Database = filepath.Join(t.TempDir(), "escalated.db")
		if desk, err := escalated.New(cfg); err == nil {
			desk.Close()
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	// Limits left at zero take the defaults.
	desk, err := escalated.New(escalated.Config{Database: dbtest.SQLiteURL(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	if got := desk.Config().RateLimits; got != (escalated.RateLimits{PerMinute: 300, Login: 10, TwoFactor: 5, GuestCreate: 5, GuestLookup: 30}) {
		t.Fatalf("default limits %+v", got)
	}
}
