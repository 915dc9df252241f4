package db_test

import (
	"context"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

func TestIsUniqueViolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.W.ExecContext(ctx, `CREATE TABLE things (slug TEXT NOT NULL UNIQUE, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.ExecContext(ctx, `INSERT INTO things (slug, n) VALUES ('a', 1)`); err != nil {
			t.Fatal(err)
		}
		_, err = d.W.ExecContext(ctx, `INSERT INTO things (slug, n) VALUES ('a', 2)`)
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: IsUniqueViolation(%v) = false", err)
		}
		_, err = d.W.ExecContext(ctx, `INSERT INTO things (slug) VALUES ('b')`)
		if err == nil || db.IsUniqueViolation(err) {
			t.Fatalf("NOT NULL failure: IsUniqueViolation(%v) = true", err)
		}
		if db.IsUniqueViolation(nil) {
			t.Fatal("IsUniqueViolation(nil) = true")
		}
	})
}
