package ticket_test

// Benchmarks of the ticket service on both databases, over a table of 100,000 tickets:
//
//	go test ./internal/ticket -run '^$' -bench Ticket -benchtime 2s
//	go test ./internal/ticket -run '^$' -bench 'Ticket/sqlite/List' -cpuprofile cpu.out
//
// The fixture is built once per database; List runs before the writes so every filter sees
// the same rows. See bench/README.md for the numbers measured.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/bench/fixture"
	"github.com/escalated-dev/escalated-go/bench/stats"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// benchTickets is the size of the ticket table the benchmarks run over.
const benchTickets = 100_000

func BenchmarkTicket(b *testing.B) {
	eachDB(b, func(b *testing.B, url string) {
		env := newBenchEnv(b, url, benchTickets)
		b.Run("List", env.benchList)
		b.Run("ListParallel16", env.benchListParallel)
		b.Run("Create", env.benchCreate)
		b.Run("CreateParallel16", env.benchCreateParallel)
		b.Run("Reply", env.benchReply)
		b.Run("ChangeStatus", env.benchChangeStatus)
	})
}

// eachDB runs fn once per database, as dbtest.Each does for tests.
func eachDB(b *testing.B, fn func(b *testing.B, url string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLiteURL(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(dbtest.PostgresEnv) == "" {
			b.Skip(dbtest.PostgresEnv + " is not set")
		}
		fn(b, dbtest.PostgresURL(b))
	})
}

type benchEnv struct {
	db       *db.DB
	svc      *ticket.Service
	agent    *auth.Actor
	customer *auth.Actor
	fix      *fixture.Result
}

func newBenchEnv(b *testing.B, url string, tickets int) *benchEnv {
	b.Helper()
	ctx := context.Background()
	// Opening a desk applies the migrations with their seed rows.
	desk, err := escalated.New(escalated.Config{Database: url}, escalated.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	desk.Close()
	d, err := db.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	start := time.Now()
	fix, err := fixture.Seed(ctx, d, fixture.Options{Tickets: tickets, Analyze: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d tickets seeded in %s", d.Dialect, tickets, time.Since(start).Round(time.Millisecond))
	c := clock.Real{}
	svc := ticket.NewService(d, c, event.NewBus(slog.New(slog.DiscardHandler)), settings.NewStore(d, c, settings.Defaults()))
	au := auth.NewService(d, c, nil)
	agent, err := au.Actor(ctx, fix.AgentIDs[0], "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	customer, err := au.Actor(ctx, fix.CustomerIDs[0], "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{db: d, svc: svc, agent: agent, customer: customer, fix: fix}
}

// benchList measures the first page (25 rows and the total) of each filter.
func (e *benchEnv) benchList(b *testing.B) {
	ctx := context.Background()
	for _, q := range fixture.QueueQueries(e.fix, time.Now().UTC()) {
		b.Run(q.Name, func(b *testing.B) {
			var lat stats.Latencies
			cpu0 := stats.CPUTime()
			for b.Loop() {
				lat.Time(func() {
					if _, err := e.svc.List(ctx, e.agent, q.Filter); err != nil {
						b.Fatal(err)
					}
				})
			}
			lat.Report(b, stats.CPUTime()-cpu0)
		})
	}
	b.Run("customer-own", func(b *testing.B) {
		var lat stats.Latencies
		cpu0 := stats.CPUTime()
		for b.Loop() {
			lat.Time(func() {
				if _, err := e.svc.List(ctx, e.customer, ticket.Filter{RequesterID: &e.customer.UserID}); err != nil {
					b.Fatal(err)
				}
			})
		}
		lat.Report(b, stats.CPUTime()-cpu0)
	})
}

// benchListParallel lists from 16 goroutines at once, each cycling through the filters.
func (e *benchEnv) benchListParallel(b *testing.B) {
	ctx := context.Background()
	queries := fixture.QueueQueries(e.fix, time.Now().UTC())
	var lat stats.Latencies
	cpu0 := stats.CPUTime()
	var n atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q := queries[int(n.Add(1))%len(queries)]
			lat.Time(func() {
				if _, err := e.svc.List(ctx, e.agent, q.Filter); err != nil {
					b.Error(err)
				}
			})
		}
	})
	lat.Report(b, stats.CPUTime()-cpu0)
}

func newTicket(i int64) ticket.CreateInput {
	return ticket.CreateInput{
		Subject:     fmt.Sprintf("Benchmark ticket %d", i),
		Description: "Something broke while benchmarking; here is what happened and what I expected.",
		Priority:    "high",
	}
}

func (e *benchEnv) benchCreate(b *testing.B) {
	ctx := context.Background()
	var lat stats.Latencies
	cpu0 := stats.CPUTime()
	var i int64
	for b.Loop() {
		i++
		lat.Time(func() {
			if _, err := e.svc.Create(ctx, e.customer, newTicket(i)); err != nil {
				b.Fatal(err)
			}
		})
	}
	lat.Report(b, stats.CPUTime()-cpu0)
}

// benchCreateParallel creates tickets from 16 goroutines at once (8 per CPU on the 2-CPU
// machine the targets are set for), as 16 HTTP clients would.
func (e *benchEnv) benchCreateParallel(b *testing.B) {
	ctx := context.Background()
	var lat stats.Latencies
	cpu0 := stats.CPUTime()
	var n atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lat.Time(func() {
				if _, err := e.svc.Create(ctx, e.customer, newTicket(n.Add(1))); err != nil {
					b.Error(err)
				}
			})
		}
	})
	lat.Report(b, stats.CPUTime()-cpu0)
}

func (e *benchEnv) benchReply(b *testing.B) {
	ctx := context.Background()
	ids := e.openTickets(b, 16)
	var lat stats.Latencies
	cpu0 := stats.CPUTime()
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		i++
		lat.Time(func() {
			if _, err := e.svc.Reply(ctx, e.agent, id, ticket.ReplyInput{Body: "Thanks, we are looking into it."}); err != nil {
				b.Fatal(err)
			}
		})
	}
	lat.Report(b, stats.CPUTime()-cpu0)
}

// benchChangeStatus walks tickets round the cycle open → in_progress → waiting_on_customer →
// open, which the default transition table allows.
func (e *benchEnv) benchChangeStatus(b *testing.B) {
	ctx := context.Background()
	ids := e.openTickets(b, 16)
	cycle := []string{ticket.StatusInProgress, ticket.StatusWaitingOnCustomer, ticket.StatusOpen}
	var lat stats.Latencies
	cpu0 := stats.CPUTime()
	i := 0
	for b.Loop() {
		id, to := ids[i%len(ids)], cycle[(i/len(ids))%len(cycle)]
		i++
		lat.Time(func() {
			if _, err := e.svc.ChangeStatus(ctx, e.agent, id, to); err != nil {
				b.Fatal(err)
			}
		})
	}
	lat.Report(b, stats.CPUTime()-cpu0)
}

// openTickets creates n new tickets in status open for the write benchmarks to work on.
func (e *benchEnv) openTickets(b *testing.B, n int) []int64 {
	b.Helper()
	ids := make([]int64, n)
	for i := range ids {
		t, err := e.svc.Create(context.Background(), e.customer, newTicket(int64(i)))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = t.ID
	}
	return ids
}
