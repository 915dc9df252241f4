package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

type storeFixture struct {
	t     *testing.T
	db    *db.DB
	clock *clock.Fake
	store *auth.SessionStore
}

func openStore(t *testing.T, url string) *storeFixture {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	c := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	return &storeFixture{t: t, db: d, clock: c, store: auth.NewSessionStore(auth.NewService(d, c, nil))}
}

// save commits a session with the given lifetime, as the session manager does.
func (f *storeFixture) save(token string, lifetime time.Duration, values map[string]any) {
	f.t.Helper()
	deadline := f.clock.Now().Add(lifetime)
	b, err := auth.SessionCodec{}.Encode(deadline, values)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CommitCtx(context.Background(), token, b, deadline); err != nil {
		f.t.Fatal(err)
	}
}

func (f *storeFixture) found(token string) bool {
	f.t.Helper()
	_, ok, err := f.store.FindCtx(context.Background(), token)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

// expiry is the stored expiry of the one session saved.
func (f *storeFixture) expiry() time.Time {
	f.t.Helper()
	var expiry time.Time
	err := f.db.R.NewRaw(`SELECT expiry FROM sessions`).Scan(context.Background(), &expiry)
	if err != nil {
		f.t.Fatal(err)
	}
	return expiry.UTC()
}

// A session idle for longer than the idle timeout is gone; one read within it keeps it.
func TestSessionStoreEndsIdleSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		f.save("idle", 14*24*time.Hour, map[string]any{"csrf_token": "t"})
		f.clock.Advance(auth.SessionIdleTimeout - time.Second)
		if !f.found("idle") {
			t.Fatal("session gone a second before its idle timeout")
		}
		f.clock.Advance(auth.SessionIdleTimeout - time.Second)
		if !f.found("idle") {
			t.Fatal("session read a second before its idle timeout is gone one idle timeout later")
		}
		f.clock.Advance(auth.SessionIdleTimeout)
		if f.found("idle") {
			t.Fatal("session idle for the whole idle timeout is still there")
		}
	})
}

// Reading a session writes its expiry at most once a minute; a session read every few
// minutes outlives the idle timeout, up to its deadline.
func TestSessionStoreRefreshesTheIdlePointOnceAMinute(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		lifetime := auth.SessionIdleTimeout + 2*time.Hour
		f.save("used", lifetime, map[string]any{"csrf_token": "t"})
		saved := f.expiry()
		if want := f.clock.Now().Add(auth.SessionIdleTimeout); !saved.Equal(want) {
			t.Fatalf("saved expiry %v, want %v", saved, want)
		}
		f.clock.Advance(59 * time.Second)
		if !f.found("used") {
			t.Fatal("session gone")
		}
		if got := f.expiry(); !got.Equal(saved) {
			t.Fatalf("a read 59s after saving moved the expiry to %v", got)
		}
		f.clock.Advance(2 * time.Second)
		if !f.found("used") {
			t.Fatal("session gone")
		}
		if got, want := f.expiry(), f.clock.Now().Add(auth.SessionIdleTimeout); !got.Equal(want) {
			t.Fatalf("a read 61s after saving left the expiry at %v, want %v", got, want)
		}

		for step := 0; f.clock.Now().Add(4 * time.Minute).Before(saved.Add(time.Hour)); step++ {
			f.clock.Advance(4 * time.Minute)
			if !f.found("used") {
				t.Fatalf("session used every 4 minutes gone after %d uses, at %v", step, f.clock.Now())
			}
		}
		// Its deadline ends it however busy it is.
		for f.clock.Now().Before(saved.Add(2*time.Hour - 4*time.Minute)) {
			f.clock.Advance(4 * time.Minute)
			if !f.found("used") {
				t.Fatalf("session gone before its deadline, at %v", f.clock.Now())
			}
		}
		f.clock.Advance(4 * time.Minute)
		if f.found("used") {
			t.Fatal("session still there after its deadline")
		}
	})
}

// Sessions saved with gob, before the desk had its own codec, are signed out, not errors.
func TestSessionStoreSignsOutGobSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		deadline := f.clock.Now().Add(time.Hour)
		b, err := scs.GobCodec{}.Encode(deadline, map[string]any{"csrf_token": "t"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.CommitCtx(context.Background(), "old", b, deadline); err != nil {
			t.Fatal(err)
		}
		if f.found("old") {
			t.Fatal("gob session found")
		}
	})
}

// otherProcess is a second server process sharing the database: its own store, with its own
// sessions kept in memory.
func (f *storeFixture) otherProcess() *auth.SessionStore {
	return auth.NewSessionStore(auth.NewService(f.db, f.clock, nil))
}

// csrf is the csrf_token of a session as found, or "" when it is not found.
func (f *storeFixture) csrf(token string) string {
	f.t.Helper()
	b, ok, err := f.store.FindCtx(context.Background(), token)
	if err != nil {
		f.t.Fatal(err)
	}
	if !ok {
		return ""
	}
	_, values, err := auth.SessionCodec{}.Decode(b)
	if err != nil {
		f.t.Fatal(err)
	}
	s, _ := values["csrf_token"].(string)
	return s
}

// A session found is kept in memory for cache.TTL: ended by another process, it is still
// found here until then, and not a microsecond longer.
func TestSessionStoreKeepsFoundSessionsForTTL(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		f.save("kept", time.Hour, map[string]any{"csrf_token": "t"})
		if !f.found("kept") {
			t.Fatal("session not found")
		}
		if err := f.otherProcess().DeleteCtx(context.Background(), "kept"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(cache.TTL - time.Microsecond)
		if !f.found("kept") {
			t.Fatal("session ended elsewhere is gone within cache.TTL: it was not kept in memory")
		}
		f.clock.Advance(time.Microsecond)
		if f.found("kept") {
			t.Fatal("session ended elsewhere still found cache.TTL after it was read")
		}
	})
}

// A session not found is not kept as missing: signed in by another process, it is found
// here at once.
func TestSessionStoreDoesNotKeepMisses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		if f.found("later") {
			t.Fatal("session found before it was saved")
		}
		deadline := f.clock.Now().Add(time.Hour)
		b, err := auth.SessionCodec{}.Encode(deadline, map[string]any{"csrf_token": "t"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.otherProcess().CommitCtx(context.Background(), "later", b, deadline); err != nil {
			t.Fatal(err)
		}
		if !f.found("later") {
			t.Fatal("session saved elsewhere after a miss is not found: the miss was kept")
		}
	})
}

// Saving and deleting a session through the store show on its very next read.
func TestSessionStoreChangesShowAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		f.save("s", time.Hour, map[string]any{"csrf_token": "first"})
		if got := f.csrf("s"); got != "first" {
			t.Fatalf("csrf token %q, want first", got)
		}
		f.save("s", time.Hour, map[string]any{"csrf_token": "second"})
		if got := f.csrf("s"); got != "second" {
			t.Fatalf("csrf token %q after saving the session again, want second", got)
		}
		if err := f.store.DeleteCtx(context.Background(), "s"); err != nil {
			t.Fatal(err)
		}
		if f.found("s") {
			t.Fatal("session found after it was deleted (signed out)")
		}
	})
}

// A session kept in memory is still refused at its deadline.
func TestSessionStoreEnforcesTheDeadlineOfKeptSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := openStore(t, url)
		f.save("short", time.Second, map[string]any{"csrf_token": "t"})
		if !f.found("short") {
			t.Fatal("session not found")
		}
		f.clock.Advance(time.Second - time.Microsecond)
		if !f.found("short") {
			t.Fatal("session gone before its deadline")
		}
		f.clock.Advance(time.Microsecond)
		if f.found("short") {
			t.Fatal("session kept in memory found at its deadline")
		}
	})
}
