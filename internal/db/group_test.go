package db

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// openGroupTest opens a SQLite database with a table to write to.
func openGroupTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "group.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.group == nil {
		t.Fatal("SQLite opened without group commit")
	}
	for _, q := range []string{
		`CREATE TABLE parents (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, parent_id INTEGER REFERENCES parents (id))`,
	} {
		if _, err := d.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func names(t *testing.T, d *DB) []string {
	t.Helper()
	var got []string
	if err := d.R.NewRaw(`SELECT name FROM rows ORDER BY name`).Scan(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

func insertRow(ctx context.Context, tx bun.Tx, name string) error {
	_, err := tx.NewRaw(`INSERT INTO rows (name) VALUES (?)`, name).Exec(ctx)
	return err
}

// grouped runs first, and once it is running, the others one after the other, each started
// once the one before waits; first holds the writer until all of them wait, so they run
// together as one group, in order. It returns each one's error
// (others' in order) or the value it panicked with.
func grouped(t *testing.T, d *DB, first func(ctx context.Context, tx bun.Tx) error, others ...func(ctx context.Context, tx bun.Tx) error) (error, []any) {
	t.Helper()
	ctx := context.Background()
	started := make(chan struct{})
	var firstErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		firstErr = d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			close(started)
			deadline := time.Now().Add(10 * time.Second)
			for d.group.waiting() < len(others) {
				if time.Now().After(deadline) {
					return errors.New("the others never queued")
				}
				time.Sleep(time.Millisecond) // waits for other goroutines, not for a clock
			}
			return first(ctx, tx)
		})
	}()
	<-started
	out := make([]any, len(others))
	for i, fn := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					out[i] = fmt.Sprint("panic: ", p)
				}
			}()
			if err := d.InTx(ctx, fn); err != nil {
				out[i] = err
			}
		}()
		// The next one starts once this one waits, so they queue in order. (Once the last
		// one queues, first lets the group run, which may empty the queue at once.)
		for i < len(others)-1 && d.group.waiting() < i+1 {
			time.Sleep(time.Millisecond) // waits for another goroutine, not for a clock
		}
	}
	wg.Wait()
	return firstErr, out
}

// A failing member of a group is rolled back alone: its rows are gone, its error is its own,
// and the others' rows are committed.
func TestGroupCommitMemberFailureUndoesOnlyItsOwnWork(t *testing.T) {
	d := openGroupTest(t)
	boom := errors.New("boom")
	firstErr, errs := grouped(t, d,
		func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "first") },
		func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "a") },
		func(ctx context.Context, tx bun.Tx) error {
			if err := insertRow(ctx, tx, "failed-1"); err != nil {
				return err
			}
			return boom // after writing: the write must be undone
		},
		func(ctx context.Context, tx bun.Tx) error {
			// sees the earlier members' writes, as it would after their commits
			var n int
			if err := tx.NewRaw(`SELECT count(*) FROM rows WHERE name = 'a'`).Scan(ctx, &n); err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("sees %d rows named a, want 1", n)
			}
			return insertRow(ctx, tx, "b")
		},
		func(ctx context.Context, tx bun.Tx) error {
			if err := insertRow(ctx, tx, "failed-2"); err != nil {
				return err
			}
			return insertRow(ctx, tx, "a") // unique violation: a database error mid-member
		},
		func(ctx context.Context, tx bun.Tx) error {
			if err := insertRow(ctx, tx, "failed-3"); err != nil {
				return err
			}
			panic("member panicked")
		},
		func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "c") },
	)
	if firstErr != nil {
		t.Fatalf("first: %v", firstErr)
	}
	if errs[0] != nil || errs[2] != nil || errs[5] != nil {
		t.Errorf("members that succeeded got %v, %v, %v", errs[0], errs[2], errs[5])
	}
	if err, _ := errs[1].(error); !errors.Is(err, boom) {
		t.Errorf("failing member got %v, want its own error", errs[1])
	}
	if err, _ := errs[3].(error); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("member with a constraint violation got %v", errs[3])
	}
	if p, _ := errs[4].(string); !strings.HasPrefix(p, "panic: member panicked") {
		t.Errorf("panicking member: %v, want its panic raised again in its caller", errs[4])
	}
	if got, want := names(t, d), []string{"a", "b", "c", "first"}; !slices.Equal(got, want) {
		t.Errorf("committed rows %v, want %v", got, want)
	}
	if d.group.groups != 2 || d.group.grouped != 7 {
		t.Errorf("%d transactions for %d calls, want 2 for 7 (the first alone, then the others together)", d.group.groups, d.group.grouped)
	}
}

// When the shared commit fails, no member of the group is acknowledged and nothing of the
// group is committed.
func TestGroupCommitFailedCommitFailsEveryMember(t *testing.T) {
	d := openGroupTest(t)
	_, errs := grouped(t, d,
		func(ctx context.Context, tx bun.Tx) error { return nil },
		func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "a") },
		func(ctx context.Context, tx bun.Tx) error {
			// A deferred foreign-key violation passes every statement and fails the COMMIT.
			if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
				return err
			}
			_, err := tx.NewRaw(`INSERT INTO rows (name, parent_id) VALUES ('orphan', 42)`).Exec(ctx)
			return err
		},
		func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "b") },
	)
	for i, e := range errs {
		if err, _ := e.(error); err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("member %d got %v, want the failed commit's error", i, e)
		}
	}
	if got := names(t, d); len(got) != 0 {
		t.Errorf("committed %v after a failed commit", got)
	}
	// The writer is usable afterwards.
	if err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "after") }); err != nil {
		t.Fatal(err)
	}
	if got := names(t, d); !slices.Equal(got, []string{"after"}) {
		t.Errorf("rows %v, want [after]", got)
	}
}

// A member whose context is done before its turn does not run; one whose context ends while
// the group runs is not interrupted (an interrupted write would roll back everyone's work).
func TestGroupCommitCancelledMember(t *testing.T) {
	d := openGroupTest(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	later, cancelLater := context.WithCancel(context.Background())
	ok := &txMember{ctx: context.Background(), fn: func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "ok") }, wake: make(chan struct{})}
	m := &txMember{ctx: cancelled, fn: func(ctx context.Context, tx bun.Tx) error { return insertRow(ctx, tx, "never") }, wake: make(chan struct{})}
	l := &txMember{ctx: later, fn: func(ctx context.Context, tx bun.Tx) error {
		cancelLater() // its request ends while it runs
		return insertRow(ctx, tx, "late")
	}, wake: make(chan struct{})}
	d.commitGroup([]*txMember{ok, m, l})
	if !errors.Is(m.err, context.Canceled) {
		t.Errorf("member cancelled before its turn: %v, want context.Canceled", m.err)
	}
	if ok.err != nil || l.err != nil {
		t.Errorf("other members: %v, %v", ok.err, l.err)
	}
	got := names(t, d)
	if slices.Contains(got, "never") || !slices.Contains(got, "ok") || !slices.Contains(got, "late") {
		t.Errorf("rows %v: want ok and late, not never", got)
	}
}

// Many concurrent transactions all commit, in fewer commits than transactions.
func TestGroupCommitConcurrent(t *testing.T) {
	d := openGroupTest(t)
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
				return insertRow(ctx, tx, fmt.Sprintf("r%03d", i))
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := names(t, d); len(got) != len(errs) {
		t.Errorf("%d rows, want %d", len(got), len(errs))
	}
	if d.group.waiting() != 0 {
		t.Errorf("group left with a queue of %d", d.group.waiting())
	}
	t.Logf("%d transactions in %d commits", d.group.grouped, d.group.groups)
}

// TestIdleWriterReleasesItsCache: a writer left without work releases its page cache once per
// idle spell, and writes as before afterwards.
func TestIdleWriterReleasesItsCache(t *testing.T) {
	old := idleShrinkAfter
	idleShrinkAfter = 200 * time.Millisecond
	t.Cleanup(func() { idleShrinkAfter = old })
	d := openGroupTest(t)
	write := func(name string) {
		t.Helper()
		if err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO rows (name) VALUES (?)`, name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitShrinks := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); d.group.shrinks.Load() < n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d releases, want %d", d.group.shrinks.Load(), n)
			}
			time.Sleep(5 * time.Millisecond) // waiting for the writer goroutine, not a clock
		}
	}
	write("a")
	after := d.group.shrinks.Load() // 1 if the desk idled before the write
	waitShrinks(after + 1)
	time.Sleep(3 * idleShrinkAfter) // several idle periods: still one release for the spell
	if got := d.group.shrinks.Load(); got != after+1 {
		t.Fatalf("%d releases in one idle spell, want 1", got-after)
	}
	write("b")
	waitShrinks(after + 2)
	if got := names(t, d); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("rows %v", got)
	}
}
