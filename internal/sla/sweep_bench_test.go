package sla_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// fixture is a desk database holding many open tickets with running SLA clocks, of which a
// few are due, built with bulk INSERT … SELECT rather than through the ticket service.
type fixture struct {
	db      *db.DB
	clock   *clock.Fake
	sweeper *sla.Sweeper
	due     int
}

// newFixture fills a fresh database at url with open tickets under one policy: due of them
// past their resolution due date, the rest due in a week. Every first response is met, so
// each due ticket has one target to breach.
func newFixture(tb testing.TB, url string, open, due int) *fixture {
	tb.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		if err := auth.Seed(ctx, tx, start); err != nil {
			return err
		}
		return ticket.Seed(ctx, tx, start)
	}}); err != nil {
		tb.Fatal(err)
	}
	c := clock.NewFake(start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := sla.NewPolicies(d, c, false).Create(ctx, auth.System(), sla.PolicyInput{
		Name: ptr("Standard"), FirstResponseHours: ptr(standardHours()), ResolutionHours: ptr(standardHours()), IsDefault: ptr(true),
	})
	if err != nil {
		tb.Fatal(err)
	}
	insert := func(n int, resolutionDue time.Time) {
		_, err := d.W.NewRaw(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO tickets (subject, status, priority, is_open, first_response_at, first_response_due_at,
				resolution_due_at, sla_policy_id, created_at, updated_at)
			SELECT 'Bench', 'open', 'medium', TRUE, ?, ?, ?, ?, ?, ? FROM n`,
			n, start, start, resolutionDue, p.ID, start, start).Exec(ctx)
		if err != nil {
			tb.Fatal(err)
		}
	}
	insert(open-due, start.Add(7*24*time.Hour))
	insert(due, start.Add(-time.Minute))
	if _, err := d.W.ExecContext(ctx, "ANALYZE tickets"); err != nil {
		tb.Fatal(err)
	}
	tickets := ticket.NewService(d, c, event.NewBus(log), settings.NewStore(d, c, settings.Defaults()),
		ticket.WithSLA(sla.NewEngine(nineToFive(tb))))
	return &fixture{db: d, clock: c, sweeper: sla.NewSweeper(d, c, tickets, log), due: due}
}

// reset makes the due tickets' targets unbreached again, for the next sweep.
func (f *fixture) reset(tb testing.TB) {
	tb.Helper()
	if _, err := f.db.W.NewRaw(`UPDATE tickets SET sla_resolution_breached = FALSE, sla_resolution_warned = FALSE
		WHERE sla_resolution_breached = TRUE`).Exec(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// plan is the database's plan for the sweep's query of the resolution target.
func (f *fixture) plan(tb testing.TB) string {
	tb.Helper()
	q := `SELECT id, resolution_due_at AS due, sla_policy_id FROM tickets
		WHERE resolution_due_at <= ? AND sla_resolution_breached = FALSE AND sla_paused_at IS NULL AND sla_policy_id IS NOT NULL
		AND (resolution_due_at <= ? OR sla_resolution_warned = FALSE) ORDER BY resolution_due_at, id LIMIT 1000`
	explain := "EXPLAIN "
	if f.db.Dialect == db.SQLite {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := f.db.R.QueryContext(context.Background(), explain+q, start.Add(30*time.Minute), start)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, strings.TrimSpace(toString(vals[len(vals)-1])))
	}
	return strings.Join(lines, "\n")
}

func toString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}

// TestSweepReadsTheDueDateIndex: on a desk with many open tickets, the sweep's query is an
// index range scan of the running clocks by due date, on both databases.
func TestSweepReadsTheDueDateIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url, 20000, 10)
		plan := f.plan(t)
		if !strings.Contains(plan, "tickets_resolution_due_idx") || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "SCAN tickets") {
			t.Fatalf("the sweep's query does not read the due-date index:\n%s", plan)
		}
		res, err := f.sweeper.Sweep(context.Background())
		if err != nil || res.Breaches != 10 {
			t.Fatalf("sweep %+v, %v; want 10 breaches", res, err)
		}
	})
}

// BenchmarkSweep times one sweep over ESCALATED_BENCH_SLA_OPEN open tickets (default
// 100,000) with running SLA clocks, on each database: when 1,000 of them are due (and are
// recorded as breached), and when none is.
func BenchmarkSweep(b *testing.B) {
	open := 100_000
	if v := os.Getenv("ESCALATED_BENCH_SLA_OPEN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("ESCALATED_BENCH_SLA_OPEN=%q: %v", v, err)
		}
		open = n
	}
	const due = 1000
	run := func(b *testing.B, url string) {
		built := time.Now()
		f := newFixture(b, url, open, due)
		b.Logf("%d open tickets built in %v; plan:\n%s", open, time.Since(built).Round(time.Millisecond), f.plan(b))
		b.Run("due=1000", func(b *testing.B) {
			for range b.N {
				res, err := f.sweeper.Sweep(context.Background())
				if err != nil || res.Breaches != due {
					b.Fatalf("sweep %+v, %v; want %d breaches", res, err, due)
				}
				b.StopTimer()
				f.reset(b)
				b.StartTimer()
			}
		})
		// An hour earlier nothing is due, nor within its warning window.
		f.clock.Set(start.Add(-time.Hour))
		b.Run("due=0", func(b *testing.B) {
			for range b.N {
				if res, err := f.sweeper.Sweep(context.Background()); err != nil || res != (sla.SweepResult{}) {
					b.Fatalf("sweep %+v, %v; want nothing", res, err)
				}
			}
		})
	}
	b.Run("sqlite", func(b *testing.B) { run(b, dbtest.SQLiteURL(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(dbtest.PostgresEnv) == "" {
			b.Skip(dbtest.PostgresEnv + " is not set")
		}
		run(b, dbtest.PostgresURL(b))
	})
}
