package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
	"github.com/escalated-dev/escalated-go/internal/twofactor"
)

// totp is the code of the time step that holds the desk's now+offset.
func totp(t *testing.T, d *testdesk.Desk, secret string, offset time.Duration) string {
	t.Helper()
	c, err := twofactor.Code(secret, d.Clock.Now().Add(offset).Unix()/twofactor.Period)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol turns 2FA on for the signed-in client and returns its secret and recovery codes.
// The code that confirms it is the current step's, which is then spent.
func enrol(t *testing.T, d *testdesk.Desk, c *testdesk.Client) (string, []string) {
	t.Helper()
	secret := c.Do("POST", "/admin/settings/two-factor/setup", nil).Want(200).Data()["secret"].(string)
	got := c.Do("POST", "/admin/settings/two-factor/confirm", map[string]any{"code": totp(t, d, secret, 0)}).Want(200).Data()
	var codes []string
	for _, c := range got["recovery_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	if got["enabled"] != true || len(codes) != 8 {
		t.Fatalf("confirm = %v", got)
	}
	return secret, codes
}

// halfSignIn gives the password of c's account from a new browser, which 2FA stops halfway.
func halfSignIn(t *testing.T, d *testdesk.Desk, email string) *testdesk.Client {
	t.Helper()
	b := d.Anonymous()
	got := b.Do("POST", "/login", map[string]any{"email": email, "password": testdesk.Password}).Want(200).Data()
	if got["two_factor_required"] != true || got["id"] != nil {
		t.Fatalf("login with 2FA on = %v", got)
	}
	return b
}

func wantTwoFactorRequired(t *testing.T, r *testdesk.Response) {
	t.Helper()
	r.Want(401)
	if msg, _ := r.JSON()["message"].(string); !strings.Contains(msg, "Two-factor authentication is required") {
		t.Fatalf("%s: message %q does not say 2FA is required", r.Body, msg)
	}
}

func TestTwoFactorSignIn(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent := d.User("agent")
		secret, codes := enrol(t, d, agent)
		// The browser that enrolled stays signed in.
		agent.Do("GET", "/me", nil).Want(200)

		b := halfSignIn(t, d, agent.Email)
		for _, r := range []struct{ method, path string }{
			{"GET", "/me"}, {"GET", "/agent/tickets"}, {"POST", "/tickets"}, {"GET", "/admin/settings/two-factor"},
			{"GET", "/healthz"}, {"GET", "/admin/audit-logs"}, {"POST", "/admin/settings/two-factor/disable"},
		} {
			wantTwoFactorRequired(t, b.Do(r.method, r.path, map[string]any{}))
		}
		// The browser shows the challenge page, which needs the frontend's files.
		if p := b.Inertia("GET", "/two-factor/challenge", nil).Want(200).Page(); p.Component != "Escalated/Auth/TwoFactorChallenge" {
			t.Fatalf("challenge page %q", p.Component)
		}
		b.Do("GET", "/build/"+builtEntry(t), nil).Want(200)
		b.Do("POST", "/two-factor/verify", map[string]any{"code": "000000"}).Want(422).FieldError("code")
		b.Do("POST", "/two-factor/verify", map[string]any{}).Want(422).FieldError("code")
		b.Do("POST", "/two-factor/verify", map[string]any{"code": 123456}).Want(422).FieldError("code")
		b.Do("POST", "/two-factor/verify", map[string]any{"code": "1", "remember": true}).Want(422).FieldError("remember")
		// The code that confirmed enrolment is spent for its window.
		b.Do("POST", "/two-factor/verify", map[string]any{"code": totp(t, d, secret, 0)}).Want(422).FieldError("code")
		wantTwoFactorRequired(t, b.Do("GET", "/me", nil))

		d.Clock.Advance(30 * time.Second)
		code := totp(t, d, secret, 0)
		res := b.Do("POST", "/two-factor/verify", map[string]any{"code": code}).Want(200)
		if res.Data()["email"] != agent.Email || !strings.Contains(res.Header.Get("Set-Cookie"), "escalated_session=") {
			t.Fatalf("verify = %s, Set-Cookie %q", res.Body, res.Header.Get("Set-Cookie"))
		}
		if me := b.Do("GET", "/me", nil).Want(200).Data(); me["id"] != float64(agent.ID) {
			t.Fatalf("/me after verify = %v", me)
		}
		b.Do("GET", "/agent/tickets", nil).Want(200)

		// Another browser cannot use that code again in its window.
		c := halfSignIn(t, d, agent.Email)
		c.Do("POST", "/two-factor/verify", map[string]any{"code": code}).Want(422)
		// A recovery code works once.
		c.Do("POST", "/two-factor/verify", map[string]any{"recovery_code": strings.ToLower(codes[3])}).Want(200)
		c.Do("GET", "/me", nil).Want(200)
		e := halfSignIn(t, d, agent.Email)
		e.Do("POST", "/two-factor/verify", map[string]any{"recovery_code": codes[3]}).Want(422).FieldError("recovery_code")
		e.Do("POST", "/two-factor/verify", map[string]any{"code": "123456", "recovery_code": codes[4]}).Want(422)
		wantTwoFactorRequired(t, e.Do("GET", "/me", nil))
	})
}

func TestTwoFactorHalfSignInCanOnlyFinishRestartOrLeave(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, agent, other := d.User("admin"), d.User("agent"), d.User("agent")
		enrol(t, d, agent)

		// Starting again with another account's password.
		b := halfSignIn(t, d, agent.Email)
		b.Do("POST", "/login", map[string]any{"email": other.Email, "password": testdesk.Password}).Want(200)
		if me := b.Do("GET", "/me", nil).Want(200).Data(); me["id"] != float64(other.ID) {
			t.Fatalf("/me = %v, want the other account", me)
		}
		b.Do("POST", "/two-factor/verify", map[string]any{"code": "123456"}).Want(401)

		// Leaving.
		b = halfSignIn(t, d, agent.Email)
		b.Do("POST", "/logout", nil).Want(204)
		b.Do("GET", "/me", nil).Want(401)
		b.Do("POST", "/two-factor/verify", map[string]any{"code": "123456"}).Want(401)

		// Waiting too long: the half sign-in lapses and the password is needed again.
		b = halfSignIn(t, d, agent.Email)
		d.Clock.Advance(11 * time.Minute)
		res := b.Do("POST", "/two-factor/verify", map[string]any{"code": "123456"}).Want(401)
		if strings.Contains(string(res.Body), "Two-factor") {
			t.Fatalf("a lapsed half sign-in still asks for the code: %s", res.Body)
		}
		b.Do("GET", "/me", nil).Want(401)

		// An account deactivated halfway cannot finish.
		b = halfSignIn(t, d, agent.Email)
		admin.Do("DELETE", fmt.Sprintf("/admin/users/%d", agent.ID), nil).Want(200)
		b.Do("POST", "/two-factor/verify", map[string]any{"recovery_code": "AAAA-AAAA-AAAA-AAAA"}).Want(401)

		// Nobody else reaches the verify route.
		d.Anonymous().Do("POST", "/two-factor/verify", map[string]any{"code": "123456"}).Want(401)
		other.Do("POST", "/two-factor/verify", map[string]any{"code": "123456"}).Want(401)
	})
}

func TestTwoFactorSettings(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		d.Anonymous().Do("POST", "/admin/settings/two-factor/setup", nil).Want(401)
		d.User("customer").Do("POST", "/admin/settings/two-factor/setup", nil).Want(403)
		d.User("customer").Do("GET", "/admin/settings/two-factor", nil).Want(403)

		// Any staff member enrols their own account, whatever their permissions.
		light := d.User(d.Role("nothing-much", "ticket.view"))
		if st := light.Do("GET", "/admin/settings/two-factor", nil).Want(200).Data(); st["enabled"] != false || st["pending"] != false {
			t.Fatalf("status before = %v", st)
		}
		light.Do("POST", "/admin/settings/two-factor/confirm", map[string]any{"code": "123456"}).Want(409)
		// Setup makes its own secret and takes no fields: one sent is refused, not replaced.
		light.Do("POST", "/admin/settings/two-factor/setup", map[string]any{"secret": "JBSWY3DPEHPK3PXP"}).Want(422).FieldError("secret")
		if st := light.Do("GET", "/admin/settings/two-factor", nil).Want(200).Data(); st["pending"] != false {
			t.Fatalf("status after a refused setup = %v", st)
		}
		setup := light.Do("POST", "/admin/settings/two-factor/setup", nil).Want(200).Data()
		secret, _ := setup["secret"].(string)
		if uri, _ := setup["otpauth_uri"].(string); !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) {
			t.Fatalf("otpauth_uri = %v", setup["otpauth_uri"])
		}
		if qr, _ := setup["qr_code"].(string); !strings.HasPrefix(qr, "data:image/png;base64,iVBOR") {
			t.Fatalf("qr_code = %.60v", setup["qr_code"])
		}
		if st := light.Do("GET", "/admin/settings/two-factor", nil).Want(200).Data(); st["pending"] != true {
			t.Fatalf("status after setup = %v", st)
		}
		light.Do("POST", "/admin/settings/two-factor/confirm", map[string]any{"code": "12345x"}).Want(422).FieldError("code")
		light.Do("POST", "/admin/settings/two-factor/confirm", map[string]any{"secret": secret}).Want(422).FieldError("secret")
		light.Do("POST", "/admin/settings/two-factor/confirm", map[string]any{"code": totp(t, d, secret, 0)}).Want(200)
		if st := light.Do("GET", "/admin/settings/two-factor", nil).Want(200).Data(); st["enabled"] != true || st["recovery_codes_left"] != float64(8) {
			t.Fatalf("status after confirm = %v", st)
		}
		light.Do("POST", "/admin/settings/two-factor/setup", nil).Want(409)

		light.Do("POST", "/admin/settings/two-factor/disable", map[string]any{}).Want(422).FieldError("password")
		light.Do("POST", "/admin/settings/two-factor/disable", map[string]any{"password": "not it"}).Want(422).FieldError("password")
		light.Do("POST", "/admin/settings/two-factor/disable", map[string]any{"password": testdesk.Password}).Want(200)
		light.Do("POST", "/admin/settings/two-factor/disable", map[string]any{"password": testdesk.Password}).Want(409)
		// Signing in takes the password alone again.
		c := d.Anonymous()
		if got := c.Do("POST", "/login", map[string]any{"email": light.Email, "password": testdesk.Password}).Want(200).Data(); got["id"] != float64(light.ID) {
			t.Fatalf("login after disable = %v", got)
		}

		// Both changes are in the audit log, and no secret is.
		rows := admin.Do("GET", "/admin/audit-logs?action=two_factor.&user_id="+fmt.Sprint(light.ID), nil).Want(200)
		got, _ := auditActions(t, rows)
		if strings.Join(got, " ") != "two_factor.disabled two_factor.enabled" {
			t.Fatalf("audit = %v", got)
		}
		if strings.Contains(string(rows.Body), secret) {
			t.Fatal("the audit log holds the TOTP secret")
		}
	})
}

func TestTwoFactorRoutesAreAbsentWithAHostResolver(t *testing.T) {
	d := testdesk.New(t, dbtest.SQLiteURL(t), escalated.WithIdentityResolver(func(r *http.Request) (*escalated.HostUser, error) {
		return &escalated.HostUser{ExternalID: "7", Name: "Host Agent", Email: "host@example.test", Role: "agent"}, nil
	}))
	c := d.Anonymous()
	c.Do("POST", "/two-factor/verify", map[string]any{"code": "123456"}).Want(404)
	c.Do("POST", "/admin/settings/two-factor/setup", nil).Want(404)
}
