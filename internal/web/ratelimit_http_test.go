package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// limitedDesk is a test desk with rate limits, believing X-Forwarded-For from proxies.
func limitedDesk(t *testing.T, url string, limits escalated.RateLimits, proxies ...string) *testdesk.Desk {
	cfg := testdesk.Config(url)
	cfg.RateLimits = limits
	cfg.TrustedProxies = proxies
	return testdesk.NewConfig(t, cfg)
}

// from returns an anonymous client whose requests reach the desk through the local proxy on
// behalf of ip.
func from(d *testdesk.Desk, ip string) *testdesk.Client {
	c := d.Anonymous()
	c.Header.Set("X-Forwarded-For", ip)
	return c
}

// wantQuota checks the rate-limit headers.
func wantQuota(t *testing.T, r *testdesk.Response, limit, remaining int) {
	t.Helper()
	if l, rem := r.Header.Get("X-RateLimit-Limit"), r.Header.Get("X-RateLimit-Remaining"); l != strconv.Itoa(limit) || rem != strconv.Itoa(remaining) {
		t.Fatalf("X-RateLimit-Limit %q, -Remaining %q; want %d, %d", l, rem, limit, remaining)
	}
}

// wantLimited checks a 429 and its Retry-After.
func wantLimited(t *testing.T, r *testdesk.Response, retryAfter int) {
	t.Helper()
	r.Want(429)
	if got := r.Header.Get("Retry-After"); got != strconv.Itoa(retryAfter) {
		t.Fatalf("Retry-After %q, want %d", got, retryAfter)
	}
	if msg, _ := r.JSON()["message"].(string); !strings.HasPrefix(msg, "Too many requests.") {
		t.Fatalf("429 message %q", msg)
	}
	if r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("429 with X-RateLimit-Remaining %q", r.Header.Get("X-RateLimit-Remaining"))
	}
}

func login(c *testdesk.Client, email, password string) *testdesk.Response {
	return c.Do("POST", "/login", map[string]any{"email": email, "password": password})
}

func TestSignInIsLimitedPerAddressAndPerEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := limitedDesk(t, url, escalated.RateLimits{PerMinute: -1, Login: 10, TwoFactor: -1}, "127.0.0.1/32")
		ctx := context.Background()
		for _, email := range []string{"ada@example.test", "bob@example.test"} {
			if _, err := d.Users.Create(ctx, escalated.NewUser{Name: email, Email: email, Password: testdesk.Password, Role: "agent"}); err != nil {
				t.Fatal(err)
			}
		}

		// Ten guesses at different accounts from one address, then that address must wait.
		c := from(d, "198.51.100.1")
		for i := 1; i <= 10; i++ {
			res := login(c, fmt.Sprintf("guess%d@example.test", i), "wrong").Want(422)
			wantQuota(t, res, 10, min(10-i, 9))
		}
		wantLimited(t, login(c, "ada@example.test", testdesk.Password), 6)
		c.Do("GET", "/me", nil).Want(401)
		// Another address is not held back; the right address after a sixth of a minute is.
		login(from(d, "198.51.100.2"), "bob@example.test", testdesk.Password).Want(200)
		d.Clock.Advance(6 * time.Second)
		login(c, "ada@example.test", testdesk.Password).Want(200)
		c.Do("GET", "/me", nil).Want(200)

		// Guesses at one account from ten addresses: the account must wait, whoever asks.
		d.Clock.Advance(time.Minute)
		for i := 1; i <= 9; i++ {
			login(from(d, fmt.Sprintf("203.0.113.%d", i)), "Bob@Example.test", "wrong").Want(422)
		}
		wantQuota(t, login(from(d, "203.0.113.10"), " bob@example.test", "wrong").Want(422), 10, 0)
		wantLimited(t, login(from(d, "203.0.113.11"), "bob@example.test", testdesk.Password), 6)
		// Other accounts from that address are fine.
		login(from(d, "203.0.113.11"), "ada@example.test", testdesk.Password).Want(200)
	})
}

func TestTwoFactorVerifyIsLimitedPerUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := limitedDesk(t, url, escalated.RateLimits{PerMinute: -1, Login: -1, TwoFactor: 5})
		agent, other := d.User("agent"), d.User("agent")
		secret, _ := enrol(t, d, agent)
		otherSecret, _ := enrol(t, d, other)
		d.Clock.Advance(time.Minute) // enrolment spent two of each user's five

		b := halfSignIn(t, d, agent.Email)
		for i := 4; i >= 0; i-- {
			wantQuota(t, b.Do("POST", "/two-factor/verify", map[string]any{"code": "000000"}).Want(422), 5, i)
		}
		wantLimited(t, b.Do("POST", "/two-factor/verify", map[string]any{"code": totp(t, d, secret, 0)}), 12)
		// A new half sign-in is the same user: still limited.
		c := halfSignIn(t, d, agent.Email)
		wantLimited(t, c.Do("POST", "/two-factor/verify", map[string]any{"code": totp(t, d, secret, 0)}), 12)
		// Another user is not.
		halfSignIn(t, d, other.Email).Do("POST", "/two-factor/verify", map[string]any{"code": totp(t, d, otherSecret, 0)}).Want(200)

		d.Clock.Advance(12 * time.Second)
		c.Do("POST", "/two-factor/verify", map[string]any{"code": totp(t, d, secret, 0)}).Want(200)
		c.Do("GET", "/me", nil).Want(200)
	})
}

func TestGeneralLimitPerUserOrAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := limitedDesk(t, url, escalated.RateLimits{PerMinute: 5, Login: -1, TwoFactor: -1})
		ada, bob := d.User("agent"), d.User("agent")
		for i := 4; i >= 0; i-- {
			wantQuota(t, ada.Do("GET", "/me", nil).Want(200), 5, i)
		}
		wantLimited(t, ada.Do("GET", "/agent/tickets", nil), 12)
		bob.Do("GET", "/me", nil).Want(200)

		// Nobody signed in counts per address; without trusted proxies the header is ignored,
		// so a made-up address does not buy a new bucket.
		for range 5 {
			d.Anonymous().Do("GET", "/healthz", nil).Want(200)
		}
		wantLimited(t, from(d, "198.51.100.9").Do("GET", "/healthz", nil), 12)

		d.Clock.Advance(12 * time.Second)
		ada.Do("GET", "/me", nil).Want(200)
		wantLimited(t, ada.Do("GET", "/me", nil), 12)
		d.Anonymous().Do("GET", "/healthz", nil).Want(200)
	})
}

func TestGeneralLimitBehindATrustedProxy(t *testing.T) {
	d := limitedDesk(t, dbtest.SQLiteURL(t), escalated.RateLimits{PerMinute: 2, Login: -1, TwoFactor: -1}, "127.0.0.0/8")
	for range 2 {
		from(d, "198.51.100.1").Do("GET", "/healthz", nil).Want(200)
	}
	wantLimited(t, from(d, "198.51.100.1").Do("GET", "/healthz", nil), 30)
	// Each client behind the proxy has its own bucket, and the left-most entry (written by
	// the client) does not choose it.
	from(d, "198.51.100.2").Do("GET", "/healthz", nil).Want(200)
	wantLimited(t, from(d, "10.6.6.6, 198.51.100.1").Do("GET", "/healthz", nil), 30)
}

func TestNoLimitsNoHeaders(t *testing.T) {
	d := testdesk.New(t, dbtest.SQLiteURL(t))
	res := d.User("agent").Do("GET", "/me", nil).Want(200)
	if h := res.Header.Get("X-RateLimit-Limit"); h != "" {
		t.Fatalf("X-RateLimit-Limit %q with limits turned off", h)
	}
}
