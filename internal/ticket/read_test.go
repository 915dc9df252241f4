package ticket_test

import (
	"slices"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// subjects lists the subjects of a page of tickets.
func subjects(p *ticket.Page[ticket.Summary]) []string {
	out := []string{}
	for _, s := range p.Items {
		out = append(out, s.Subject)
	}
	return out
}

func TestListByDepartmentAndTag(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		billing, sales := e.department("Billing"), e.department("Sales")
		vip, bug := e.tag("vip"), e.tag("bug")
		a, b, c := e.open(customer, "A"), e.open(customer, "B"), e.open(customer, "C")
		for _, step := range []error{
			func() error { _, err := e.svc.ChangeDepartment(e.ctx, agent, a.ID, &billing); return err }(),
			func() error { _, err := e.svc.ChangeDepartment(e.ctx, agent, b.ID, &sales); return err }(),
			func() error { _, err := e.svc.AddTags(e.ctx, agent, a.ID, []int64{vip, bug}); return err }(),
			func() error { _, err := e.svc.AddTags(e.ctx, agent, c.ID, []int64{vip}); return err }(),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		none := int64(98765)
		for name, tc := range map[string]struct {
			f    ticket.Filter
			want []string
		}{
			"department billing": {ticket.Filter{DepartmentID: &billing, Sort: "subject"}, []string{"A"}},
			"department sales":   {ticket.Filter{DepartmentID: &sales, Sort: "subject"}, []string{"B"}},
			"unknown department": {ticket.Filter{DepartmentID: &none, Sort: "subject"}, []string{}},
			"tag vip":            {ticket.Filter{TagID: &vip, Sort: "subject"}, []string{"A", "C"}},
			"tag bug":            {ticket.Filter{TagID: &bug, Sort: "subject"}, []string{"A"}},
			"tag and department": {ticket.Filter{TagID: &vip, DepartmentID: &billing, Sort: "subject"}, []string{"A"}},
			"unknown tag":        {ticket.Filter{TagID: &none, Sort: "subject"}, []string{}},
		} {
			p, err := e.svc.List(e.ctx, agent, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := subjects(p); !slices.Equal(got, tc.want) || p.Total != len(tc.want) {
				t.Fatalf("%s: %v (total %d), want %v", name, got, p.Total, tc.want)
			}
		}
		p, err := e.svc.List(e.ctx, agent, ticket.Filter{TagID: &vip, Sort: "subject"})
		if err != nil {
			t.Fatal(err)
		}
		if first := p.Items[0]; len(first.Tags) != 2 || first.Tags[0].Name != "bug" || first.Department == nil || first.Department.Name != "Billing" {
			t.Fatalf("list row tags %+v department %+v", first.Tags, first.Department)
		}
	})
}

func TestListIsScopedToTheCustomer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		alice, bob, noview := e.user("customer"), e.user("customer"), e.user(e.role("noview", "reply.create"))
		e.open(alice, "Alice's")
		bobs := e.open(bob, "Bob's")
		e.clock.Advance(time.Minute)
		p, err := e.svc.List(e.ctx, alice, ticket.Filter{RequesterID: &bob.UserID})
		if err != nil || p.Total != 0 || len(p.Items) != 0 {
			t.Fatalf("alice filtering on bob sees %v (total %d), %v", subjects(p), p.Total, err)
		}
		p, err = e.svc.List(e.ctx, alice, ticket.Filter{})
		if err != nil || !slices.Equal(subjects(p), []string{"Alice's"}) {
			t.Fatalf("alice's list = %v, %v", subjects(p), err)
		}
		_, err = e.svc.List(e.ctx, noview, ticket.Filter{})
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.Dashboard(e.ctx, noview)
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.Get(e.ctx, noview, bobs.ID)
		wantErr(t, err, apperr.KindNotFound)
		_, err = e.svc.Reply(e.ctx, noview, bobs.ID, ticket.ReplyInput{Body: "hello"})
		wantErr(t, err, apperr.KindNotFound)
	})
}

func TestResolveID(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tk := e.open(e.user("customer"), "Key")
		for _, key := range []string{"1", "ESC-00001", "esc-00001", " ESC-00001 "} {
			if id, err := e.svc.ResolveID(e.ctx, key); err != nil || id != tk.ID {
				t.Fatalf("ResolveID(%q) = %d, %v", key, id, err)
			}
		}
		for _, key := range []string{"", "0", "-1", "+1", "1.0", "99999999999999999999", "ABC-00001", "ESC-", "ESC-1x",
			"\x00", "ESC-00001\x00", "\xff", "' OR 1=1 --", "ESC-000001111111111111111111111111111111111"} {
			if _, err := e.svc.ResolveID(e.ctx, key); !apperr.Is(err, apperr.KindNotFound) {
				t.Fatalf("ResolveID(%q): %v, want not found", key, err)
			}
		}
	})
}
