// Package twofactor is sign-in with a second factor: TOTP codes (RFC 6238: SHA-1, 6 digits,
// 30-second steps, one step of clock drift either way) from an authenticator app, and
// single-use recovery codes for when the app is lost.
package twofactor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
)

// The TOTP parameters of DOMAIN.md, which every common authenticator app uses.
const (
	Period = 30
	Skew   = 1
	Digits = otp.DigitsSix
	// Issuer names the desk in the authenticator app.
	Issuer = "Escalated"
	// RecoveryCodes is how many recovery codes an enrolment hands out.
	RecoveryCodes = 8
)

var codeOpts = totp.ValidateOpts{Period: Period, Digits: Digits, Algorithm: otp.AlgorithmSHA1}

// Service enrols users and checks their codes.
type Service struct {
	db        *db.DB
	clock     clock.Clock
	box       *secretbox.Box
	passwords *auth.Service
}

// NewService returns the service. box seals TOTP secrets at rest; nil (no secret key
// configured) leaves sign-in working for users without 2FA and refuses new enrolments.
func NewService(d *db.DB, c clock.Clock, box *secretbox.Box, passwords *auth.Service) *Service {
	return &Service{db: d, clock: c, box: box, passwords: passwords}
}

type record struct {
	bun.BaseModel `bun:"table:user_two_factor"`

	UserID       int64      `bun:"user_id,pk"`
	Secret       string     `bun:"secret"`
	ConfirmedAt  *time.Time `bun:"confirmed_at"`
	LastUsedStep int64      `bun:"last_used_step"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

type recoveryCode struct {
	bun.BaseModel `bun:"table:two_factor_recovery_codes"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id"`
	CodeHash  string     `bun:"code_hash"`
	UsedAt    *time.Time `bun:"used_at"`
	CreatedAt time.Time  `bun:"created_at"`
}

// sealContext binds a sealed secret to its user, so a secret copied into another user's row
// does not open.
func sealContext(userID int64) []byte {
	return []byte("user_two_factor:" + strconv.FormatInt(userID, 10))
}

func mayEnrol(a *auth.Actor) error {
	if !a.IsAgent() {
		return apperr.Forbidden("Two-factor authentication is for staff accounts.")
	}
	return nil
}

// Status is what the settings page shows.
type Status struct {
	Enabled bool `json:"enabled"`
	// Pending is true between Setup and Confirm.
	Pending bool `json:"pending"`
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int `json:"recovery_codes_left"`
}

// Status reports the actor's own 2FA state.
func (s *Service) Status(ctx context.Context, a *auth.Actor) (*Status, error) {
	if err := mayEnrol(a); err != nil {
		return nil, err
	}
	rec, err := s.load(ctx, s.db.R, a.UserID)
	if err != nil || rec == nil {
		return &Status{}, err
	}
	st := &Status{Enabled: rec.ConfirmedAt != nil, Pending: rec.ConfirmedAt == nil}
	if st.Enabled {
		n, err := s.db.R.NewSelect().Model((*recoveryCode)(nil)).Where("user_id = ? AND used_at IS NULL", a.UserID).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("twofactor: count recovery codes: %w", err)
		}
		st.RecoveryCodesLeft = int(n)
	}
	return st, nil
}

// Enabled reports whether the user must give a second factor to sign in.
func (s *Service) Enabled(ctx context.Context, userID int64) (bool, error) {
	rec, err := s.load(ctx, s.db.R, userID)
	return rec != nil && rec.ConfirmedAt != nil, err
}

func (s *Service) load(ctx context.Context, idb bun.IDB, userID int64) (*record, error) {
	var rec record
	err := idb.NewSelect().Model(&rec).Where("user_id = ?", userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("twofactor: load user %d: %w", userID, err)
	}
	return &rec, nil
}

// Enrolment is what an authenticator app needs, shown once while setting up.
type Enrolment struct {
	// Secret is the base32 secret, for typing in by hand.
	Secret string `json:"secret"`
	// URI is the otpauth:// URI the QR code holds.
	URI string `json:"otpauth_uri"`
	// QRCode is a PNG of the QR code as a data: URI, ready for an <img src>.
	QRCode string `json:"qr_code"`
}

// Setup starts enrolment with a new secret. 2FA is not on until Confirm gets a code made
// from it; calling Setup again before then replaces the secret.
func (s *Service) Setup(ctx context.Context, a *auth.Actor) (*Enrolment, error) {
	if err := mayEnrol(a); err != nil {
		return nil, err
	}
	if s.box == nil {
		return nil, apperr.Conflict("Two-factor authentication is not available: the desk has no secret key (Config.SecretKey, ESCALATED_SECRET_KEY).")
	}
	account := a.Email
	if account == "" {
		account = a.Name
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: Issuer, AccountName: account, Period: Period, Digits: Digits,
		Algorithm: otp.AlgorithmSHA1, SecretSize: 20,
	})
	if err != nil {
		return nil, fmt.Errorf("twofactor: generate secret: %w", err)
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, fmt.Errorf("twofactor: draw QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("twofactor: encode QR code: %w", err)
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var on int
		err := tx.NewRaw(`SELECT count(*) FROM user_two_factor WHERE user_id = ? AND confirmed_at IS NOT NULL`, a.UserID).Scan(ctx, &on)
		if err != nil {
			return fmt.Errorf("twofactor: check enrolment: %w", err)
		}
		if on > 0 {
			return apperr.Conflict("Two-factor authentication is already on. Turn it off first to enrol another device.")
		}
		rec := record{UserID: a.UserID, Secret: s.box.Seal([]byte(key.Secret()), sealContext(a.UserID)), CreatedAt: now, UpdatedAt: now}
		_, err = tx.NewInsert().Model(&rec).
			On("CONFLICT (user_id) DO UPDATE").
			Set("secret = EXCLUDED.secret, confirmed_at = NULL, last_used_step = 0, updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("twofactor: save secret: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{
		Secret: key.Secret(),
		URI:    key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// Confirm turns 2FA on once code proves the app holds the secret from Setup, and returns
// the recovery codes. They are shown this once; only their hashes are kept.
func (s *Service) Confirm(ctx context.Context, a *auth.Actor, code string) ([]string, error) {
	if err := mayEnrol(a); err != nil {
		return nil, err
	}
	codes := newRecoveryCodes()
	now := s.clock.Now()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rec, err := s.load(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if rec == nil || rec.ConfirmedAt != nil {
			return apperr.Conflict("There is no two-factor setup to confirm. Start the setup first.")
		}
		if err := s.useCode(ctx, tx, rec, code, now); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(rec).Set("confirmed_at = ?, updated_at = ?", now, now).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("twofactor: confirm: %w", err)
		}
		if err := replaceRecoveryCodes(ctx, tx, a.UserID, codes, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "two_factor.enabled", "user", a.UserID,
			map[string]any{"two_factor": false}, map[string]any{"two_factor": true}, now)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// Disable turns 2FA off (or abandons a setup) for the actor, who proves it is them with
// their password or a current code.
func (s *Service) Disable(ctx context.Context, a *auth.Actor, password, code string) error {
	if err := mayEnrol(a); err != nil {
		return err
	}
	if password == "" && code == "" {
		return apperr.Invalid("password", "Enter your password or a code from your authenticator app.")
	}
	if password != "" {
		ok, err := s.passwords.CheckPassword(ctx, a.UserID, password)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.Invalid("password", "The password is incorrect.")
		}
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rec, err := s.load(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if rec == nil {
			return apperr.Conflict("Two-factor authentication is not on.")
		}
		if password == "" {
			if err := s.useCode(ctx, tx, rec, code, now); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Model(rec).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("twofactor: disable: %w", err)
		}
		if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("user_id = ?", a.UserID).Exec(ctx); err != nil {
			return fmt.Errorf("twofactor: delete recovery codes: %w", err)
		}
		if rec.ConfirmedAt == nil {
			return nil // an abandoned setup: 2FA was never on
		}
		return audit.Record(ctx, tx, a, "two_factor.disabled", "user", a.UserID,
			map[string]any{"two_factor": true}, map[string]any{"two_factor": false}, now)
	})
}

// Verify checks the second factor of a sign-in: a TOTP code or, failing that, a recovery
// code. Either works once: a TOTP code is refused for the rest of its window once used, and
// a recovery code for good.
func (s *Service) Verify(ctx context.Context, a *auth.Actor, code, recovery string) error {
	code, recovery = strings.TrimSpace(code), strings.TrimSpace(recovery)
	switch {
	case code == "" && recovery == "":
		return apperr.Invalid("code", "Enter a code from your authenticator app or a recovery code.")
	case code != "" && recovery != "":
		return apperr.Invalid("code", "Send either a code or a recovery code, not both.")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rec, err := s.load(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if rec == nil || rec.ConfirmedAt == nil {
			return apperr.Invalid("code", "The code is not valid.")
		}
		if code != "" {
			return s.useCode(ctx, tx, rec, code, now)
		}
		return useRecoveryCode(ctx, tx, a, recovery, now)
	})
}

// useCode accepts code when it is right for a time step within the skew of now that is
// later than the last step used, and records that step, so the same code (or an older one)
// cannot be used again. The conditional update makes two requests racing with one code
// succeed once.
func (s *Service) useCode(ctx context.Context, tx bun.Tx, rec *record, code string, now time.Time) error {
	if s.box == nil {
		return fmt.Errorf("twofactor: user %d has 2FA on but the desk has no secret key to read it", rec.UserID)
	}
	secret, err := s.box.Open(rec.Secret, sealContext(rec.UserID))
	if err != nil {
		return fmt.Errorf("twofactor: open the secret of user %d (was the secret key changed?): %w", rec.UserID, err)
	}
	step, ok := matchStep(string(secret), code, now, rec.LastUsedStep)
	if !ok {
		return apperr.Invalid("code", "The code is not valid.")
	}
	res, err := tx.NewUpdate().Model(rec).Set("last_used_step = ?", step).WherePK().Where("last_used_step < ?", step).Exec(ctx)
	if err != nil {
		return fmt.Errorf("twofactor: record used step: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Invalid("code", "The code is not valid.")
	}
	rec.LastUsedStep = step
	return nil
}

// matchStep finds the time step, within Skew steps of now and after last, whose code is
// code. Every candidate is compared, in constant time.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != Digits.Length() || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	current := now.Unix() / Period
	var found int64
	ok := false
	for step := current - Skew; step <= current+Skew; step++ {
		want, err := Code(secret, step)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > last {
			found, ok = step, true
		}
	}
	return found, ok
}

// Code is the code of a time step (Unix time / Period) for a base32 secret.
func Code(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*Period, 0), codeOpts)
}

// recoveryEncoding spells recovery codes in upper-case letters and the digits 2-7.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes makes codes of 80 random bits each, shown as XXXX-XXXX-XXXX-XXXX.
func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		b := make([]byte, 10)
		rand.Read(b)
		s := recoveryEncoding.EncodeToString(b)
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
	}
	return codes
}

// hashRecoveryCode is the stored form of a code: the SHA-256 of its 16 characters, with
// dashes and spaces dropped and letters upper-cased, so it can be typed loosely. Eighty
// random bits need no salt or slow hash to resist guessing from the hash.
func hashRecoveryCode(code string) (string, bool) {
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(norm) != 16 {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(norm); err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:]), true
}

func replaceRecoveryCodes(ctx context.Context, tx bun.Tx, userID int64, codes []string, now time.Time) error {
	if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("twofactor: delete recovery codes: %w", err)
	}
	rows := make([]recoveryCode, len(codes))
	for i, c := range codes {
		h, _ := hashRecoveryCode(c)
		rows[i] = recoveryCode{UserID: userID, CodeHash: h, CreatedAt: now}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("twofactor: save recovery codes: %w", err)
	}
	return nil
}

// useRecoveryCode spends a recovery code. The update only matches an unused code, so a code
// used once, even by a request racing this one, is refused.
func useRecoveryCode(ctx context.Context, tx bun.Tx, a *auth.Actor, code string, now time.Time) error {
	h, ok := hashRecoveryCode(code)
	if !ok {
		return apperr.Invalid("recovery_code", "The recovery code is not valid.")
	}
	res, err := tx.NewUpdate().Model((*recoveryCode)(nil)).Set("used_at = ?", now).
		Where("user_id = ? AND code_hash = ? AND used_at IS NULL", a.UserID, h).Exec(ctx)
	if err != nil {
		return fmt.Errorf("twofactor: use recovery code: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Invalid("recovery_code", "The recovery code is not valid.")
	}
	left, err := tx.NewSelect().Model((*recoveryCode)(nil)).Where("user_id = ? AND used_at IS NULL", a.UserID).Count(ctx)
	if err != nil {
		return fmt.Errorf("twofactor: count recovery codes: %w", err)
	}
	return audit.Record(ctx, tx, a, "two_factor.recovery_code_used", "user", a.UserID, nil, map[string]any{"codes_left": left}, now)
}
