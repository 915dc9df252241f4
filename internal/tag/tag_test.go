package tag_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/tag"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	db      *db.DB
	clock   *clock.Fake
	auth    *auth.Service
	tickets *ticket.Service
	svc     *tag.Service
	admin   *auth.Actor
	seq     int
}

// setUp opens a migrated, seeded database and signs in an admin acting from a known address.
func setUp(t *testing.T, url string) *env {
	t.Helper()
	c := clock.NewFake(start)
	d := testenv.OpenDB(t, url, c)
	e := &env{db: d, clock: c}
	e.auth = auth.NewService(d, c, testenv.FastArgon)
	e.tickets = ticket.NewService(d, c, event.NewBus(slog.Default()), settings.NewStore(d, c, settings.Defaults()))
	e.svc = tag.NewService(d, c)
	e.admin = e.actor(t, "admin")
	return e
}

func (e *env) actor(t *testing.T, role string) *auth.Actor {
	t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(context.Background(), auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.auth.ActorForUser(context.Background(), u, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type auditRow struct {
	ActorID    *int64 `bun:"actor_id"`
	Action     string `bun:"action"`
	ResourceID *int64 `bun:"resource_id"`
	OldValues  string `bun:"old_values"`
	NewValues  string `bun:"new_values"`
	IPAddress  string `bun:"ip_address"`
}

func (e *env) audits(t *testing.T) []auditRow {
	t.Helper()
	var rows []auditRow
	err := e.db.R.NewRaw(`SELECT actor_id, action, resource_id, CAST(old_values AS TEXT) AS old_values,
		CAST(new_values AS TEXT) AS new_values, ip_address FROM audit_logs
		WHERE resource_type = 'tag' ORDER BY id`).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("audit values %q: %v", s, err)
	}
	return m
}

func ptr[T any](v T) *T { return &v }

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := err.(*apperr.Error)
	if !ok || e.Kind != apperr.KindValidation || len(e.Fields[field]) == 0 {
		t.Fatalf("err = %v, want a validation error on %s", err, field)
	}
}

func TestLifecycleIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()

		tg, err := e.svc.Create(ctx, e.admin, tag.Input{Name: ptr(" Needs Follow-up "), Color: ptr("#1D4ED8")})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name != "Needs Follow-up" || tg.Slug != "needs-follow-up" || tg.Color != "#1D4ED8" || tg.TicketsCount != 0 {
			t.Fatalf("created %+v", tg)
		}
		tk, err := e.tickets.Create(ctx, e.admin, ticket.CreateInput{Subject: "Help", Description: "Please", TagIDs: []int64{tg.ID}})
		if err != nil {
			t.Fatal(err)
		}

		e.clock.Advance(time.Minute)
		tg, err = e.svc.Update(ctx, e.admin, tg.ID, tag.Input{Name: ptr("Follow up"), Color: ptr("")})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name != "Follow up" || tg.Slug != "follow-up" || tg.Color != "" || tg.TicketsCount != 1 || !tg.UpdatedAt.Equal(start.Add(time.Minute)) {
			t.Fatalf("updated %+v", tg)
		}
		// Renaming to a different spelling of its own slug is allowed and writes no row when nothing changes.
		if _, err := e.svc.Update(ctx, e.admin, tg.ID, tag.Input{Name: ptr("Follow up")}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(ctx, e.admin, tg.ID); err != nil {
			t.Fatal(err)
		}
		detail, err := e.tickets.Get(ctx, e.admin, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(detail.Tags) != 0 {
			t.Fatalf("ticket keeps deleted tag: %v", detail.Tags)
		}
		if err := e.svc.Delete(ctx, e.admin, tg.ID); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("second delete: %v, want not found", err)
		}

		rows := e.audits(t)
		var actions []string
		for _, r := range rows {
			actions = append(actions, r.Action)
			if r.ActorID == nil || *r.ActorID != e.admin.UserID || r.ResourceID == nil || *r.ResourceID != tg.ID || r.IPAddress != "203.0.113.9" {
				t.Fatalf("audit row %+v", r)
			}
		}
		if want := []string{"tag.created", "tag.updated", "tag.deleted"}; !slices.Equal(actions, want) {
			t.Fatalf("audit actions = %v, want %v", actions, want)
		}
		old, new := decodeJSON(t, rows[1].OldValues), decodeJSON(t, rows[1].NewValues)
		if old["name"] != "Needs Follow-up" || new["name"] != "Follow up" || new["slug"] != "follow-up" || new["color"] != "" || old["color"] != "#1D4ED8" {
			t.Fatalf("update audit old %v new %v", old, new)
		}
		if n := decodeJSON(t, rows[2].NewValues)["tickets_untagged"]; n != 1.0 {
			t.Fatalf("tickets_untagged = %v, want 1", n)
		}
	})
}

func TestRejectedInputWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		bug, err := e.svc.Create(ctx, e.admin, tag.Input{Name: ptr("Bug")})
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.Create(ctx, e.admin, tag.Input{Name: ptr("Other")})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			field string
			in    tag.Input
		}{
			{"name", tag.Input{}},
			{"name", tag.Input{Name: ptr("  ")}},
			{"name", tag.Input{Name: ptr("BUG")}},
			{"name", tag.Input{Name: ptr("bug!")}},
			{"name", tag.Input{Name: ptr("???")}},
			{"name", tag.Input{Name: ptr(strings.Repeat("x", 51))}},
			{"name", tag.Input{Name: ptr("bad \xff utf-8")}},
			{"name", tag.Input{Name: ptr("nul \x00")}},
			{"color", tag.Input{Name: ptr("Ok"), Color: ptr("red")}},
			{"color", tag.Input{Name: ptr("Ok"), Color: ptr("#12345")}},
			{"color", tag.Input{Name: ptr("Ok"), Color: ptr("#GGGGGG")}},
		} {
			_, err := e.svc.Create(ctx, e.admin, c.in)
			wantField(t, err, c.field)
		}
		_, err = e.svc.Update(ctx, e.admin, other.ID, tag.Input{Name: ptr("bug"), Color: ptr("blue")})
		wantField(t, err, "name")
		wantField(t, err, "color")
		if _, err := e.svc.Create(ctx, e.admin, tag.Input{Name: ptr(strings.Repeat("é", 50))}); err != nil {
			t.Fatalf("50-character name: %v", err)
		}

		list, err := e.svc.List(ctx, e.admin)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tg := range list {
			names = append(names, tg.Name)
		}
		if len(list) != 3 || !slices.Contains(names, bug.Name) || !slices.Contains(names, "Other") {
			t.Fatalf("tags after rejected input: %v", names)
		}
		if rows := e.audits(t); len(rows) != 3 {
			t.Fatalf("%d audit rows, want the three creates", len(rows))
		}
	})
}

func TestPermissionsAreCheckedInTheService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		tg, err := e.svc.Create(ctx, e.admin, tag.Input{Name: ptr("Bug")})
		if err != nil {
			t.Fatal(err)
		}
		agent, customer := e.actor(t, "agent"), e.actor(t, "customer")
		if list, err := e.svc.List(ctx, agent); err != nil || len(list) != 1 {
			t.Fatalf("agent lists tags: %v %v", list, err)
		}
		if _, err := e.svc.List(ctx, customer); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("List by customer: %v, want forbidden", err)
		}
		for _, a := range []*auth.Actor{agent, customer, nil} {
			if _, err := e.svc.Create(ctx, a, tag.Input{Name: ptr("X")}); !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("Create by %v: %v, want forbidden", a, err)
			}
			if _, err := e.svc.Update(ctx, a, tg.ID, tag.Input{Name: ptr("X")}); !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("Update by %v: %v, want forbidden", a, err)
			}
			if err := e.svc.Delete(ctx, a, tg.ID); !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("Delete by %v: %v, want forbidden", a, err)
			}
		}
	})
}

// Concurrent creates of one name all pass the slug check before any commits on PostgreSQL;
// the unique index must still turn every loser into the same 422.
func TestConcurrentDuplicatesAreValidationErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		errs := make(chan error, 8)
		for i := range cap(errs) {
			go func() {
				_, err := e.svc.Create(context.Background(), e.admin, tag.Input{Name: ptr([]string{"Bug", "bug", "BUG!"}[i%3])})
				errs <- err
			}()
		}
		created := 0
		for range cap(errs) {
			if err := <-errs; err == nil {
				created++
			} else {
				wantField(t, err, "name")
			}
		}
		if created != 1 {
			t.Fatalf("%d creates succeeded, want 1", created)
		}
	})
}
