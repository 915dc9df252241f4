package ticket

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/event"
)

// createBatches gathers the plain ticket creates that arrive while others are being written
// and writes them together: one transaction, one query for their ids, one statement for the
// tickets and their audit rows. A create on its own costs the database a transaction, a
// commit and several statements, each far dearer than the rows themselves (measured on
// PostgreSQL: about 1.2 ms of server time per create one by one under load, 38 µs per ticket
// in a multi-row insert), so under load most of a create's cost is shared.
//
// Every ticket of a batch is written, audited, hooked (OnEventsTx) and published as Create
// writes it alone; the batch commits all of them or none. When a batch fails (a department
// deleted meanwhile, say), each of its creates is made again on its own, so each gets its
// own answer and nobody's ticket fails for somebody else's.
//
// One goroutine at a time writes batches, started by the create that finds none running and
// ending when nothing waits. (Two at a time, so that one batch could be written while the
// other's commit was being flushed, made batches smaller and measured 3–15 % fewer creates a
// second on PostgreSQL, and no more on SQLite, whose one writer serialises them anyway.)
type createBatches struct {
	mu      sync.Mutex
	queue   []*pendingCreate
	writing bool
	// batches and largest count the batches written and the most creates one held (for
	// tests).
	batches, largest int
	// departments holds the ids of the departments (see knownDepartment).
	departments cache.Loaded[map[int64]bool]
}

// maxCreateBatch bounds the tickets of one batch, so one transaction does not grow without
// bound under a flood.
const maxCreateBatch = 64

// pendingCreate is one create waiting in a batch.
type pendingCreate struct {
	ctx    context.Context
	t      *Ticket
	c      *change
	entry  audit.Entry // its audit entry, but for the ticket's id
	prefix string      // the ticket reference prefix
	err    error
	done   chan struct{}
}

// knownDepartment reports whether id names a department, from the ids kept for cache.TTL.
// A create naming one not known is made alone, which names the field when the department does
// not exist, so a client sending bad ids does not fail the batches of others. (A department
// created in the last moments is made alone too; one deleted in them fails its batch on the
// foreign key, and its creates are then made alone.)
func (s *Service) knownDepartment(ctx context.Context, id int64) bool {
	known, err := s.creates.departments.Get(ctx, s.clock.Now(), func(ctx context.Context) (map[int64]bool, error) {
		var ids []int64
		if err := s.db.R.NewRaw(`SELECT id FROM departments`).Scan(ctx, &ids); err != nil {
			return nil, fmt.Errorf("ticket: department ids: %w", err)
		}
		known := make(map[int64]bool, len(ids))
		for _, id := range ids {
			known[id] = true
		}
		return known, nil
	})
	return err == nil && known[id]
}

// errCreateAlone is a batch's answer to a create that must be made again on its own.
var errCreateAlone = errors.New("ticket: the batch failed; create alone")

// createBatched writes t, made by the change c, in a batch with the creates that arrive with
// it. errCreateAlone says the batch failed and nothing of t was written.
func (s *Service) createBatched(ctx context.Context, t *Ticket, c *change, prefix string) error {
	// What needs neither the id nor the transaction is done here, on the caller's goroutine,
	// so that the one goroutine writing batches does only what must be done one at a time.
	// The SLA policies are read outside the transaction (they are cached); one deleted
	// meanwhile fails the batch on its foreign key, and the create made alone then picks again.
	if err := s.trackSLA(ctx, s.db.R, nil, t, c.now); err != nil {
		return err
	}
	c.emit(event.TicketCreated, map[string]any{"channel": t.Channel})
	p := &pendingCreate{ctx: ctx, t: t, c: c, entry: createdEntry(t, c), prefix: prefix, done: make(chan struct{})}
	b := &s.creates
	b.mu.Lock()
	b.queue = append(b.queue, p)
	if !b.writing {
		b.writing = true
		go s.writeCreates()
	}
	b.mu.Unlock()
	<-p.done
	return p.err
}

// writeCreates writes the waiting creates, a batch at a time, until none waits. After a
// batch, when fewer than lingerBelow creates wait, it gives the others lingerFor to arrive:
// on SQLite a commit costs as much as the rows of several creates (each table and index a
// batch touches is a page appended to the log), so under load a batch a moment later and
// larger costs less (measured: about 10 % more creates a second at concurrency 16). The
// first batch, and so a create on a quiet desk, does not wait.
func (s *Service) writeCreates() {
	b := &s.creates
	for first := true; ; first = false {
		b.mu.Lock()
		if !first && len(b.queue) < lingerBelow {
			b.mu.Unlock()
			time.Sleep(lingerFor)
			b.mu.Lock()
		}
		n := min(len(b.queue), maxCreateBatch)
		if n == 0 {
			b.writing = false
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		if len(b.queue) == 0 {
			b.queue = nil // let the backing array go
		}
		b.batches++
		b.largest = max(b.largest, n)
		b.mu.Unlock()
		s.writeBatch(batch)
	}
}

const (
	lingerBelow = 4
	lingerFor   = 300 * time.Microsecond
)

// writeBatch writes the creates of batch whose callers still wait, in one transaction, and
// lets each caller go.
func (s *Service) writeBatch(batch []*pendingCreate) {
	live := batch[:0:0]
	for _, p := range batch {
		if p.err = p.ctx.Err(); p.err == nil {
			live = append(live, p)
		}
	}
	defer func() {
		for _, p := range batch {
			close(p.done)
		}
	}()
	if len(live) == 0 {
		return
	}
	err := s.db.InTx(context.WithoutCancel(live[0].ctx), func(ctx context.Context, tx bun.Tx) (err error) {
		// A hook's panic fails the batch rather than the process: each create is then made
		// alone, on its caller's goroutine, where the panic is the request's.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("ticket: a batch of creates panicked: %v", p)
			}
		}()
		return s.insertBatch(ctx, tx, live)
	})
	if err != nil {
		for _, p := range live {
			p.err = errCreateAlone
		}
	}
}

// insertBatch writes the tickets of live, their audit rows and their hooks' work in tx.
func (s *Service) insertBatch(ctx context.Context, tx bun.Tx, live []*pendingCreate) error {
	ids, err := s.db.NextIDs(ctx, tx, "tickets", len(live))
	if err != nil {
		return fmt.Errorf("ticket: insert: %w", err)
	}
	rows := make([]any, 2*len(live))
	for i, p := range live {
		p.t.ID, p.t.Reference = ids[i], reference(p.prefix, ids[i])
		p.entry.ResourceID = &p.t.ID
		rows[i], rows[len(live)+i] = p.t, &p.entry
	}
	if err := s.db.InsertRows(ctx, tx, rows...); err != nil {
		return fmt.Errorf("ticket: insert: %w", err)
	}
	for _, p := range live {
		if err := s.runTxHooks(context.WithoutCancel(p.ctx), tx, p.t, p.c); err != nil {
			return err
		}
	}
	return nil
}

// reference is a ticket's reference: the prefix and the zero-padded id.
func reference(prefix string, id int64) string { return fmt.Sprintf("%s-%05d", prefix, id) }

// createdEntry is the audit entry of a new ticket.
func createdEntry(t *Ticket, c *change) audit.Entry {
	return audit.Entries([]audit.Change{{Actor: c.actor, Action: "ticket.created", ResourceType: "ticket", ResourceID: t.ID, New: map[string]any{
		"subject": t.Subject, "status": t.Status, "priority": t.Priority, "department_id": t.DepartmentID,
	}, At: c.now}})[0]
}
