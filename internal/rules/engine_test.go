package rules_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/notification"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// matches runs rule conditions of kind k at now with an action that changes no ticket, and
// returns the names of the tickets the rule acted on, sorted. The rule is deleted afterwards
// so the next case starts clean. Automations add the tag every ticket has (see tagAll).
// tagAll puts the tag "seen" on every ticket, so that adding it again changes nothing.
func (e *env) tagAll(tickets map[string]*ticket.Ticket) {
	e.t.Helper()
	if e.seen == 0 {
		e.seen = e.tag("seen")
	}
	for _, tk := range tickets {
		if _, err := e.tickets.AddTags(e.ctx, auth.System(), tk.ID, []int64{e.seen}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) matches(k rules.Kind, conditions string, now time.Time, tickets map[string]*ticket.Ticket) []string {
	e.t.Helper()
	action := `[{"type": "notify", "value": ["assignee"]}]`
	if k == rules.Automation {
		action = fmt.Sprintf(`[{"type": "add_tag", "value": %d}]`, e.seen)
	}
	r := e.rule(k, conditions, action)
	e.run(k, now)
	var got []string
	for name, tk := range tickets {
		if e.acted(k, r, tk.ID) {
			got = append(got, name)
		}
	}
	sort.Strings(got)
	if res := e.run(k, now); res.Applied != 0 {
		e.t.Fatalf("%s acted again on a second run: %+v", conditions, res)
	}
	if err := e.svc.DeleteRule(e.ctx, auth.System(), k, r.ID); err != nil {
		e.t.Fatal(err)
	}
	return got
}

func TestEscalationConditions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		billing := e.department("Billing")
		tk := map[string]*ticket.Ticket{}
		for _, name := range []string{"old", "answered", "busy", "high", "mine", "billing", "breached", "closed"} {
			tk[name] = e.open(name, func(in *ticket.CreateInput) {
				switch name {
				case "high":
					in.Priority = "high"
				case "billing":
					in.DepartmentID = &billing
				}
			})
		}
		must := func(_ any, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(e.tickets.Reply(e.ctx, agent, tk["answered"].ID, ticket.ReplyInput{Body: "Looking."}))
		must(e.tickets.ChangeStatus(e.ctx, agent, tk["busy"].ID, ticket.StatusInProgress))
		must(e.tickets.Assign(e.ctx, agent, tk["mine"].ID, &agent.UserID))
		must(e.tickets.ChangeStatus(e.ctx, agent, tk["closed"].ID, ticket.StatusClosed))
		e.exec(`UPDATE tickets SET sla_resolution_breached = TRUE WHERE id = ?`, tk["breached"].ID)
		e.clock.Advance(2 * time.Hour)
		tk["young"] = e.open("young")
		e.clock.Advance(23 * time.Hour) // the first tickets are 25 hours old, young 23
		now := e.clock.Now()

		open := []string{"answered", "billing", "breached", "busy", "high", "mine", "old", "young"}
		without := func(names ...string) []string {
			return slices.DeleteFunc(slices.Clone(open), func(n string) bool { return slices.Contains(names, n) })
		}
		for _, c := range []struct {
			conditions string
			want       []string
		}{
			{`[{"field": "status", "value": "in_progress"}]`, []string{"busy"}},
			{`[{"field": "status", "value": "closed"}]`, nil}, // escalation rules pass solved tickets by
			{`[{"field": "priority", "value": "high"}]`, []string{"high"}},
			{`[{"field": "assigned", "value": "unassigned"}]`, without("mine")},
			{`[{"field": "assigned", "value": "any"}]`, []string{"mine"}},
			{`[{"field": "age_hours", "value": 24}]`, without("young")},
			{`[{"field": "age_hours", "value": 23}]`, open}, // exactly 23 hours old counts
			{`[{"field": "age_hours", "value": 23.5}]`, without("young")},
			{`[{"field": "age_hours", "value": 0}]`, open},
			{`[{"field": "no_response_hours", "value": 24}]`, without("answered", "young")},
			{`[{"field": "no_response_hours", "value": 1}]`, without("answered")},
			{`[{"field": "sla_breached", "value": true}]`, []string{"breached"}},
			{`[{"field": "sla_breached", "value": false}]`, without("breached")},
			{`[{"field": "department_id", "value": ` + fmt.Sprint(billing) + `}]`, []string{"billing"}},
			{`[{"field": "status", "value": "open"}, {"field": "priority", "value": "medium"},
				{"field": "assigned", "value": "unassigned"}, {"field": "age_hours", "value": 24}]`, []string{"answered", "billing", "breached", "old"}},
		} {
			if got := e.matches(rules.Escalation, c.conditions, now, tk); !slices.Equal(got, c.want) {
				t.Errorf("%s matched %v, want %v", c.conditions, got, c.want)
			}
		}
	})
}

func TestAutomationConditions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		tk := map[string]*ticket.Ticket{
			"screen": e.open("Mon ÉCRAN est noir", func(in *ticket.CreateInput) { in.TicketType = "problem" }),
			"kelvin": e.open("Oven at 300 \u212a", func(in *ticket.CreateInput) { in.Priority = "urgent" }),
			"sale":   e.open("100% off_sale"),
			"plain":  e.open("100x offxsale"),
		}
		if _, err := e.tickets.Assign(e.ctx, agent, tk["plain"].ID, &agent.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tickets.ChangeStatus(e.ctx, agent, tk["sale"].ID, ticket.StatusResolved); err != nil {
			t.Fatal(err)
		}
		e.tagAll(tk)
		now := e.clock.Now()
		for _, c := range []struct {
			conditions string
			want       []string
		}{
			{`[{"field": "status", "value": "resolved"}]`, []string{"sale"}}, // automations see solved tickets too
			{`[{"field": "status", "operator": "=", "value": "open"}]`, []string{"kelvin", "plain", "screen"}},
			{`[{"field": "priority", "value": "urgent"}]`, []string{"kelvin"}},
			{`[{"field": "assigned", "value": "any"}]`, []string{"plain"}},
			{`[{"field": "assigned", "value": "unassigned"}]`, []string{"kelvin", "sale", "screen"}},
			{`[{"field": "ticket_type", "value": "problem"}]`, []string{"screen"}},
			{`[{"field": "subject_contains", "value": "écran"}]`, []string{"screen"}},
			{`[{"field": "subject_contains", "value": "MON é"}]`, []string{"screen"}},
			{`[{"field": "subject_contains", "value": "300 k"}]`, []string{"kelvin"}},
			{`[{"field": "subject_contains", "value": "100%"}]`, []string{"sale"}},
			{`[{"field": "subject_contains", "value": "off_sale"}]`, []string{"sale"}},
			{`[{"field": "subject_contains", "value": "\\"}]`, nil},
			{`[{"field": "subject_contains", "value": "noir"}, {"field": "priority", "value": "low"}]`, nil},
		} {
			if got := e.matches(rules.Automation, c.conditions, now, tk); !slices.Equal(got, c.want) {
				t.Errorf("%s matched %v, want %v", c.conditions, got, c.want)
			}
		}
	})
}

// TestAutomationHoursOperators checks every hours_since_* field with every operator around
// the boundary: "> 2", ">= 2", "< 2", "<= 2" compare exactly; "= 2" holds from two hours up to
// three.
func TestAutomationHoursOperators(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		earlier := e.open("Assigned later")
		e.clock.Advance(5 * time.Hour)
		t0 := e.clock.Now()
		fresh := e.open("Created at t0")
		if _, err := e.tickets.Assign(e.ctx, agent, earlier.ID, &agent.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tickets.Reply(e.ctx, agent, earlier.ID, ticket.ReplyInput{Body: "Replied at t0"}); err != nil {
			t.Fatal(err)
		}
		tk := map[string]*ticket.Ticket{"fresh": fresh, "assigned": earlier}
		e.tagAll(tk)
		after := []time.Duration{time.Hour + 59*time.Minute, 2 * time.Hour, 2*time.Hour + 30*time.Minute, 3 * time.Hour}
		want := map[string][]bool{
			">":  {false, false, true, true},
			">=": {false, true, true, true},
			"<":  {true, false, false, false},
			"<=": {true, true, false, false},
			"=":  {false, true, true, false},
		}
		for _, field := range []string{"hours_since_created", "hours_since_updated", "hours_since_assigned", "hours_since_last_reply"} {
			// The field's moment is t0 for this ticket; the other ticket is only a check
			// that nothing else matches (it was created five hours earlier, and fresh was
			// never assigned or replied to).
			subject, other := "fresh", "assigned"
			if field != "hours_since_created" {
				subject, other = "assigned", "fresh"
			}
			for _, op := range rules.Operators {
				for i, d := range after {
					got := e.matches(rules.Automation, fmt.Sprintf(`[{"field": %q, "operator": %q, "value": 2}]`, field, op), t0.Add(d), tk)
					wantMatch := want[op][i]
					if slices.Contains(got, subject) != wantMatch {
						t.Errorf("%s %s 2 at t0+%v: matched %v, want %s matched %v", field, op, d, got, subject, wantMatch)
					}
					otherWants := false
					switch {
					case field == "hours_since_created": // assigned was created at t0-5h
						otherWants = slices.Contains([]string{">", ">="}, op)
					case field == "hours_since_updated": // fresh was updated at t0 too
						otherWants = wantMatch
					}
					if slices.Contains(got, other) != otherWants {
						t.Errorf("%s %s 2 at t0+%v: matched %v; %s should match: %v", field, op, d, got, other, otherWants)
					}
				}
			}
		}
	})
}

func TestEscalationActions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, watcher := e.user("agent"), e.user("agent")
		dept := e.department("Tier 2")
		tk := e.open("Stuck")
		e.clock.Advance(5 * time.Hour)
		r := e.rule(rules.Escalation, `[{"field": "no_response_hours", "value": 4}]`, fmt.Sprintf(`[
			{"type": "escalate"},
			{"type": "change_priority", "value": "urgent"},
			{"type": "assign_to", "value": %d},
			{"type": "change_department", "value": %d},
			{"type": "notify", "value": [%d, "assignee"]}]`, agent.UserID, dept, watcher.UserID))
		before := len(e.events.names(tk.ID))
		if res := e.run(rules.Escalation, e.clock.Now()); res != (rules.RunResult{Rules: 1, Applied: 1}) {
			t.Fatalf("run %+v", res)
		}
		d := e.get(tk.ID)
		if d.Status != ticket.StatusEscalated || d.Priority != "urgent" || d.AssignedTo == nil || *d.AssignedTo != agent.UserID ||
			d.DepartmentID == nil || *d.DepartmentID != dept || d.AssignedAt == nil || !d.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("ticket %+v", d.Ticket)
		}
		if got, want := e.activities(tk.ID), []string{"escalated", "priority_changed", "assigned", "department_changed"}; !slices.Equal(got, want) {
			t.Fatalf("activities %v, want %v", got, want)
		}
		for _, a := range d.Activities {
			if a.CauserID != nil {
				t.Fatalf("activity %s caused by %d, want the system", a.Type, *a.CauserID)
			}
		}
		if got, want := e.audits(tk.ID)[1:], []string{"ticket.status_changed", "ticket.priority_changed", "ticket.assigned", "ticket.department_changed"}; !slices.Equal(got, want) {
			t.Fatalf("audits %v, want %v", got, want)
		}
		if got, want := e.events.names(tk.ID)[before:], []string{"TicketStatusChanged", "TicketEscalated", "TicketPriorityChanged", "TicketAssigned", "DepartmentChanged", "TicketUpdated"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		// The assignee is whoever holds the ticket after the rule's own changes.
		var notes []notification.Notification
		if err := e.db.R.NewSelect().Model(&notes).Where("ticket_id = ?", tk.ID).OrderExpr("user_id").Scan(e.ctx); err != nil {
			t.Fatal(err)
		}
		if len(notes) != 2 || notes[0].UserID != agent.UserID || notes[1].UserID != watcher.UserID || notes[0].Type != "escalation" ||
			notes[0].ReadAt != nil || notes[0].Data["rule_id"] != float64(r.ID) || notes[0].Data["reference"] != tk.Reference {
			t.Fatalf("notifications %+v", notes)
		}

		// notify alone changes no ticket; an unassigned ticket has no assignee to tell.
		if err := e.svc.DeleteRule(e.ctx, auth.System(), rules.Escalation, r.ID); err != nil {
			t.Fatal(err)
		}
		lone := e.open("Lonely")
		e.clock.Advance(5 * time.Hour)
		e.rule(rules.Escalation, `[{"field": "no_response_hours", "value": 4}, {"field": "priority", "value": "medium"}]`,
			fmt.Sprintf(`[{"type": "notify", "value": ["assignee", %d, %d]}]`, watcher.UserID, watcher.UserID))
		updated := e.get(lone.ID).UpdatedAt
		e.run(rules.Escalation, e.clock.Now())
		if n := e.count(`SELECT count(*) FROM notifications WHERE ticket_id = ?`, lone.ID); n != 1 {
			t.Fatalf("%d notifications for the unassigned ticket, want 1 (the watcher, once)", n)
		}
		if got := e.get(lone.ID); !got.UpdatedAt.Equal(updated) || len(e.activities(lone.ID)) != 0 {
			t.Fatalf("notify changed the ticket: %+v", got.Ticket)
		}
	})
}

func TestAutomationActions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		tag := e.tag("stale")
		tk := e.open("Quiet")
		e.clock.Advance(49 * time.Hour)
		e.rule(rules.Automation, `[{"field": "hours_since_updated", "operator": ">", "value": 48}]`, fmt.Sprintf(`[
			{"type": "change_status", "value": "waiting_on_customer"},
			{"type": "change_priority", "value": "low"},
			{"type": "assign", "value": %d},
			{"type": "add_tag", "value": %d},
			{"type": "set_ticket_type", "value": "task"},
			{"type": "add_note", "value": "No news for two days."}]`, agent.UserID, tag))
		before := len(e.events.names(tk.ID))
		if res := e.run(rules.Automation, e.clock.Now()); res.Applied != 1 || res.Failed != 0 {
			t.Fatalf("run %+v", res)
		}
		d := e.get(tk.ID)
		if d.Status != ticket.StatusWaitingOnCustomer || d.Priority != "low" || d.AssignedTo == nil || *d.AssignedTo != agent.UserID ||
			d.TicketType != "task" || len(d.Tags) != 1 || d.Tags[0].ID != tag || len(d.Replies) != 1 ||
			!d.Replies[0].IsInternalNote || d.Replies[0].Body != "No news for two days." || d.Replies[0].AuthorID != nil {
			t.Fatalf("ticket %+v replies %+v", d.Summary, d.Replies)
		}
		if got, want := e.activities(tk.ID), []string{"status_changed", "priority_changed", "assigned", "tag_added", "note_added"}; !slices.Equal(got, want) {
			t.Fatalf("activities %v, want %v", got, want)
		}
		if got, want := e.audits(tk.ID)[1:], []string{"ticket.status_changed", "ticket.priority_changed", "ticket.assigned", "ticket.tag_added", "ticket.type_changed", "ticket.note_added"}; !slices.Equal(got, want) {
			t.Fatalf("audits %v, want %v", got, want)
		}
		if got, want := e.events.names(tk.ID)[before:], []string{"TicketStatusChanged", "TicketPriorityChanged", "TicketAssigned", "TagAdded", "InternalNoteAdded", "TicketUpdated"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}

		// assign with null unassigns.
		e.clock.Advance(time.Hour)
		e.rule(rules.Automation, `[{"field": "hours_since_assigned", "operator": ">=", "value": 1}]`, `[{"type": "assign", "value": null}]`)
		e.run(rules.Automation, e.clock.Now())
		if d := e.get(tk.ID); d.AssignedTo != nil || d.AssignedAt != nil || e.activities(tk.ID)[5] != "unassigned" {
			t.Fatalf("after unassign: %+v %v", d.Ticket, e.activities(tk.ID))
		}
	})
}

// TestActsOncePerTicketUntilItChanges: a rule whose conditions keep holding acts once, however
// often it runs, and again once someone changes the ticket.
func TestActsOncePerTicketUntilItChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		tk := e.open("Again?")
		e.rule(rules.Automation, `[{"field": "hours_since_created", "operator": ">=", "value": 1}]`, `[{"type": "add_note", "value": "Reminder"}]`)
		notes := func() int { return len(e.get(tk.ID).Replies) }
		if res := e.run(rules.Automation, e.clock.Now()); res.Applied != 0 || notes() != 0 {
			t.Fatalf("acted too early: %+v", res)
		}
		e.clock.Advance(time.Hour)
		for i := range 3 {
			e.clock.Advance(time.Minute)
			res := e.run(rules.Automation, e.clock.Now())
			want := 0
			if i == 0 {
				want = 1
			}
			if res.Applied != want || notes() != 1 {
				t.Fatalf("run %d: %+v, %d notes", i, res, notes())
			}
		}
		if _, err := e.tickets.ChangePriority(e.ctx, agent, tk.ID, "high"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			e.clock.Advance(time.Minute)
			e.run(rules.Automation, e.clock.Now())
		}
		if notes() != 2 {
			t.Fatalf("%d notes after the ticket changed, want 2", notes())
		}
	})
}

// TestRulesDoNotWakeEachOther: a change one rule makes is not a change that lets the other
// rules act again, or two rules that each add a note would take turns for ever.
func TestRulesDoNotWakeEachOther(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		watcher := e.user("agent")
		tk := e.open("Ping pong")
		e.rule(rules.Automation, `[{"field": "status", "value": "open"}]`, `[{"type": "add_note", "value": "ping"}]`)
		e.rule(rules.Automation, `[{"field": "status", "value": "open"}]`, `[{"type": "add_note", "value": "pong"}]`)
		e.rule(rules.Escalation, `[{"field": "status", "value": "open"}]`, fmt.Sprintf(`[{"type": "notify", "value": [%d]}]`, watcher.UserID))
		e.rule(rules.Escalation, `[{"field": "age_hours", "value": 0}]`, `[{"type": "change_priority", "value": "high"}]`)
		for range 4 {
			e.clock.Advance(time.Minute)
			e.run(rules.Automation, e.clock.Now())
			e.run(rules.Escalation, e.clock.Now())
		}
		if n := len(e.get(tk.ID).Replies); n != 2 {
			t.Fatalf("%d notes, want 2", n)
		}
		if n := e.count(`SELECT count(*) FROM notifications`); n != 1 {
			t.Fatalf("%d notifications, want 1", n)
		}
	})
}

// TestRulesRunInPositionOrder: rules run by position, so one can act on what an earlier one
// did in the same run; inactive rules do not run.
func TestRulesRunInPositionOrder(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tag := e.tag("hot")
		tk := e.open("Ordered")
		second := e.rule(rules.Automation, `[{"field": "priority", "value": "high"}]`, fmt.Sprintf(`[{"type": "add_tag", "value": %d}]`, tag))
		first := e.rule(rules.Automation, `[{"field": "status", "value": "open"}]`, `[{"type": "change_priority", "value": "high"}]`)
		off := e.rule(rules.Automation, `[{"field": "status", "value": "open"}]`, `[{"type": "set_ticket_type", "value": "incident"}]`)
		zero, one, no := 0, 1, false
		for _, u := range []struct {
			r  *rules.Rule
			in rules.RuleInput
		}{{first, rules.RuleInput{Position: &zero}}, {second, rules.RuleInput{Position: &one}}, {off, rules.RuleInput{IsActive: &no}}} {
			if _, err := e.svc.UpdateRule(e.ctx, auth.System(), rules.Automation, u.r.ID, u.in); err != nil {
				t.Fatal(err)
			}
		}
		if res := e.run(rules.Automation, e.clock.Now()); res != (rules.RunResult{Rules: 2, Applied: 2}) {
			t.Fatalf("run %+v", res)
		}
		d := e.get(tk.ID)
		if d.Priority != "high" || len(d.Tags) != 1 || d.TicketType != "question" {
			t.Fatalf("ticket %+v", d.Summary)
		}
	})
}

// TestRefusedActionsAreRecorded: when the ticket service refuses one action of a rule, none
// of the rule's actions is applied, and the rule does not retry until the ticket changes.
func TestRefusedActionsAreRecorded(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent := e.user("agent")
		tk := e.open("Waiting")
		if _, err := e.tickets.ChangeStatus(e.ctx, agent, tk.ID, ticket.StatusWaitingOnCustomer); err != nil {
			t.Fatal(err)
		}
		// waiting_on_customer → escalated is not in the transition table.
		r := e.rule(rules.Escalation, `[{"field": "age_hours", "value": 0}]`, `[{"type": "change_priority", "value": "urgent"}, {"type": "escalate"}]`)
		if res := e.run(rules.Escalation, e.clock.Now()); res != (rules.RunResult{Rules: 1, Failed: 1}) {
			t.Fatalf("run %+v", res)
		}
		if d := e.get(tk.ID); d.Priority != "medium" || d.Status != ticket.StatusWaitingOnCustomer {
			t.Fatalf("half applied: %+v", d.Ticket)
		}
		var failure string
		if err := e.db.R.NewRaw(`SELECT error FROM escalation_rule_applications WHERE rule_id = ? AND ticket_id = ?`, r.ID, tk.ID).Scan(e.ctx, &failure); err != nil || !strings.Contains(failure, "escalated") {
			t.Fatalf("recorded failure %q, %v", failure, err)
		}
		e.clock.Advance(time.Minute)
		if res := e.run(rules.Escalation, e.clock.Now()); res != (rules.RunResult{Rules: 1}) {
			t.Fatalf("second run %+v", res)
		}
		if _, err := e.tickets.ChangeStatus(e.ctx, agent, tk.ID, ticket.StatusOpen); err != nil {
			t.Fatal(err)
		}
		if res := e.run(rules.Escalation, e.clock.Now()); res != (rules.RunResult{Rules: 1, Applied: 1}) {
			t.Fatalf("run after the change %+v", res)
		}
		if d := e.get(tk.ID); d.Priority != "urgent" || d.Status != ticket.StatusEscalated {
			t.Fatalf("not applied: %+v", d.Ticket)
		}
		if !e.acted(rules.Escalation, r, tk.ID) {
			t.Fatal("the success did not replace the failure")
		}
	})
}

// TestConcurrentRunsActOnce: two desk processes, each with its own connections, run the
// escalation rules at the same moment, twice each; every ticket is escalated and notified
// about exactly once.
func TestConcurrentRunsActOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const tickets = 20
		watcher := e.user("agent")
		ids := make([]int64, tickets)
		for i := range ids {
			ids[i] = e.open(fmt.Sprintf("Ticket %d", i)).ID
		}
		e.rule(rules.Escalation, `[{"field": "age_hours", "value": 0}]`, fmt.Sprintf(`[{"type": "escalate"}, {"type": "notify", "value": [%d]}]`, watcher.UserID))
		_, other := services(openDB(t, e.url, e.clock), e.clock, e.events)
		var wg sync.WaitGroup
		results := make(chan rules.RunResult, 4)
		errs := make(chan error, 4)
		for _, svc := range []*rules.Service{e.svc, other, e.svc, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := svc.RunEscalations(e.ctx, e.clock.Now())
				results <- res
				errs <- err
			}()
		}
		wg.Wait()
		close(results)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		applied := 0
		for res := range results {
			applied += res.Applied
			if res.Failed != 0 {
				t.Fatalf("run %+v", res)
			}
		}
		if applied != tickets {
			t.Fatalf("%d applications, want %d", applied, tickets)
		}
		for _, id := range ids {
			if got := e.activities(id); !slices.Equal(got, []string{"escalated"}) {
				t.Fatalf("ticket %d activities %v", id, got)
			}
			if n := e.count(`SELECT count(*) FROM notifications WHERE ticket_id = ?`, id); n != 1 {
				t.Fatalf("ticket %d has %d notifications", id, n)
			}
		}
	})
}
