package escalated

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/bizhours"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// Config is the desk's configuration. Its keys are the ones the other Escalated ports use.
type Config struct {
	// RoutePrefix is where the desk is mounted, without slashes; default "support".
	RoutePrefix string `json:"route_prefix"`
	// TicketReferencePrefix starts every ticket reference, e.g. ESC in ESC-00042.
	TicketReferencePrefix string `json:"ticket_reference_prefix"`
	// DefaultPriority applies when a new ticket names none.
	DefaultPriority string `json:"default_priority"`
	// AllowCustomerClose lets customers close their own tickets.
	AllowCustomerClose *bool `json:"allow_customer_close"`
	// AutoCloseResolvedAfterDays closes resolved tickets after this many days; 0 never does.
	AutoCloseResolvedAfterDays *int `json:"auto_close_resolved_after_days"`
	// Sla holds the SLA defaults.
	Sla SlaConfig `json:"sla"`
	// EnableRealTime turns on realtime updates.
	EnableRealTime bool `json:"enable_real_time"`
	// Database is the database URL: postgres://… or a SQLite file path; default escalated.db.
	Database string `json:"database"`
	// SecureCookies marks the session cookie Secure; turn it on behind HTTPS.
	SecureCookies bool `json:"secure_cookies"`
	// MaxBodyBytes limits JSON request bodies; default 1 MiB. Uploads (multipart bodies) are
	// limited by the attachment settings instead.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// StoragePath is the directory attachments are kept in; default "storage" next to the
	// SQLite database file, or ./storage with PostgreSQL.
	StoragePath string `json:"storage_path"`
	// SecretKey encrypts the secrets the desk must read back, such as two-factor (TOTP)
	// secrets and webhook signing secrets; at least 32 characters, and it must not change
	// once in use. Without it, two-factor sign-in cannot be turned on and webhooks cannot be
	// created. The standalone server generates one on first start. Env ESCALATED_SECRET_KEY.
	SecretKey string `json:"secret_key"`
	// TrustedProxies lists the reverse proxies (addresses or CIDR ranges) whose
	// X-Forwarded-For header names the client; nobody else's is believed. Env
	// ESCALATED_TRUSTED_PROXIES, comma-separated.
	TrustedProxies []string `json:"trusted_proxies"`
	// RateLimits caps requests per minute.
	RateLimits RateLimits `json:"rate_limits"`
}

// RateLimits are requests per minute. Zero takes the default; a negative number turns the
// limit off (for a desk behind a proxy that limits requests itself).
type RateLimits struct {
	// PerMinute is the limit of every route per signed-in user, or per client address for
	// anyone not signed in; default 300.
	PerMinute int `json:"per_minute"`
	// Login limits sign-in attempts per client address and per email address; default 10.
	Login int `json:"login"`
	// TwoFactor limits two-factor code checks per user; default 5.
	TwoFactor int `json:"two_factor"`
	// GuestCreate limits guest tickets opened per client address; default 5.
	GuestCreate int `json:"guest_create"`
	// GuestLookup limits guest-token look-ups (a guest's page, replies, downloads) per
	// client address, failed ones included; default 30.
	GuestLookup int `json:"guest_lookup"`
}

// SlaConfig is the SLA section of the configuration.
type SlaConfig struct {
	// Enabled runs the SLA engine: policies attach to new tickets, due dates are kept and
	// the minutely sweep fires warnings and breaches. Nil means true; false turns all of that
	// off (policies can still be edited).
	Enabled *bool `json:"enabled"`
	// BusinessHoursOnly is the business_hours_only of a new SLA policy that does not say.
	BusinessHoursOnly bool `json:"business_hours_only"`
	// BusinessHours is the default business schedule: business-hours policies that name no
	// stored schedule count in it.
	BusinessHours BusinessHoursConfig `json:"business_hours"`
}

// BusinessHoursConfig is the default business schedule: open from Start to End ("HH:MM",
// End may be "24:00") on each of Days (1 = Monday … 7 = Sunday) in the IANA zone Timezone.
type BusinessHoursConfig struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Timezone string `json:"timezone"`
	Days     []int  `json:"days"`
}

// schedule validates the default business schedule and builds its calculator.
func (b BusinessHoursConfig) schedule() (*bizhours.Schedule, error) {
	intervals := make([]bizhours.Interval, len(b.Days))
	for i, day := range b.Days {
		intervals[i] = bizhours.Interval{Day: day, Start: b.Start, End: b.End}
	}
	s, err := bizhours.New(b.Timezone, intervals, nil)
	if err != nil {
		return nil, fmt.Errorf("config: sla.business_hours: %w", err)
	}
	return s, nil
}

// DefaultConfig returns the configuration the other ports ship with.
func DefaultConfig() Config {
	return Config{
		RoutePrefix:                "support",
		TicketReferencePrefix:      "ESC",
		DefaultPriority:            "medium",
		AllowCustomerClose:         ptr(true),
		AutoCloseResolvedAfterDays: ptr(7),
		Sla: SlaConfig{
			Enabled: ptr(true),
			BusinessHours: BusinessHoursConfig{
				Start: "09:00", End: "17:00", Timezone: "UTC", Days: []int{1, 2, 3, 4, 5},
			},
		},
		Database:     "escalated.db",
		MaxBodyBytes: 1 << 20,
		RateLimits:   RateLimits{PerMinute: 300, Login: 10, TwoFactor: 5, GuestCreate: 5, GuestLookup: 30},
	}
}

func ptr[T any](v T) *T { return &v }

// withDefaults fills every unset key from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.RoutePrefix == "" {
		c.RoutePrefix = d.RoutePrefix
	}
	c.RoutePrefix = strings.Trim(c.RoutePrefix, "/")
	if c.TicketReferencePrefix == "" {
		c.TicketReferencePrefix = d.TicketReferencePrefix
	}
	if c.DefaultPriority == "" {
		c.DefaultPriority = d.DefaultPriority
	}
	if c.AllowCustomerClose == nil {
		c.AllowCustomerClose = d.AllowCustomerClose
	}
	if c.AutoCloseResolvedAfterDays == nil {
		c.AutoCloseResolvedAfterDays = d.AutoCloseResolvedAfterDays
	}
	if c.Sla.Enabled == nil {
		c.Sla.Enabled = d.Sla.Enabled
	}
	if c.Sla.BusinessHours.Start == "" {
		c.Sla.BusinessHours = d.Sla.BusinessHours
	}
	if c.Database == "" {
		c.Database = d.Database
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.StoragePath == "" {
		c.StoragePath = "storage"
		if !db.IsPostgresURL(c.Database) {
			c.StoragePath = filepath.Join(filepath.Dir(db.SQLitePath(c.Database)), "storage")
		}
	}
	for _, l := range []struct{ v, def *int }{
		{&c.RateLimits.PerMinute, &d.RateLimits.PerMinute},
		{&c.RateLimits.Login, &d.RateLimits.Login},
		{&c.RateLimits.TwoFactor, &d.RateLimits.TwoFactor},
		{&c.RateLimits.GuestCreate, &d.RateLimits.GuestCreate},
		{&c.RateLimits.GuestLookup, &d.RateLimits.GuestLookup},
	} {
		if *l.v == 0 {
			*l.v = *l.def
		}
	}
	return c
}

// trustedProxies parses TrustedProxies; a bare address is a range of one.
func (c Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("config: trusted_proxies: %q is not an address or CIDR range", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// LoadConfig reads the configuration the standalone server uses: the defaults, then the JSON
// file at path (if it exists; "" skips it), then ESCALATED_* environment variables.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				return c, fmt.Errorf("config: %s: %w", path, err)
			}
		case !os.IsNotExist(err):
			return c, fmt.Errorf("config: %w", err)
		}
	}
	str := map[string]*string{
		"ESCALATED_SECRET_KEY":              &c.SecretKey,
		"ESCALATED_DATABASE_URL":            &c.Database,
		"ESCALATED_ROUTE_PREFIX":            &c.RoutePrefix,
		"ESCALATED_TICKET_REFERENCE_PREFIX": &c.TicketReferencePrefix,
		"ESCALATED_DEFAULT_PRIORITY":        &c.DefaultPriority,
		"ESCALATED_STORAGE_PATH":            &c.StoragePath,
	}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	bools := map[string]**bool{"ESCALATED_ALLOW_CUSTOMER_CLOSE": &c.AllowCustomerClose, "ESCALATED_SLA_ENABLED": &c.Sla.Enabled}
	for k, p := range bools {
		if v := getenv(k); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("config: %s=%q is not true or false", k, v)
			}
			*p = &b
		}
	}
	for k, p := range map[string]*bool{"ESCALATED_ENABLE_REAL_TIME": &c.EnableRealTime, "ESCALATED_SECURE_COOKIES": &c.SecureCookies} {
		if v := getenv(k); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("config: %s=%q is not true or false", k, v)
			}
			*p = b
		}
	}
	if v := getenv("ESCALATED_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
	for k, p := range map[string]*int{
		"ESCALATED_RATE_LIMIT_PER_MINUTE":   &c.RateLimits.PerMinute,
		"ESCALATED_RATE_LIMIT_LOGIN":        &c.RateLimits.Login,
		"ESCALATED_RATE_LIMIT_TWO_FACTOR":   &c.RateLimits.TwoFactor,
		"ESCALATED_RATE_LIMIT_GUEST_CREATE": &c.RateLimits.GuestCreate,
		"ESCALATED_RATE_LIMIT_GUEST_LOOKUP": &c.RateLimits.GuestLookup,
	} {
		if v := getenv(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, fmt.Errorf("config: %s=%q is not a whole number of requests per minute", k, v)
			}
			*p = n
		}
	}
	if v := getenv("ESCALATED_AUTO_CLOSE_RESOLVED_AFTER_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("config: ESCALATED_AUTO_CLOSE_RESOLVED_AFTER_DAYS=%q is not a whole number of days", v)
		}
		c.AutoCloseResolvedAfterDays = &n
	}
	return c, nil
}
