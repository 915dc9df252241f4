package twofactor_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
	"github.com/escalated-dev/escalated-go/internal/twofactor"
)

// The SHA-1 test vectors of RFC 6238 appendix B: 8-digit codes for the 20-byte ASCII secret
// "12345678901234567890".
var rfc6238 = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestGeneratorMatchesRFC6238(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, v := range rfc6238 {
		at := time.Unix(v.unix, 0).UTC()
		got, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: 8, Algorithm: otp.AlgorithmSHA1})
		if err != nil || got != v.code {
			t.Errorf("T=%d: 8-digit code %q, %v; want %s", v.unix, got, err, v.code)
		}
		// The desk's 6-digit code is the same truncation taken modulo 10^6.
		six, err := twofactor.Code(secret, v.unix/twofactor.Period)
		if err != nil || six != v.code[2:] {
			t.Errorf("T=%d: 6-digit code %q, %v; want %s", v.unix, six, err, v.code[2:])
		}
	}
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const key = "a secret key of at least thirty-two characters"

type env struct {
	db    *db.DB
	clock *clock.Fake
	auth  *auth.Service
	svc   *twofactor.Service
	seq   int
}

func setUp(t *testing.T, url string) *env {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		return auth.Seed(ctx, tx, start)
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(start)
	e := &env{db: d, clock: c}
	e.auth = auth.NewService(d, c, &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	e.svc = e.withKey(key)
	return e
}

// withKey is a service over the same database whose secret key is k ("" for none).
func (e *env) withKey(k string) *twofactor.Service {
	var box *secretbox.Box
	if k != "" {
		var err error
		if box, err = secretbox.New(k, "totp secret"); err != nil {
			panic(err)
		}
	}
	return twofactor.NewService(e.db, e.clock, box, e.auth)
}

const password = "correct horse battery"

func (e *env) user(t *testing.T, role string) *auth.Actor {
	t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(context.Background(), auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq), Password: password, Role: role,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.auth.ActorForUser(context.Background(), u, "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// code is the code of the step that holds now+offset.
func (e *env) code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := twofactor.Code(secret, e.clock.Now().Add(offset).Unix()/twofactor.Period)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol turns 2FA on for a and returns the secret and the recovery codes. The confirming
// code is the current step's, which is then used up.
func (e *env) enrol(t *testing.T, a *auth.Actor) (string, []string) {
	t.Helper()
	en, err := e.svc.Setup(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := e.svc.Confirm(context.Background(), a, e.code(t, en.Secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, codes
}

func wantKind(t *testing.T, err error, kind apperr.Kind, what string) {
	t.Helper()
	if !apperr.Is(err, kind) {
		t.Fatalf("%s: err = %v, want kind %d", what, err, kind)
	}
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.R.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSetupGivesSecretURIAndQRCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		agent := e.user(t, "agent")
		en, err := e.svc.Setup(context.Background(), agent)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
		if err != nil || len(raw) != 20 {
			t.Fatalf("secret %q decodes to %d bytes, %v; want 20", en.Secret, len(raw), err)
		}
		key, err := otp.NewKeyFromURL(en.URI)
		if err != nil {
			t.Fatal(err)
		}
		if key.Secret() != en.Secret || key.Issuer() != "Escalated" || key.AccountName() != agent.Email ||
			key.Period() != 30 || key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 {
			t.Fatalf("otpauth URI %s does not describe SHA-1, 6 digits, 30 s for %s", en.URI, agent.Email)
		}
		b64, ok := strings.CutPrefix(en.QRCode, "data:image/png;base64,")
		if !ok {
			t.Fatalf("qr_code = %.40q…, want a PNG data URI", en.QRCode)
		}
		pngBytes, _ := base64.StdEncoding.DecodeString(b64)
		img, err := png.Decode(bytes.NewReader(pngBytes))
		if err != nil || img.Bounds().Dx() != 256 {
			t.Fatalf("QR code PNG: %v", err)
		}

		// Not on until confirmed; the stored secret is sealed, not in clear.
		if on, _ := e.svc.Enabled(context.Background(), agent.UserID); on {
			t.Fatal("2FA is on before a code confirmed it")
		}
		var stored string
		e.db.R.NewRaw("SELECT secret FROM user_two_factor WHERE user_id = ?", agent.UserID).Scan(context.Background(), &stored)
		if stored == "" || strings.Contains(stored, en.Secret) || strings.Contains(string(mustDecode(stored)), en.Secret) {
			t.Fatalf("stored secret %q reveals %q", stored, en.Secret)
		}
		st, _ := e.svc.Status(context.Background(), agent)
		if st.Enabled || !st.Pending {
			t.Fatalf("status after setup = %+v", st)
		}

		// A second setup replaces the secret; the first one's codes no longer confirm.
		again, _ := e.svc.Setup(context.Background(), agent)
		_, err = e.svc.Confirm(context.Background(), agent, e.code(t, en.Secret, 0))
		if again.Secret == en.Secret {
			t.Fatal("a second setup kept the secret")
		}
		wantKind(t, err, apperr.KindValidation, "confirm with the replaced secret's code")
	})
}

func mustDecode(sealed string) []byte {
	b, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	return b
}

func TestSetupIsForStaffWithASecretKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		_, err := e.svc.Setup(context.Background(), e.user(t, "customer"))
		wantKind(t, err, apperr.KindForbidden, "customer setup")
		_, err = e.withKey("").Setup(context.Background(), e.user(t, "agent"))
		wantKind(t, err, apperr.KindConflict, "setup without a secret key")
	})
}

var recoveryFormat = regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`)

func TestConfirmTurnsItOnWithRecoveryCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		agent := e.user(t, "agent")
		_, err := e.svc.Confirm(ctx, agent, "123456")
		wantKind(t, err, apperr.KindConflict, "confirm before setup")

		en, _ := e.svc.Setup(ctx, agent)
		for _, bad := range []string{"", "12345", "1234567", "abcdef", "12 34 5x", e.code(t, en.Secret, 2*time.Minute)} {
			_, err := e.svc.Confirm(ctx, agent, bad)
			wantKind(t, err, apperr.KindValidation, fmt.Sprintf("confirm with %q", bad))
		}
		codes, err := e.svc.Confirm(ctx, agent, e.code(t, en.Secret, 0))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !recoveryFormat.MatchString(c) || seen[c] {
				t.Fatalf("recovery codes %v: %q is malformed or repeated", codes, c)
			}
			seen[c] = true
		}
		if len(codes) != 8 {
			t.Fatalf("%d recovery codes, want 8", len(codes))
		}
		if n := e.count(t, "SELECT count(*) FROM two_factor_recovery_codes WHERE user_id = ? AND code_hash = ?", agent.UserID, codes[0]); n != 0 {
			t.Fatal("a recovery code is stored in clear")
		}
		st, _ := e.svc.Status(ctx, agent)
		if !st.Enabled || st.Pending || st.RecoveryCodesLeft != 8 {
			t.Fatalf("status = %+v", st)
		}
		if n := e.count(t, "SELECT count(*) FROM audit_logs WHERE action = 'two_factor.enabled' AND actor_id = ? AND ip_address = '192.0.2.7'", agent.UserID); n != 1 {
			t.Fatalf("%d two_factor.enabled audit rows, want 1", n)
		}
		_, err = e.svc.Setup(ctx, agent)
		wantKind(t, err, apperr.KindConflict, "setup while on")
		_, err = e.svc.Confirm(ctx, agent, e.code(t, en.Secret, 30*time.Second))
		wantKind(t, err, apperr.KindConflict, "confirm while on")
	})
}

func TestCodesWorkWithinOneStepAndOnlyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		agent := e.user(t, "agent")
		secret, _ := e.enrol(t, agent)
		verify := func(code string) error { return e.svc.Verify(ctx, agent, code, "") }

		// The code that confirmed enrolment is spent.
		wantKind(t, verify(e.code(t, secret, 0)), apperr.KindValidation, "the confirming code again")

		e.clock.Advance(5 * time.Minute)
		// Two steps either side are out of the window.
		wantKind(t, verify(e.code(t, secret, -60*time.Second)), apperr.KindValidation, "a code two steps old")
		wantKind(t, verify(e.code(t, secret, 60*time.Second)), apperr.KindValidation, "a code two steps ahead")
		// One step behind is allowed, once.
		if err := verify(e.code(t, secret, -30*time.Second)); err != nil {
			t.Fatalf("a code one step old: %v", err)
		}
		wantKind(t, verify(e.code(t, secret, -30*time.Second)), apperr.KindValidation, "the same code again")
		// The current step, and a code with spaces in it.
		cur := e.code(t, secret, 0)
		if err := verify(cur[:3] + " " + cur[3:]); err != nil {
			t.Fatalf("the current code: %v", err)
		}
		wantKind(t, verify(cur), apperr.KindValidation, "the current code replayed")
		// One step ahead (a phone whose clock runs fast); after it nothing older works.
		if err := verify(e.code(t, secret, 30*time.Second)); err != nil {
			t.Fatalf("a code one step ahead: %v", err)
		}
		e.clock.Advance(30 * time.Second)
		wantKind(t, verify(e.code(t, secret, 0)), apperr.KindValidation, "the code of a step already used, in its own time")
		e.clock.Advance(30 * time.Second)
		if err := verify(e.code(t, secret, 0)); err != nil {
			t.Fatalf("the next step's code: %v", err)
		}
		wantKind(t, e.svc.Verify(ctx, agent, "", ""), apperr.KindValidation, "no code")
		wantKind(t, e.svc.Verify(ctx, agent, "123456", "AAAA-AAAA-AAAA-AAAA"), apperr.KindValidation, "both kinds of code")
		wantKind(t, verify("12345\x00"), apperr.KindValidation, "a NUL")
	})
}

func TestRacingRequestsSpendACodeOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		agent := e.user(t, "agent")
		secret, codes := e.enrol(t, agent)
		e.clock.Advance(time.Minute)
		for _, try := range []struct{ code, recovery string }{{e.code(t, secret, 0), ""}, {"", codes[0]}} {
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := e.svc.Verify(context.Background(), agent, try.code, try.recovery)
					if err != nil && !apperr.Is(err, apperr.KindValidation) {
						t.Errorf("verify: %v", err)
					}
					mu.Lock()
					if err == nil {
						ok++
					}
					mu.Unlock()
				}()
			}
			wg.Wait()
			if ok != 1 {
				t.Fatalf("%+v: %d of 8 racing verifications succeeded, want 1", try, ok)
			}
		}
	})
}

func TestRecoveryCodesAreSingleUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		agent, other := e.user(t, "agent"), e.user(t, "admin")
		_, codes := e.enrol(t, agent)
		_, otherCodes := e.enrol(t, other)

		if err := e.svc.Verify(ctx, agent, "", codes[0]); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		wantKind(t, e.svc.Verify(ctx, agent, "", codes[0]), apperr.KindValidation, "a used recovery code")
		// Typed loosely: lower case, no dashes.
		if err := e.svc.Verify(ctx, agent, "", strings.ToLower(strings.ReplaceAll(codes[1], "-", ""))); err != nil {
			t.Fatalf("recovery code typed loosely: %v", err)
		}
		for _, bad := range []string{otherCodes[0], "AAAA-AAAA-AAAA-AAAA", "short", "AAAA-AAAA-AAAA-AAA1", strings.Repeat("A", 5000)} {
			wantKind(t, e.svc.Verify(ctx, agent, "", bad), apperr.KindValidation, "recovery code "+bad[:min(len(bad), 20)])
		}
		st, _ := e.svc.Status(ctx, agent)
		if st.RecoveryCodesLeft != 6 {
			t.Fatalf("%d recovery codes left, want 6", st.RecoveryCodesLeft)
		}
		if n := e.count(t, "SELECT count(*) FROM audit_logs WHERE action = 'two_factor.recovery_code_used' AND actor_id = ?", agent.UserID); n != 2 {
			t.Fatalf("%d recovery_code_used audit rows, want 2", n)
		}
		// The other user's codes are untouched.
		if err := e.svc.Verify(ctx, other, "", otherCodes[0]); err != nil {
			t.Fatalf("the other user's code: %v", err)
		}
	})
}

func TestDisableNeedsPasswordOrCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		agent := e.user(t, "agent")
		wantKind(t, e.svc.Disable(ctx, agent, password, ""), apperr.KindConflict, "disable while off")

		secret, _ := e.enrol(t, agent)
		wantKind(t, e.svc.Disable(ctx, agent, "", ""), apperr.KindValidation, "disable with nothing")
		wantKind(t, e.svc.Disable(ctx, agent, "wrong password", ""), apperr.KindValidation, "disable with a wrong password")
		wantKind(t, e.svc.Disable(ctx, agent, "", e.code(t, secret, 0)), apperr.KindValidation, "disable with a spent code")
		if on, _ := e.svc.Enabled(ctx, agent.UserID); !on {
			t.Fatal("a refused disable turned 2FA off")
		}
		if err := e.svc.Disable(ctx, agent, password, ""); err != nil {
			t.Fatalf("disable with the password: %v", err)
		}
		if on, _ := e.svc.Enabled(ctx, agent.UserID); on {
			t.Fatal("still on after disable")
		}
		if n := e.count(t, "SELECT count(*) FROM two_factor_recovery_codes WHERE user_id = ?", agent.UserID); n != 0 {
			t.Fatalf("%d recovery codes left after disable", n)
		}

		secret, _ = e.enrol(t, agent)
		e.clock.Advance(30 * time.Second)
		if err := e.svc.Disable(ctx, agent, "", e.code(t, secret, 0)); err != nil {
			t.Fatalf("disable with a code: %v", err)
		}
		if n := e.count(t, "SELECT count(*) FROM audit_logs WHERE action = 'two_factor.disabled' AND actor_id = ?", agent.UserID); n != 2 {
			t.Fatalf("%d two_factor.disabled audit rows, want 2", n)
		}
	})
}

func TestAnotherKeyCannotReadTheSecret(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		agent := e.user(t, "agent")
		secret, _ := e.enrol(t, agent)
		e.clock.Advance(time.Minute)
		other := e.withKey(strings.ToUpper(key))
		err := other.Verify(context.Background(), agent, e.code(t, secret, 0), "")
		var ae *apperr.Error
		if err == nil || errors.As(err, &ae) {
			t.Fatalf("verify under another key: %v, want an internal error", err)
		}
		// Moving the sealed secret to another user's row does not make it theirs.
		victim := e.user(t, "admin")
		e.enrol(t, victim)
		_, err = e.db.W.NewRaw(`UPDATE user_two_factor SET secret = (SELECT secret FROM user_two_factor WHERE user_id = ?) WHERE user_id = ?`,
			agent.UserID, victim.UserID).Exec(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		if err := e.svc.Verify(context.Background(), victim, e.code(t, secret, 0), ""); err == nil {
			t.Fatal("a secret copied from another user's row verified")
		}
	})
}
