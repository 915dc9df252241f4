// Command seed fills a desk's database with many tickets for queue measurements:
//
//	go run ./bench/seed -db /tmp/bench/escalated.db -n 100000
//	go run ./bench/seed -db 'postgres://postgres@127.0.0.1:5432/benchdb?sslmode=disable' -n 100000
//
// It applies the migrations first, so it works on an empty database too. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/bench/fixture"
	"github.com/escalated-dev/escalated-go/internal/db"
)

func main() {
	url := flag.String("db", "", "database URL: a SQLite file path or postgres://...")
	n := flag.Int("n", 100_000, "tickets to add")
	agents := flag.Int("agents", 20, "agents to spread the tickets over")
	customers := flag.Int("customers", 2000, "requesters")
	prefix := flag.String("prefix", "ESC", "ticket reference prefix")
	description := flag.Int("description", 0, "bytes of each ticket's description (default one short paragraph)")
	analyze := flag.Bool("analyze", false, "update planner statistics afterwards (PostgreSQL's autovacuum would; SQLite never does by itself)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *url == "" {
		log.Fatal("seed: -db is required")
	}
	ctx := context.Background()

	// Opening the desk applies the migrations and their seed rows.
	desk, err := escalated.New(escalated.Config{Database: *url})
	if err != nil {
		log.Fatalf("seed: %v", err)
	}
	desk.Close()

	d, err := db.Open(ctx, *url)
	if err != nil {
		log.Fatalf("seed: %v", err)
	}
	defer d.Close()
	start := time.Now()
	res, err := fixture.Seed(ctx, d, fixture.Options{
		Tickets: *n, Agents: *agents, Customers: *customers, Prefix: *prefix, Description: *description,
		Seed: *seed, Analyze: *analyze,
	})
	if err != nil {
		log.Fatalf("seed: %v", err)
	}
	fmt.Printf("added tickets %d..%d in %s (%s)\n", res.FirstTicket, res.LastTicket, time.Since(start).Round(time.Millisecond), d.Dialect)
	fmt.Printf("agents %d..%d, departments %v, tags %d..%d\n", res.AgentIDs[0], res.AgentIDs[len(res.AgentIDs)-1],
		res.DepartmentIDs, res.TagIDs[0], res.TagIDs[len(res.TagIDs)-1])
}
