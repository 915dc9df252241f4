package rules_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// env is the rules service over a ticket service on a fresh, migrated database, with a fake
// clock, the published events and raw SQL for what no service sets yet (SLA breach flags).
type env struct {
	t       *testing.T
	ctx     context.Context
	url     string
	db      *db.DB
	clock   *clock.Fake
	tickets *ticket.Service
	svc     *rules.Service
	auth    *auth.Service
	events  *recorder
	seq     int
	seen    int64 // a tag on every ticket, see tagAll
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url)) })
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(start)
	d := openDB(t, url, clk)
	rec := &recorder{}
	tickets, svc := services(d, clk, rec)
	return &env{
		t: t, ctx: ctx, url: url, db: d, clock: clk, events: rec, tickets: tickets, svc: svc,
		auth: auth.NewService(d, clk, &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}),
	}
}

// openDB opens and migrates the database the way escalated.New does.
func openDB(t *testing.T, url string, clk clock.Clock) *db.DB {
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

// services builds a ticket and rules service on d: one desk process.
func services(d *db.DB, clk clock.Clock, rec *recorder) (*ticket.Service, *rules.Service) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bus := event.NewBus(log)
	bus.Subscribe(rec.record)
	tickets := ticket.NewService(d, clk, bus, settings.NewStore(d, clk, settings.Defaults()))
	return tickets, rules.NewService(d, clk, tickets, log)
}

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

func (e *env) insert(query string, args ...any) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.W.NewRaw(query+" RETURNING id", args...).Scan(e.ctx, &id); err != nil {
		e.t.Fatalf("insert: %v", err)
	}
	return id
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.db.W.NewRaw(query, args...).Exec(e.ctx); err != nil {
		e.t.Fatalf("exec %s: %v", query, err)
	}
}

func (e *env) tag(name string) int64 {
	return e.insert(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, e.clock.Now(), e.clock.Now())
}

func (e *env) department(name string) int64 {
	return e.insert(`INSERT INTO departments (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, e.clock.Now(), e.clock.Now())
}

// open creates a ticket for a new customer.
func (e *env) open(subject string, in ...func(*ticket.CreateInput)) *ticket.Ticket {
	e.t.Helper()
	c := ticket.CreateInput{Subject: subject, Description: "Details of " + subject}
	for _, f := range in {
		f(&c)
	}
	t, err := e.tickets.Create(e.ctx, e.user("customer"), c)
	if err != nil {
		e.t.Fatalf("create ticket: %v", err)
	}
	return t
}

func (e *env) get(id int64) *ticket.Detail {
	e.t.Helper()
	d, err := e.tickets.Get(e.ctx, auth.System(), id)
	if err != nil {
		e.t.Fatalf("get %d: %v", id, err)
	}
	return d
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.R.NewRaw(query, args...).Scan(e.ctx, &n); err != nil {
		e.t.Fatalf("count: %v", err)
	}
	return n
}

func (e *env) activities(id int64) []string {
	e.t.Helper()
	var types []string
	if err := e.db.R.NewRaw(`SELECT type FROM ticket_activities WHERE ticket_id = ? ORDER BY id`, id).Scan(e.ctx, &types); err != nil {
		e.t.Fatalf("activities: %v", err)
	}
	return types
}

func (e *env) audits(id int64) []string {
	e.t.Helper()
	var actions []string
	if err := e.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? ORDER BY id`, id).Scan(e.ctx, &actions); err != nil {
		e.t.Fatalf("audits: %v", err)
	}
	return actions
}

// rule creates an active rule of kind k with the given conditions and actions, written as
// JSON for readability.
func (e *env) rule(k rules.Kind, conditions, actions string) *rules.Rule {
	e.t.Helper()
	var conds []rules.Condition
	var acts []rules.Action
	if err := json.Unmarshal([]byte(conditions), &conds); err != nil {
		e.t.Fatalf("conditions %s: %v", conditions, err)
	}
	if err := json.Unmarshal([]byte(actions), &acts); err != nil {
		e.t.Fatalf("actions %s: %v", actions, err)
	}
	name := fmt.Sprintf("rule %d", e.seq)
	e.seq++
	r, err := e.svc.CreateRule(e.ctx, auth.System(), k, rules.RuleInput{Name: &name, Conditions: &conds, Actions: &acts})
	if err != nil {
		e.t.Fatalf("create rule %s / %s: %v", conditions, actions, err)
	}
	return r
}

// run runs the rules of kind k at now.
func (e *env) run(k rules.Kind, now time.Time) rules.RunResult {
	e.t.Helper()
	run := e.svc.RunEscalations
	if k == rules.Automation {
		run = e.svc.RunAutomations
	}
	res, err := run(e.ctx, now)
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return res
}

// acted reports whether rule r has a clean record of acting on the ticket.
func (e *env) acted(k rules.Kind, r *rules.Rule, ticketID int64) bool {
	e.t.Helper()
	table := "escalation_rule_applications"
	if k == rules.Automation {
		table = "automation_applications"
	}
	return e.count(`SELECT count(*) FROM `+table+` WHERE rule_id = ? AND ticket_id = ? AND error = ''`, r.ID, ticketID) > 0
}

type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) record(_ context.Context, e event.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

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
