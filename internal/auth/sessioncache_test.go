package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// sessionActor finds a session as a request does and returns the actor built from the user
// row the look-up left in the request, or nil when the session is not found.
func (f *fixture) sessionActor(t *testing.T, token string) *auth.Actor {
	t.Helper()
	ctx := auth.WithSessionUser(context.Background())
	b, ok, err := f.sessions.FindCtx(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	_, values, err := auth.SessionCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := values[auth.SessionUserKey].(int64)
	a, err := f.auth.SessionActor(ctx, id, "")
	if apperr.Is(err, apperr.KindUnauthenticated) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A session found is kept in memory with its user's row for cache.TTL: a later request is
// served from memory, user row included, even after both rows changed behind its back (as
// by another process); at cache.TTL it reads them again.
func TestSessionKeptWithItsUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		f.signIn(t, "token-1", agent.UserID)
		if a := f.sessionActor(t, "token-1"); a == nil || a.Name != agent.Name {
			t.Fatalf("actor %+v, want %s", a, agent.Name)
		}
		if _, err := f.db.W.ExecContext(ctx, `UPDATE users SET name = 'Renamed' WHERE id = ?`, agent.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.W.ExecContext(ctx, `DELETE FROM sessions`); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(cache.TTL - time.Microsecond)
		if a := f.sessionActor(t, "token-1"); a == nil || a.Name != agent.Name {
			t.Fatalf("within cache.TTL: actor %+v, want %s from memory", a, agent.Name)
		}
		f.clock.Advance(time.Microsecond)
		if a := f.sessionActor(t, "token-1"); a != nil {
			t.Fatalf("at cache.TTL: actor %+v of a deleted session", a)
		}
	})
}

// Changes to users through the service show on the very next request of their sessions,
// with no clock advance: name, email and role; a role's new slug; a host's answer;
// deactivation and a password reset by someone else end the sessions.
func TestUserChangesShowOnTheNextSessionRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		f.signIn(t, "agent", agent.UserID)
		want := func(when, name, email, role string) {
			t.Helper()
			a := f.sessionActor(t, "agent")
			if a == nil || a.Name != name || a.Email != email || a.Role != role {
				t.Fatalf("%s: actor %+v, want %s <%s> %s", when, a, name, email, role)
			}
		}
		want("signed in", agent.Name, agent.Email, auth.RoleAgent)

		name, email := "Agent Smith", "smith@example.test"
		if _, err := f.auth.UpdateUser(ctx, admin, agent.UserID, auth.UserUpdate{Name: &name, Email: &email}); err != nil {
			t.Fatal(err)
		}
		want("renamed", name, email, auth.RoleAgent)
		if _, err := f.auth.ChangeRole(ctx, admin, agent.UserID, auth.RoleLightAgent); err != nil {
			t.Fatal(err)
		}
		want("role changed", name, email, auth.RoleLightAgent)

		role, err := f.auth.CreateRole(ctx, admin, auth.NewRole{Slug: "ops", Name: "Ops", Permissions: []string{"ticket.view"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.ChangeRole(ctx, admin, agent.UserID, "ops"); err != nil {
			t.Fatal(err)
		}
		want("moved to a custom role", name, email, "ops")
		slug := "operations"
		if _, err := f.auth.UpdateRole(ctx, admin, role.ID, auth.RoleUpdate{Slug: &slug}); err != nil {
			t.Fatal(err)
		}
		want("role renamed", name, email, "operations")

		// A password reset by someone else ends the sessions; one's own change does not.
		f.signIn(t, "admin", admin.UserID)
		if a := f.sessionActor(t, "admin"); a == nil {
			t.Fatal("admin's session not found")
		}
		own := "a new password"
		if _, err := f.auth.UpdateUser(ctx, admin, admin.UserID, auth.UserUpdate{Password: &own}); err != nil {
			t.Fatal(err)
		}
		if a := f.sessionActor(t, "admin"); a == nil {
			t.Fatal("admin's session ended by changing their own password")
		}
		reset := "reset by the admin"
		if _, err := f.auth.UpdateUser(ctx, admin, agent.UserID, auth.UserUpdate{Password: &reset}); err != nil {
			t.Fatal(err)
		}
		if a := f.sessionActor(t, "agent"); a != nil {
			t.Fatalf("session still found after a password reset: %+v", a)
		}

		f.signIn(t, "agent", agent.UserID)
		want("signed in again", name, email, "operations")
		if _, err := f.auth.DeactivateUser(ctx, admin, agent.UserID); err != nil {
			t.Fatal(err)
		}
		if a := f.sessionActor(t, "agent"); a != nil {
			t.Fatalf("session of a deactivated user still found: %+v", a)
		}
	})
}

// A host's answer that changes a user with a session shows on that session's next request:
// when the host's user takes over a desk account, and when the host's user changes.
func TestHostUserChangesShowOnTheNextSessionRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		desk := f.user(t, "host@example.test", auth.RoleCustomer)
		f.signIn(t, "host", desk.UserID)
		if a := f.sessionActor(t, "host"); a == nil || a.Role != auth.RoleCustomer {
			t.Fatalf("actor %+v, want a customer", a)
		}
		h := auth.HostUser{ExternalID: "host-7", Name: "Host User", Email: "host@example.test", Role: auth.RoleAgent}
		if u, err := f.auth.SyncHostUser(ctx, h); err != nil || u.ID != desk.UserID {
			t.Fatalf("host user %+v, %v; want the desk account %d taken over", u, err, desk.UserID)
		}
		if a := f.sessionActor(t, "host"); a == nil || a.Name != h.Name || a.Role != auth.RoleAgent {
			t.Fatalf("actor %+v after the takeover, want %s, agent", a, h.Name)
		}
		h.Name, h.Role = "Host User Renamed", auth.RoleLightAgent
		if _, err := f.auth.SyncHostUser(ctx, h); err != nil {
			t.Fatal(err)
		}
		if a := f.sessionActor(t, "host"); a == nil || a.Name != h.Name || a.Role != auth.RoleLightAgent {
			t.Fatalf("actor %+v after the host's change, want %s, light_agent", a, h.Name)
		}
	})
}

// Creating a host user leaves the sessions kept in memory kept: no session can belong to a
// user who did not exist. Seen through a session deleted behind the cache's back, which is
// found only while it is kept. A host's answer that changes an existing user (its role here)
// drops them, and the deleted session is no longer found, with no clock advance.
func TestNewHostUserKeepsKeptSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		f.signIn(t, "agent", agent.UserID)
		if a := f.sessionActor(t, "agent"); a == nil {
			t.Fatal("agent's session not found")
		}
		if _, err := f.db.W.ExecContext(ctx, `DELETE FROM sessions`); err != nil {
			t.Fatal(err)
		}

		h := auth.HostUser{ExternalID: "host-9", Name: "New Host User", Email: "new-host@example.test", Role: auth.RoleCustomer}
		u, err := f.auth.SyncHostUser(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.ID == agent.UserID || u.Name != h.Name || u.Role != h.Role || !u.IsActive ||
			u.ExternalID == nil || *u.ExternalID != h.ExternalID {
			t.Fatalf("new host user %+v", u)
		}
		if a := f.sessionActor(t, "agent"); a == nil {
			t.Fatal("creating a host user dropped another user's kept session")
		}
		if again, err := f.auth.SyncHostUser(ctx, h); err != nil || again.ID != u.ID {
			t.Fatalf("the same answer again: %+v, %v; want user %d", again, err, u.ID)
		}
		if a := f.sessionActor(t, "agent"); a == nil {
			t.Fatal("an unchanged host answer dropped the kept sessions")
		}

		h.Role = auth.RoleAgent
		if changed, err := f.auth.SyncHostUser(ctx, h); err != nil || changed.ID != u.ID || changed.Role != auth.RoleAgent {
			t.Fatalf("role changed: %+v, %v; want user %d as agent", changed, err, u.ID)
		}
		if a := f.sessionActor(t, "agent"); a != nil {
			t.Fatalf("a host user's role change left the kept sessions: actor %+v of a deleted session", a)
		}
	})
}
