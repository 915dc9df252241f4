package autoclose

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// TestPagesUseTheIndex: finding tickets to close reads the index of tickets by status and
// resolution, never the whole table nor a sort of it, on the first page and the ones after.
func TestPagesUseTheIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if err := d.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		c := &Closer{db: d}
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		for _, q := range []*bun.SelectQuery{c.page(at, time.Time{}, 0), c.page(at, at.Add(-time.Hour), 42)} {
			var lines []string
			err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				query := q.String()
				if d.Dialect == db.SQLite {
					var plan []struct {
						ID      int    `bun:"id"`
						Parent  int    `bun:"parent"`
						NotUsed int    `bun:"notused"`
						Detail  string `bun:"detail"`
					}
					if err := tx.NewRaw("EXPLAIN QUERY PLAN "+query).Scan(ctx, &plan); err != nil {
						return err
					}
					for _, p := range plan {
						lines = append(lines, p.Detail)
					}
					return nil
				}
				// Sequential scans are priced out, so a plan that still has one found no index.
				if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
					return err
				}
				return tx.NewRaw("EXPLAIN "+query).Scan(ctx, &lines)
			})
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, "tickets_status_resolved_idx") || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
				t.Errorf("plan of %s:\n%s", q.String(), plan)
			}
		}
	})
}
