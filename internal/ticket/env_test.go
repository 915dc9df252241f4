package ticket_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// env is a ticket service on a fresh, migrated database (testenv), with the seams a test
// needs: a fake clock, the published events and raw SQL for rows no service creates yet
// (tags, departments).
type env struct {
	*testenv.Env
	t        *testing.T
	ctx      context.Context
	db       *db.DB
	clock    *clock.Fake
	svc      *ticket.Service
	auth     *auth.Service
	settings *settings.Store
	events   *recorder
	bus      *event.Bus
}

var start = testenv.Start

// each runs fn on SQLite and on PostgreSQL, each with a fresh env.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url)) })
}

// newEnv migrates the database the way escalated.New does, seeders included.
func newEnv(t *testing.T, url string) *env {
	t.Helper()
	base := testenv.New(t, url)
	rec := &recorder{}
	bus := event.NewBus(testenv.Quiet)
	bus.Subscribe(rec.Record)
	st := settings.NewStore(base.DB, base.Clock, settings.Defaults())
	return &env{
		Env: base, t: t, ctx: base.Ctx, db: base.DB, clock: base.Clock, auth: base.Auth,
		events: rec, bus: bus, settings: st,
		svc: ticket.NewService(base.DB, base.Clock, bus, st),
	}
}

// The helpers of testenv under the names the tests use.

func (e *env) user(role string) *auth.Actor {
	e.t.Helper()
	return e.User(role)
}

func (e *env) role(slug string, perms ...string) string {
	e.t.Helper()
	return e.Role(slug, perms...)
}

func (e *env) insert(query string, args ...any) int64 {
	e.t.Helper()
	return e.Insert(query, args...)
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	return e.Count(query, args...)
}

func (e *env) tag(name string) int64 {
	e.t.Helper()
	return e.Tag(name)
}

func (e *env) department(name string) int64 {
	e.t.Helper()
	return e.Department(name)
}

func (e *env) activities(id int64) []string {
	e.t.Helper()
	return e.Activities(id)
}

func (e *env) audits(id int64) []string {
	e.t.Helper()
	return e.Audits(id)
}

// open creates a ticket requested by requester.
func (e *env) open(requester *auth.Actor, subject string) *ticket.Ticket {
	e.t.Helper()
	t, err := e.svc.Create(e.ctx, requester, ticket.CreateInput{Subject: subject, Description: "Details of " + subject})
	if err != nil {
		e.t.Fatalf("create ticket: %v", err)
	}
	return t
}

// setSetting changes a desk setting as the system would.
func (e *env) setSetting(key, value string) {
	e.t.Helper()
	if _, err := e.settings.Update(e.ctx, auth.System(), map[string]json.RawMessage{key: json.RawMessage(value)}); err != nil {
		e.t.Fatalf("setting %s: %v", key, err)
	}
}

// wantErr fails unless err is a domain error of kind k.
func wantErr(t *testing.T, err error, k apperr.Kind) *apperr.Error {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != k {
		t.Fatalf("err = %v, want kind %d", err, k)
	}
	return ae
}

// recorder keeps the events the bus published.
type recorder struct{ testenv.Recorder }

// names lists the events published for a ticket, in order.
func (r *recorder) names(ticketID int64) []string { return r.Names(ticketID) }

func (r *recorder) len() int { return r.Len() }
