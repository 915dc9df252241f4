package ticket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// env is a ticket service on a fresh, migrated database, with the seams a test needs: a fake
// clock, the published events and raw SQL for rows no service creates yet (tags, departments).
type env struct {
	t        *testing.T
	ctx      context.Context
	db       *db.DB
	clock    *clock.Fake
	svc      *ticket.Service
	auth     *auth.Service
	settings *settings.Store
	events   *recorder
	bus      *event.Bus
	seq      int
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// each runs fn on SQLite and on PostgreSQL, each with a fresh env.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url)) })
}

// newEnv migrates the database the way escalated.New does, seeders included.
func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	clk := clock.NewFake(start)
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		if err := auth.Seed(ctx, tx, clk.Now()); err != nil {
			return err
		}
		return ticket.Seed(ctx, tx, clk.Now())
	}})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	rec := &recorder{}
	bus := event.NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
	bus.Subscribe(rec.record)
	st := settings.NewStore(d, clk, settings.Defaults())
	return &env{
		t: t, ctx: ctx, db: d, clock: clk, events: rec, bus: bus, settings: st,
		svc:  ticket.NewService(d, clk, bus, st),
		auth: auth.NewService(d, clk, &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}),
	}
}

// user creates an account with the given role and returns it as an actor.
func (e *env) user(role string) *auth.Actor {
	e.t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(e.ctx, auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		e.t.Fatalf("create %s: %v", role, err)
	}
	a, err := e.auth.Actor(e.ctx, u.ID, "")
	if err != nil {
		e.t.Fatalf("actor %s: %v", role, err)
	}
	return a
}

// role creates a custom role holding exactly perms.
func (e *env) role(slug string, perms ...string) string {
	e.t.Helper()
	if _, err := e.auth.CreateRole(e.ctx, auth.System(), auth.NewRole{Slug: slug, Name: slug, Permissions: perms}); err != nil {
		e.t.Fatalf("create role %s: %v", slug, err)
	}
	return slug
}

// insert runs an INSERT … RETURNING id.
func (e *env) insert(query string, args ...any) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.W.NewRaw(query+" RETURNING id", args...).Scan(e.ctx, &id); err != nil {
		e.t.Fatalf("insert: %v", err)
	}
	return id
}

func (e *env) tag(name string) int64 {
	return e.insert(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, e.clock.Now(), e.clock.Now())
}

func (e *env) department(name string) int64 {
	return e.insert(`INSERT INTO departments (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, e.clock.Now(), e.clock.Now())
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

// count runs a SELECT count(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.R.NewRaw(query, args...).Scan(e.ctx, &n); err != nil {
		e.t.Fatalf("count: %v", err)
	}
	return n
}

// activities lists the timeline types of a ticket, oldest first.
func (e *env) activities(id int64) []string {
	e.t.Helper()
	var types []string
	if err := e.db.R.NewRaw(`SELECT type FROM ticket_activities WHERE ticket_id = ? ORDER BY id`, id).Scan(e.ctx, &types); err != nil {
		e.t.Fatalf("activities: %v", err)
	}
	return types
}

// audits lists the audit actions recorded for a ticket, oldest first.
func (e *env) audits(id int64) []string {
	e.t.Helper()
	var actions []string
	if err := e.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? ORDER BY id`, id).Scan(e.ctx, &actions); err != nil {
		e.t.Fatalf("audits: %v", err)
	}
	return actions
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
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) record(_ context.Context, e event.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// names lists the events published for a ticket, in order.
func (r *recorder) names(ticketID int64) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if e.Ticket.ID == ticketID {
			out = append(out, e.Name)
		}
	}
	return out
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}
