package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

func (f *fixture) token(t testing.TB, actor *auth.Actor, in auth.NewToken) (*auth.APIToken, string) {
	t.Helper()
	tok, plain, err := f.auth.CreateToken(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return tok, plain
}

func TestTokenRightsAreAbilitiesTheOwnerHolds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		agent := f.user(t, "agent@example.test", auth.RoleAgent)

		for _, c := range []struct {
			name      string
			owner     *auth.Actor
			abilities []string
			want      string
		}{
			{"admin, everything", admin, []string{"*"}, "*"},
			{"admin, two abilities", admin, []string{"ticket.view", "ticket.delete"}, "ticket.view ticket.delete"},
			{"agent, everything is the agent's rights", agent, []string{"*", "ticket.view"}, strings.Join(agentRights(t, f), " ")},
			{"agent, one ability", agent, []string{"ticket.view"}, "ticket.view"},
		} {
			_, plain := f.token(t, c.owner, auth.NewToken{Name: c.name, Abilities: c.abilities})
			a, err := f.auth.TokenActor(ctx, plain, "203.0.113.9")
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := strings.Join(a.PermissionList(), " "); got != c.want {
				t.Errorf("%s: permissions %q, want %q", c.name, got, c.want)
			}
			if a.UserID != c.owner.UserID || a.Role != c.owner.Role || a.IP != "203.0.113.9" || a.TokenID == 0 {
				t.Errorf("%s: actor = %+v", c.name, a)
			}
		}
	})
}

func agentRights(t *testing.T, f *fixture) []string {
	perms, err := f.auth.RolePermissions(context.Background(), auth.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	// PermissionList orders by the vocabulary.
	var out []string
	for _, p := range auth.Permissions {
		for _, q := range perms {
			if p == q {
				out = append(out, p)
			}
		}
	}
	return out
}

func TestTokenRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		agent := f.user(t, "agent@example.test", auth.RoleAgent)
		refused := func(name, token string) {
			t.Helper()
			if a, err := f.auth.TokenActor(ctx, token, ""); !apperr.Is(err, apperr.KindUnauthenticated) {
				t.Errorf("%s: actor %v, err %v; want unauthenticated", name, a, err)
			}
		}
		refused("empty", "")
		refused("unknown", strings.Repeat("0", 64))
		refused("short", strings.Repeat("0", 63))
		refused("upper case", strings.Repeat("A", 64))
		refused("SQL", "' OR 1=1 --"+strings.Repeat("0", 53))

		expiry := f.clock.Now().Add(time.Hour).Format(time.RFC3339)
		_, expiring := f.token(t, agent, auth.NewToken{Name: "x", Abilities: []string{"ticket.view"}, ExpiresAt: &expiry})
		if _, err := f.auth.TokenActor(ctx, expiring, ""); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		refused("expired", expiring)

		tok, plain := f.token(t, agent, auth.NewToken{Name: "x", Abilities: []string{"ticket.view"}})
		if err := f.auth.RevokeToken(ctx, agent, tok.ID); err != nil {
			t.Fatal(err)
		}
		refused("revoked", plain)

		_, demoted := f.token(t, agent, auth.NewToken{Name: "x", Abilities: []string{"ticket.view"}})
		if _, err := f.auth.ChangeRole(ctx, admin, agent.UserID, auth.RoleCustomer); err != nil {
			t.Fatal(err)
		}
		refused("owner is a customer now", demoted)
		if _, err := f.auth.ChangeRole(ctx, admin, agent.UserID, auth.RoleAgent); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.TokenActor(ctx, demoted, ""); err != nil {
			t.Fatalf("owner is staff again: %v", err)
		}
		if _, err := f.auth.DeactivateUser(ctx, admin, agent.UserID); err != nil {
			t.Fatal(err)
		}
		refused("owner deactivated", demoted)
	})
}

// A token's rights follow its owner's role permissions, which come from memory as for a
// signed-in request: a role changed through the service counts on the very next token
// request, with no clock advance; one changed behind its back (another process) within
// cache.TTL, not before.
func TestTokenRightsFollowRoleChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		admin := f.user(t, "admin@example.test", auth.RoleAdmin)
		role, err := f.auth.CreateRole(ctx, admin, auth.NewRole{Slug: "ops", Name: "Ops", Permissions: []string{"ticket.view", "ticket.edit"}})
		if err != nil {
			t.Fatal(err)
		}
		owner := f.user(t, "ops@example.test", "ops")
		_, everything := f.token(t, owner, auth.NewToken{Name: "all", Abilities: []string{"*"}})
		_, edit := f.token(t, owner, auth.NewToken{Name: "edit", Abilities: []string{"ticket.edit"}})
		rights := func(when, token, want string) {
			t.Helper()
			a, err := f.auth.TokenActor(ctx, token, "")
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := strings.Join(a.PermissionList(), " "); got != want {
				t.Fatalf("%s: permissions %q, want %q", when, got, want)
			}
		}
		rights("new role, *", everything, "ticket.view ticket.edit")
		rights("new role, one ability", edit, "ticket.edit")

		// Through the service: the next request, no clock moved.
		perms := []string{"ticket.view"}
		if _, err := f.auth.UpdateRole(ctx, admin, role.ID, auth.RoleUpdate{Permissions: &perms}); err != nil {
			t.Fatal(err)
		}
		rights("permission taken away, *", everything, "ticket.view")
		rights("permission taken away, one ability", edit, "")
		perms = []string{"ticket.view", "ticket.edit"}
		if _, err := f.auth.UpdateRole(ctx, admin, role.ID, auth.RoleUpdate{Permissions: &perms}); err != nil {
			t.Fatal(err)
		}
		rights("permission given back", edit, "ticket.edit")

		// Another process takes the permission away.
		if _, err := f.db.W.ExecContext(ctx, `DELETE FROM role_permissions WHERE role_id = ?
			AND permission_id = (SELECT id FROM permissions WHERE slug = 'ticket.edit')`, role.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(cache.TTL - time.Microsecond)
		rights("just under the TTL", edit, "ticket.edit")
		f.clock.Advance(time.Microsecond)
		rights("at the TTL", edit, "")
		rights("at the TTL, *", everything, "ticket.view")
	})
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]string{
		"2027-01-01":                   "2027-01-01T00:00:00Z",
		" 2027-01-01 ":                 "2027-01-01T00:00:00Z",
		"2027-01-01T12:30:00+02:00":    "2027-01-01T10:30:00Z",
		"2027-01-01T12:30:00.1234567Z": "2027-01-01T12:30:00.123456Z",
		"2027-02-30":                   "",
		"tomorrow":                     "",
		"":                             "",
		"1735689600":                   "",
	} {
		got, ok := auth.ParseExpiry(in)
		if s := got.Format(time.RFC3339Nano); (ok && s != want) || (!ok && want != "") {
			t.Errorf("ParseExpiry(%q) = %s, %v; want %q", in, s, ok, want)
		}
	}
}

// BenchmarkTokenActor measures what every API request pays to authenticate: hashing the
// token, the indexed look-up of token and owner, and the owner's role permissions (from
// memory).
func BenchmarkTokenActor(b *testing.B) {
	for _, role := range []string{auth.RoleAgent, auth.RoleAdmin} {
		b.Run("sqlite/"+role, func(b *testing.B) {
			f := open(b, dbtest.SQLiteURL(b))
			owner := f.user(b, role+"@example.test", role)
			_, plain := f.token(b, owner, auth.NewToken{Name: "bench", Abilities: []string{"ticket.view", "reply.create"}})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.auth.TokenActor(ctx, plain, "203.0.113.9"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
