package ticket_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestTxHooksSeeEveryChangeInsideItsTransaction: a hook is handed each change's events,
// stamped with the ticket, inside the change's transaction; when it fails, the change and its
// events are gone.
func TestTxHooksSeeEveryChangeInsideItsTransaction(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var seen []string
		fail := false
		e.svc.OnEventsTx(func(ctx context.Context, tx bun.Tx, events []event.Event) error {
			for _, ev := range events {
				if ev.Ticket.ID == 0 || ev.Ticket.Reference == "" {
					t.Errorf("%s reached the hook without its ticket: %+v", ev.Name, ev.Ticket)
				}
				seen = append(seen, ev.Name)
			}
			if fail {
				return errors.New("hook refused")
			}
			return nil
		})
		customer, agent := e.user("customer"), e.user("agent")
		tk := e.open(customer, "Hooked")
		if _, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, "high"); err != nil {
			t.Fatal(err)
		}
		want := []string{"TicketCreated", "TicketPriorityChanged", "TicketUpdated"}
		if !slices.Equal(seen, want) {
			t.Fatalf("hook saw %v, want %v", seen, want)
		}

		fail, seen = true, nil
		published := e.events.len()
		if _, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, "urgent"); err == nil {
			t.Fatal("a failing hook did not fail the change")
		}
		if got := e.count(`SELECT count(*) FROM tickets WHERE id = ? AND priority = 'high'`, tk.ID); got != 1 {
			t.Fatal("the change was kept although its hook failed")
		}
		if e.events.len() != published {
			t.Fatal("events were published for a change that rolled back")
		}
		if _, err := e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "S", Description: "D"}); err == nil {
			t.Fatal("a failing hook did not fail the create")
		}
	})
}
