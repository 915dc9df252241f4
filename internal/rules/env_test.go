package rules_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// env is the rules service over a ticket service on a fresh, migrated database (testenv),
// with a fake clock, the published events and raw SQL for what no service sets yet (SLA
// breach flags).
type env struct {
	*testenv.Env
	t       *testing.T
	ctx     context.Context
	url     string
	db      *db.DB
	clock   *clock.Fake
	tickets *ticket.Service
	svc     *rules.Service
	auth    *auth.Service
	events  *recorder
	seen    int64 // a tag on every ticket, see tagAll
}

var start = testenv.Start

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url)) })
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	base := testenv.New(t, url)
	rec := &recorder{}
	tickets, svc := services(base.DB, base.Clock, rec)
	return &env{
		Env: base, t: t, ctx: base.Ctx, url: url, db: base.DB, clock: base.Clock, auth: base.Auth,
		events: rec, tickets: tickets, svc: svc,
	}
}

// openDB opens and migrates the database the way escalated.New does.
func openDB(t *testing.T, url string, clk clock.Clock) *db.DB { return testenv.OpenDB(t, url, clk) }

// services builds a ticket and rules service on d: one desk process.
func services(d *db.DB, clk clock.Clock, rec *recorder) (*ticket.Service, *rules.Service) {
	bus := event.NewBus(testenv.Quiet)
	bus.Subscribe(rec.Record)
	tickets := ticket.NewService(d, clk, bus, settings.NewStore(d, clk, settings.Defaults()))
	return tickets, rules.NewService(d, clk, tickets, testenv.Quiet)
}

// The helpers of testenv under the names the tests use.

func (e *env) user(role string) *auth.Actor {
	e.t.Helper()
	return e.User(role)
}

func (e *env) insert(query string, args ...any) int64 {
	e.t.Helper()
	return e.Insert(query, args...)
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	e.Exec(query, args...)
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
	name := fmt.Sprintf("rule %d", e.Seq)
	e.Seq++
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

type recorder struct{ testenv.Recorder }

func (r *recorder) names(ticketID int64) []string { return r.Names(ticketID) }
