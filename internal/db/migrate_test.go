package db_test

import (
	"context"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// migrateOnce opens its own handle, as a separate server process would, and migrates.
func migrateOnce(ctx context.Context, url string, seeds *countingSeeder) error {
	d, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Migrate(ctx, map[int]db.Seeder{1: seeds.seed})
}

// countingSeeder counts how often the first migration's seeder ran.
type countingSeeder struct {
	mu sync.Mutex
	n  int
}

func (c *countingSeeder) seed(context.Context, bun.Tx, db.Dialect) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

func (c *countingSeeder) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// versions returns how many times each version is recorded as applied.
func versions(t *testing.T, url string) map[int]int {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var rows []struct {
		Version int `bun:"version"`
		N       int `bun:"n"`
	}
	if err := d.R.NewRaw(`SELECT version, count(*) AS n FROM schema_migrations GROUP BY version`).Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, r := range rows {
		out[r.Version] = r.N
	}
	return out
}

func checkEachVersionOnce(t *testing.T, url string) {
	t.Helper()
	got := versions(t, url)
	if len(got) == 0 {
		t.Fatal("schema_migrations is empty")
	}
	for v, n := range got {
		if n != 1 {
			t.Errorf("version %d recorded %d times, want once", v, n)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		const processes = 4
		seeds := &countingSeeder{}
		ctx := context.Background()
		errs := make(chan error, processes)
		var start sync.WaitGroup
		start.Add(1)
		for range processes {
			go func() {
				start.Wait()
				errs <- migrateOnce(ctx, url, seeds)
			}()
		}
		start.Done()
		for range processes {
			if err := <-errs; err != nil {
				t.Errorf("concurrent migrate: %v", err)
			}
		}
		checkEachVersionOnce(t, url)
		if n := seeds.count(); n != 1 {
			t.Errorf("seeder ran %d times, want once", n)
		}
	})
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		seeds := &countingSeeder{}
		if err := migrateOnce(ctx, url, seeds); err != nil {
			t.Fatalf("first migrate: %v", err)
		}
		before := versions(t, url)
		if err := migrateOnce(ctx, url, seeds); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		after := versions(t, url)
		if len(before) != len(after) {
			t.Fatalf("versions after second migrate = %v, before = %v", after, before)
		}
		checkEachVersionOnce(t, url)
		if n := seeds.count(); n != 1 {
			t.Errorf("seeder ran %d times over two migrations, want once", n)
		}
	})
}
