package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// SessionStore keeps scs sessions in the sessions table. Only the SHA-256 of a session token
// is stored, so a copy of the database does not hand out live sessions.
//
// The store, not scs, ends idle sessions: a row's expiry is its idle point, and reading a
// session moves that point to SessionIdleTimeout from now once it is more than refreshEvery
// old. A request that changes nothing in its session thus saves nothing and sends no cookie;
// only its expiry is written, at most once a minute. (scs's own IdleTimeout would save every
// session and send its cookie again on every response.) The session's absolute deadline is in its
// data, and a read checks it too. Both checks read the injected clock.
//
// A session found is kept in memory for cache.TTL with its user's row, so a signed-in request
// does not query for it again within that time. Saving or deleting a session through the store,
// and changing users through the Service, drops what is kept at once; a change made by another
// process sharing the database shows within cache.TTL.
type SessionStore struct {
	db    *db.DB
	clock clock.Clock
	kept  *cache.Keyed[string, keptSession] // by token hash; the Service's (Service.sessions)
}

// keptSession is a session found, as FindCtx keeps it.
type keptSession struct {
	data     []byte // handed to every request it serves: scs only decodes it
	deadline time.Time
	user     sessionRow // not loaded when nobody is signed in to the session
}

// SessionIdleTimeout ends a session nobody has used for this long.
const SessionIdleTimeout = 7 * 24 * time.Hour

// refreshEvery bounds how far a stored idle point may lag behind a session's last use, and
// so how often a session in use writes its expiry.
const refreshEvery = time.Minute

// NewSessionStore returns the store of users' sessions. It shares the database, the clock and
// the sessions kept in memory with users, which drops them when it changes a user.
func NewSessionStore(users *Service) *SessionStore {
	return &SessionStore{db: users.db, clock: users.clock, kept: &users.sessions}
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	h, now := hashToken(token), s.clock.Now()
	k, ok, err := s.kept.Get(ctx, h, now, func(ctx context.Context) (keptSession, bool, error) {
		return s.read(ctx, h, now)
	})
	if err != nil || !ok {
		return nil, false, err
	}
	// A session kept was not idle when it was read, less than cache.TTL ago, and its idle point
	// was then at least SessionIdleTimeout-refreshEvery away; but its deadline may have passed.
	if !now.Before(k.deadline) {
		return nil, false, nil
	}
	if u := sessionRowIn(ctx); u != nil && k.user.loaded {
		*u = k.user
	}
	return k.data, true, nil
}

// read reads a session and its user from the database, and moves its idle point on when due.
func (s *SessionStore) read(ctx context.Context, h string, now time.Time) (keptSession, bool, error) {
	idlePoint := now.Add(SessionIdleTimeout)
	// Every request with a session cookie not kept in memory runs this: a prepared statement,
	// which also reads the session's user for the request (sessionRow).
	var data []byte
	var stale bool
	var uid sql.NullInt64
	var name, email, role sql.NullString
	var active sql.NullBool
	err := s.db.QueryRowRead(ctx, `SELECT s.data, s.expiry < ?, u.id, u.name, u.email, u.role, u.is_active
		FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expiry > ?`,
		[]any{s.db.Arg(idlePoint.Add(-refreshEvery)), h, s.db.Arg(now)}, &data, &stale, &uid, &name, &email, &role, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return keptSession{}, false, nil
	}
	if err != nil {
		return keptSession{}, false, fmt.Errorf("auth: find session: %w", err)
	}
	deadline, _, err := decodeSessionDeadline(data)
	if err != nil || !now.Before(deadline) {
		// Past its lifetime, or saved with gob before the desk had its own codec: signed
		// out. Its row goes with the expired ones.
		return keptSession{}, false, nil
	}
	if stale {
		// Never moved back: another process may have moved it further a moment ago.
		_, err := s.db.W.NewRaw(`UPDATE sessions SET expiry = ? WHERE token_hash = ? AND expiry < ?`,
			idlePoint, h, idlePoint).Exec(ctx)
		if err != nil {
			return keptSession{}, false, fmt.Errorf("auth: refresh session expiry: %w", err)
		}
	}
	k := keptSession{data: data, deadline: deadline}
	if uid.Valid {
		k.user = sessionRow{id: uid.Int64, name: name.String, email: email.String, role: role.String, active: active.Bool, loaded: true}
	}
	return k, true, nil
}

// CommitCtx saves a session with the id of the user signed in to it, so that user's sessions
// can be ended together (see deleteSessions). The deadline scs passes is also in b, where
// FindCtx reads it; the row's expiry is the session's idle point.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, _ time.Time) error {
	h := hashToken(token)
	defer s.kept.Forget(h)
	_, err := s.db.W.NewRaw(`INSERT INTO sessions (token_hash, data, expiry, user_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry, user_id = EXCLUDED.user_id`,
		h, b, s.clock.Now().Add(SessionIdleTimeout), sessionUser(b)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("auth: save session: %w", err)
	}
	return nil
}

// SessionUserKey is the session key that holds the signed-in user's id.
const SessionUserKey = "user_id"

// sessionUser reads the signed-in user's id out of an encoded session, or nil when nobody is
// signed in.
func sessionUser(b []byte) *int64 {
	_, values, err := SessionCodec{}.Decode(b)
	if err != nil {
		return nil
	}
	id, ok := values[SessionUserKey].(int64)
	if !ok || id == 0 {
		return nil
	}
	return &id
}

// deleteSessions ends every session of a user, in the caller's transaction. The caller drops
// the sessions kept in memory (Service.sessions.Clear) once that transaction has ended.
func deleteSessions(ctx context.Context, tx bun.IDB, userID int64) error {
	if _, err := tx.NewRaw(`DELETE FROM sessions WHERE user_id = ?`, userID).Exec(ctx); err != nil {
		return fmt.Errorf("auth: end sessions of user %d: %w", userID, err)
	}
	return nil
}

func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	h := hashToken(token)
	defer s.kept.Forget(h)
	if _, err := s.db.W.NewRaw(`DELETE FROM sessions WHERE token_hash = ?`, h).Exec(ctx); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// DeleteExpired removes sessions past their idle point. A session past its deadline but not
// yet idle is refused on reading and goes here at most SessionIdleTimeout later. No session
// kept in memory is among them (see FindCtx), so none is dropped.
func (s *SessionStore) DeleteExpired(ctx context.Context) error {
	_, err := s.db.W.NewRaw(`DELETE FROM sessions WHERE expiry <= ?`, s.clock.Now()).Exec(ctx)
	return err
}

func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }
