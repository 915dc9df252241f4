package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// Host users are people of their own: two without an email address are two desk users, and
// one never takes over an account another host user has, whether by arriving with its
// address or by changing to it. A desk account nobody from the host has yet is taken over.
func TestHostUsersStayApart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		ctx := context.Background()
		sync := func(h auth.HostUser) *auth.User {
			t.Helper()
			u, err := f.auth.SyncHostUser(ctx, h)
			if err != nil {
				t.Fatalf("sync %+v: %v", h, err)
			}
			return u
		}
		refused := func(h auth.HostUser) {
			t.Helper()
			if u, err := f.auth.SyncHostUser(ctx, h); !apperr.Is(err, apperr.KindConflict) {
				t.Fatalf("sync %+v = %+v, %v; want a conflict", h, u, err)
			}
		}

		// No email: a stand-in address each, never deliverable, the same on every request.
		ann := sync(auth.HostUser{ExternalID: "ann", Name: "Ann"})
		ben := sync(auth.HostUser{ExternalID: "ben", Name: "Ben", Email: "  "})
		if ann.ID == ben.ID || ann.Email == ben.Email || !strings.HasSuffix(ann.Email, "@host.invalid") || !strings.HasSuffix(ben.Email, "@host.invalid") {
			t.Fatalf("two host users without email: %+v and %+v", ann, ben)
		}
		if again := sync(auth.HostUser{ExternalID: "ann", Name: "Ann"}); again.ID != ann.ID || again.Email != ann.Email {
			t.Fatalf("ann again: %+v, want %+v", again, ann)
		}
		// Given an address later, the user keeps their account.
		if given := sync(auth.HostUser{ExternalID: "ann", Name: "Ann", Email: "ann@host.test"}); given.ID != ann.ID || given.Email != "ann@host.test" {
			t.Fatalf("ann with an address: %+v", given)
		}

		// Another host user arriving with ann's address, or changing to it, is refused.
		refused(auth.HostUser{ExternalID: "mallory", Name: "Mallory", Email: "ANN@host.test"})
		refused(auth.HostUser{ExternalID: "ben", Name: "Ben", Email: "ann@host.test"})
		for id, want := range map[int64]string{ann.ID: "ann@host.test", ben.ID: ben.Email} {
			u, err := f.auth.User(ctx, id)
			if err != nil || u.Email != want || u.ExternalID == nil {
				t.Fatalf("user %d after the refusals: %+v, %v; want email %s", id, u, err, want)
			}
		}
		if u := sync(auth.HostUser{ExternalID: "ann", Name: "Ann", Email: "ann@host.test"}); u.ID != ann.ID || *u.ExternalID != "ann" {
			t.Fatalf("ann after mallory: %+v", u)
		}

		// A desk account without a host user is taken over, and its change time moves.
		desk := f.user(t, "cat@host.test", auth.RoleCustomer)
		f.clock.Advance(time.Hour)
		cat := sync(auth.HostUser{ExternalID: "cat", Name: "Cat", Email: "Cat@host.test", Role: auth.RoleAgent})
		if cat.ID != desk.UserID || cat.Role != auth.RoleAgent || cat.ExternalID == nil || *cat.ExternalID != "cat" || !cat.UpdatedAt.Equal(f.clock.Now()) {
			t.Fatalf("cat took over %d: %+v", desk.UserID, cat)
		}
	})
}

// The first requests of a new host user, arriving together, all find the one desk user.
func TestNewHostUserRequestsTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := open(t, url)
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		for i := range ids {
			wg.Go(func() {
				u, err := f.auth.SyncHostUser(context.Background(), auth.HostUser{ExternalID: "dee", Name: "Dee", Email: "dee@host.test"})
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = u.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] || id == 0 {
				t.Fatalf("ids = %v, want one user", ids)
			}
		}
	})
}
