package webhook

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
)

// benchEach runs a benchmark on SQLite and, when configured, PostgreSQL.
func benchEach(b *testing.B, fn func(b *testing.B, e *env)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, newEnv(b, dbtest.SQLiteURL(b), secretKey)) })
	b.Run("postgres", func(b *testing.B) {
		if testing.Short() {
			b.Skip("short")
		}
		fn(b, newEnv(b, dbtest.PostgresURL(b), secretKey))
	})
}

// BenchmarkFanOut20: one ticket.created to 20 subscribed endpoints, enqueued in the change's
// transaction. enqueue-µs/op is the hook's own time inside the transaction (the figure the
// target is about); ns/op adds beginning and committing an otherwise empty transaction.
func BenchmarkFanOut20(b *testing.B) {
	benchEach(b, func(b *testing.B, e *env) {
		e.allow("hooks.internal")
		for i := range 20 {
			e.hook(fmt.Sprintf("https://hooks.internal/%d", i), "", "ticket.created", "ticket.updated")
		}
		ev := event.Event{
			Name:       event.TicketCreated,
			Ticket:     event.TicketRef{ID: 42, Reference: "ESC-00042", Subject: "A printer is on fire", Status: "open", Priority: "high"},
			Data:       map[string]any{"channel": "web"},
			OccurredAt: e.clock.Now(),
		}
		var inHook time.Duration
		b.ResetTimer()
		for b.Loop() {
			err := e.db.InTx(e.ctx, func(ctx context.Context, tx bun.Tx) error {
				t0 := time.Now()
				err := e.svc.EnqueueTx(ctx, tx, []event.Event{ev})
				inHook += time.Since(t0)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(inHook.Microseconds())/float64(b.N), "enqueue-µs/op")
	})
}

// BenchmarkDeliveries: deliveries per second to a receiver on loopback, through River with
// the desk's queue (queueWorkers at once): enqueue b.N deliveries, start the jobs, wait until
// every one is logged.
func BenchmarkDeliveries(b *testing.B) {
	benchEach(b, func(b *testing.B, e *env) {
		r := newReceiver(b, 204)
		e.allow(r.hostPort())
		e.hook(r.URL, "", "ticket.created")
		ev := event.Event{Name: event.TicketCreated, Ticket: event.TicketRef{ID: 1, Reference: "ESC-00001", Subject: "S", Status: "open", Priority: "low"}, OccurredAt: e.clock.Now()}
		const batch = 100
		for n := 0; n < b.N; n += batch {
			events := make([]event.Event, min(batch, b.N-n))
			for i := range events {
				events[i] = ev
			}
			if err := e.db.InTx(e.ctx, func(ctx context.Context, tx bun.Tx) error { return e.svc.EnqueueTx(ctx, tx, events) }); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start := time.Now()
		if err := e.jobs.Start(e.ctx); err != nil {
			b.Fatal(err)
		}
		defer e.jobs.Stop(context.Background())
		for e.count(`SELECT count(*) FROM webhook_deliveries`) < b.N {
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	})
}

// BenchmarkDeliverParallel: the worker's own cost per delivery (load the webhook, sign,
// POST to loopback, log), from 50 goroutines as the queue runs them, without River.
func BenchmarkDeliverParallel(b *testing.B) {
	benchEach(b, func(b *testing.B, e *env) {
		r := newReceiver(b, 204)
		e.allow(r.hostPort())
		h := e.hook(r.URL, "", "ticket.created")
		body, _ := render("ticket.created", map[string]any{"ticket": map[string]any{"id": 1}}, e.clock.Now())
		a := deliveryArgs{WebhookID: h.ID, Event: "ticket.created", MessageID: newMessageID(), Body: body}
		var wg sync.WaitGroup
		work := make(chan struct{})
		start := time.Now()
		for range queueWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					if err := e.worker.Work(e.ctx, job(a, 1, start)); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		b.ResetTimer()
		for b.Loop() {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	})
}
