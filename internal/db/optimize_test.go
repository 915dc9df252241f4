package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// Opening a SQLite database gathers the planner statistics it lacks, so queue filters are
// planned from the data rather than from guesses.
func TestOpenGathersPlannerStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			if _, err := d.W.NewRaw(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES ('t', ?, '2026-01-01', '2026-01-01')`,
				fmt.Sprint(i)).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		d.Close()

		d, err = db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if d.Dialect != db.SQLite {
			return // PostgreSQL's autovacuum keeps its own statistics
		}
		var n int
		if err := d.R.NewRaw(`SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tags'`).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no statistics for tags after reopening")
		}
	})
}
