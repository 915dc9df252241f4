package web_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAgentSnoozesAndUnsnoozesATicket(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		tk := open(customer, "Later please")
		other := open(customer, "Now please")

		until := d.Clock.Now().Add(3 * time.Hour)
		snoozed := agent.Do("POST", tk.path("/snooze"), map[string]any{"until": until.Format(time.RFC3339)}).Want(200).Data()
		if snoozed["status"] != "open" || snoozed["snoozed_until"] != until.Format("2006-01-02T15:04:05Z07:00") {
			t.Fatalf("snoozed %v", snoozed)
		}
		shown := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		if shown["is_snoozed"] != true || shown["status"] != "open" {
			t.Fatalf("shown %v", shown)
		}
		// The wake-up job is enqueued with the snooze, due when the snooze ends.
		var due []time.Time
		if err := d.db.R.NewRaw(`SELECT scheduled_at FROM river_job WHERE kind = 'ticket.wake'`).Scan(context.Background(), &due); err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || !due[0].Equal(until) {
			t.Fatalf("wake-up jobs due at %v, want one at %v", due, until)
		}

		// The queue shows snoozed tickets flagged, and filters on them.
		subjects, _ := listSubjects(agent.Do("GET", "/agent/tickets?snoozed=true", nil))
		if !slices.Equal(subjects, []string{"Later please"}) {
			t.Fatalf("snoozed=true lists %v", subjects)
		}
		subjects, _ = listSubjects(agent.Do("GET", "/agent/tickets?snoozed=false", nil))
		if !slices.Equal(subjects, []string{"Now please"}) {
			t.Fatalf("snoozed=false lists %v", subjects)
		}
		if _, total := listSubjects(agent.Do("GET", "/agent/tickets", nil)); total != 2 {
			t.Fatalf("the unfiltered queue holds %d tickets, want both", total)
		}
		agent.Do("GET", "/agent/tickets?snoozed=maybe", nil).Want(422).FieldError("snoozed")

		// Admin routes do the same; a snooze by duration moves the wake-up time.
		again := admin.Do("POST", "/admin/tickets/"+tk.Ref+"/snooze", map[string]any{"duration_minutes": 30}).Want(200).Data()
		if again["snoozed_until"] != d.Clock.Now().Add(30*time.Minute).Format("2006-01-02T15:04:05Z07:00") {
			t.Fatalf("snoozed again %v", again)
		}
		woke := agent.Do("POST", tk.path("/unsnooze"), nil).Want(200).Data()
		if woke["snoozed_until"] != nil || woke["is_snoozed"] != nil && woke["is_snoozed"] != false {
			t.Fatalf("unsnoozed %v", woke)
		}
		agent.Do("POST", tk.path("/unsnooze"), nil).Want(409)
		admin.Do("POST", "/admin/tickets/"+other.Ref+"/unsnooze", nil).Want(409)

		types := activityTypes(agent, tk)
		if !slices.Equal(types, []string{"snoozed", "snoozed", "unsnoozed"}) {
			t.Fatalf("timeline %v", types)
		}
		for _, action := range []string{"ticket.snoozed", "ticket.unsnoozed"} {
			if d.count(`SELECT count(*) FROM audit_logs WHERE action = ? AND resource_id = ?`, action, tk.ID) == 0 {
				t.Fatalf("no %s audit entry", action)
			}
		}
		if names := d.Events.Names(tk.ID); slices.Index(names, "TicketUpdated") < 0 {
			t.Fatalf("events %v: snoozing announces TicketUpdated", names)
		}
	})
}

func TestSnoozeInputIsChecked(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		agent, customer := d.User("agent"), d.User("customer")
		tk := open(customer, "Sleepy")
		now := d.Clock.Now()
		for _, c := range []struct {
			field string
			body  any
		}{
			{"until", map[string]any{}},
			{"until", map[string]any{"until": now.Format(time.RFC3339)}},
			{"until", map[string]any{"until": now.Add(-time.Hour).Format(time.RFC3339)}},
			{"until", map[string]any{"until": now.Add(400 * 24 * time.Hour).Format(time.RFC3339)}},
			{"until", map[string]any{"until": "tomorrow"}},
			{"until", map[string]any{"until": "2026-03-03"}},
			{"until", map[string]any{"until": 12}},
			{"until", map[string]any{"until": now.Add(time.Hour).Format(time.RFC3339), "duration_minutes": 5}},
			{"duration_minutes", map[string]any{"duration_minutes": 0}},
			{"duration_minutes", map[string]any{"duration_minutes": -5}},
			{"duration_minutes", map[string]any{"duration_minutes": 1e9}},
			{"duration_minutes", map[string]any{"duration_minutes": 1.5}},
			{"duration_minutes", map[string]any{"duration_minutes": "60"}},
			{"reason", map[string]any{"duration_minutes": 60, "reason": "lunch"}},
		} {
			agent.Do("POST", tk.path("/snooze"), c.body).Want(422).FieldError(c.field)
		}
		if n := d.count(`SELECT count(*) FROM tickets WHERE snoozed_until IS NOT NULL`); n != 0 {
			t.Fatal("refused input snoozed the ticket")
		}
		// A solved ticket cannot be snoozed; nobody but staff with ticket.edit may snooze.
		closed := open(customer, "Done")
		move(agent, closed, "resolved")
		agent.Do("POST", closed.path("/snooze"), map[string]any{"duration_minutes": 60}).Want(409)
		viewer := d.User(d.Role("viewer", "ticket.view"))
		viewer.Do("POST", tk.path("/snooze"), map[string]any{"duration_minutes": 60}).Want(403)
		viewer.Do("POST", tk.path("/unsnooze"), nil).Want(403)
		customer.Do("POST", tk.path("/snooze"), map[string]any{"duration_minutes": 60}).Want(403)
		d.Anonymous().Do("POST", tk.path("/snooze"), map[string]any{"duration_minutes": 60}).Want(401)
		agent.Do("POST", "/agent/tickets/ESC-99999/snooze", map[string]any{"duration_minutes": 60}).Want(404)
	})
}

// TestCustomerReplyWakesASnoozedTicket: the customer does not wait for the snooze to end.
func TestCustomerReplyWakesASnoozedTicket(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		agent, customer := d.User("agent"), d.User("customer")
		tk := open(customer, "Any news?")
		agent.Do("POST", tk.path("/snooze"), map[string]any{"duration_minutes": 24 * 60}).Want(200)
		d.Clock.Advance(time.Hour)
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": "Hello?"}).Want(201)
		shown := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		if shown["snoozed_until"] != nil || shown["is_snoozed"] != false {
			t.Fatalf("after the customer's reply %v", shown)
		}
		var last map[string]any
		for _, a := range shown["activities"].([]any) {
			if a.(map[string]any)["type"] == "unsnoozed" {
				last = a.(map[string]any)
			}
		}
		if last == nil || last["properties"].(map[string]any)["reason"] != "customer_reply" {
			t.Fatalf("unsnoozed activity %v", last)
		}
	})
}

// TestSnoozedTicketWakesByItself: once the desk runs, the wake-up job scheduled with the
// snooze wakes the ticket when the clock reaches the snooze's end.
func TestSnoozedTicketWakesByItself(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		agent, customer := d.User("agent"), d.User("customer")
		tk := open(customer, "Wake me")
		agent.Do("POST", tk.path("/snooze"), map[string]any{"duration_minutes": 90}).Want(200)
		d.Clock.Advance(91 * time.Minute)
		if agent.Do("GET", tk.path(""), nil).Want(200).Data()["is_snoozed"] != false {
			t.Fatal("a snooze that ran out still shows")
		}

		d.RunJobs()

		deadline := time.Now().Add(20 * time.Second)
		for agent.Do("GET", tk.path(""), nil).Want(200).Data()["snoozed_until"] != nil {
			if time.Now().After(deadline) {
				t.Fatal("the ticket did not wake within 20s of Run starting")
			}
			time.Sleep(20 * time.Millisecond)
		}
		types := activityTypes(agent, tk)
		if !slices.Equal(types, []string{"snoozed", "unsnoozed"}) {
			t.Fatalf("timeline %v", types)
		}
		for d.count(`SELECT count(*) FROM river_job WHERE kind = 'ticket.wake' AND state = 'completed'`) != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the wake-up job did not complete")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
