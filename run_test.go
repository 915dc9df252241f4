package escalated_test

import (
	"context"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

func TestRunRemovesExpiredSessionsAndStopsWithItsContext(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		desk, err := escalated.New(escalated.Config{Database: url}, escalated.WithClock(clk))
		if err != nil {
			t.Fatal(err)
		}
		defer desk.Close()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for token, expiry := range map[string]time.Time{"expired": clk.Now().Add(-time.Minute), "live": clk.Now().Add(time.Hour)} {
			if _, err := d.W.NewRaw(`INSERT INTO sessions (token_hash, data, expiry) VALUES (?, ?, ?)`, token, []byte{}, expiry).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sessions := func() (n int) {
			if err := d.R.NewRaw(`SELECT count(*) FROM sessions`).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- desk.Run(runCtx) }()
		// The hourly clean-up runs as soon as the desk starts; wait for that work.
		deadline := time.Now().Add(20 * time.Second)
		for sessions() != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions 20s after Run started, want the live one", sessions())
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	})
}

// Run adds new tickets to SQLite's search index in batches (ticket.IndexSearch); without it
// they would be matched by reading them, ever more of them.
func TestRunIndexesNewTicketsForSearch(t *testing.T) {
	ctx := context.Background()
	url := t.TempDir() + "/desk.db"
	desk, err := escalated.New(escalated.Config{Database: url, StoragePath: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	tk, err := desk.Tickets.Create(ctx, 0, escalated.NewTicket{Subject: "Kettle leaks", Description: "On the desk", RequesterEmail: "ann@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	indexed := func() (n int64) {
		if err := d.R.NewRaw(`SELECT count(*) FROM ticket_search WHERE ticket_search MATCH 'kettle'`).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := indexed(); n != 0 {
		t.Fatalf("indexed %d tickets before Run", n)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- desk.Run(runCtx) }()
	deadline := time.Now().Add(20 * time.Second)
	for indexed() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("ticket %s not in the search index 20s after Run started", tk.Reference)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
