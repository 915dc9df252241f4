package ticket_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/auth"
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
