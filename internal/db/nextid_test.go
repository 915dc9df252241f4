package db_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testenv"
)

func TestNextIDIsTheIDTheRowGets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		insert := func(tx bun.IDB, id int64) {
			t.Helper()
			if _, err := tx.NewRaw(`INSERT INTO tags (id, name, slug, created_at, updated_at) VALUES (?, 'n', ?, '2026-01-01', '2026-01-01')`,
				id, id).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var got []int64
		for range 3 {
			err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				id, err := d.NextID(ctx, tx, "tags")
				if err != nil {
					return err
				}
				insert(tx, id)
				got = append(got, id)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if got[0] != 1 || got[1] != 2 || got[2] != 3 {
			t.Fatalf("ids = %v, want [1 2 3]", got)
		}
		// A row inserted without an id afterwards gets the next one, not a taken one.
		var next int64
		if err := d.W.NewRaw(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES ('n', 'auto', '2026-01-01', '2026-01-01') RETURNING id`).Scan(ctx, &next); err != nil {
			t.Fatal(err)
		}
		if next != 4 {
			t.Fatalf("id after NextID = %d, want 4", next)
		}
		// A deleted row's id is never handed out again (a ticket's reference is made from it).
		if _, err := d.W.NewRaw(`DELETE FROM tags WHERE id = 4`).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		err = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			id, err := d.NextID(ctx, tx, "tags")
			if err == nil && id != 5 {
				t.Errorf("NextID after deleting the last row = %d, want 5", id)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// NextIDs hands out several ids at once: distinct, above every id taken, and the ids the rows
// then get, for ids inserted with them and for rows inserted after without one.
func TestNextIDsAreTheIDsTheRowsGet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d := testenv.OpenDB(t, url, clock.Real{})
		var got []int64
		for _, n := range []int{3, 1, 5} {
			err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				ids, err := d.NextIDs(ctx, tx, "tags", n)
				if err != nil {
					return err
				}
				if len(ids) != n {
					t.Fatalf("NextIDs(%d) gave %d ids", n, len(ids))
				}
				for _, id := range ids {
					if _, err := tx.NewRaw(`INSERT INTO tags (id, name, slug, created_at, updated_at) VALUES (?, 'n', ?, '2026-01-01', '2026-01-01')`,
						id, id).Exec(ctx); err != nil {
						return err
					}
				}
				got = append(got, ids...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for i, id := range got {
			if id != int64(i+1) {
				t.Fatalf("ids = %v, want 1 to 9 in order", got)
			}
		}
		var next int64
		if err := d.W.NewRaw(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES ('n', 'auto', '2026-01-01', '2026-01-01') RETURNING id`).Scan(ctx, &next); err != nil {
			t.Fatal(err)
		}
		if next != 10 {
			t.Fatalf("id after NextIDs = %d, want 10", next)
		}
	})
}
