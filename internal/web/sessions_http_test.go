package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// setsSessionCookie tells whether a response sends the desk's session cookie.
func setsSessionCookie(r *testdesk.Response) bool {
	for _, c := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "escalated_session=") {
			return true
		}
	}
	return false
}

// signInAgain signs c in anew, as someone whose session ended does.
func signInAgain(c *testdesk.Client) {
	c.Do("POST", "/login", map[string]any{"email": c.Email, "password": testdesk.Password}).Want(200)
}

// TestUnchangedSessionSendsNoCookie: a request that changes nothing in its session answers
// without a session cookie; one that changes it (a CSRF token made, a flash set or shown)
// sends it.
func TestUnchangedSessionSendsNoCookie(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent, customer := d.User("agent"), d.User("customer")
		for _, res := range []*testdesk.Response{
			agent.Do("GET", "/me", nil).Want(200),
			agent.Do("POST", "/agent/tickets", map[string]any{"subject": "Printer", "description": "Jammed", "requester_id": customer.ID}).Want(201),
			customer.Do("POST", "/tickets", map[string]any{"subject": "Login", "description": "Locked out"}).Want(201),
			customer.Do("GET", "/tickets", nil).Want(200),
		} {
			if cookies := res.Header.Values("Set-Cookie"); len(cookies) > 0 {
				t.Errorf("%s %s sets %q", res.Request.Method, res.Request.URL.Path, cookies)
			}
		}

		if res := customer.Inertia("GET", "/tickets", nil).Want(200); !setsSessionCookie(res) {
			t.Error("the first page, which makes the CSRF token, sends no session cookie")
		}
		if res := customer.Inertia("GET", "/tickets", nil).Want(200); setsSessionCookie(res) {
			t.Errorf("the second page sends the session cookie: %q", res.Header.Values("Set-Cookie"))
		}
		res := customer.Inertia("POST", "/tickets", map[string]any{"subject": "Refund", "description": "Twice charged"}).Want(303)
		if !setsSessionCookie(res) {
			t.Error("a form post that sets a flash sends no session cookie")
		}
		shown := customer.Follow(res).Want(200)
		if flash(shown.Page(), "success") != "Ticket created." || !setsSessionCookie(shown) {
			t.Errorf("the page after the post: flash %v, Set-Cookie %q", shown.Page().Props["flash"], shown.Header.Values("Set-Cookie"))
		}
		if res := customer.Inertia("GET", "/tickets", nil).Want(200); setsSessionCookie(res) {
			t.Errorf("the page after the flash was shown sends the session cookie: %q", res.Header.Values("Set-Cookie"))
		}

		// Moving the session's idle point along is the store's business, not the cookie's.
		d.Clock.Advance(5 * time.Minute)
		if res := agent.Do("GET", "/me", nil).Want(200); setsSessionCookie(res) {
			t.Errorf("a request that moves the idle point sends the session cookie: %q", res.Header.Values("Set-Cookie"))
		}
	})
}

// TestIdleSessionIsSignedOut: a session nobody used for the idle timeout is over, on the
// desk's clock; one used within it lives on.
func TestIdleSessionIsSignedOut(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		d.Clock.Advance(auth.SessionIdleTimeout - time.Minute)
		agent.Do("GET", "/me", nil).Want(200)
		d.Clock.Advance(auth.SessionIdleTimeout - time.Minute)
		agent.Do("GET", "/me", nil).Want(200)
		d.Clock.Advance(auth.SessionIdleTimeout + time.Second)
		agent.Do("GET", "/me", nil).Want(401)
		agent.Do("POST", "/agent/tickets", map[string]any{"subject": "Late", "description": "Too late"}).Want(401)
		signInAgain(agent)
		agent.Do("GET", "/me", nil).Want(200)
	})
}

// TestSessionInUseOutlivesTheIdleTimeout: a session used every ten minutes stays signed in
// for longer than the idle timeout, and none of those requests sends its cookie.
func TestSessionInUseOutlivesTheIdleTimeout(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		end := d.Clock.Now().Add(auth.SessionIdleTimeout + time.Hour)
		for d.Clock.Now().Before(end) {
			d.Clock.Advance(10 * time.Minute)
			res := agent.Do("GET", "/me", nil)
			if res.Status != 200 || setsSessionCookie(res) {
				t.Fatalf("at %v: %d, Set-Cookie %q", d.Clock.Now(), res.Status, res.Header.Values("Set-Cookie"))
			}
		}
	})
}

// TestSessionsAndPasswordsAreStoredHashed: the database holds a session only under the SHA-256
// of its cookie's token and a password only as an argon2id hash; signing out removes the
// session row, and the old cookie reaches nothing.
func TestSessionsAndPasswordsAreStoredHashed(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		agent := d.User("agent")
		res := d.Anonymous().Do("POST", "/login", map[string]any{"email": agent.Email, "password": testdesk.Password}).Want(200)
		var token string
		for _, c := range (&http.Response{Header: res.Header}).Cookies() {
			if c.Name == "escalated_session" {
				token = c.Value
			}
		}
		if len(token) < 32 {
			t.Fatalf("session cookie token %q", token)
		}
		sum := sha256.Sum256([]byte(token))
		if n := d.count(`SELECT count(*) FROM sessions WHERE token_hash = ?`, hex.EncodeToString(sum[:])); n != 1 {
			t.Fatalf("sessions under the token's SHA-256: %d, want 1", n)
		}
		if n := d.count(`SELECT count(*) FROM sessions WHERE token_hash = ?`, token); n != 0 {
			t.Fatalf("sessions under the plain token: %d, want 0", n)
		}
		var hash string
		if err := d.db.R.NewRaw(`SELECT password_hash FROM users WHERE id = ?`, agent.ID).Scan(t.Context(), &hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, testdesk.Password) {
			t.Fatalf("stored password %q, want an argon2id hash", hash)
		}

		c := d.Anonymous()
		c.Header.Set("Cookie", "escalated_session="+token)
		c.Do("GET", "/me", nil).Want(200)
		c.Do("POST", "/logout", nil).Want(200, 204)
		if n := d.count(`SELECT count(*) FROM sessions WHERE token_hash = ?`, hex.EncodeToString(sum[:])); n != 0 {
			t.Fatalf("sessions left after signing out: %d", n)
		}
		replay := d.Anonymous()
		replay.Header.Set("Cookie", "escalated_session="+token)
		replay.Do("GET", "/me", nil).Want(401)
	})
}
