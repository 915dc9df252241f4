package ticket_test

import (
	"testing"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func TestDelete(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		agent := e.user("agent")
		admin := e.user("admin")
		tk := e.open(customer, "Delete me")
		if _, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "Hello"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddTags(e.ctx, agent, tk.ID, []int64{e.tag("gone")}); err != nil {
			t.Fatal(err)
		}

		// Agents lack ticket.delete by default; customers hold no permission at all.
		wantErr(t, e.svc.Delete(e.ctx, agent, tk.ID), apperr.KindForbidden)
		wantErr(t, e.svc.Delete(e.ctx, customer, tk.ID), apperr.KindForbidden)
		// A deleter who may not see tickets learns nothing of them.
		e.role("deleter", "ticket.delete")
		wantErr(t, e.svc.Delete(e.ctx, e.user("deleter"), tk.ID), apperr.KindNotFound)

		events := e.events.len()
		if err := e.svc.Delete(e.ctx, admin, tk.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.svc.Delete(e.ctx, admin, tk.ID), apperr.KindNotFound)
		if _, err := e.svc.Get(e.ctx, admin, tk.ID); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("get deleted ticket: %v", err)
		}
		for _, table := range []string{"tickets", "replies", "ticket_tags", "ticket_activities"} {
			col := "ticket_id"
			if table == "tickets" {
				col = "id"
			}
			if n := e.count(`SELECT count(*) FROM `+table+` WHERE `+col+` = ?`, tk.ID); n != 0 {
				t.Errorf("%d rows left in %s", n, table)
			}
		}
		if got := e.audits(tk.ID); got[len(got)-1] != "ticket.deleted" {
			t.Fatalf("audits = %v", got)
		}
		if e.events.len() != events {
			t.Fatalf("deleting published %d events", e.events.len()-events)
		}
	})
}
