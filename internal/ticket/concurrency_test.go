package ticket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestConcurrentChangesToOneTicket: eight agents work one ticket at once, each assigning it to
// themselves, changing its priority, tagging it and adding a note. Every change must land:
// no lost update, one timeline entry and one audit row per change, and a final state equal to
// the last write of each field.
func TestConcurrentChangesToOneTicket(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 8
		customer := e.user("customer")
		tk := e.open(customer, "Busy ticket")
		agents := make([]*auth.Actor, n)
		tags := make([]int64, n)
		for i := range agents {
			agents[i] = e.user("agent")
			tags[i] = e.tag(fmt.Sprintf("t%d", i))
		}

		var wg sync.WaitGroup
		errs := make(chan error, 4*n)
		for i, a := range agents {
			wg.Add(4)
			go func() {
				defer wg.Done()
				_, err := e.svc.Assign(e.ctx, a, tk.ID, &a.UserID)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := e.svc.ChangePriority(e.ctx, a, tk.ID, ticket.Priorities[i%len(ticket.Priorities)])
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := e.svc.AddTags(e.ctx, a, tk.ID, []int64{tags[i]})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := e.svc.Reply(e.ctx, a, tk.ID, ticket.ReplyInput{Body: fmt.Sprintf("note %d", i), IsInternalNote: true})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}

		d, err := e.svc.Get(e.ctx, agents[0], tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Replies) != n || len(d.Tags) != n {
			t.Fatalf("%d notes and %d tags, want %d of each", len(d.Replies), len(d.Tags), n)
		}
		count := map[string]int{}
		lastAssignee, lastPriority := int64(0), "medium"
		for _, a := range d.Activities {
			count[a.Type]++
			props := map[string]any{}
			if err := json.Unmarshal(a.Properties, &props); err != nil {
				t.Fatal(err)
			}
			switch a.Type {
			case "assigned":
				lastAssignee = int64(props["agent_id"].(float64))
			case "priority_changed":
				if props["from"] != lastPriority {
					t.Fatalf("priority changed from %v, but the previous change left %s: a lost update", props["from"], lastPriority)
				}
				lastPriority = props["to"].(string)
			}
		}
		// Every agent assigns to themselves, so every assignment is a change.
		if count["assigned"] != n || count["tag_added"] != n || count["note_added"] != n {
			t.Fatalf("activities %v, want %d assigned, tag_added and note_added", count, n)
		}
		if d.AssignedTo == nil || *d.AssignedTo != lastAssignee || d.Priority != lastPriority {
			t.Fatalf("final assignee %v priority %s, but the last changes were %d and %s", d.AssignedTo, d.Priority, lastAssignee, lastPriority)
		}
		changes := len(d.Activities)
		if audits := len(e.audits(tk.ID)) - 1; audits != changes {
			t.Fatalf("%d audit rows for %d changes", audits, changes)
		}
		names := e.events.names(tk.ID)
		for name, want := range map[string]int{"TicketAssigned": n, "TagAdded": n, "InternalNoteAdded": n, "TicketPriorityChanged": count["priority_changed"]} {
			if got := countOf(names, name); got != want {
				t.Fatalf("%d %s events, want %d", got, name, want)
			}
		}
		if !slices.Contains(names, "TicketCreated") {
			t.Fatal("no TicketCreated event")
		}
	})
}

func countOf(list []string, v string) int {
	n := 0
	for _, x := range list {
		if x == v {
			n++
		}
	}
	return n
}

// TestConcurrentCreatesSomeFailing: 32 tickets are created at once, and every other one fails
// late in its transaction (a transaction hook refuses it after the ticket and its audit row
// are written). On SQLite the creates share commits (group commit): a failure must undo only
// its own ticket, every success must be committed with its audit row and publish its event,
// and no failure may publish anything.
func TestConcurrentCreatesSomeFailing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 32
		refused := errors.New("refused by the hook")
		e.svc.OnEventsTx(func(ctx context.Context, tx bun.Tx, events []event.Event) error {
			if strings.HasPrefix(events[0].Ticket.Subject, "fail") {
				return refused
			}
			return nil
		})
		customers := make([]*auth.Actor, n)
		for i := range customers {
			customers[i] = e.user("customer")
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		got := make([]*ticket.Ticket, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				subject := fmt.Sprintf("ok %d", i)
				if i%2 == 1 {
					subject = fmt.Sprintf("fail %d", i)
				}
				got[i], errs[i] = e.svc.Create(e.ctx, customers[i], ticket.CreateInput{Subject: subject, Description: "d"})
			}()
		}
		wg.Wait()
		refs := map[string]bool{}
		for i := range n {
			if i%2 == 1 {
				if !errors.Is(errs[i], refused) {
					t.Errorf("create %d: %v, want the hook's error", i, errs[i])
				}
				if c := e.count(`SELECT count(*) FROM tickets WHERE subject = ?`, fmt.Sprintf("fail %d", i)); c != 0 {
					t.Errorf("refused create %d left %d tickets", i, c)
				}
				continue
			}
			if errs[i] != nil {
				t.Fatalf("create %d: %v", i, errs[i])
			}
			tk := got[i]
			if refs[tk.Reference] {
				t.Errorf("reference %s handed out twice", tk.Reference)
			}
			refs[tk.Reference] = true
			if c := e.count(`SELECT count(*) FROM tickets WHERE id = ? AND subject = ? AND reference = ?`, tk.ID, tk.Subject, tk.Reference); c != 1 {
				t.Errorf("ticket %d (%s) not committed as returned", tk.ID, tk.Subject)
			}
			if a := e.audits(tk.ID); !slices.Equal(a, []string{"ticket.created"}) {
				t.Errorf("ticket %d audits %v", tk.ID, a)
			}
			if ev := e.events.names(tk.ID); !slices.Equal(ev, []string{event.TicketCreated}) {
				t.Errorf("ticket %d events %v", tk.ID, ev)
			}
		}
		if c := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'ticket.created'`); c != n/2 {
			t.Errorf("%d ticket.created audit rows, want %d", c, n/2)
		}
		if c := e.events.len(); c != n/2 {
			t.Errorf("%d events published, want %d", c, n/2)
		}
	})
}
