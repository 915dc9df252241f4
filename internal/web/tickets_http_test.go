package web_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestCustomerOpensTicketAndAgentWorksIt(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer := d.User("customer")
		agent := d.User("agent")

		created := customer.Do("POST", "/tickets", map[string]any{
			"subject": "Printer on fire", "description": "It is smoking.", "priority": "high",
		}).Want(201).Data()
		ref := created["reference"].(string)
		id := int64(created["id"].(float64))
		if want := fmt.Sprintf("ESC-%05d", id); ref != want {
			t.Fatalf("reference = %q, want %q", ref, want)
		}
		if created["status"] != "open" || created["priority"] != "high" {
			t.Fatalf("new ticket = %v", created)
		}

		queue := agent.Do("GET", "/agent/tickets?status=open&priority=high", nil).Want(200).JSON()
		if queue["total"].(float64) != 1 {
			t.Fatalf("queue total = %v, want 1", queue["total"])
		}

		agent.Do("POST", "/agent/tickets/"+ref+"/assign", map[string]any{"agent_id": agent.ID}).Want(200)
		agent.Do("POST", "/agent/tickets/"+ref+"/reply", map[string]any{"body": "We are on it."}).Want(201)
		agent.Do("POST", "/agent/tickets/"+ref+"/note", map[string]any{"body": "Call facilities."}).Want(201)
		agent.Do("POST", "/agent/tickets/"+ref+"/status", map[string]any{"status": "waiting_on_customer"}).Want(200)

		// The customer sees the public reply, not the note, and their reply hands the ticket back.
		shown := customer.Do("GET", "/tickets/"+ref, nil).Want(200).Data()
		replies := shown["replies"].([]any)
		if len(replies) != 1 || replies[0].(map[string]any)["body"] != "We are on it." {
			t.Fatalf("customer sees replies %v", replies)
		}
		customer.Do("POST", "/tickets/"+ref+"/reply", map[string]any{"body": "Still smoking."}).Want(201)

		detail := agent.Do("GET", "/agent/tickets/"+ref, nil).Want(200).Data()
		if detail["status"] != "waiting_on_agent" {
			t.Fatalf("status after customer reply = %v, want waiting_on_agent", detail["status"])
		}
		if detail["first_response_at"] == nil {
			t.Fatal("first_response_at not set by the agent's public reply")
		}
		var types []string
		for _, a := range detail["activities"].([]any) {
			types = append(types, a.(map[string]any)["type"].(string))
		}
		want := []string{"assigned", "replied", "note_added", "status_changed", "replied", "status_changed"}
		if !slices.Equal(types, want) {
			t.Fatalf("activities = %v, want %v", types, want)
		}
		events := d.Events.Names(id)
		wantEvents := []string{"TicketCreated", "TicketAssigned", "TicketUpdated", "ReplyCreated", "InternalNoteAdded",
			"TicketStatusChanged", "TicketUpdated", "ReplyCreated", "TicketStatusChanged", "TicketUpdated"}
		if !slices.Equal(events, wantEvents) {
			t.Fatalf("events = %v, want %v", events, wantEvents)
		}
	})
}
