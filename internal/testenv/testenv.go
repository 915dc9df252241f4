// Package testenv is the common ground of the domain packages' service tests (ticket, rules,
// workflow): a fresh database migrated as escalated.New migrates it, a fake clock, cheap
// password hashing, accounts, and the few raw reads and writes those tests make. Only tests
// import it; each package keeps its own env around it with the services it tests.
package testenv

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Start is where the fake clock of every Env starts.
var Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// Quiet is a logger that discards everything.
var Quiet = slog.New(slog.DiscardHandler)

// FastArgon hashes passwords cheaply: tests create many accounts.
var FastArgon = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// OpenDB opens the database at url and migrates it the way escalated.New does, seeders
// included, with clk's time; it is closed when the test ends.
func OpenDB(t testing.TB, url string, clk clock.Clock) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		if err := auth.Seed(ctx, tx, clk.Now()); err != nil {
			return err
		}
		return ticket.Seed(ctx, tx, clk.Now())
	}})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}

// Env is a fresh, migrated database with a fake clock at Start and the auth service on it.
type Env struct {
	T     testing.TB
	Ctx   context.Context
	DB    *db.DB
	Clock *clock.Fake
	Auth  *auth.Service
	// Seq numbers what a test creates (accounts, rules, workflows), so names are unique.
	Seq int
}

// New opens the database at url for one test.
func New(t testing.TB, url string) *Env {
	t.Helper()
	clk := clock.NewFake(Start)
	d := OpenDB(t, url, clk)
	return &Env{T: t, Ctx: context.Background(), DB: d, Clock: clk, Auth: auth.NewService(d, clk, FastArgon)}
}

// User creates an account with the given role and returns it as an actor.
func (e *Env) User(role string) *auth.Actor {
	e.T.Helper()
	e.Seq++
	u, err := e.Auth.CreateUser(e.Ctx, auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.Seq), Email: fmt.Sprintf("%s%d@example.test", role, e.Seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		e.T.Fatalf("create %s: %v", role, err)
	}
	a, err := e.Auth.Actor(e.Ctx, u.ID, "")
	if err != nil {
		e.T.Fatalf("actor %s: %v", role, err)
	}
	return a
}

// Role creates a custom role holding exactly perms and returns its slug.
func (e *Env) Role(slug string, perms ...string) string {
	e.T.Helper()
	if _, err := e.Auth.CreateRole(e.Ctx, auth.System(), auth.NewRole{Slug: slug, Name: slug, Permissions: perms}); err != nil {
		e.T.Fatalf("create role %s: %v", slug, err)
	}
	return slug
}

// Insert runs an INSERT … RETURNING id.
func (e *Env) Insert(query string, args ...any) int64 {
	e.T.Helper()
	var id int64
	if err := e.DB.W.NewRaw(query+" RETURNING id", args...).Scan(e.Ctx, &id); err != nil {
		e.T.Fatalf("insert: %v", err)
	}
	return id
}

// Exec runs a statement.
func (e *Env) Exec(query string, args ...any) {
	e.T.Helper()
	if _, err := e.DB.W.NewRaw(query, args...).Exec(e.Ctx); err != nil {
		e.T.Fatalf("exec %s: %v", query, err)
	}
}

// Count runs a SELECT count(*) query.
func (e *Env) Count(query string, args ...any) int {
	e.T.Helper()
	var n int
	if err := e.DB.R.NewRaw(query, args...).Scan(e.Ctx, &n); err != nil {
		e.T.Fatalf("count %s: %v", query, err)
	}
	return n
}

// Tag inserts a tag, which no service under test creates.
func (e *Env) Tag(name string) int64 {
	e.T.Helper()
	return e.Insert(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, e.Clock.Now(), e.Clock.Now())
}

// Department inserts a department.
func (e *Env) Department(name string) int64 {
	e.T.Helper()
	return e.Insert(`INSERT INTO departments (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, e.Clock.Now(), e.Clock.Now())
}

// Activities lists the timeline types of a ticket, oldest first.
func (e *Env) Activities(ticketID int64) []string {
	e.T.Helper()
	var types []string
	if err := e.DB.R.NewRaw(`SELECT type FROM ticket_activities WHERE ticket_id = ? ORDER BY id`, ticketID).Scan(e.Ctx, &types); err != nil {
		e.T.Fatalf("activities: %v", err)
	}
	return types
}

// Audits lists the audit actions recorded for a ticket, oldest first.
func (e *Env) Audits(ticketID int64) []string {
	e.T.Helper()
	var actions []string
	if err := e.DB.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? ORDER BY id`, ticketID).Scan(e.Ctx, &actions); err != nil {
		e.T.Fatalf("audits: %v", err)
	}
	return actions
}

// Recorder keeps the events a bus published; subscribe Record.
type Recorder struct {
	mu     sync.Mutex
	events []event.Event
}

// Record is the bus listener.
func (r *Recorder) Record(_ context.Context, e event.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Names lists the events published for a ticket, in order.
func (r *Recorder) Names(ticketID int64) []string {
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

// All returns every event recorded so far.
func (r *Recorder) All() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

// Len is how many events were published.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}
