package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// SQLite copies the write-ahead log back into the database file in checkpoints. Left to
// itself it checkpoints inside the commit that grows the log past 1,000 pages, on the
// writer's connection: that commit then also copies the pages and waits for two fsyncs,
// and every write of the desk waits behind it (3–4 % of the processor time of a ticket
// create, and its latency spikes). The checkpointer does that work from a connection of its
// own, a PASSIVE checkpoint at a time, which never blocks the writer; the writer's own
// automatic checkpoints stay on as a safety net at a much larger log.

// The checkpointer looks every checkpointEvery and copies the log back once
// checkpointAfterCommits transactions have committed since its last checkpoint (a busy
// desk: every look), or checkpointAtLeastEvery has passed (writes outside transactions,
// a quiet desk), so a quiet desk does not pay two fsyncs for every few writes.
const (
	checkpointEvery        = 200 * time.Millisecond
	checkpointAfterCommits = 50
	checkpointAtLeastEvery = 5 * time.Second
)

// writerAutoCheckpoint is the log size, in pages, at which the writer checkpoints itself
// (SQLite's default is 1,000): only reached if the checkpointer falls far behind.
const writerAutoCheckpoint = 10000

type checkpointer struct {
	db      *sql.DB
	commits func() uint64 // transactions committed on the writer so far
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// startCheckpointer opens the checkpointer's connection to the file and starts it. Its
// page cache stays small: a checkpoint copies pages from the log, not through the cache.
func startCheckpointer(path string, commits func() uint64) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", "file:"+path+"?"+sqliteQuery("cache_size(-512)").Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite checkpointer: %w", err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxIdleTime(time.Minute)
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: conn, commits: commits, stop: stop}
	c.done.Add(1)
	go c.run(ctx)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context) {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	last, lastAt := c.commits(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := c.commits()
		if n-last < checkpointAfterCommits && time.Since(lastAt) < checkpointAtLeastEvery {
			continue
		}
		last, lastAt = n, time.Now()
		// A failed checkpoint (the file busy in another process, say) is tried again later;
		// the writer's own checkpoints are the safety net.
		_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

func (c *checkpointer) close() error {
	c.stop()
	c.done.Wait()
	return c.db.Close()
}
