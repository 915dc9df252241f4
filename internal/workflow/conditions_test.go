package workflow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// TestEveryOperatorOnEveryField saves one workflow per condition, all on reply.created, then
// lets a customer reply to a ticket whose every field is known: a workflow whose condition
// held has its run in the log, and the others have none.
func TestEveryOperatorOnEveryField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer, agent, other := e.user("customer"), e.user("agent"), e.user("agent")
		billing, sales := e.department("Billing"), e.department("Sales")
		vip, spam, late := e.tag("vip"), e.tag("spam"), e.tag("late")
		tk := e.open(customer, "Refund for order 42", func(in *ticket.CreateInput) {
			in.Description = "I was charged TWICE."
			in.Priority = "high"
			in.TicketType = "problem"
			in.DepartmentID = &billing
			in.TagIDs = []int64{vip}
		})
		if _, err := e.tickets.Assign(e.ctx, agent, tk.ID, &agent.UserID); err != nil {
			t.Fatal(err)
		}
		email := e.get(tk.ID).Requester.Email
		e.work()

		cases := []struct {
			rules string // the rules of an "all" match
			want  bool
		}{
			// Text: case-insensitive equality and containment, regular expressions, emptiness.
			{`{"field": "subject", "operator": "equals", "value": "refund for ORDER 42"}`, true},
			{`{"field": "subject", "operator": "equals", "value": "Refund"}`, false},
			{`{"field": "subject", "operator": "not_equals", "value": "Refund"}`, true},
			{`{"field": "subject", "operator": "contains", "value": "ORDER"}`, true},
			{`{"field": "subject", "operator": "contains", "value": "invoice"}`, false},
			{`{"field": "description", "operator": "not_contains", "value": "twice"}`, false},
			{`{"field": "description", "operator": "not_contains", "value": "thrice"}`, true},
			{`{"field": "subject", "operator": "in", "value": ["Hello", "refund for order 42"]}`, true},
			{`{"field": "subject", "operator": "not_in", "value": ["Hello", "refund for order 42"]}`, false},
			{`{"field": "subject", "operator": "matches", "value": "order \\d+$"}`, true},
			{`{"field": "subject", "operator": "matches", "value": "^order"}`, false},
			{`{"field": "description", "operator": "matches", "value": "(?i)twice"}`, true},
			{`{"field": "description", "operator": "is_empty"}`, false},
			{`{"field": "description", "operator": "is_not_empty"}`, true},
			{fmt.Sprintf(`{"field": "requester_email", "operator": "equals", "value": %q}`, strings.ToUpper(email)), true},
			{`{"field": "requester_email", "operator": "matches", "value": "@example\\.test$"}`, true},
			{fmt.Sprintf(`{"field": "reference", "operator": "equals", "value": %q}`, tk.Reference), true},
			{`{"field": "reply_body", "operator": "contains", "value": "money back"}`, true},
			{`{"field": "reply_body", "operator": "is_empty"}`, false},
			// Enumerations.
			{`{"field": "status", "operator": "equals", "value": "open"}`, true},
			{`{"field": "status", "operator": "not_equals", "value": "open"}`, false},
			{`{"field": "status", "operator": "in", "value": ["resolved", "closed"]}`, false},
			{`{"field": "status", "operator": "not_in", "value": ["resolved", "closed"]}`, true},
			{`{"field": "ticket_type", "operator": "equals", "value": "problem"}`, true},
			{`{"field": "channel", "operator": "in", "value": ["email", "web"]}`, true},
			// Priorities are ordered low to critical.
			{`{"field": "priority", "operator": "equals", "value": "high"}`, true},
			{`{"field": "priority", "operator": "greater_than", "value": "medium"}`, true},
			{`{"field": "priority", "operator": "greater_than", "value": "high"}`, false},
			{`{"field": "priority", "operator": "greater_than_or_equal", "value": "high"}`, true},
			{`{"field": "priority", "operator": "less_than", "value": "urgent"}`, true},
			{`{"field": "priority", "operator": "less_than_or_equal", "value": "medium"}`, false},
			{`{"field": "priority", "operator": "not_in", "value": ["low", "medium"]}`, true},
			// References to rows.
			{fmt.Sprintf(`{"field": "department_id", "operator": "equals", "value": %d}`, billing), true},
			{fmt.Sprintf(`{"field": "department_id", "operator": "not_equals", "value": %d}`, sales), true},
			{fmt.Sprintf(`{"field": "department_id", "operator": "in", "value": [%d, %d]}`, sales, billing), true},
			{fmt.Sprintf(`{"field": "department_id", "operator": "not_in", "value": [%d]}`, billing), false},
			{`{"field": "department_id", "operator": "is_empty"}`, false},
			{fmt.Sprintf(`{"field": "assigned_to", "operator": "equals", "value": %d}`, other.UserID), false},
			{`{"field": "assigned_to", "operator": "is_not_empty"}`, true},
			{fmt.Sprintf(`{"field": "requester_id", "operator": "equals", "value": %d}`, customer.UserID), true},
			// Tags: contains one, in any of a list.
			{fmt.Sprintf(`{"field": "tags", "operator": "contains", "value": %d}`, vip), true},
			{fmt.Sprintf(`{"field": "tags", "operator": "not_contains", "value": %d}`, vip), false},
			{fmt.Sprintf(`{"field": "tags", "operator": "in", "value": [%d, %d]}`, spam, vip), true},
			{fmt.Sprintf(`{"field": "tags", "operator": "not_in", "value": [%d, %d]}`, spam, late), true},
			{`{"field": "tags", "operator": "is_empty"}`, false},
			{`{"field": "tags", "operator": "is_not_empty"}`, true},
			// Booleans and numbers.
			{`{"field": "sla_breached", "operator": "equals", "value": false}`, true},
			{`{"field": "sla_breached", "operator": "not_equals", "value": false}`, false},
			{`{"field": "hours_since_created", "operator": "greater_than", "value": 2}`, true},
			{`{"field": "hours_since_created", "operator": "greater_than_or_equal", "value": 3}`, true},
			{`{"field": "hours_since_created", "operator": "less_than", "value": 3}`, false},
			{`{"field": "hours_since_created", "operator": "less_than_or_equal", "value": 3}`, true},
			{`{"field": "hours_since_created", "operator": "equals", "value": 3}`, true},
			{`{"field": "hours_since_created", "operator": "not_equals", "value": 3}`, false},
		}
		workflows := make([]*Workflow, len(cases))
		for i, c := range cases {
			workflows[i] = e.workflow("reply.created", `{"match": "all", "rules": [`+c.rules+`]}`, fmt.Sprintf(`[{"type": "send_notification", "value": {"recipients": [%d]}}]`, agent.UserID))
		}
		// Matching: all, any, and no rules at all.
		combined := []struct {
			conditions string
			want       bool
		}{
			{`{"match": "all", "rules": [{"field": "status", "operator": "equals", "value": "open"}, {"field": "priority", "operator": "equals", "value": "low"}]}`, false},
			{`{"match": "any", "rules": [{"field": "status", "operator": "equals", "value": "open"}, {"field": "priority", "operator": "equals", "value": "low"}]}`, true},
			{`{"match": "any", "rules": [{"field": "status", "operator": "equals", "value": "closed"}, {"field": "priority", "operator": "equals", "value": "low"}]}`, false},
			{`{"match": "any", "rules": []}`, true},
			{``, true},
		}
		for _, c := range combined {
			workflows = append(workflows, e.workflow("reply.created", c.conditions, fmt.Sprintf(`[{"type": "send_notification", "value": {"recipients": [%d]}}]`, agent.UserID)))
			cases = append(cases, struct {
				rules string
				want  bool
			}{c.conditions, c.want})
		}

		e.clock.Advance(3 * time.Hour)
		if _, err := e.tickets.Reply(e.ctx, customer, tk.ID, ticket.ReplyInput{Body: "I want my MONEY BACK."}); err != nil {
			t.Fatal(err)
		}
		if n := e.work(); n != 1 {
			t.Fatalf("%d jobs for one reply, want 1", n)
		}
		// A workflow whose conditions held has its run in the log; the others have none.
		for i, c := range cases {
			runs := e.runs(workflows[i])
			if matched := len(runs) == 1 && runs[0].Matched; matched != c.want || len(runs) > 1 {
				t.Errorf("%s: runs %v, want matched %v", c.rules, e.statuses(workflows[i]), c.want)
			}
		}
	})
}

// TestConditionsSeeTheTicketAsItIsWhenTheWorkflowRuns: workflows of one event run in
// position order, each checking the ticket as the ones before it left it.
func TestConditionsSeeTheTicketAsItIsWhenTheWorkflowRuns(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		vip := e.tag("vip")
		raise := e.workflow("ticket.created", `{"rules": [{"field": "subject", "operator": "contains", "value": "vip"}]}`, `[{"type": "change_priority", "value": "urgent"}]`)
		tagUrgent := e.workflow("ticket.created", `{"rules": [{"field": "priority", "operator": "equals", "value": "urgent"}]}`, fmt.Sprintf(`[{"type": "add_tag", "value": %d}]`, vip))
		tk := e.open(customer, "A VIP asks")
		e.work()
		if got := e.get(tk.ID); got.Priority != "urgent" || len(got.Tags) != 1 {
			t.Fatalf("priority %s, tags %v", got.Priority, got.Tags)
		}
		if e.runs(raise)[0].Status != RunCompleted || e.runs(tagUrgent)[0].Status != RunCompleted {
			t.Fatalf("runs %v %v", e.statuses(raise), e.statuses(tagUrgent))
		}
	})
}

// TestSavedChangesToAWorkflowTakeEffect: a process keeps workflows compiled, yet the next
// event after a save runs the new version.
func TestSavedChangesToAWorkflowTakeEffect(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		customer := e.user("customer")
		w := e.workflow("ticket.created", `{"rules": [{"field": "subject", "operator": "matches", "value": "^A"}]}`, `[{"type": "change_priority", "value": "low"}]`)
		first := e.open(customer, "Apples")
		e.work()
		c := Conditions{Match: "all", Rules: []Rule{{Field: "subject", Operator: "matches", Value: []byte(`"^B"`)}}}
		if _, err := e.svc.Update(e.ctx, auth.System(), w.ID, Input{Conditions: &c}); err != nil {
			t.Fatal(err)
		}
		second, third := e.open(customer, "Apricots"), e.open(customer, "Bananas")
		e.work()
		for _, want := range []struct {
			tk       *ticket.Ticket
			priority string
		}{{first, "low"}, {second, "medium"}, {third, "low"}} {
			if got := e.get(want.tk.ID).Priority; got != want.priority {
				t.Errorf("%s: priority %s, want %s", want.tk.Subject, got, want.priority)
			}
		}
	})
}
