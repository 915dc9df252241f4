package db

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// groupCommit runs SQLite's write transactions, which the single writer connection takes one
// at a time, in groups: transactions that arrive while one is running wait, and the next of
// them to run takes all the waiting ones into one transaction on the writer, each inside its
// own savepoint, and commits them with one COMMIT. Most of a small transaction's cost on
// SQLite is the commit (appending the changed pages to the WAL), and transactions of a group
// often change the same pages (the same index leaves), so a group costs far less than its
// members one by one.
//
// Each member behaves as if it ran alone, one after the other:
//   - a member's error (or panic) rolls back to its savepoint: its writes are undone and the
//     error is its own; the other members go on and commit;
//   - a member returns only after the shared COMMIT succeeded, so nothing acknowledged can be
//     lost; if the COMMIT fails, or the transaction breaks (the savepoint cannot be rolled
//     back to), every member that would have committed gets the error and nothing of the
//     group is committed;
//   - members run in arrival order on the same connection, so each sees the writes of those
//     before it, as it would after their commits.
//
// A group's transaction is not cancelled by a member's context: on SQLite an interrupted
// write rolls back the whole transaction, the other members' work included. A member whose
// context is done before its turn does not run and returns the context's error; once
// running, it runs to the end.
//
// One goroutine of its own, the writer, runs the groups one after another: a caller queues
// its transaction and waits. (An earlier design let the first caller lead and hand the lead
// to the next waiting caller; every hand-over left the writer idle until that goroutine was
// scheduled, which on 2 processors was a large share of a busy desk's time.)
type groupCommit struct {
	mu     sync.Mutex
	queue  []*txMember
	closed bool
	work   chan struct{} // has a value while the queue may hold members the writer has not seen
	done   chan struct{} // closed when the writer has stopped
	// maxGroup bounds the members of one transaction, so one commit does not grow without
	// bound under a flood.
	maxGroup int
	// groups and grouped count the transactions run and their members (for tests).
	groups, grouped int
	// committed counts the transactions the writer has finished (see checkpointer).
	committed atomic.Uint64
	// shrinks counts the idle spells in which the writer released its page cache (for tests).
	shrinks atomic.Int64
}

type txMember struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx bun.Tx) error
	err   error
	panic any    // what fn panicked with, re-raised in its caller
	stack []byte // where it panicked
	wake  chan struct{}
}

// groupSavepoint is the savepoint each member runs in. Members run one at a time and each
// releases it before the next, so one name serves them all.
const groupSavepoint = "escalated_group_member"

// errClosed is what a transaction gets once the database is closed.
var errClosed = errors.New("db: the database is closed")

// startGroupCommit starts the writer goroutine of d.
func startGroupCommit(d *DB) *groupCommit {
	g := &groupCommit{maxGroup: 64, work: make(chan struct{}, 1), done: make(chan struct{})}
	go g.write(d)
	return g
}

// run runs fn in a write transaction shared with whichever other calls are waiting, and
// returns fn's error, or the error that kept the transaction from committing.
func (g *groupCommit) run(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	m := &txMember{ctx: ctx, fn: fn, wake: make(chan struct{})}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return errClosed
	}
	g.queue = append(g.queue, m)
	g.mu.Unlock()
	select {
	case g.work <- struct{}{}:
	default: // the writer has been told already
	}
	<-m.wake
	return m.result()
}

// write is the writer goroutine: it runs what is queued, a group at a time, until the
// queue is empty and the database closed.
func (g *groupCommit) write(d *DB) {
	defer close(g.done)
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.maxGroup)
		if n == 0 {
			closed := g.closed
			g.mu.Unlock()
			if closed {
				return
			}
			g.awaitWork(d)
			continue
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil // let the backing array go
		}
		g.groups++
		g.grouped += n
		g.mu.Unlock()
		if n == 1 {
			batch[0].err = batch[0].solo(d.W)
		} else {
			d.commitGroup(batch)
		}
		g.committed.Add(1)
		for _, m := range batch {
			close(m.wake)
		}
	}
}

// idleShrinkAfter is how long the writer waits for work before it hands back the memory of
// its page cache (up to cache_size) that an idle desk does not need: measured after a burst of
// creates, 105–112 MB resident while idle without it, 48 MB with it.
var idleShrinkAfter = 10 * time.Second

// awaitWork waits until a transaction is queued. Once idleShrinkAfter has passed without one,
// it first releases the writer's page cache (PRAGMA shrink_memory), once per idle spell.
func (g *groupCommit) awaitWork(d *DB) {
	t := time.NewTimer(idleShrinkAfter)
	defer t.Stop()
	select {
	case <-g.work:
		return
	case <-t.C:
	}
	// Best effort: the next write reads again what it needs.
	if _, err := d.W.ExecContext(context.Background(), "PRAGMA shrink_memory"); err == nil {
		g.shrinks.Add(1)
	}
	<-g.work
}

// close lets the writer finish what is queued and stop; later transactions get errClosed.
func (g *groupCommit) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	select {
	case g.work <- struct{}{}:
	default:
	}
	<-g.done
}

// waiting is how many calls wait for their turn.
func (g *groupCommit) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// result is what the member's InTx returns; a panic in fn is raised again in its caller,
// with the stack it was raised on.
func (m *txMember) result() error {
	if m.panic != nil {
		panic(fmt.Sprintf("%v\n\n(raised in a grouped transaction, at:)\n%s", m.panic, m.stack))
	}
	return m.err
}

// call runs the member's fn, catching a panic.
func (m *txMember) call(ctx context.Context, tx bun.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			m.panic, m.stack = p, debug.Stack()
			err = fmt.Errorf("db: transaction panicked: %v", p)
		}
	}()
	return m.fn(ctx, tx)
}

// solo runs a member alone in its own transaction: its context may interrupt it, since
// there is nobody else's work to undo.
func (m *txMember) solo(w *bun.DB) error {
	tx, err := w.BeginTx(m.ctx, nil)
	if err != nil {
		return err
	}
	if err := m.call(m.ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// commitGroup runs the members in one transaction, each in a savepoint (prepared statements,
// like the hot writes), and commits once.
func (d *DB) commitGroup(batch []*txMember) {
	bg := context.WithoutCancel(batch[0].ctx)
	tx, err := d.W.BeginTx(bg, nil)
	if err != nil {
		for _, m := range batch {
			m.err = err
		}
		return
	}
	var broken error
	for _, m := range batch {
		if broken != nil {
			continue
		}
		if err := m.ctx.Err(); err != nil {
			m.err = err
			continue
		}
		if err := d.ExecTx(bg, tx, "SAVEPOINT "+groupSavepoint); err != nil {
			broken = err
			continue
		}
		if m.err = m.call(context.WithoutCancel(m.ctx), tx); m.err != nil {
			if err := d.ExecTx(bg, tx, "ROLLBACK TO "+groupSavepoint); err != nil {
				broken = err
				continue
			}
		}
		if err := d.ExecTx(bg, tx, "RELEASE "+groupSavepoint); err != nil {
			broken = err
		}
	}
	if broken == nil {
		broken = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if broken == nil {
		return
	}
	for _, m := range batch {
		if m.err == nil && m.panic == nil {
			m.err = fmt.Errorf("db: commit a group of %d transactions: %w", len(batch), broken)
		}
	}
}
