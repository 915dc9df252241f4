package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// InsertRow stores a row exactly as bun's insert of the same model does (times as the same
// text on SQLite, NULLs, booleans, JSON as text), the first time (unprepared) and afterwards
// (prepared).
func TestInsertRowWritesWhatBunWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testenv.OpenDB(t, url, clock.Real{})
		at := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("x", 3600))
		due := at.Add(time.Hour)
		mk := func(id int64) *ticket.Ticket {
			return &ticket.Ticket{ID: id, Subject: "s", Description: "d", Status: "open", Priority: "high",
				TicketType: "question", Channel: "web", IsOpen: true, FirstResponseDueAt: &due,
				SlaPausedMicros: 42, CreatedAt: at, UpdatedAt: at}
		}
		entry := func() *audit.Entry {
			id := int64(7)
			return &audit.Entry{Action: "a", ResourceType: "ticket", ResourceID: &id,
				OldValues: json.RawMessage(`{}`), NewValues: json.RawMessage(`{"k":"v"}`), IPAddress: "::1", CreatedAt: at}
		}
		row := func(table string, id int64) map[string]any {
			t.Helper()
			m := map[string]any{}
			if err := d.R.NewRaw(`SELECT * FROM ? WHERE id = ?`, bun.Ident(table), id).Scan(ctx, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "id")
			return m
		}
		var types []string
		for round := range 3 { // unprepared, then prepared (in the background) once the writer is free
			base := int64(10 * (round + 1))
			var viaBun, viaRow *audit.Entry
			err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.NewInsert().Model(mk(base)).Exec(ctx); err != nil {
					return err
				}
				if err := d.InsertRow(ctx, tx, mk(base+1)); err != nil {
					return err
				}
				viaBun, viaRow = entry(), entry()
				if _, err := tx.NewInsert().Model(viaBun).Exec(ctx); err != nil {
					return err
				}
				return d.InsertRow(ctx, tx, viaRow)
			})
			if err != nil {
				t.Fatal(err)
			}
			if viaRow.ID == 0 || viaRow.ID == viaBun.ID {
				t.Fatalf("InsertRow set the id to %d (bun's row: %d)", viaRow.ID, viaBun.ID)
			}
			a, b := row("tickets", base), row("tickets", base+1)
			delete(a, "reference")
			delete(b, "reference")
			if !maps.EqualFunc(a, b, func(x, y any) bool { return jsonEq(t, x, y) }) {
				t.Errorf("round %d: ticket rows differ:\nbun:       %v\nInsertRow: %v", round, a, b)
			}
			if a, b := row("audit_logs", viaBun.ID), row("audit_logs", viaRow.ID); !maps.EqualFunc(a, b, func(x, y any) bool { return jsonEq(t, x, y) }) {
				t.Errorf("round %d: audit rows differ:\nbun:       %v\nInsertRow: %v", round, a, b)
			}
			if d.Dialect == db.SQLite {
				var ty []string
				if err := d.R.NewRaw(`SELECT typeof(created_at) || typeof(first_response_due_at) || typeof(assigned_to) || typeof(is_open) FROM tickets WHERE id IN (?, ?) ORDER BY id`, base, base+1).Scan(ctx, &ty); err != nil {
					t.Fatal(err)
				}
				var aty []string
				if err := d.R.NewRaw(`SELECT typeof(new_values) FROM audit_logs WHERE id IN (?, ?) ORDER BY id`, viaBun.ID, viaRow.ID).Scan(ctx, &aty); err != nil {
					t.Fatal(err)
				}
				types = append(types, ty...)
				types = append(types, aty...)
			}
			time.Sleep(50 * time.Millisecond) // let the background prepare run (not a clock wait)
		}
		for i := 0; i+1 < len(types); i += 2 { // bun's row, then InsertRow's
			if types[i] != types[i+1] {
				t.Errorf("SQLite storage classes differ: bun %s, InsertRow %s", types[i], types[i+1])
			}
		}
	})
}

func jsonEq(t *testing.T, x, y any) bool {
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	return string(a) == string(b)
}

// InsertRows writes several rows as InsertRow writes each (on PostgreSQL in one statement),
// sets the key the database chose for a lone last row, writes rows of one model next to each
// other together, and refuses to leave an earlier statement's keys to the database (they could
// not be read back).
func TestInsertRowsWritesEachRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testenv.OpenDB(t, url, clock.Real{})
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		for round := range 3 { // unprepared, then prepared
			id := int64(100 + round)
			tk := &ticket.Ticket{ID: id, Reference: "R-" + time.Duration(id).String(), Subject: "s", Description: "d", Status: "open",
				Priority: "low", TicketType: "question", Channel: "web", IsOpen: true, CreatedAt: at, UpdatedAt: at}
			entry := &audit.Entry{Action: "ticket.created", ResourceType: "ticket", ResourceID: &id,
				OldValues: json.RawMessage(`{}`), NewValues: json.RawMessage(`{"n":1}`), CreatedAt: at}
			if err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return d.InsertRows(ctx, tx, tk, entry) }); err != nil {
				t.Fatal(err)
			}
			var subject, action string
			var resource int64
			if err := d.R.NewRaw(`SELECT t.subject, a.action, a.resource_id FROM tickets t, audit_logs a WHERE t.id = ? AND a.id = ?`,
				id, entry.ID).Scan(ctx, &subject, &action, &resource); err != nil || subject != "s" || action != "ticket.created" || resource != id {
				t.Fatalf("round %d: rows %q %q %d (audit id %d): %v", round, subject, action, resource, entry.ID, err)
			}
			time.Sleep(50 * time.Millisecond) // let the background prepare run (not a clock wait)
		}
		var tickets []any
		for id := int64(200); id < 205; id++ {
			tickets = append(tickets, &ticket.Ticket{ID: id, Reference: fmt.Sprint("R-", id), Subject: "many", Description: "d", Status: "open",
				Priority: "low", TicketType: "question", Channel: "web", IsOpen: true, CreatedAt: at, UpdatedAt: at})
		}
		rows := append(tickets, &audit.Entry{Action: "a", ResourceType: "t", OldValues: json.RawMessage(`{}`), NewValues: json.RawMessage(`{}`), CreatedAt: at},
			&audit.Entry{Action: "b", ResourceType: "t", OldValues: json.RawMessage(`{}`), NewValues: json.RawMessage(`{}`), CreatedAt: at})
		if err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return d.InsertRows(ctx, tx, rows...) }); err != nil {
			t.Fatal(err)
		}
		var n, audits int
		if err := d.R.NewRaw(`SELECT (SELECT count(*) FROM tickets WHERE subject = 'many'), (SELECT count(*) FROM audit_logs WHERE action IN ('a', 'b'))`).Scan(ctx, &n, &audits); err != nil || n != 5 || audits != 2 {
			t.Fatalf("many rows: %d tickets, %d audit rows, %v", n, audits, err)
		}
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return d.InsertRows(ctx, tx, &audit.Entry{Action: "c", ResourceType: "t", CreatedAt: at},
				&ticket.Ticket{ID: 300, Reference: "R-300", Subject: "s", Description: "d", Status: "open",
					Priority: "low", TicketType: "question", Channel: "web", IsOpen: true, CreatedAt: at, UpdatedAt: at})
		})
		if err == nil {
			t.Fatal("an earlier row without its key was accepted")
		}
	})
}
