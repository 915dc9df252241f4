package db_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
)

// The checkpointer copies the write-ahead log back into the database file by itself, long
// before the writer's own automatic checkpoint would (10,000 pages): committed pages reach
// the main file while the writer only commits.
func TestCheckpointerCopiesTheLogBack(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/desk.db"
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.W.ExecContext(ctx, `CREATE TABLE blobs (body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 3000)
	for range 600 { // about 2 MB, 600 commits: far under the writer's own threshold
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO blobs (body) VALUES (?)`, body)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(4 * time.Second) // under checkpointAtLeastEvery: the commits count

	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= 1800_000 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes 4s after the writes: the log was not copied back", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
