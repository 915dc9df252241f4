package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// A signed-in request's permissions come from memory: a role changed through the service
// counts on the very next request; one changed behind its back (another process) within
// cache.TTL, not before; a user's own role and deactivation count at once.
func TestActorPermissionsFollowRoleChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := open(t, url)
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		role, err := f.auth.CreateRole(ctx, admin, auth.NewRole{Slug: "ops", Name: "Ops", Permissions: []string{"ticket.view"}})
		if err != nil {
			t.Fatal(err)
		}
		opsUser := f.user(t, "ops@example.test", "ops")
		can := func(when, perm string, want bool) {
			t.Helper()
			a, err := f.auth.Actor(ctx, opsUser.UserID, "")
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if a.Can(perm) != want {
				t.Fatalf("%s: can %s = %v, want %v", when, perm, a.Can(perm), want)
			}
		}
		can("new role", "ticket.view", true)
		can("new role", "ticket.edit", false)

		perms := []string{"ticket.view", "ticket.edit"}
		if _, err := f.auth.UpdateRole(ctx, admin, role.ID, auth.RoleUpdate{Permissions: &perms}); err != nil {
			t.Fatal(err)
		}
		can("after the update, no clock moved", "ticket.edit", true)

		// Another process takes the permission away.
		if _, err := f.db.W.ExecContext(ctx, `DELETE FROM role_permissions WHERE role_id = ?
			AND permission_id = (SELECT id FROM permissions WHERE slug = 'ticket.edit')`, role.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(cache.TTL - time.Microsecond)
		can("just under the TTL", "ticket.edit", true)
		f.clock.Advance(time.Microsecond)
		can("at the TTL", "ticket.edit", false)

		// The user's own row is read on every request.
		if _, err := f.db.W.ExecContext(ctx, `UPDATE users SET role = 'customer' WHERE id = ?`, opsUser.UserID); err != nil {
			t.Fatal(err)
		}
		can("demoted to customer", "ticket.view", false)
		if _, err := f.db.W.ExecContext(ctx, `UPDATE users SET is_active = FALSE WHERE id = ?`, opsUser.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.Actor(ctx, opsUser.UserID, ""); err == nil {
			t.Fatal("a deactivated user is still an actor")
		}
	})
}
