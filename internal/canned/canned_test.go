package canned_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/canned"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testenv"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	ctx   context.Context
	db    *db.DB
	clock *clock.Fake
	auth  *auth.Service
	svc   *canned.Service
	seq   int
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		c := clock.NewFake(start)
		d := testenv.OpenDB(t, url, c)
		fn(t, &env{ctx: ctx, db: d, clock: c, svc: canned.NewService(d, c),
			auth: auth.NewService(d, c, testenv.FastArgon)})
	})
}

func (e *env) user(t *testing.T, role string) *auth.Actor {
	t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(e.ctx, auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.auth.ActorForUser(e.ctx, u, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func str(s string) *string { return &s }
func yes() *bool           { b := true; return &b }

func kind(t *testing.T, err error, k apperr.Kind) *apperr.Error {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != k {
		t.Fatalf("err = %v, want kind %d", err, k)
	}
	return ae
}

func titles(t *testing.T, e *env, a *auth.Actor) []string {
	t.Helper()
	list, err := e.svc.List(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, c := range list {
		out = append(out, c.Title)
	}
	return out
}

func TestPersonalAndSharedCannedResponses(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin, alice, bob, light := e.user(t, "admin"), e.user(t, "agent"), e.user(t, "agent"), e.user(t, "light_agent")

		mine, err := e.svc.Create(e.ctx, alice, canned.Input{Title: str("  Alice's hello "), Body: str("  Hi,\n\n  indented\n"), Category: str(" Greetings ")})
		if err != nil {
			t.Fatal(err)
		}
		if mine.Title != "Alice's hello" || mine.Body != "  Hi,\n\n  indented\n" || mine.Category != "Greetings" || mine.IsShared ||
			*mine.CreatedBy != alice.UserID || mine.Creator == nil || mine.Creator.Name != "agent 2" {
			t.Fatalf("created %+v", mine)
		}
		_, err = e.svc.Create(e.ctx, alice, canned.Input{Title: str("Shared"), Body: str("x"), IsShared: yes()})
		kind(t, err, apperr.KindForbidden)
		// A light agent uses canned responses but keeps none.
		_, err = e.svc.Create(e.ctx, light, canned.Input{Title: str("Light"), Body: str("x")})
		kind(t, err, apperr.KindForbidden)
		shared, err := e.svc.Create(e.ctx, admin, canned.Input{Title: str("Closing"), Body: str("Closing this."), IsShared: yes()})
		if err != nil {
			t.Fatal(err)
		}

		// Sorted by category ("" first), then title.
		if got := titles(t, e, alice); !slices.Equal(got, []string{"Closing", "Alice's hello"}) {
			t.Fatalf("alice sees %v", got)
		}
		for _, a := range []*auth.Actor{bob, light} {
			if got := titles(t, e, a); !slices.Equal(got, []string{"Closing"}) {
				t.Fatalf("%d sees %v", a.UserID, got)
			}
		}
		if got := titles(t, e, admin); !slices.Equal(got, []string{"Closing", "Alice's hello"}) {
			t.Fatalf("admin sees %v", got)
		}

		// Someone else's personal one does not exist for bob.
		_, err = e.svc.Get(e.ctx, bob, mine.ID)
		kind(t, err, apperr.KindNotFound)
		_, err = e.svc.Update(e.ctx, bob, mine.ID, canned.Input{Title: str("Mine now")})
		kind(t, err, apperr.KindNotFound)
		kind(t, e.svc.Delete(e.ctx, bob, mine.ID), apperr.KindNotFound)
		// A shared one is changed with macro.manage only.
		_, err = e.svc.Update(e.ctx, alice, shared.ID, canned.Input{Title: str("Hijacked")})
		kind(t, err, apperr.KindForbidden)
		kind(t, e.svc.Delete(e.ctx, light, shared.ID), apperr.KindForbidden)
		_, err = e.svc.Update(e.ctx, alice, mine.ID, canned.Input{IsShared: yes()})
		kind(t, err, apperr.KindForbidden)

		// The owner edits their own; fields left out are kept; nothing changed writes nothing.
		e.clock.Advance(time.Minute)
		up, err := e.svc.Update(e.ctx, alice, mine.ID, canned.Input{Body: str("Hello!")})
		if err != nil || up.Title != "Alice's hello" || up.Body != "Hello!" || !up.UpdatedAt.Equal(e.clock.Now()) || up.Creator == nil {
			t.Fatalf("updated %+v, %v", up, err)
		}
		e.clock.Advance(time.Minute)
		same, err := e.svc.Update(e.ctx, alice, mine.ID, canned.Input{Title: str("Alice's hello")})
		if err != nil || !same.UpdatedAt.Equal(up.UpdatedAt) {
			t.Fatalf("no-op update moved updated_at: %+v, %v", same, err)
		}
		if _, err := e.svc.Update(e.ctx, admin, mine.ID, canned.Input{IsShared: yes()}); err != nil {
			t.Fatal(err)
		}
		if got := titles(t, e, bob); !slices.Equal(got, []string{"Closing", "Alice's hello"}) {
			t.Fatalf("bob sees %v after sharing", got)
		}
		// Shared now, so alice may no longer change it.
		_, err = e.svc.Update(e.ctx, alice, mine.ID, canned.Input{Title: str("Back")})
		kind(t, err, apperr.KindForbidden)

		if err := e.svc.Delete(e.ctx, admin, mine.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Get(e.ctx, admin, mine.ID)
		kind(t, err, apperr.KindNotFound)

		var actions []string
		if err := e.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'canned_response' ORDER BY id`).Scan(e.ctx, &actions); err != nil {
			t.Fatal(err)
		}
		want := []string{"canned_response.created", "canned_response.created", "canned_response.updated", "canned_response.updated", "canned_response.deleted"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

func TestCannedResponseValidationNamesTheField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user(t, "agent")
		customer := e.user(t, "customer")
		_, err := e.svc.List(e.ctx, customer)
		kind(t, err, apperr.KindForbidden)
		_, err = e.svc.Create(e.ctx, customer, canned.Input{Title: str("x"), Body: str("y")})
		kind(t, err, apperr.KindForbidden)

		for _, c := range []struct {
			in    canned.Input
			field string
		}{
			{canned.Input{Body: str("y")}, "title"},
			{canned.Input{Title: str("x")}, "body"},
			{canned.Input{Title: str("   "), Body: str("y")}, "title"},
			{canned.Input{Title: str("x"), Body: str(" \n ")}, "body"},
			{canned.Input{Title: str(strings.Repeat("t", 256)), Body: str("y")}, "title"},
			{canned.Input{Title: str("x"), Body: str(strings.Repeat("b", 65536))}, "body"},
			{canned.Input{Title: str("x"), Body: str("y"), Category: str(strings.Repeat("c", 101))}, "category"},
			{canned.Input{Title: str("a\x00b"), Body: str("y")}, "title"},
			{canned.Input{Title: str("x"), Body: str("bad \xff utf-8")}, "body"},
		} {
			_, err := e.svc.Create(e.ctx, agent, c.in)
			if ae := kind(t, err, apperr.KindValidation); len(ae.Fields[c.field]) == 0 {
				t.Errorf("%+v: errors %v do not name %s", c.in, ae.Fields, c.field)
			}
		}
		// At the limits it is accepted, counting characters, not bytes.
		if _, err := e.svc.Create(e.ctx, agent, canned.Input{Title: str(strings.Repeat("é", 255)), Body: str(strings.Repeat("ü", 65535))}); err != nil {
			t.Fatal(err)
		}
		ok, err := e.svc.Create(e.ctx, agent, canned.Input{Title: str("ok"), Body: str("ok")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Update(e.ctx, agent, ok.ID, canned.Input{Title: str("")})
		kind(t, err, apperr.KindValidation)
		if n := countRows(t, e); n != 2 {
			t.Fatalf("%d rows", n)
		}
	})
}

func countRows(t *testing.T, e *env) int {
	t.Helper()
	var n int
	if err := e.db.R.NewRaw(`SELECT count(*) FROM canned_responses`).Scan(e.ctx, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
