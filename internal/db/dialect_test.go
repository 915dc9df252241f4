package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

func TestPrepareReadAndStringAgg(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.W.ExecContext(ctx, `CREATE TABLE things (slug TEXT NOT NULL, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.ExecContext(ctx, `INSERT INTO things (slug, n) VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4)`); err != nil {
			t.Fatal(err)
		}
		stmt, err := d.PrepareRead(ctx, `SELECT `+d.StringAgg("slug")+` AS slugs FROM things WHERE n >= ? AND n <= ?`)
		if err != nil {
			t.Fatal(err)
		}
		defer stmt.Close()
		for _, c := range []struct {
			lo, hi int
			want   string
		}{{2, 3, "b,c"}, {1, 4, "a,b,c,d"}, {4, 4, "d"}, {5, 9, ""}} {
			rows, err := stmt.QueryContext(ctx, c.lo, c.hi)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Slugs *string `bun:"slugs"`
			}
			if err := d.R.ScanRows(ctx, rows, &got); err != nil {
				t.Fatal(err)
			}
			var parts []string
			if got.Slugs != nil {
				parts = strings.Split(*got.Slugs, ",")
				slices.Sort(parts)
			}
			if strings.Join(parts, ",") != c.want || (c.want == "" && got.Slugs != nil) {
				t.Errorf("%d..%d: %v, want %q", c.lo, c.hi, got.Slugs, c.want)
			}
		}
	})
}
