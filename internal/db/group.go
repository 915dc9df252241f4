package db

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

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
// There is no goroutine of its own: the first caller leads, running groups until it has run
// its own, then hands the lead to the first waiting caller.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*txMember
	leading bool
	// maxGroup bounds the members of one transaction, so one commit does not grow without
	// bound under a flood.
	maxGroup int
	// groups and grouped count the transactions run and their members (for tests).
	groups, grouped int
}

type txMember struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx bun.Tx) error
	err   error
	panic any    // what fn panicked with, re-raised in its caller
	stack []byte // where it panicked
	wake  chan bool
}

// groupSavepoint is the savepoint each member runs in. Members run one at a time and each
// releases it before the next, so one name serves them all.
const groupSavepoint = "escalated_group_member"

func newGroupCommit() *groupCommit { return &groupCommit{maxGroup: 64} }

// run runs fn in a write transaction shared with whichever other calls are waiting, and
// returns fn's error, or the error that kept the transaction from committing.
func (g *groupCommit) run(ctx context.Context, d *DB, fn func(ctx context.Context, tx bun.Tx) error) error {
	m := &txMember{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, m)
	if g.leading {
		g.mu.Unlock()
		if lead := <-m.wake; !lead {
			return m.result()
		}
	} else {
		g.leading = true
		g.mu.Unlock()
	}
	// m leads: it is the first in the queue, so the group it takes holds it.
	g.mu.Lock()
	n := min(len(g.queue), g.maxGroup)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.groups++
	g.grouped += n
	g.mu.Unlock()
	finished := false
	defer func() {
		if !finished {
			// Unwinding from a panic outside the members' own code: nothing was
			// committed, and no member may take that for success.
			for _, o := range batch {
				if o.err == nil && o.panic == nil {
					o.err = fmt.Errorf("db: a group of %d transactions was aborted", len(batch))
				}
			}
		}
		g.mu.Lock()
		if len(g.queue) > 0 {
			g.queue[0].wake <- true
		} else {
			g.leading = false
			g.queue = nil
		}
		g.mu.Unlock()
		for _, o := range batch {
			if o != m {
				o.wake <- false
			}
		}
	}()
	if len(batch) == 1 {
		m.err = m.solo(d.W)
	} else {
		d.commitGroup(batch)
	}
	finished = true
	return m.result()
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

// solo runs the leader alone in its own transaction, as the writer would without grouping:
// its context may interrupt it, since there is nobody else's work to undo, and a panic
// rolls back and unwinds the leader's own stack.
func (m *txMember) solo(w *bun.DB) error {
	tx, err := w.BeginTx(m.ctx, nil)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := m.fn(m.ctx, tx); err != nil {
		return err
	}
	done = true
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
