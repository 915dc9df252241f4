package workflow

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/bench/stats"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// benchConditions are the conditions of the i-th of 50 workflows: a mix of the kinds a desk
// writes, none of which holds for the benchmark's ticket, so every rule of "all" that can be
// reached is evaluated.
func benchConditions(i int) string {
	return fmt.Sprintf(`{"match": "all", "rules": [
		{"field": "status", "operator": "in", "value": ["open", "reopened", "waiting_on_agent"]},
		{"field": "priority", "operator": "greater_than_or_equal", "value": "medium"},
		{"field": "description", "operator": "contains", "value": "order %d"},
		{"field": "subject", "operator": "matches", "value": "(?i)(refund|chargeback|invoice) #?%d\\b"},
		{"field": "hours_since_created", "operator": "less_than", "value": 48}
	]}`, i, i)
}

// BenchmarkMatch50Workflows is the CPU of deciding which of 50 active workflows act on an
// event: their compiled conditions against the ticket's snapshot.
func BenchmarkMatch50Workflows(b *testing.B) {
	list := make([]*compiled, 50)
	for i := range list {
		var c Conditions
		if err := json.Unmarshal([]byte(benchConditions(i)), &c); err != nil {
			b.Fatal(err)
		}
		w := &Workflow{ID: int64(i + 1), Trigger: "reply.created", Conditions: c, Actions: []Action{{Type: "close_ticket"}}}
		cw, err := compile(w)
		if err != nil {
			b.Fatal(err)
		}
		list[i] = cw
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	base := ticket.Ticket{
		Subject: "Refund for order 4242 please", Status: "open", Priority: "high",
		Description: strings.Repeat("I bought a thing and it did not arrive on time. ", 20) + "See order 1234.",
		CreatedAt:   now.Add(-3 * time.Hour),
	}
	b.ReportAllocs()
	for b.Loop() {
		snap := &snapshot{t: base, now: now}
		matched := 0
		for _, c := range list {
			if c.conds.holds(snap) {
				matched++
			}
		}
		if matched != 0 {
			b.Fatalf("%d matched", matched)
		}
	}
}

// BenchmarkEvaluate50WorkflowsSQLite is a whole evaluation job on SQLite: 50 active
// workflows of the event's trigger (their versions read, compiled ones reused), the ticket
// read and the conditions checked. None matches, so nothing is written to the run log.
// cpu-µs/op is the processor time of the whole process (on SQLite the database's too).
func BenchmarkEvaluate50WorkflowsSQLite(b *testing.B) { benchEvaluate(b, dbtest.SQLiteURL(b)) }

// BenchmarkEvaluate50WorkflowsPostgres is the same job on PostgreSQL; cpu-µs/op counts the
// Go side only, not the server's.
func BenchmarkEvaluate50WorkflowsPostgres(b *testing.B) {
	if os.Getenv(dbtest.PostgresEnv) == "" {
		b.Skip(dbtest.PostgresEnv + " is not set")
	}
	benchEvaluate(b, dbtest.PostgresURL(b))
}

func benchEvaluate(b *testing.B, url string) {
	e := newEnv(b, url)
	for i := range 50 {
		e.workflow("reply.created", benchConditions(i), `[{"type": "close_ticket"}]`)
	}
	customer := e.user("customer")
	tk := e.open(customer, "Refund for order 4242 please")
	ev := event.Event{Name: event.ReplyCreated, Ticket: event.TicketRef{ID: tk.ID}, ActorID: &customer.UserID}
	var job int64
	var lat stats.Latencies
	b.ReportAllocs()
	cpu := stats.CPUTime()
	for b.Loop() {
		job++
		lat.Time(func() {
			if err := e.svc.evaluate(e.ctx, job, evaluateArgs{Trigger: "reply.created", Event: ev}); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.StopTimer()
	lat.Report(b, stats.CPUTime()-cpu)
	if n := e.count(`SELECT count(*) FROM workflow_runs`); n != 0 {
		b.Fatalf("%d run-log entries", n)
	}
}
