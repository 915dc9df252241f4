package web_test

import (
	"slices"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

type bulkFailure struct {
	ID      int64  `json:"id"`
	Status  int    `json:"status"`
	Message string `json:"message"`
}

type bulkResult struct {
	Succeeded []int64       `json:"succeeded"`
	Failed    []bulkFailure `json:"failed"`
}

func bulk(c *testdesk.Client, ids []int64, action string, value any) bulkResult {
	var body struct {
		Data bulkResult `json:"data"`
	}
	c.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": ids, "action": action, "value": value}).Want(200).Decode(&body)
	return body.Data
}

// failures reduces a bulk result's failures to id → status.
func failures(r bulkResult) map[int64]int {
	out := map[int64]int{}
	for _, f := range r.Failed {
		if f.Message == "" {
			out[f.ID] = -1
			continue
		}
		out[f.ID] = f.Status
	}
	return out
}

func TestBulkReportsEachTicket(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		customer, agent, light := d.User("customer"), d.User("agent"), d.User("light_agent")
		a, b, c := open(customer, "A"), open(customer, "B"), open(customer, "C")
		move(agent, c, "closed")
		closedEvents := len(d.Events.Names(c.ID))

		r := bulk(agent, []int64{a.ID, 999999, b.ID, -1, c.ID}, "status", "resolved")
		if !slices.Equal(r.Succeeded, []int64{a.ID, b.ID}) {
			t.Fatalf("succeeded %v, want %v", r.Succeeded, []int64{a.ID, b.ID})
		}
		if got, want := failures(r), map[int64]int{999999: 404, -1: 404, c.ID: 409}; !mapsEqual(got, want) {
			t.Fatalf("failed %v, want %v", r.Failed, want)
		}
		for _, tk := range []ticket{a, b} {
			if got := agent.Do("GET", tk.path(""), nil).Want(200).Data()["status"]; got != "resolved" {
				t.Fatalf("%s is %v after the bulk resolve", tk.Ref, got)
			}
		}
		if len(d.Events.Names(c.ID)) != closedEvents {
			t.Fatal("the refused ticket published events")
		}

		// Doing it again fails for each ticket with the transition error.
		r = bulk(agent, []int64{a.ID, b.ID}, "status", "resolved")
		if len(r.Succeeded) != 0 || !mapsEqual(failures(r), map[int64]int{a.ID: 409, b.ID: 409}) {
			t.Fatalf("second resolve: %+v", r)
		}

		r = bulk(light, []int64{a.ID, b.ID}, "assign", light.ID)
		if len(r.Succeeded) != 0 || !mapsEqual(failures(r), map[int64]int{a.ID: 403, b.ID: 403}) {
			t.Fatalf("light agent's bulk assign: %+v", r)
		}
		r = bulk(agent, []int64{a.ID, 424242}, "assign", agent.ID)
		if !slices.Equal(r.Succeeded, []int64{a.ID}) || !mapsEqual(failures(r), map[int64]int{424242: 404}) {
			t.Fatalf("bulk assign: %+v", r)
		}
		r = bulk(agent, []int64{a.ID, b.ID}, "assign", nil)
		if !slices.Equal(r.Succeeded, []int64{a.ID, b.ID}) || len(r.Failed) != 0 {
			t.Fatalf("bulk unassign: %+v", r)
		}
		r = bulk(agent, []int64{a.ID}, "assign", customer.ID)
		if !mapsEqual(failures(r), map[int64]int{a.ID: 422}) {
			t.Fatalf("bulk assign to a customer: %+v", r)
		}

		vip := d.tag("vip")
		r = bulk(agent, []int64{a.ID, c.ID, 31337}, "add_tags", []int64{vip})
		if !slices.Equal(r.Succeeded, []int64{a.ID, c.ID}) || !mapsEqual(failures(r), map[int64]int{31337: 404}) {
			t.Fatalf("bulk add_tags: %+v", r)
		}
		r = bulk(agent, []int64{a.ID}, "add_tags", []int64{vip, 777})
		if !mapsEqual(failures(r), map[int64]int{a.ID: 422}) {
			t.Fatalf("bulk add_tags with an unknown tag: %+v", r)
		}
		r = bulk(agent, []int64{a.ID, b.ID}, "remove_tags", []int64{vip})
		if !slices.Equal(r.Succeeded, []int64{a.ID, b.ID}) {
			t.Fatalf("bulk remove_tags: %+v", r)
		}
		r = bulk(agent, []int64{b.ID, a.ID}, "priority", "urgent")
		if !slices.Equal(r.Succeeded, []int64{b.ID, a.ID}) {
			t.Fatalf("bulk priority: %+v", r)
		}
		want := []string{"resolved", "assigned", "unassigned", "tag_added", "tag_removed", "priority_changed"}
		if got := activityTypes(agent, a); !slices.Equal(got, want) {
			t.Fatalf("activities of %s = %v, want %v", a.Ref, got, want)
		}
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ?`, a.ID); n != len(want)+1 {
			t.Fatalf("%d audit rows for %s, want %d", n, a.Ref, len(want)+1)
		}
	})
}

func TestBulkRefusesBadRequestsWhole(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Untouched")
		many := make([]int64, 501)
		for i := range many {
			many[i] = tk.ID
		}
		for field, body := range map[string]map[string]any{
			"ticket_ids": {"ticket_ids": []int64{}, "action": "priority", "value": "high"},
			"action":     {"ticket_ids": []int64{tk.ID}, "action": "delete", "value": "x"},
			"value":      {"ticket_ids": []int64{tk.ID}, "action": "priority"},
		} {
			agent.Do("POST", "/agent/tickets/bulk", body).Want(422).FieldError(field)
		}
		agent.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": many, "action": "priority", "value": "high"}).Want(422).FieldError("ticket_ids")
		agent.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []any{"ESC-00001"}, "action": "priority", "value": "high"}).Want(422).FieldError("ticket_ids")
		agent.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "priority", "value": 3}).Want(422).FieldError("value")
		agent.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "priority", "value": "soon"}).Want(422).FieldError("value")
		agent.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "assign", "value": "x"}).Want(422).FieldError("value")
		agent.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "add_tags", "value": "vip"}).Want(422).FieldError("value")
		customer.Do("POST", "/agent/tickets/bulk", map[string]any{"ticket_ids": []int64{tk.ID}, "action": "priority", "value": "high"}).Want(403)
		if got := d.Events.Names(tk.ID); !slices.Equal(got, []string{"TicketCreated"}) {
			t.Fatalf("refused bulk requests published %v", got)
		}
	})
}

func mapsEqual(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
