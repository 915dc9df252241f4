package auth_test

import (
	"context"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// The session look-up reads the session's user in the same query, and SessionActor builds
// the request's actor from that row: what the user row said when the session was read, with
// no query of its own; a request without that room, or for another user, reads the user.
func TestSessionActorComesWithTheSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		f.signIn(t, "token-1", agent.UserID)

		ctx := auth.WithSessionUser(context.Background())
		if _, ok, err := f.sessions.FindCtx(ctx, "token-1"); err != nil || !ok {
			t.Fatalf("find session: %v, %v", ok, err)
		}
		// Renamed after the session was read: this request keeps what it read with it.
		if _, err := f.db.W.ExecContext(ctx, `UPDATE users SET name = 'Renamed' WHERE id = ?`, agent.UserID); err != nil {
			t.Fatal(err)
		}
		a, err := f.auth.SessionActor(ctx, agent.UserID, "192.0.2.1")
		if err != nil || a.Name != agent.Name || a.Role != auth.RoleAgent || !a.Can("ticket.view") || a.IP != "192.0.2.1" {
			t.Fatalf("actor from the session's row: %+v, %v", a, err)
		}
		// Without the room in its context, or for another user, the user is read.
		if a, err := f.auth.SessionActor(context.Background(), agent.UserID, ""); err != nil || a.Name != "Renamed" {
			t.Fatalf("actor without the session's row: %+v, %v", a, err)
		}
		other := f.user(t, "other@example.test", auth.RoleCustomer)
		if a, err := f.auth.SessionActor(ctx, other.UserID, ""); err != nil || a.UserID != other.UserID || a.Role != auth.RoleCustomer {
			t.Fatalf("actor of another user: %+v, %v", a, err)
		}

		// A user deactivated before the session is read is no actor. Deactivated behind the
		// store's back (as by another process), that shows once the session kept in memory
		// is cache.TTL old.
		if _, err := f.db.W.ExecContext(ctx, `UPDATE users SET is_active = FALSE WHERE id = ?`, agent.UserID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(cache.TTL)
		ctx = auth.WithSessionUser(context.Background())
		if _, _, err := f.sessions.FindCtx(ctx, "token-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.SessionActor(ctx, agent.UserID, ""); !apperr.Is(err, apperr.KindUnauthenticated) {
			t.Fatalf("deactivated user: %v, want unauthenticated", err)
		}
	})
}
