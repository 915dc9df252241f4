package web_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// TestAgentsChangeOneTicketAtOnce: eight agents, each in their own session, assign the same
// ticket to themselves, change its priority, tag it, reply and add a note, all at once. Every
// change lands and the final state is the last write of each field.
func TestAgentsChangeOneTicketAtOnce(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		const n = 8
		priorities := []string{"low", "medium", "high", "urgent", "critical"}
		tk := open(d.User("customer"), "Everyone at once")
		agents := make([]*testdesk.Client, n)
		tags := make([]int64, n)
		for i := range agents {
			agents[i] = d.User("agent")
			tags[i] = d.tag(fmt.Sprintf("tag-%d", i))
		}

		type result struct {
			what   string
			status int
		}
		results := make(chan result, 5*n)
		var wg sync.WaitGroup
		for i, a := range agents {
			requests := []struct {
				path string
				body any
			}{
				{"/assign", map[string]any{"agent_id": a.ID}},
				{"/priority", map[string]any{"priority": priorities[i%len(priorities)]}},
				{"/tags", map[string]any{"tag_ids": []int64{tags[i]}}},
				{"/note", map[string]any{"body": fmt.Sprintf("note %d", i)}},
				{"/reply", map[string]any{"body": fmt.Sprintf("reply %d", i)}},
			}
			for _, req := range requests {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := a.Do("POST", tk.path(req.path), req.body)
					results <- result{fmt.Sprintf("agent %d %s", i, req.path), r.Status}
				}()
			}
		}
		wg.Wait()
		close(results)
		for r := range results {
			if r.status != 200 && r.status != 201 {
				t.Fatalf("%s: status %d", r.what, r.status)
			}
		}

		detail := agents[0].Do("GET", tk.path(""), nil).Want(200).Data()
		notes, replies := 0, 0
		for _, r := range detail["replies"].([]any) {
			if r.(map[string]any)["is_internal_note"] == true {
				notes++
			} else {
				replies++
			}
		}
		if notes != n || replies != n || len(detail["tags"].([]any)) != n {
			t.Fatalf("%d notes, %d replies, %d tags; want %d of each", notes, replies, len(detail["tags"].([]any)), n)
		}
		count := map[string]int{}
		var lastAssignee any
		lastPriority := "medium"
		for _, a := range detail["activities"].([]any) {
			act := a.(map[string]any)
			props := act["properties"].(map[string]any)
			count[act["type"].(string)]++
			switch act["type"] {
			case "assigned":
				lastAssignee = props["agent_id"]
			case "priority_changed":
				if props["from"] != lastPriority {
					t.Fatalf("priority changed from %v after a change to %s: a lost update", props["from"], lastPriority)
				}
				lastPriority = props["to"].(string)
			}
		}
		for _, typ := range []string{"assigned", "tag_added", "note_added", "replied"} {
			if count[typ] != n {
				t.Fatalf("activities %v, want %d %s", count, n, typ)
			}
		}
		if detail["assigned_to"] != lastAssignee || detail["priority"] != lastPriority {
			t.Fatalf("final assignee %v priority %v; the last changes were %v and %s", detail["assigned_to"], detail["priority"], lastAssignee, lastPriority)
		}
		if detail["first_response_at"] == nil || detail["last_reply_at"] == nil {
			t.Fatalf("first_response_at %v last_reply_at %v", detail["first_response_at"], detail["last_reply_at"])
		}
		changes := len(detail["activities"].([]any))
		if audits := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ?`, tk.ID); audits != changes+1 {
			t.Fatalf("%d audit rows for %d changes and the creation", audits, changes)
		}
		events := map[string]int{}
		for _, name := range d.Events.Names(tk.ID) {
			events[name]++
		}
		for name, want := range map[string]int{"TicketAssigned": n, "TagAdded": n, "InternalNoteAdded": n, "ReplyCreated": n,
			"TicketPriorityChanged": count["priority_changed"]} {
			if events[name] != want {
				t.Fatalf("events %v, want %d %s", events, want, name)
			}
		}
	})
}
