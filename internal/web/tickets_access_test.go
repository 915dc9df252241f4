package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestCustomerCannotReachAnotherCustomersTicket(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		alice, bob := d.User("customer"), d.User("customer")
		mine := open(alice, "Alice's own")
		theirs := open(bob, "Bob's private")
		move(d.User("agent"), theirs, "resolved")
		events := len(d.Events.Names(theirs.ID))

		for _, key := range []string{theirs.Ref, fmt.Sprint(theirs.ID), strings.ToLower(theirs.Ref)} {
			alice.Do("GET", "/tickets/"+key, nil).Want(404)
			alice.Do("POST", "/tickets/"+key+"/reply", map[string]any{"body": "Let me in"}).Want(404)
			alice.Do("POST", "/tickets/"+key+"/close", nil).Want(404)
			alice.Do("POST", "/tickets/"+key+"/reopen", nil).Want(404)
		}
		for _, query := range []string{"", "?search=" + theirs.Ref, "?search=Bob", "?status=resolved", "?per_page=100"} {
			got, total := listSubjects(alice.Do("GET", "/tickets"+query, nil))
			if slices.Contains(got, "Bob's private") {
				t.Fatalf("GET /tickets%s shows Bob's ticket to Alice: %v (total %d)", query, got, total)
			}
		}
		if got, total := listSubjects(alice.Do("GET", "/tickets", nil)); !slices.Equal(got, []string{"Alice's own"}) || total != 1 {
			t.Fatalf("Alice's list = %v (total %d)", got, total)
		}
		// Customers are not staff: the agent routes are closed to them.
		alice.Do("GET", "/agent/tickets", nil).Want(403)
		alice.Do("GET", "/agent/tickets/"+mine.Ref, nil).Want(403)
		alice.Do("POST", "/agent/tickets/"+mine.Ref+"/note", map[string]any{"body": "x"}).Want(403)

		shown := bob.Do("GET", theirs.own(""), nil).Want(200).Data()
		if shown["status"] != "resolved" || len(shown["replies"].([]any)) != 0 || len(d.Events.Names(theirs.ID)) != events {
			t.Fatalf("Alice's attempts changed Bob's ticket: %v", shown)
		}
	})
}

func TestCustomerCloseFollowsTheSetting(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, admin := d.User("customer"), d.User("admin")
		first, second := open(customer, "First"), open(customer, "Second")

		closed := customer.Do("POST", first.own("/close"), nil).Want(200).Data()
		if closed["status"] != "closed" || closed["closed_at"] == nil {
			t.Fatalf("customer close = %v", closed)
		}
		customer.Do("POST", first.own("/close"), nil).Want(409)
		if got := activityTypes(admin, first); !slices.Equal(got, []string{"closed"}) {
			t.Fatalf("activities = %v", got)
		}

		admin.Do("POST", "/admin/settings", map[string]any{"allow_customer_close": false}).Want(200)
		customer.Do("POST", second.own("/close"), nil).Want(403)
		if got := admin.Do("GET", second.path(""), nil).Want(200).Data()["status"]; got != "open" {
			t.Fatalf("refused close left status %v", got)
		}
		// Staff still close, whatever the customer setting says.
		move(admin, second, "closed")
	})
}

func TestCustomerReopensOnlySolvedTickets(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		for _, from := range []string{"open", "in_progress", "waiting_on_customer", "escalated"} {
			tk := open(customer, "Not solved: "+from)
			if from != "open" {
				move(agent, tk, from)
			}
			customer.Do("POST", tk.own("/reopen"), nil).Want(409)
		}
		for _, path := range [][]string{{"resolved"}, {"closed"}, {"resolved", "closed"}} {
			tk := open(customer, "Solved: "+strings.Join(path, ","))
			move(agent, tk, path...)
			got := customer.Do("POST", tk.own("/reopen"), nil).Want(200).Data()
			if got["status"] != "reopened" || got["resolved_at"] != nil || got["closed_at"] != nil {
				t.Fatalf("reopen after %v = %v", path, got)
			}
			customer.Do("POST", tk.own("/reopen"), nil).Want(409)
			if types := activityTypes(agent, tk); types[len(types)-1] != "reopened" {
				t.Fatalf("activities = %v", types)
			}
			names := d.Events.Names(tk.ID)
			if !slices.Equal(names[len(names)-3:], []string{"TicketStatusChanged", "TicketReopened", "TicketUpdated"}) {
				t.Fatalf("events = %v", names)
			}
		}
	})
}

func TestCustomerReplyMovesTheTicket(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent, admin := d.User("customer"), d.User("agent"), d.User("admin")
		status := func(tk ticket) any { return agent.Do("GET", tk.path(""), nil).Want(200).Data()["status"] }

		waiting := open(customer, "Waiting")
		move(agent, waiting, "waiting_on_customer")
		customer.Do("POST", waiting.own("/reply"), map[string]any{"body": "Here you go"}).Want(201)
		if got := status(waiting); got != "waiting_on_agent" {
			t.Fatalf("after the customer's reply: %v, want waiting_on_agent", got)
		}
		if got := activityTypes(agent, waiting); !slices.Equal(got, []string{"status_changed", "replied", "status_changed"}) {
			t.Fatalf("activities = %v", got)
		}

		resolved := open(customer, "Resolved")
		move(agent, resolved, "resolved")
		customer.Do("POST", resolved.own("/reply"), map[string]any{"body": "Not fixed"}).Want(201)
		detail := agent.Do("GET", resolved.path(""), nil).Want(200).Data()
		if detail["status"] != "reopened" || detail["resolved_at"] != nil {
			t.Fatalf("after a reply to a resolved ticket: %v", detail)
		}
		names := d.Events.Names(resolved.ID)
		if !slices.Equal(names[len(names)-4:], []string{"ReplyCreated", "TicketStatusChanged", "TicketReopened", "TicketUpdated"}) {
			t.Fatalf("events = %v", names)
		}

		// An agent's reply moves nothing.
		move(agent, resolved, "waiting_on_customer")
		agent.Do("POST", resolved.path("/reply"), map[string]any{"body": "Try again"}).Want(201)
		if got := status(resolved); got != "waiting_on_customer" {
			t.Fatalf("agent reply moved the ticket to %v", got)
		}

		admin.Do("POST", "/admin/settings", map[string]any{"reopen_on_customer_reply": false}).Want(200)
		quiet := open(customer, "Stays resolved")
		move(agent, quiet, "resolved")
		customer.Do("POST", quiet.own("/reply"), map[string]any{"body": "Thanks!"}).Want(201)
		if got := status(quiet); got != "resolved" {
			t.Fatalf("with reopen_on_customer_reply off the reply moved the ticket to %v", got)
		}
	})
}

func TestCustomersNeverSeeNotesOrActivities(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Private notes")
		agent.Do("POST", tk.path("/note"), map[string]any{"body": "SECRET-NOTE"}).Want(201)
		agent.Do("POST", tk.path("/reply"), map[string]any{"body": "Public answer"}).Want(201)
		move(agent, tk, "in_progress")

		for _, r := range []*testdesk.Response{
			customer.Do("GET", tk.own(""), nil).Want(200),
			customer.Do("GET", "/tickets", nil).Want(200),
			customer.Do("GET", "/tickets?search=Private", nil).Want(200),
		} {
			if strings.Contains(string(r.Body), "SECRET-NOTE") {
				t.Fatalf("customer sees the note: %s", r.Body)
			}
		}
		shown := customer.Do("GET", tk.own(""), nil).Data()
		if replies := shown["replies"].([]any); len(replies) != 1 || replies[0].(map[string]any)["is_internal_note"] != false {
			t.Fatalf("customer replies = %v", replies)
		}
		if acts := shown["activities"].([]any); len(acts) != 0 {
			t.Fatalf("customer sees activities %v", acts)
		}
		// A customer cannot smuggle a note in through the reply form.
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": "x", "is_internal_note": true}).Want(422).FieldError("is_internal_note")
	})
}

func TestLightAgentNotesButDoesNotReply(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, light := d.User("customer"), d.User("light_agent")
		tk := open(customer, "Light touch")
		light.Do("POST", tk.path("/reply"), map[string]any{"body": "Public"}).Want(403)
		light.Do("POST", tk.path("/note"), map[string]any{"body": "Internal"}).Want(201)
		light.Do("GET", "/agent/tickets", nil).Want(200)
		light.Do("POST", tk.path("/assign"), map[string]any{"agent_id": light.ID}).Want(403)
		light.Do("POST", tk.path("/priority"), map[string]any{"priority": "high"}).Want(403)
		light.Do("POST", tk.path("/status"), map[string]any{"status": "in_progress"}).Want(403)
		if got := activityTypes(light, tk); !slices.Equal(got, []string{"note_added"}) {
			t.Fatalf("activities = %v", got)
		}
		if got := d.Events.Names(tk.ID); !slices.Equal(got, []string{"TicketCreated", "InternalNoteAdded"}) {
			t.Fatalf("events = %v", got)
		}
	})
}

func TestAgentWithoutTicketView(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer := d.User("customer")
		noview := d.User(d.Role("noview", "reply.create"))
		tk := open(customer, "Hidden")
		noview.Do("GET", "/agent/tickets", nil).Want(403)
		noview.Do("GET", "/agent", nil).Want(403)
		noview.Do("GET", "/agent/tickets/dashboard", nil).Want(403)
		noview.Do("GET", tk.path(""), nil).Want(403)
		// The route lets reply.create through; the service still hides the ticket.
		noview.Do("POST", tk.path("/reply"), map[string]any{"body": "Hello"}).Want(404)
		noview.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "priority", "value": "high"}).Want(403)
		if got := d.Events.Names(tk.ID); !slices.Equal(got, []string{"TicketCreated"}) {
			t.Fatalf("events = %v", got)
		}
	})
}

func TestAssignValidatesTheAgent(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent, other := d.User("customer"), d.User("agent"), d.User("agent")
		tk := open(customer, "Who takes it")
		for _, id := range []int64{customer.ID, 987654, -1, 0} {
			agent.Do("POST", tk.path("/assign"), map[string]any{"agent_id": id}).Want(422).FieldError("agent_id")
		}
		agent.Do("POST", tk.path("/assign"), map[string]any{"agent_id": "x"}).Want(422).FieldError("agent_id")
		agent.Do("POST", tk.path("/assign"), map[string]any{"agent_id": 1.5}).Want(422).FieldError("agent_id")
		// Leaving agent_id out is a mistake, not a request to unassign.
		agent.Do("POST", tk.path("/assign"), map[string]any{}).Want(422).FieldError("agent_id")
		if got := d.Events.Names(tk.ID); !slices.Equal(got, []string{"TicketCreated"}) {
			t.Fatalf("refused assignments published %v", got)
		}

		got := agent.Do("POST", tk.path("/assign"), map[string]any{"agent_id": other.ID}).Want(200).Data()
		if got["assigned_to"] != float64(other.ID) {
			t.Fatalf("assigned_to = %v", got["assigned_to"])
		}
		got = agent.Do("POST", tk.path("/assign"), map[string]any{"agent_id": nil}).Want(200).Data()
		if got["assigned_to"] != nil {
			t.Fatalf("after unassign assigned_to = %v", got["assigned_to"])
		}
		acts := agent.Do("GET", tk.path(""), nil).Want(200).Data()["activities"].([]any)
		last := acts[len(acts)-1].(map[string]any)
		if last["type"] != "unassigned" || last["properties"].(map[string]any)["agent_id"] != float64(other.ID) {
			t.Fatalf("last activity = %v", last)
		}
		want := []string{"TicketCreated", "TicketAssigned", "TicketUpdated", "TicketUnassigned", "TicketUpdated"}
		if got := d.Events.Names(tk.ID); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
	})
}

func TestPriorityOverHTTP(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Priority")
		agent.Do("POST", tk.path("/priority"), map[string]any{"priority": "critical"}).Want(200)
		agent.Do("POST", tk.path("/priority"), map[string]any{"priority": "soon"}).Want(422).FieldError("priority")
		agent.Do("POST", tk.path("/priority"), map[string]any{"priority": 5}).Want(422).FieldError("priority")
		acts := agent.Do("GET", tk.path(""), nil).Want(200).Data()["activities"].([]any)
		if len(acts) != 1 || acts[0].(map[string]any)["type"] != "priority_changed" || acts[0].(map[string]any)["properties"].(map[string]any)["to"] != "critical" {
			t.Fatalf("activities = %v", acts)
		}
		if got := d.Events.Names(tk.ID); !slices.Equal(got, []string{"TicketCreated", "TicketPriorityChanged", "TicketUpdated"}) {
			t.Fatalf("events = %v", got)
		}
	})
}

func TestTagsAndDepartmentOverHTTP(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Tagged")
		vip, billing := d.tag("vip"), d.department("Billing")

		got := agent.Do("POST", tk.path("/tags"), map[string]any{"tag_ids": []int64{vip}}).Want(200).Data()
		if got["id"] != float64(tk.ID) {
			t.Fatalf("tags answer = %v", got)
		}
		agent.Do("POST", tk.path("/tags"), map[string]any{"tag_ids": []int64{vip, 999}}).Want(422).FieldError("tag_ids")
		agent.Do("POST", tk.path("/tags"), map[string]any{"tag_ids": []any{"vip"}}).Want(422).FieldError("tag_ids")
		agent.Do("POST", tk.path("/tags"), map[string]any{"tag_ids": []int64{}}).Want(422).FieldError("tag_ids")
		agent.Do("POST", tk.path("/department"), map[string]any{"department_id": billing}).Want(200)
		agent.Do("POST", tk.path("/department"), map[string]any{"department_id": 999}).Want(422).FieldError("department_id")
		agent.Do("POST", tk.path("/department"), map[string]any{}).Want(422).FieldError("department_id")
		agent.Do("DELETE", tk.path(fmt.Sprintf("/tags/%d", vip)), nil).Want(200)
		agent.Do("POST", tk.path("/department"), map[string]any{"department_id": nil}).Want(200)

		want := []string{"tag_added", "department_changed", "tag_removed", "department_changed"}
		if got := activityTypes(agent, tk); !slices.Equal(got, want) {
			t.Fatalf("activities = %v, want %v", got, want)
		}
		wantEvents := []string{"TicketCreated", "TagAdded", "TicketUpdated", "DepartmentChanged", "TicketUpdated",
			"TagRemoved", "TicketUpdated", "DepartmentChanged", "TicketUpdated"}
		if got := d.Events.Names(tk.ID); !slices.Equal(got, wantEvents) {
			t.Fatalf("events = %v, want %v", got, wantEvents)
		}
	})
}
