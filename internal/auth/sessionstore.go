package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// SessionStore keeps scs sessions in the sessions table. Only the SHA-256 of a session token
// is stored, so a copy of the database does not hand out live sessions.
//
// With an idle timeout, scs saves the session after every request only to push its expiry
// forward. The store skips a save whose data is what it last wrote and whose expiry moved
// less than refreshEvery since, so a signed-in request costs no database write; the idle
// timeout then runs from a point at most refreshEvery earlier.
type SessionStore struct {
	db    *db.DB
	clock clock.Clock

	mu        sync.Mutex
	saved     map[string]savedSession // by token hash: what this process last wrote
	lastSweep time.Time
}

type savedSession struct {
	sum     [sha256.Size]byte
	expiry  time.Time
	savedAt time.Time
}

// refreshEvery bounds how far a stored session expiry may lag behind the idle timeout.
const refreshEvery = time.Minute

// NewSessionStore returns a store over d.
func NewSessionStore(d *db.DB, c clock.Clock) *SessionStore {
	return &SessionStore{db: d, clock: c, saved: map[string]savedSession{}}
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	// Every request with a session cookie runs this: a prepared statement.
	var data []byte
	err := s.db.QueryRowRead(ctx, `SELECT data FROM sessions WHERE token_hash = ? AND expiry > ?`,
		[]any{hashToken(token), s.db.Arg(s.clock.Now())}, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("auth: find session: %w", err)
	}
	return data, true, nil
}

// CommitCtx saves a session with the id of the user signed in to it, so that user's sessions
// can be ended together (see deleteSessions).
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h, sum, now := hashToken(token), sha256.Sum256(b), s.clock.Now()
	s.mu.Lock()
	prev, ok := s.saved[h]
	s.mu.Unlock()
	if ok && prev.sum == sum && !expiry.Before(prev.expiry) && expiry.Sub(prev.expiry) < refreshEvery {
		return nil
	}
	_, err := s.db.W.NewRaw(`INSERT INTO sessions (token_hash, data, expiry, user_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry, user_id = EXCLUDED.user_id`,
		h, b, expiry.UTC(), sessionUser(b)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("auth: save session: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved[h] = savedSession{sum: sum, expiry: expiry, savedAt: now}
	// Entries older than refreshEvery no longer save anything; drop them now and then so
	// the map holds only the sessions active in the last minute or so.
	if now.Sub(s.lastSweep) >= refreshEvery {
		for k, v := range s.saved {
			if now.Sub(v.savedAt) >= refreshEvery {
				delete(s.saved, k)
			}
		}
		s.lastSweep = now
	}
	return nil
}

// SessionUserKey is the session key that holds the signed-in user's id.
const SessionUserKey = "user_id"

// sessionUser reads the signed-in user's id out of an encoded session, or nil when nobody is
// signed in. The session manager encodes with scs's default gob codec.
func sessionUser(b []byte) *int64 {
	_, values, err := scs.GobCodec{}.Decode(b)
	if err != nil {
		return nil
	}
	id, ok := values[SessionUserKey].(int64)
	if !ok || id == 0 {
		return nil
	}
	return &id
}

// deleteSessions ends every session of a user, in the caller's transaction.
func deleteSessions(ctx context.Context, tx bun.IDB, userID int64) error {
	if _, err := tx.NewRaw(`DELETE FROM sessions WHERE user_id = ?`, userID).Exec(ctx); err != nil {
		return fmt.Errorf("auth: end sessions of user %d: %w", userID, err)
	}
	return nil
}

func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	h := hashToken(token)
	s.mu.Lock()
	delete(s.saved, h)
	s.mu.Unlock()
	if _, err := s.db.W.NewRaw(`DELETE FROM sessions WHERE token_hash = ?`, h).Exec(ctx); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// DeleteExpired removes sessions past their expiry.
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
