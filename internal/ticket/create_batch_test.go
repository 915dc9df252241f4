package ticket_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// gate holds the batch writer inside its first ticket's transaction (an OnEventsTx hook), so
// the creates that come meanwhile queue up and are written together once it opens.
type gate struct {
	once    sync.Once
	entered chan struct{}
	open    chan struct{}
}

func holdFirstCreate(e *env) *gate {
	g := &gate{entered: make(chan struct{}), open: make(chan struct{})}
	e.svc.OnEventsTx(func(ctx context.Context, tx bun.Tx, events []event.Event) error {
		first := false
		g.once.Do(func() { first = true })
		if first {
			close(g.entered)
			<-g.open
		}
		return nil
	})
	return g
}

// waitQueued waits until n creates wait for their batch (the goroutines started them).
func waitQueued(t *testing.T, e *env, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); e.svc.CreatesWaiting() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d creates queued, want %d", e.svc.CreatesWaiting(), n)
		}
		time.Sleep(time.Millisecond) // waiting for other goroutines, not for a clock
	}
}

type created struct {
	t   *ticket.Ticket
	err error
}

// createAll starts one create per input, and returns their outcomes once all are done.
func createAll(e *env, actor *auth.Actor, ins []ticket.CreateInput, ctxs ...context.Context) func() []created {
	out := make([]created, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		ctx := e.ctx
		if i < len(ctxs) {
			ctx = ctxs[i]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].t, out[i].err = e.svc.Create(ctx, actor, in)
		}()
	}
	return func() []created { wg.Wait(); return out }
}

// TestCreatesArrivingTogetherAreWrittenTogether: creates that come while a batch is being
// written go in the next batch, and each ticket there is what Create writes alone: its own id
// and reference, its audit row, its hooks and its events.
func TestCreatesArrivingTogetherAreWrittenTogether(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		g := holdFirstCreate(e)
		first := createAll(e, customer, []ticket.CreateInput{{Subject: "First", Description: "D"}})
		<-g.entered
		var ins []ticket.CreateInput
		for i := range 10 {
			ins = append(ins, ticket.CreateInput{Subject: fmt.Sprint("Together ", i), Description: "D", Priority: "high"})
		}
		rest := createAll(e, customer, ins)
		waitQueued(t, e, len(ins))
		close(g.open)
		all := append(first(), rest()...)

		refs := map[string]bool{}
		for _, c := range all {
			if c.err != nil {
				t.Fatal(c.err)
			}
			if c.t.ID == 0 || refs[c.t.Reference] || c.t.Reference != fmt.Sprintf("ESC-%05d", c.t.ID) {
				t.Fatalf("ticket %d has reference %q (seen: %v)", c.t.ID, c.t.Reference, refs[c.t.Reference])
			}
			refs[c.t.Reference] = true
			if got := e.count(`SELECT count(*) FROM tickets WHERE id = ? AND subject = ? AND reference = ? AND requester_id = ?`,
				c.t.ID, c.t.Subject, c.t.Reference, customer.UserID); got != 1 {
				t.Fatalf("ticket %d was not stored as returned", c.t.ID)
			}
			if got := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.created' AND resource_id = ?`, c.t.ID); got != 1 {
				t.Fatalf("ticket %d has %d audit rows", c.t.ID, got)
			}
			if names := e.events.names(c.t.ID); len(names) != 1 || names[0] != event.TicketCreated {
				t.Fatalf("ticket %d published %v", c.t.ID, names)
			}
		}
		if batches, largest := e.svc.CreateBatches(); batches != 2 || largest != len(ins) {
			t.Fatalf("%d batches, largest %d; want 2, the second of %d", batches, largest, len(ins))
		}

		// The queue counts and finds a batch's tickets (on PostgreSQL one trigger call writes
		// the whole batch's search rows and counts), and forgets them when they go together.
		agent := e.user("agent")
		e.checkCounts("after a batch", []*auth.Actor{agent}, nil)
		if _, err := ticket.IndexSearch(e.ctx, e.db); err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.List(e.ctx, agent, ticket.Filter{Search: "together"})
		if err != nil || p.Total != len(ins) {
			t.Fatalf("search for the batch: %v, %v", p, err)
		}
		if _, err := e.db.W.ExecContext(e.ctx, `DELETE FROM tickets WHERE subject LIKE 'Together%'`); err != nil {
			t.Fatal(err)
		}
		e.checkCounts("after deleting the batch", []*auth.Actor{agent}, nil)
		if p, err := e.svc.List(e.ctx, agent, ticket.Filter{Search: "together"}); err != nil || p.Total != 0 {
			t.Fatalf("search after deleting the batch: %v, %v", p, err)
		}
	})
}

// TestABadCreateDoesNotFailItsBatch: a create naming a department deleted after it was
// queued fails the batch it is in; the others are then made on their own and succeed, and the
// bad one gets the error naming its field, as it would alone. A create whose caller gave up
// before its batch was written is not made. A create naming a department that does not exist
// is not batched at all.
func TestABadCreateDoesNotFailItsBatch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		dept, other := e.department("Closing down"), e.department("Staying")
		// The desk learns which departments exist, then one goes (the fake clock stands
		// still, so the desk still takes it for existing).
		if _, err := e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "Warm", Description: "D", DepartmentID: &other}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.W.ExecContext(e.ctx, `DELETE FROM departments WHERE id = ?`, dept); err != nil {
			t.Fatal(err)
		}
		g := holdFirstCreate(e)
		first := createAll(e, customer, []ticket.CreateInput{{Subject: "First", Description: "D"}})
		<-g.entered
		gone, cancel := context.WithCancel(e.ctx)
		ins := []ticket.CreateInput{
			{Subject: "Gave up", Description: "D"},
			{Subject: "Good 1", Description: "D"},
			{Subject: "Bad", Description: "D", DepartmentID: &dept},
			{Subject: "Good 2", Description: "D"},
		}
		rest := createAll(e, customer, ins, gone)
		waitQueued(t, e, len(ins))
		cancel()
		close(g.open)
		first()
		out := rest()

		if !errors.Is(out[0].err, context.Canceled) || e.count(`SELECT count(*) FROM tickets WHERE subject = 'Gave up'`) != 0 {
			t.Fatalf("the abandoned create: %v", out[0].err)
		}
		checkDepartmentError(t, out[2].err)
		for _, i := range []int{1, 3} {
			if out[i].err != nil {
				t.Fatalf("%s failed with its batch: %v", ins[i].Subject, out[i].err)
			}
			if got := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.created' AND resource_id = ?`, out[i].t.ID); got != 1 {
				t.Fatalf("%s has %d audit rows", ins[i].Subject, got)
			}
		}
		if got := e.count(`SELECT count(*) FROM tickets`); got != 4 {
			t.Fatalf("%d tickets, want the warm-up, the first and the two good ones", got)
		}
		if got := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.created'`); got != 4 {
			t.Fatalf("%d creation audit rows, want 4", got)
		}

		batches, largest := e.svc.CreateBatches()
		if largest != len(ins) {
			t.Fatalf("the largest batch held %d creates, want the %d queued together", largest, len(ins))
		}
		missing := int64(987654)
		_, err := e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "Nowhere", Description: "D", DepartmentID: &missing})
		checkDepartmentError(t, err)
		if after, _ := e.svc.CreateBatches(); after != batches {
			t.Fatal("a create naming a department that does not exist went into a batch")
		}
	})
}

func checkDepartmentError(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindValidation || len(ae.Fields["department_id"]) == 0 {
		t.Fatalf("%v, want a validation error on department_id", err)
	}
}

// TestAPanickingHookDoesNotTakeDownItsBatch: a hook that panics on one ticket of a batch
// fails the batch, not the process; the others are made alone and succeed, and the panic is
// raised again in the caller of the create it belongs to, where the web layer's recoverer
// turns it into that request's 500.
func TestAPanickingHookDoesNotTakeDownItsBatch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		g := holdFirstCreate(e)
		e.svc.OnEventsTx(func(ctx context.Context, tx bun.Tx, events []event.Event) error {
			for _, ev := range events {
				if ev.Ticket.Subject == "Boom" {
					panic("hook exploded")
				}
			}
			return nil
		})
		first := createAll(e, customer, []ticket.CreateInput{{Subject: "First", Description: "D"}})
		<-g.entered
		panicked := make(chan any, 1)
		var ok created
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer func() { panicked <- recover() }()
			_, _ = e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "Boom", Description: "D"})
		}()
		go func() {
			defer wg.Done()
			ok.t, ok.err = e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "Fine", Description: "D"})
		}()
		waitQueued(t, e, 2)
		close(g.open)
		first()
		wg.Wait()
		if p := <-panicked; p == nil {
			t.Fatal("the panic did not reach the caller of its create")
		}
		if ok.err != nil {
			t.Fatalf("the other create of the batch failed: %v", ok.err)
		}
		if got := e.count(`SELECT count(*) FROM tickets WHERE subject IN ('First', 'Fine')`); got != 2 {
			t.Fatalf("%d tickets, want First and Fine", got)
		}
		if got := e.count(`SELECT count(*) FROM tickets WHERE subject = 'Boom'`); got != 0 {
			t.Fatal("the ticket whose hook panicked was kept")
		}
	})
}
