package escalated_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// TestGoServicesWorkTicketsAsTheirUser: desk.Tickets acts as the user it is given, through
// the same rules and write path as HTTP: a customer's ticket is theirs, a note stays
// internal, a status change follows the transition table and the actor's rights, and its
// events fire. desk.Tokens makes a token that works on the API and never exceeds its owner.
func TestGoServicesWorkTicketsAsTheirUser(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		ctx := context.Background()
		customer, other, agent := d.User("customer"), d.User("customer"), d.User("agent")

		tk, err := d.Tickets.Create(ctx, customer.ID, escalated.NewTicket{Subject: "Kettle", Description: "Leaks"})
		if err != nil {
			t.Fatal(err)
		}
		if tk.RequesterID == nil || *tk.RequesterID != customer.ID {
			t.Fatalf("a customer's ticket from Go has requester %v, want %d", tk.RequesterID, customer.ID)
		}
		customer.Do("GET", "/tickets/"+tk.Reference, nil).Want(200)
		other.Do("GET", "/tickets/"+tk.Reference, nil).Want(404)

		if _, err := d.Tickets.Reply(ctx, agent.ID, tk.Reference, "Looks like the seal.", true); err != nil {
			t.Fatal(err)
		}
		if replies := customer.Do("GET", "/tickets/"+tk.Reference, nil).Want(200).Data()["replies"].([]any); len(replies) != 0 {
			t.Fatalf("the customer sees %v, want no internal note", replies)
		}
		if _, err := d.Tickets.Reply(ctx, customer.ID, tk.Reference, "A note of my own", true); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("customer adds an internal note from Go: %v, want forbidden", err)
		}

		if _, err := d.Tickets.ChangeStatus(ctx, customer.ID, tk.Reference, "in_progress"); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("customer moves their ticket to in_progress from Go: %v, want forbidden", err)
		}
		resolved, err := d.Tickets.ChangeStatus(ctx, agent.ID, fmt.Sprint(tk.ID), "resolved")
		if err != nil {
			t.Fatal(err)
		}
		if resolved.Status != "resolved" || resolved.ResolvedAt == nil {
			t.Fatalf("resolved from Go: status %s, resolved_at %v", resolved.Status, resolved.ResolvedAt)
		}
		if _, err := d.Tickets.ChangeStatus(ctx, agent.ID, tk.Reference, "in_progress"); !apperr.Is(err, apperr.KindConflict) {
			t.Fatalf("resolved to in_progress from Go: %v, want an invalid transition", err)
		}
		if got := d.Events.Names(tk.ID); !slices.Equal(got, []string{"TicketCreated", "InternalNoteAdded", "TicketStatusChanged", "TicketResolved", "TicketUpdated"}) {
			t.Fatalf("events %v", got)
		}
		if got := agent.Do("GET", "/agent/tickets/"+tk.Reference, nil).Want(200).Data()["status"]; got != "resolved" {
			t.Fatalf("the agent's view after the change from Go: status %v", got)
		}

		tok, plain, err := d.Tokens.Create(ctx, escalated.NewAPIToken{UserEmail: agent.Email, Name: "script", Abilities: []string{"ticket.view"}})
		if err != nil || tok == nil || len(plain) != 64 {
			t.Fatalf("token from Go: %v %q %v", tok, plain, err)
		}
		api := d.Bearer(plain)
		if got := api.Do("GET", "/api/v1/tickets/"+tk.Reference, nil).Want(200).Data()["reference"]; got != tk.Reference {
			t.Fatalf("the token reads %v", got)
		}
		api.Do("POST", "/api/v1/tickets", map[string]any{"subject": "x", "description": "y", "requester_email": "z@example.test"}).Want(403)
		if _, _, err := d.Tokens.Create(ctx, escalated.NewAPIToken{UserEmail: agent.Email, Name: "too much", Abilities: []string{"ticket.delete"}}); err == nil {
			t.Fatal("a token with an ability its owner lacks was made")
		}
		if _, _, err := d.Tokens.Create(ctx, escalated.NewAPIToken{UserEmail: "nobody@example.test", Name: "x", Abilities: []string{"*"}}); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("a token for an unknown email: %v, want not found", err)
		}
	})
}

// A host application tells the desk's refusals apart with the public escalated.Error, as the
// HTTP routes do by status: what is wrong with which field, what is not there, what the
// transitions refuse and which they allow. Any other error is the desk failing.
func TestGoServicesRefuseWithTypedErrors(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		ctx := context.Background()
		agent := d.User("agent")
		kind := func(what string, err error, want escalated.ErrorKind) *escalated.Error {
			t.Helper()
			var e *escalated.Error
			if !errors.As(err, &e) || e.Kind != want {
				t.Fatalf("%s: %v, want an escalated.Error of kind %v", what, err, want)
			}
			return e
		}

		_, err := d.Tickets.Create(ctx, agent.ID, escalated.NewTicket{Description: "No subject"})
		if e := kind("create without a subject", err, escalated.ErrValidation); len(e.Fields["subject"]) == 0 {
			t.Fatalf("fields at fault %v, want subject", e.Fields)
		}
		_, err = d.Tickets.Reply(ctx, agent.ID, "ESC-99999", "Anyone there?", false)
		kind("reply to a ticket that does not exist", err, escalated.ErrNotFound)

		tk, err := d.Tickets.Create(ctx, agent.ID, escalated.NewTicket{Subject: "Printer", Description: "Jammed"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Tickets.ChangeStatus(ctx, agent.ID, tk.Reference, "closed"); err != nil {
			t.Fatal(err)
		}
		_, err = d.Tickets.ChangeStatus(ctx, agent.ID, tk.Reference, "in_progress")
		if e := kind("closed to in_progress", err, escalated.ErrConflict); !slices.Contains(e.Extra["allowed_transitions"].([]string), "reopened") {
			t.Fatalf("allowed transitions %v, want reopened among them", e.Extra["allowed_transitions"])
		}
		_, err = d.Tickets.Reply(ctx, d.User("customer").ID, tk.Reference, "Not mine", false)
		kind("a customer replying to another's ticket", err, escalated.ErrNotFound)
	})
}
