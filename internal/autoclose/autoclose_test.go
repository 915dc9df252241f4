package autoclose_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/autoclose"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	t        *testing.T
	ctx      context.Context
	db       *db.DB
	clock    *clock.Fake
	tickets  *ticket.Service
	settings *settings.Store
	closer   *autoclose.Closer
	auth     *auth.Service
	events   []event.Event
	seq      int
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		clk := clock.NewFake(start)
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
			if err := auth.Seed(ctx, tx, clk.Now()); err != nil {
				return err
			}
			return ticket.Seed(ctx, tx, clk.Now())
		}})
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.DiscardHandler)
		j, err := jobs.New(ctx, d, jobs.Options{Clock: clk, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, ctx: ctx, db: d, clock: clk,
			auth: auth.NewService(d, clk, &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})}
		bus := event.NewBus(log)
		bus.Subscribe(func(_ context.Context, ev event.Event) { e.events = append(e.events, ev) })
		e.settings = settings.NewStore(d, clk, settings.Defaults())
		e.tickets = ticket.NewService(d, clk, bus, e.settings)
		e.closer = autoclose.New(d, clk, e.tickets, e.settings, j, log)
		fn(t, e)
	})
}

func (e *env) user(role string) *auth.Actor {
	e.t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(e.ctx, auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.auth.Actor(e.ctx, u.ID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) run(at time.Time) autoclose.Result {
	e.t.Helper()
	res, err := e.closer.Run(e.ctx, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) status(id int64) string {
	e.t.Helper()
	var s string
	if err := e.db.R.NewRaw(`SELECT status FROM tickets WHERE id = ?`, id).Scan(e.ctx, &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) setDays(days int) {
	e.t.Helper()
	if _, err := e.settings.Update(e.ctx, auth.System(), map[string]json.RawMessage{"auto_close_resolved_after_days": json.RawMessage(fmt.Sprint(days))}); err != nil {
		e.t.Fatal(err)
	}
}

// TestResolvedTicketsCloseOnceTheirDaysAreUp: a ticket resolved for the setting's days is
// closed by the system, with its timeline entry and events; others are left alone.
func TestResolvedTicketsCloseOnceTheirDaysAreUp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent := e.user("customer"), e.user("agent")
		open := func(subject string, statuses ...string) int64 {
			tk, err := e.tickets.Create(e.ctx, customer, ticket.CreateInput{Subject: subject, Description: subject})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range statuses {
				if _, err := e.tickets.ChangeStatus(e.ctx, agent, tk.ID, s); err != nil {
					t.Fatal(err)
				}
			}
			return tk.ID
		}
		first := open("Resolved first", ticket.StatusResolved)
		reopened := open("Reopened", ticket.StatusResolved, ticket.StatusReopened)
		closedByHand := open("Closed by hand", ticket.StatusResolved, ticket.StatusClosed)
		stillOpen := open("Open")
		e.clock.Advance(48 * time.Hour)
		later := open("Resolved two days later", ticket.StatusResolved)

		// The default is seven days.
		if res := e.run(start.Add(7*24*time.Hour - time.Microsecond)); res.Closed != 0 {
			t.Fatalf("closed %d before the seventh day was up", res.Closed)
		}
		e.clock.Set(start.Add(7 * 24 * time.Hour))
		published := len(e.events)
		if res := e.run(e.clock.Now()); res != (autoclose.Result{Closed: 1}) {
			t.Fatalf("run %+v", res)
		}
		if e.status(first) != ticket.StatusClosed || e.status(later) != ticket.StatusResolved || e.status(reopened) != ticket.StatusReopened ||
			e.status(closedByHand) != ticket.StatusClosed || e.status(stillOpen) != ticket.StatusOpen {
			t.Fatal("the wrong tickets were closed")
		}
		var names []string
		for _, ev := range e.events[published:] {
			if ev.Ticket.ID != first || ev.ActorID != nil {
				t.Fatalf("event %+v", ev)
			}
			names = append(names, ev.Name)
		}
		if !slices.Equal(names, []string{event.TicketStatusChanged, event.TicketClosed, event.TicketUpdated}) {
			t.Fatalf("events %v", names)
		}
		var last struct {
			Type     string `bun:"type"`
			CauserID *int64 `bun:"causer_id"`
		}
		if err := e.db.R.NewRaw(`SELECT type, causer_id FROM ticket_activities WHERE ticket_id = ? ORDER BY id DESC LIMIT 1`, first).Scan(e.ctx, &last); err != nil {
			t.Fatal(err)
		}
		if last.Type != "closed" || last.CauserID != nil {
			t.Fatalf("last activity %+v", last)
		}

		// Running again within the same days changes nothing; two days on, the next one goes.
		if res := e.run(e.clock.Now()); res.Closed != 0 {
			t.Fatalf("closed %d on a second run", res.Closed)
		}
		if res := e.run(start.Add(9 * 24 * time.Hour)); res.Closed != 1 || e.status(later) != ticket.StatusClosed {
			t.Fatalf("run %+v", res)
		}

		// 0 means never; a shorter setting closes sooner.
		e.setDays(0)
		never := open("Never closes", ticket.StatusResolved)
		if res := e.run(e.clock.Now().AddDate(10, 0, 0)); res.Closed != 0 || e.status(never) != ticket.StatusResolved {
			t.Fatalf("closed with the setting at 0: %+v", res)
		}
		e.setDays(1)
		if res := e.run(e.clock.Now().Add(24 * time.Hour)); res.Closed != 1 {
			t.Fatalf("run %+v", res)
		}
	})
}

// TestAutoCloseWorksThroughPagesAndPastRefusals: many tickets resolved at the same moment are
// closed page by page; when the transition table refuses the close, every ticket is tried
// once, none is closed, and the run ends.
func TestAutoCloseWorksThroughPagesAndPastRefusals(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 230
		resolved := start.Add(-30 * 24 * time.Hour)
		_, err := e.db.W.NewRaw(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			INSERT INTO tickets (subject, description, status, priority, is_open, resolved_at, created_at, updated_at)
			SELECT 'Old ' || i, '', 'resolved', 'medium', FALSE, ?, ?, ? FROM seq`, n, resolved, resolved, resolved).Exec(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.W.NewRaw(`DELETE FROM status_transitions WHERE from_status = 'resolved' AND to_status = 'closed'`).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if res := e.run(start); res != (autoclose.Result{Refused: n}) {
			t.Fatalf("with the transition gone: %+v", res)
		}
		if _, err := e.db.W.NewRaw(`INSERT INTO status_transitions (from_status, to_status) VALUES ('resolved', 'closed')`).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if res := e.run(start); res != (autoclose.Result{Closed: n}) {
			t.Fatalf("run %+v", res)
		}
		var left int
		if err := e.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE status <> 'closed'`).Scan(e.ctx, &left); err != nil || left != 0 {
			t.Fatalf("%d tickets left open (%v)", left, err)
		}
	})
}
