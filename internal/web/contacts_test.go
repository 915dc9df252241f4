package web_test

import (
	"strings"
	"testing"
)

func TestStaffOpenTicketsForAnEmailAddress(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		agent, customer := d.User("agent"), d.User("customer")
		body := func(extra map[string]any) map[string]any {
			b := map[string]any{"subject": "Called in", "description": "By phone"}
			for k, v := range extra {
				b[k] = v
			}
			return b
		}

		first := agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_email": "Pat@Example.test", "requester_name": "Pat Doe"})).Want(201).Data()
		if first["requester_id"] != nil || first["contact_id"] == nil {
			t.Fatalf("ticket for a new address = %v", first)
		}
		contactID := first["contact_id"]
		// The same address in another case is the same contact, and keeps its name.
		second := agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_email": " pat@EXAMPLE.test ", "requester_name": "P."})).Want(201).Data()
		if second["contact_id"] != contactID {
			t.Fatalf("contact %v, want %v", second["contact_id"], contactID)
		}
		// A form works as JSON does.
		third := post(agent, "/agent/tickets", [][2]string{{"subject", "s"}, {"description", "d"}, {"requester_email", "PAT@example.test"}}).Want(201).Data()
		if third["contact_id"] != contactID {
			t.Fatalf("contact from a form %v, want %v", third["contact_id"], contactID)
		}
		if n := d.count(`SELECT count(*) FROM contacts`); n != 1 {
			t.Fatalf("%d contacts, want 1", n)
		}
		detail := agent.Do("GET", idPath(int64(first["id"].(float64))), nil).Want(200).Data()
		requester := detail["requester"].(map[string]any)
		if requester["name"] != "Pat Doe" || requester["email"] != "Pat@Example.test" || detail["requester_email"] != "Pat@Example.test" {
			t.Fatalf("requester = %v", requester)
		}

		// An address with an account is that account.
		mine := agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_email": strings.ToUpper(customer.Email)})).Want(201).Data()
		if mine["requester_id"] != float64(customer.ID) || mine["contact_id"] != nil {
			t.Fatalf("ticket for a user's address = %v", mine)
		}
		customer.Do("GET", "/tickets/"+mine["reference"].(string), nil).Want(200)

		tickets, contacts := d.count(`SELECT count(*) FROM tickets`), d.count(`SELECT count(*) FROM contacts`)
		for _, bad := range []any{"not-an-email", "Pat <pat@example.test>", "a@b@c", "pat@example.test\x00", "@example.test", strings.Repeat("a", 250) + "@example.test", 5} {
			agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_email": bad})).Want(422).FieldError("requester_email")
		}
		agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_email": "new@example.test", "requester_id": customer.ID})).Want(422).FieldError("requester_email")
		agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_name": "Nobody"})).Want(422).FieldError("requester_email")
		agent.Do("POST", "/agent/tickets", body(map[string]any{"requester_email": "new@example.test", "requester_name": "x\x00"})).Want(422).FieldError("requester_name")
		customer.Do("POST", "/tickets", body(map[string]any{"requester_email": "new@example.test"})).Want(422).FieldError("requester_email")
		if d.count(`SELECT count(*) FROM tickets`) != tickets || d.count(`SELECT count(*) FROM contacts`) != contacts {
			t.Fatal("a refused ticket wrote a ticket or a contact")
		}
	})
}
