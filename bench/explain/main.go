// Command explain prints the query plans of the agent queue's first page for each filter,
// on a database filled by bench/seed:
//
//	go run ./bench/explain -db /tmp/bench/escalated.db
//	go run ./bench/explain -db 'postgres://postgres@127.0.0.1:5432/benchdb?sslmode=disable' -analyze
//
// It runs the ticket service's List as an agent, captures the SQL it sends, and asks the
// database for the plan of each statement. A plan that reads the whole tickets table (SQLite
// "SCAN t", PostgreSQL "Seq Scan on tickets", or for a count any index scan that is not
// covering) is marked FULL SCAN.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/bench/fixture"
	"github.com/escalated-dev/escalated-go/bench/stats"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func main() {
	url := flag.String("db", "", "database URL of a seeded desk: a SQLite file path or postgres://...")
	analyze := flag.Bool("analyze", false, "PostgreSQL: run the statements (EXPLAIN ANALYZE) and show real times")
	only := flag.String("only", "", "only the filters whose name contains this")
	runs := flag.Int("runs", 0, "also time each filter's List this many times and print p50/p99")
	plans := flag.Bool("plans", true, "print the query plans")
	flag.Parse()
	if *url == "" {
		log.Fatal("explain: -db is required")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, *url)
	if err != nil {
		log.Fatalf("explain: %v", err)
	}
	defer d.Close()
	fix, err := fixture.Lookup(ctx, d)
	if err != nil {
		log.Fatalf("explain: %v", err)
	}
	rec := &recorder{}
	d.R.AddQueryHook(rec)
	c := clock.Real{}
	svc := ticket.NewService(d, c, event.NewBus(slog.New(slog.DiscardHandler)), settings.NewStore(d, c, settings.Defaults()))
	agent, err := auth.NewService(d, c, nil).Actor(ctx, fix.AgentIDs[0], "")
	if err != nil {
		log.Fatalf("explain: %v", err)
	}
	full := 0
	for _, q := range fixture.QueueQueries(fix, time.Now().UTC()) {
		if !strings.Contains(q.Name, *only) {
			continue
		}
		rec.start()
		t0 := time.Now()
		if _, err := svc.List(ctx, agent, q.Filter); err != nil {
			log.Fatalf("explain: %s: %v", q.Name, err)
		}
		took := time.Since(t0)
		stmts := rec.stop()
		fmt.Printf("=== %s (List took %s)\n", q.Name, took.Round(10*time.Microsecond))
		if *runs > 0 {
			var lat stats.Latencies
			cpu0 := cpuTime()
			for range *runs {
				lat.Time(func() {
					if _, err := svc.List(ctx, agent, q.Filter); err != nil {
						log.Fatalf("explain: %s: %v", q.Name, err)
					}
				})
			}
			cpu := (cpuTime() - cpu0) / time.Duration(*runs)
			s := lat.Summary()
			fmt.Printf("    %d runs: p50 %s  p99 %s  max %s  cpu/run %s\n", s.N, ms(s.P50), ms(s.P99), ms(s.Max), ms(cpu))
		}
		if !*plans {
			continue
		}
		for _, stmt := range stmts {
			if strings.Contains(stmt, "ticket_tags tt JOIN tags") {
				continue // the tags of the page's 25 rows, by primary key
			}
			plan, err := explain(ctx, d, stmt, *analyze)
			if err != nil {
				log.Fatalf("explain: %s: %v", q.Name, err)
			}
			kind, count := "page", strings.Contains(stmt, "count(*)")
			deltas := strings.Contains(stmt, "ticket_counts")
			switch {
			case deltas:
				kind = "count from ticket_counts (not the tickets table)"
			case count:
				kind = "count"
			}
			mark := ""
			if !deltas && scansTable(d.Dialect, plan, count) {
				mark = "  <-- FULL SCAN of tickets"
				full++
			}
			fmt.Printf("--- %s%s\n%s\n", kind, mark, indent(plan))
		}
	}
	fmt.Printf("\n%d statements read the whole tickets table\n", full)
}

// recorder keeps the statements run between start and stop.
type recorder struct {
	mu    sync.Mutex
	on    bool
	stmts []string
}

func (r *recorder) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context { return ctx }

func (r *recorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	if r.on {
		r.stmts = append(r.stmts, e.Query)
	}
	r.mu.Unlock()
}

func (r *recorder) start() {
	r.mu.Lock()
	r.on, r.stmts = true, nil
	r.mu.Unlock()
}

func (r *recorder) stop() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.stmts
}

func explain(ctx context.Context, d *db.DB, stmt string, analyze bool) (string, error) {
	if d.Dialect == db.SQLite {
		var rows []struct {
			ID     int    `bun:"id"`
			Parent int    `bun:"parent"`
			Unused int    `bun:"notused"`
			Detail string `bun:"detail"`
		}
		if err := d.R.NewRaw("EXPLAIN QUERY PLAN "+stmt).Scan(ctx, &rows); err != nil {
			return "", err
		}
		depth := map[int]int{}
		var b strings.Builder
		for _, r := range rows {
			depth[r.ID] = depth[r.Parent] + 1
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth[r.ID]-1), r.Detail)
		}
		return strings.TrimRight(b.String(), "\n"), nil
	}
	opts := "EXPLAIN (COSTS OFF) "
	if analyze {
		opts = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
	}
	var lines []string
	if err := d.R.NewRaw(opts+stmt).Scan(ctx, &lines); err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

var (
	sqliteTableScan = regexp.MustCompile(`(?m)SCAN t$`)
	sqliteIndexScan = regexp.MustCompile(`(?m)SCAN t USING INDEX `)
)

// scansTable reports whether a plan reads every row of tickets. A page query may walk an
// index in sort order, since it stops after one page; a count may not, unless the index
// covers it.
func scansTable(d db.Dialect, plan string, count bool) bool {
	if d == db.SQLite {
		return sqliteTableScan.MatchString(plan) || (count && sqliteIndexScan.MatchString(plan))
	}
	return strings.Contains(plan, "Seq Scan on tickets")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// cpuTime is the processor time this process has used: on SQLite that includes the
// database's work, so it compares changes with far less noise than latency on a shared
// machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
