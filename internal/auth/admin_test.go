package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

type fixture struct {
	db       *db.DB
	clock    *clock.Fake
	auth     *auth.Service
	sessions *auth.SessionStore
}

func open(t testing.TB, url string) *fixture {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		return auth.Seed(ctx, tx, c.Now())
	}})
	if err != nil {
		t.Fatal(err)
	}
	cheap := &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	users := auth.NewService(d, c, cheap)
	return &fixture{db: d, clock: c, auth: users, sessions: auth.NewSessionStore(users)}
}

func (f *fixture) user(t testing.TB, email, role string) *auth.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := f.auth.CreateUser(ctx, auth.System(), auth.NewUser{Name: email, Email: email, Password: "password1", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.auth.ActorForUser(ctx, u, "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signIn saves a session the way the session manager does after a sign-in.
func (f *fixture) signIn(t *testing.T, token string, userID int64) {
	t.Helper()
	values := map[string]any{}
	if userID != 0 {
		values[auth.SessionUserKey] = userID
	}
	expiry := f.clock.Now().Add(time.Hour)
	b, err := auth.SessionCodec{}.Encode(expiry, values)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sessions.CommitCtx(context.Background(), token, b, expiry); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) hasSession(t *testing.T, token string) bool {
	t.Helper()
	_, ok, err := f.sessions.FindCtx(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

type auditRow struct {
	Action    string `bun:"action"`
	ActorID   *int64 `bun:"actor_id"`
	IP        string `bun:"ip_address"`
	OldValues string `bun:"old_values"`
	NewValues string `bun:"new_values"`
}

func (f *fixture) audit(t *testing.T, resourceType string) []auditRow {
	t.Helper()
	var rows []auditRow
	err := f.db.R.NewRaw(`SELECT action, actor_id, ip_address, old_values, new_values FROM audit_logs
		WHERE resource_type = ? ORDER BY id`, resourceType).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestDeactivationEndsOnlyThatUsersSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		f.signIn(t, "agent-laptop", agent.UserID)
		f.signIn(t, "agent-phone", agent.UserID)
		f.signIn(t, "admin-laptop", admin.UserID)
		f.signIn(t, "nobody", 0)

		if _, err := f.auth.DeactivateUser(ctx, admin, agent.UserID); err != nil {
			t.Fatal(err)
		}
		for token, want := range map[string]bool{"agent-laptop": false, "agent-phone": false, "admin-laptop": true, "nobody": true} {
			if got := f.hasSession(t, token); got != want {
				t.Errorf("session %s exists = %v, want %v", token, got, want)
			}
		}
		if _, err := f.auth.Actor(ctx, agent.UserID, ""); !apperr.Is(err, apperr.KindUnauthenticated) {
			t.Fatalf("actor of deactivated user: err = %v, want unauthenticated", err)
		}
	})
}

// A session saved before sessions named their user survives deactivation, but the user it
// holds is refused on the next request all the same.
func TestInactiveUserIsNoActorEvenWithASession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		if _, err := f.db.W.NewRaw(`UPDATE users SET is_active = FALSE WHERE id = ?`, agent.UserID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.Actor(ctx, agent.UserID, ""); !apperr.Is(err, apperr.KindUnauthenticated) {
			t.Fatalf("actor of inactive user: err = %v, want unauthenticated", err)
		}
		if _, err := f.auth.Authenticate(ctx, "agent@example.test", "password1"); !apperr.Is(err, apperr.KindValidation) {
			t.Fatalf("sign-in of inactive user: err = %v, want refused", err)
		}
	})
}

func TestAdminChangesAreAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		agent := f.user(t, "agent@example.test", auth.RoleAgent)

		secret := "hunter2hunter2"
		name := "Agent Smith"
		if _, err := f.auth.UpdateUser(ctx, admin, agent.UserID, auth.UserUpdate{Name: &name, Password: &secret}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.UpdateUser(ctx, admin, agent.UserID, auth.UserUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.ChangeRole(ctx, admin, agent.UserID, auth.RoleLightAgent); err != nil {
			t.Fatal(err)
		}
		bad := "not an email"
		if _, err := f.auth.UpdateUser(ctx, admin, agent.UserID, auth.UserUpdate{Email: &bad}); !apperr.Is(err, apperr.KindValidation) {
			t.Fatalf("bad email: err = %v", err)
		}
		if _, err := f.auth.DeactivateUser(ctx, admin, agent.UserID); err != nil {
			t.Fatal(err)
		}

		rows := f.audit(t, "user")
		var actions []string
		for _, r := range rows {
			actions = append(actions, r.Action)
			if strings.Contains(r.NewValues, secret) || strings.Contains(r.NewValues, "argon2") {
				t.Fatalf("audit row leaks the password: %+v", r)
			}
		}
		// Created twice by the fixture, then one row per change; the repeated name is no change.
		want := "user.created,user.created,user.updated,user.role_changed,user.deactivated"
		if strings.Join(actions, ",") != want {
			t.Fatalf("audit actions = %v, want %s", actions, want)
		}
		updated := rows[2]
		if updated.ActorID == nil || *updated.ActorID != admin.UserID || updated.IP != "192.0.2.7" {
			t.Fatalf("audit row names %v from %q, want admin %d", updated.ActorID, updated.IP, admin.UserID)
		}
		if v := decode(t, updated.NewValues); v["password"] != "[redacted]" || v["name"] != name {
			t.Fatalf("user.updated new values = %s", updated.NewValues)
		}
		if decode(t, rows[3].OldValues)["role"] != "agent" || decode(t, rows[3].NewValues)["role"] != "light_agent" {
			t.Fatalf("role change audit = %+v", rows[3])
		}
		if decode(t, rows[4].NewValues)["is_active"] != false {
			t.Fatalf("deactivation audit = %+v", rows[4])
		}

		role, err := f.auth.CreateRole(ctx, admin, auth.NewRole{Slug: "ops", Name: "Ops", Permissions: []string{"ticket.view"}})
		if err != nil {
			t.Fatal(err)
		}
		perms := []string{"ticket.view", "ticket.edit"}
		if _, err := f.auth.UpdateRole(ctx, admin, role.ID, auth.RoleUpdate{Permissions: &perms}); err != nil {
			t.Fatal(err)
		}
		if err := f.auth.DeleteRole(ctx, admin, role.ID); err != nil {
			t.Fatal(err)
		}
		roleRows := f.audit(t, "role")
		if len(roleRows) != 3 || roleRows[1].Action != "role.updated" || roleRows[2].Action != "role.deleted" {
			t.Fatalf("role audit = %+v", roleRows)
		}
		if fmt.Sprint(decode(t, roleRows[1].OldValues)) != "map[permissions:[ticket.view]]" ||
			fmt.Sprint(decode(t, roleRows[1].NewValues)) != "map[permissions:[ticket.view ticket.edit]]" {
			t.Fatalf("role.updated values = %s -> %s", roleRows[1].OldValues, roleRows[1].NewValues)
		}
		if decode(t, roleRows[2].OldValues)["slug"] != "ops" {
			t.Fatalf("role.deleted values = %s", roleRows[2].OldValues)
		}
	})
}

// Two admins demoting each other at the same moment must not leave the desk without one.
func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		a := f.user(t, "a@example.test", auth.RoleAdmin)
		b := f.user(t, "b@example.test", auth.RoleAdmin)
		for round := 0; round < 10; round++ {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]*auth.Actor{{a, b}, {b, a}} {
				wg.Go(func() {
					if round%2 == 0 {
						_, errs[i] = f.auth.DeactivateUser(ctx, pair[0], pair[1].UserID)
					} else {
						_, errs[i] = f.auth.ChangeRole(ctx, pair[0], pair[1].UserID, auth.RoleAgent)
					}
				})
			}
			wg.Wait()
			refused := 0
			for _, err := range errs {
				switch {
				case err == nil:
				case apperr.Is(err, apperr.KindConflict):
					refused++
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			n, err := f.auth.CountAdmins(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 || refused != 1 {
				t.Fatalf("round %d: %d active admins, %d refused; want 1 and 1", round, n, refused)
			}
			if _, err := f.db.W.NewRaw(`UPDATE users SET role = 'admin', is_active = TRUE`).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// A user cannot be moved onto a role while it is being deleted: one of the two must lose.
func TestRoleDeletionAndAssignmentDoNotInterleave(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		for round := 0; round < 10; round++ {
			agent := f.user(t, "agent"+string(rune('a'+round))+"@example.test", auth.RoleAgent)
			role, err := f.auth.CreateRole(ctx, admin, auth.NewRole{Slug: "temp" + string(rune('a'+round)), Name: "Temp"})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var delErr, moveErr error
			wg.Go(func() { delErr = f.auth.DeleteRole(ctx, admin, role.ID) })
			wg.Go(func() { _, moveErr = f.auth.ChangeRole(ctx, admin, agent.UserID, role.Slug) })
			wg.Wait()
			switch {
			case delErr == nil && apperr.Is(moveErr, apperr.KindValidation):
			case moveErr == nil && apperr.Is(delErr, apperr.KindConflict):
			default:
				t.Fatalf("round %d: delete err %v, move err %v; want exactly one refused", round, delErr, moveErr)
			}
			var dangling int
			if err := f.db.R.NewRaw(`SELECT count(*) FROM users u WHERE u.role <> 'customer'
				AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.slug = u.role)`).Scan(ctx, &dangling); err != nil {
				t.Fatal(err)
			}
			if dangling != 0 {
				t.Fatalf("round %d: %d users hold a role that no longer exists", round, dangling)
			}
		}
	})
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("audit values %q: %v", s, err)
	}
	return m
}
