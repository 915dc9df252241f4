package jobs

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

type splitArgs struct {
	Notes []string `json:"notes"`
}

func (splitArgs) Kind() string { return "test.split" }

func (splitArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: "side"} }

// splitWorker enqueues a note job per note and completes itself in the same transaction;
// fail makes its first attempt roll back after completing.
type splitWorker struct {
	river.WorkerDefaults[splitArgs]
	j        *Jobs
	d        *db.DB
	fail     bool
	attempts chan int
}

func (w *splitWorker) Work(ctx context.Context, job *river.Job[splitArgs]) error {
	w.attempts <- job.Attempt
	return w.d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		params := make([]river.InsertManyParams, len(job.Args.Notes))
		for i, n := range job.Args.Notes {
			params[i] = river.InsertManyParams{Args: noteArgs{Note: n}}
		}
		if err := w.j.InsertManyTx(ctx, tx, params); err != nil {
			return err
		}
		if err := CompleteTx(ctx, tx, job); err != nil {
			return err
		}
		if w.fail && job.Attempt == 1 {
			return errors.New("roll back")
		}
		return nil
	})
}

// TestJobThatEnqueuesJobsDoesSoOnce: a job on its own queue enqueues a batch and completes
// in one transaction; when that transaction rolls back, neither the batch nor the
// completion stays, and the retry does both once.
func TestJobThatEnqueuesJobsDoesSoOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := openDB(t, url)
		j := newJobs(t, d, Options{})
		j.AddQueue("side", 2)
		notes := &noteWorker{worked: make(chan string, 10)}
		split := &splitWorker{j: j, d: d, fail: true, attempts: make(chan int, 10)}
		AddWorker(j, notes)
		AddWorker(j, split)
		err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			return j.InsertTx(ctx, tx, splitArgs{Notes: []string{"a", "b", "c"}}, &river.InsertOpts{MaxAttempts: 2})
		})
		if err != nil {
			t.Fatal(err)
		}
		start(t, j)
		if got := receive(t, split.attempts, "first attempt"); got != 1 {
			t.Fatalf("attempt %d", got)
		}
		if got := receive(t, split.attempts, "retry"); got != 2 {
			t.Fatalf("attempt %d", got)
		}
		seen := map[string]int{}
		for range 3 {
			seen[receive(t, notes.worked, "note")]++
		}
		stop(t, j)
		if len(seen) != 3 || jobCount(t, j, "test.note") != 3 {
			t.Fatalf("notes %v, %d note jobs; want a, b and c once", seen, jobCount(t, j, "test.note"))
		}
	})
}
