package ticket_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// lastActivity returns the newest timeline entry of a ticket with its properties decoded.
func (e *env) lastActivity(id int64) (string, map[string]any) {
	e.t.Helper()
	var rows []struct {
		Type       string `bun:"type"`
		Properties string `bun:"properties"`
	}
	if err := e.db.R.NewRaw(`SELECT type, properties FROM ticket_activities WHERE ticket_id = ? ORDER BY id DESC LIMIT 1`, id).Scan(e.ctx, &rows); err != nil || len(rows) == 0 {
		e.t.Fatalf("last activity of %d: %v", id, err)
	}
	var props map[string]any
	if err := json.Unmarshal([]byte(rows[0].Properties), &props); err != nil {
		e.t.Fatalf("activity properties %q: %v", rows[0].Properties, err)
	}
	return rows[0].Type, props
}

// lastAudit returns the newest audit row of a ticket.
func (e *env) lastAudit(id int64) (action, oldValues, newValues string) {
	e.t.Helper()
	var rows []struct {
		Action string `bun:"action"`
		Old    string `bun:"old_values"`
		New    string `bun:"new_values"`
	}
	if err := e.db.R.NewRaw(`SELECT action, old_values, new_values FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? ORDER BY id DESC LIMIT 1`, id).Scan(e.ctx, &rows); err != nil || len(rows) == 0 {
		e.t.Fatalf("last audit of %d: %v", id, err)
	}
	return rows[0].Action, rows[0].Old, rows[0].New
}

// since returns the events published for a ticket after the first n.
func (e *env) since(id int64, n int) []string { return e.events.names(id)[n:] }

// unchanged asserts that nothing was written or published for the ticket since the snapshot.
type snapshot struct{ acts, events, audits int }

func (e *env) snap(id int64) snapshot {
	return snapshot{len(e.activities(id)), len(e.events.names(id)), len(e.audits(id))}
}

func (e *env) unchanged(id int64, s snapshot, what string) {
	e.t.Helper()
	if now := e.snap(id); now != s {
		e.t.Fatalf("%s wrote or published something: before %+v, after %+v", what, s, now)
	}
}

func TestAssignAndUnassign(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, other, customer, light := e.user("agent"), e.user("agent"), e.user("customer"), e.user("light_agent")
		tk := e.open(customer, "Assign me")

		n := len(e.events.names(tk.ID))
		got, err := e.svc.Assign(e.ctx, agent, tk.ID, &other.UserID)
		if err != nil || got.AssignedTo == nil || *got.AssignedTo != other.UserID {
			t.Fatalf("assign: %+v, %v", got, err)
		}
		typ, props := e.lastActivity(tk.ID)
		if typ != "assigned" || props["agent_id"] != float64(other.UserID) || props["agent_name"] != other.Name {
			t.Fatalf("activity %s %v", typ, props)
		}
		if want := []string{"TicketAssigned", "TicketUpdated"}; !slices.Equal(e.since(tk.ID, n), want) {
			t.Fatalf("events = %v, want %v", e.since(tk.ID, n), want)
		}
		if action, _, _ := e.lastAudit(tk.ID); action != "ticket.assigned" {
			t.Fatalf("audit action = %s", action)
		}

		s := e.snap(tk.ID)
		if _, err := e.svc.Assign(e.ctx, agent, tk.ID, &other.UserID); err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "assigning the current assignee again")

		for name, id := range map[string]int64{"a customer": customer.UserID, "an unknown user": 999999, "a negative id": -3} {
			_, err := e.svc.Assign(e.ctx, agent, tk.ID, &id)
			if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["agent_id"]) == 0 {
				t.Fatalf("assign to %s: error names no agent_id: %v", name, ae)
			}
			e.unchanged(tk.ID, s, "assigning to "+name)
		}
		_, err = e.svc.Assign(e.ctx, light, tk.ID, &light.UserID)
		wantErr(t, err, apperr.KindForbidden)
		e.unchanged(tk.ID, s, "a light agent's assignment")

		n = len(e.events.names(tk.ID))
		got, err = e.svc.Assign(e.ctx, agent, tk.ID, nil)
		if err != nil || got.AssignedTo != nil {
			t.Fatalf("unassign: %+v, %v", got, err)
		}
		typ, props = e.lastActivity(tk.ID)
		if typ != "unassigned" || props["agent_id"] != float64(other.UserID) {
			t.Fatalf("activity %s %v", typ, props)
		}
		if want := []string{"TicketUnassigned", "TicketUpdated"}; !slices.Equal(e.since(tk.ID, n), want) {
			t.Fatalf("events = %v, want %v", e.since(tk.ID, n), want)
		}
		if action, _, _ := e.lastAudit(tk.ID); action != "ticket.unassigned" {
			t.Fatalf("audit action = %s", action)
		}
		s = e.snap(tk.ID)
		if _, err := e.svc.Assign(e.ctx, agent, tk.ID, nil); err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "unassigning an unassigned ticket")
	})
}

func TestChangePriority(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		tk := e.open(customer, "Urgent?")
		n := len(e.events.names(tk.ID))
		got, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, "urgent")
		if err != nil || got.Priority != "urgent" {
			t.Fatalf("priority: %+v, %v", got, err)
		}
		typ, props := e.lastActivity(tk.ID)
		if typ != "priority_changed" || props["from"] != "medium" || props["to"] != "urgent" {
			t.Fatalf("activity %s %v", typ, props)
		}
		if want := []string{"TicketPriorityChanged", "TicketUpdated"}; !slices.Equal(e.since(tk.ID, n), want) {
			t.Fatalf("events = %v, want %v", e.since(tk.ID, n), want)
		}
		if action, old, new := e.lastAudit(tk.ID); action != "ticket.priority_changed" || !strings.Contains(old, "medium") || !strings.Contains(new, "urgent") {
			t.Fatalf("audit %s %s → %s", action, old, new)
		}
		s := e.snap(tk.ID)
		for _, p := range []string{"", "URGENT", "blocker", "urgent' OR 1=1 --"} {
			_, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, p)
			if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["priority"]) == 0 {
				t.Fatalf("priority %q: error names no priority: %v", p, ae)
			}
		}
		if _, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, "urgent"); err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "invalid and unchanged priorities")
	})
}

func TestChangeDepartment(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer, light := e.user("agent"), e.user("customer"), e.user("light_agent")
		billing := e.department("Billing")
		tk := e.open(customer, "Invoice")

		n := len(e.events.names(tk.ID))
		got, err := e.svc.ChangeDepartment(e.ctx, agent, tk.ID, &billing)
		if err != nil || got.DepartmentID == nil || *got.DepartmentID != billing {
			t.Fatalf("department: %+v, %v", got, err)
		}
		typ, props := e.lastActivity(tk.ID)
		if typ != "department_changed" || props["department"] != "Billing" || props["to"] != float64(billing) || props["from"] != nil {
			t.Fatalf("activity %s %v", typ, props)
		}
		if want := []string{"DepartmentChanged", "TicketUpdated"}; !slices.Equal(e.since(tk.ID, n), want) {
			t.Fatalf("events = %v, want %v", e.since(tk.ID, n), want)
		}
		if action, _, _ := e.lastAudit(tk.ID); action != "ticket.department_changed" {
			t.Fatalf("audit action = %s", action)
		}
		d, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil || d.Department == nil || d.Department.Name != "Billing" {
			t.Fatalf("detail department = %+v, %v", d.Department, err)
		}

		s := e.snap(tk.ID)
		unknown := int64(424242)
		_, err = e.svc.ChangeDepartment(e.ctx, agent, tk.ID, &unknown)
		if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["department_id"]) == 0 {
			t.Fatalf("unknown department: %v", ae)
		}
		_, err = e.svc.ChangeDepartment(e.ctx, light, tk.ID, nil)
		wantErr(t, err, apperr.KindForbidden)
		if _, err := e.svc.ChangeDepartment(e.ctx, agent, tk.ID, &billing); err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "refused and unchanged department moves")

		got, err = e.svc.ChangeDepartment(e.ctx, agent, tk.ID, nil)
		if err != nil || got.DepartmentID != nil {
			t.Fatalf("no department: %+v, %v", got, err)
		}
		if typ, props := e.lastActivity(tk.ID); typ != "department_changed" || props["from"] != float64(billing) || props["to"] != nil {
			t.Fatalf("activity %s %v", typ, props)
		}
	})
}

func TestAddAndRemoveTags(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer, light := e.user("agent"), e.user("customer"), e.user("light_agent")
		vip, bug := e.tag("vip"), e.tag("bug")
		tk := e.open(customer, "Tag me")

		n := len(e.events.names(tk.ID))
		if _, err := e.svc.AddTags(e.ctx, agent, tk.ID, []int64{vip, bug, vip}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"tag_added", "tag_added"}; !slices.Equal(e.activities(tk.ID), want) {
			t.Fatalf("activities = %v, want %v", e.activities(tk.ID), want)
		}
		if typ, props := e.lastActivity(tk.ID); typ != "tag_added" || props["tag"] != "bug" || props["tag_id"] != float64(bug) {
			t.Fatalf("activity %s %v", typ, props)
		}
		if want := []string{"TagAdded", "TagAdded", "TicketUpdated"}; !slices.Equal(e.since(tk.ID, n), want) {
			t.Fatalf("events = %v, want %v", e.since(tk.ID, n), want)
		}
		// One operation, one audit row, and it names every tag it added.
		if got := e.audits(tk.ID); !slices.Equal(got, []string{"ticket.created", "ticket.tag_added"}) {
			t.Fatalf("audit rows = %v", got)
		}
		if _, _, new := e.lastAudit(tk.ID); !strings.Contains(new, "vip") || !strings.Contains(new, "bug") {
			t.Fatalf("audit of adding vip and bug records %s", new)
		}
		d, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil || len(d.Tags) != 2 || d.Tags[0].Name != "bug" || d.Tags[1].Name != "vip" {
			t.Fatalf("detail tags = %+v, %v", d.Tags, err)
		}

		s := e.snap(tk.ID)
		if _, err := e.svc.AddTags(e.ctx, agent, tk.ID, []int64{vip}); err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "adding a tag the ticket has")
		for name, ids := range map[string][]int64{"no tags": nil, "an unknown tag": {vip, 777}, "a negative id": {-1}} {
			_, err := e.svc.RemoveTags(e.ctx, agent, tk.ID, ids)
			if ae := wantErr(t, err, apperr.KindValidation); len(ae.Fields["tag_ids"]) == 0 {
				t.Fatalf("%s: error names no tag_ids: %v", name, ae)
			}
		}
		// The one tag a URL names is an object of the path: unknown, it is not found.
		for _, id := range []int64{777, 0, -1} {
			_, err := e.svc.RemoveTag(e.ctx, agent, tk.ID, id)
			wantErr(t, err, apperr.KindNotFound)
		}
		_, err = e.svc.AddTags(e.ctx, light, tk.ID, []int64{vip})
		wantErr(t, err, apperr.KindForbidden)
		_, err = e.svc.RemoveTag(e.ctx, light, tk.ID, vip)
		wantErr(t, err, apperr.KindForbidden)
		e.unchanged(tk.ID, s, "refused tag changes")
		if n := e.count(`SELECT count(*) FROM ticket_tags WHERE ticket_id = ?`, tk.ID); n != 2 {
			t.Fatalf("a refused removal took tags off: %d left", n)
		}

		n = len(e.events.names(tk.ID))
		if _, err := e.svc.RemoveTag(e.ctx, agent, tk.ID, vip); err != nil {
			t.Fatal(err)
		}
		if typ, props := e.lastActivity(tk.ID); typ != "tag_removed" || props["tag"] != "vip" {
			t.Fatalf("activity %s %v", typ, props)
		}
		if want := []string{"TagRemoved", "TicketUpdated"}; !slices.Equal(e.since(tk.ID, n), want) {
			t.Fatalf("events = %v, want %v", e.since(tk.ID, n), want)
		}
		if action, old, _ := e.lastAudit(tk.ID); action != "ticket.tag_removed" || !strings.Contains(old, "vip") {
			t.Fatalf("audit %s old %s", action, old)
		}
		s = e.snap(tk.ID)
		if _, err := e.svc.RemoveTags(e.ctx, agent, tk.ID, []int64{vip}); err != nil {
			t.Fatal(err)
		}
		e.unchanged(tk.ID, s, "removing a tag the ticket does not have")
	})
}

func TestCreateWithTagsAndDepartment(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		dept, tag := e.department("Support"), e.tag("new")
		tk, err := e.svc.Create(e.ctx, agent, ticket.CreateInput{Subject: "On behalf", Description: "x", RequesterID: &customer.UserID, DepartmentID: &dept, TagIDs: []int64{tag}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.GetForRequester(e.ctx, customer, tk.ID)
		if err != nil || d.Department == nil || d.Department.Name != "Support" || len(d.Tags) != 1 || d.RequesterID == nil || *d.RequesterID != customer.UserID {
			t.Fatalf("created ticket = %+v, %v", d, err)
		}
		if d.Reference != "ESC-"+strings.Repeat("0", 4)+"1" {
			t.Fatalf("reference = %s", d.Reference)
		}
	})
}

// TestFailedOperationsWriteNothing: a change that fails validation, permission or the
// transition table rolls back whole: no row, no activity, no audit entry, no event.
func TestFailedOperationsWriteNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer, other := e.user("agent"), e.user("customer"), e.user("customer")
		vip := e.tag("vip")
		tk := e.open(customer, "Stable")
		e.clock.Advance(time.Hour)
		total := func() [5]int {
			return [5]int{
				e.count(`SELECT count(*) FROM tickets`), e.count(`SELECT count(*) FROM replies`),
				e.count(`SELECT count(*) FROM ticket_activities`), e.count(`SELECT count(*) FROM audit_logs`),
				e.count(`SELECT count(*) FROM ticket_tags`),
			}
		}
		before, events := total(), e.events.len()
		unknown := int64(9999)
		failures := map[string]func() error{
			"bad transition": func() error { _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "reopened"); return err },
			"same status":    func() error { _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "open"); return err },
			"unknown status": func() error { _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "bogus"); return err },
			"assign a customer": func() error {
				_, err := e.svc.Assign(e.ctx, agent, tk.ID, &customer.UserID)
				return err
			},
			"bad priority":       func() error { _, err := e.svc.ChangePriority(e.ctx, agent, tk.ID, "soon"); return err },
			"unknown department": func() error { _, err := e.svc.ChangeDepartment(e.ctx, agent, tk.ID, &unknown); return err },
			"one unknown tag among good ones": func() error {
				_, err := e.svc.AddTags(e.ctx, agent, tk.ID, []int64{vip, unknown})
				return err
			},
			"empty reply": func() error {
				_, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "  "})
				return err
			},
			"NUL in reply": func() error {
				_, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "a\x00b"})
				return err
			},
			"customer note": func() error {
				_, err := e.svc.Reply(e.ctx, customer, tk.ID, ticket.ReplyInput{Body: "psst", IsInternalNote: true})
				return err
			},
			"someone else's ticket": func() error {
				_, err := e.svc.Reply(e.ctx, other, tk.ID, ticket.ReplyInput{Body: "hi"})
				return err
			},
			"close someone else's ticket": func() error {
				_, err := e.svc.ChangeStatusAsRequester(e.ctx, other, tk.ID, "closed")
				return err
			},
			"create with unknown department": func() error {
				_, err := e.svc.Create(e.ctx, agent, ticket.CreateInput{Subject: "x", Description: "y", DepartmentID: &unknown})
				return err
			},
			"create with unknown tag": func() error {
				_, err := e.svc.Create(e.ctx, agent, ticket.CreateInput{Subject: "x", Description: "y", TagIDs: []int64{vip, unknown}})
				return err
			},
			"create for another customer": func() error {
				_, err := e.svc.Create(e.ctx, customer, ticket.CreateInput{Subject: "x", Description: "y", RequesterID: &other.UserID})
				return err
			},
		}
		for name, fn := range failures {
			if err := fn(); err == nil {
				t.Fatalf("%s: succeeded", name)
			} else if !apperr.Is(err, apperr.KindValidation) && !apperr.Is(err, apperr.KindConflict) &&
				!apperr.Is(err, apperr.KindForbidden) && !apperr.Is(err, apperr.KindNotFound) {
				t.Fatalf("%s: untyped error %v", name, err)
			}
			if after := total(); after != before || e.events.len() != events {
				t.Fatalf("%s: rows %v → %v, events %d → %d", name, before, after, events, e.events.len())
			}
		}
		d, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil || !d.UpdatedAt.Equal(tk.UpdatedAt) {
			t.Fatalf("ticket touched by failed operations: %+v, %v", d, err)
		}
	})
}

// TestEventsArePublishedAfterCommit: a listener that reads the database sees the change its
// event reports, which it could not if events were published inside the transaction.
func TestEventsArePublishedAfterCommit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		tk := e.open(customer, "Committed")
		seen := map[string]string{}
		e.bus.Subscribe(func(_ context.Context, ev event.Event) {
			var status []string
			e.db.R.NewRaw(`SELECT status FROM tickets WHERE id = ?`, ev.Ticket.ID).Scan(e.ctx, &status)
			var acts int
			e.db.R.NewRaw(`SELECT count(*) FROM ticket_activities WHERE ticket_id = ?`, ev.Ticket.ID).Scan(e.ctx, &acts)
			seen[ev.Name] = fmt.Sprintf("%v/%d", status, acts)
		})
		if _, err := e.svc.ChangeStatus(e.ctx, agent, tk.ID, "resolved"); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"TicketStatusChanged", "TicketResolved", "TicketUpdated"} {
			if seen[name] != "[resolved]/1" {
				t.Fatalf("listener of %s saw %q, want the committed [resolved]/1", name, seen[name])
			}
		}
	})
}

// TestCustomersNeverSeeInternalNotes covers the requester's view of a ticket: no notes, no
// files attached to notes, no timeline.
func TestCustomersNeverSeeInternalNotes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		agent, customer := e.user("agent"), e.user("customer")
		tk := e.open(customer, "Secrets")
		public, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "Public answer"})
		if err != nil {
			t.Fatal(err)
		}
		note, err := e.svc.Reply(e.ctx, agent, tk.ID, ticket.ReplyInput{Body: "Internal only", IsInternalNote: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []int64{public.ID, note.ID} {
			e.insert(`INSERT INTO attachments (ticket_id, reply_id, original_filename, mime_type, size, storage_key, created_at)
				VALUES (?, ?, ?, 'text/plain', 1, ?, ?)`, tk.ID, r, fmt.Sprintf("reply-%d.txt", r), fmt.Sprintf("k%d", r), e.clock.Now())
		}
		// A file of the ticket itself, attached when it was opened.
		e.insert(`INSERT INTO attachments (ticket_id, original_filename, mime_type, size, storage_key, created_at)
			VALUES (?, 'opening.txt', 'text/plain', 1, 'k0', ?)`, tk.ID, e.clock.Now())

		staff, err := e.svc.Get(e.ctx, agent, tk.ID)
		if err != nil || len(staff.Replies) != 2 || len(staff.Attachments) != 3 || len(staff.Activities) == 0 {
			t.Fatalf("staff view: %d replies, %d attachments, %d activities, %v", len(staff.Replies), len(staff.Attachments), len(staff.Activities), err)
		}
		for name, get := range map[string]func() (*ticket.Detail, error){
			"Get":             func() (*ticket.Detail, error) { return e.svc.Get(e.ctx, customer, tk.ID) },
			"GetForRequester": func() (*ticket.Detail, error) { return e.svc.GetForRequester(e.ctx, customer, tk.ID) },
		} {
			d, err := get()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(d.Replies) != 1 || d.Replies[0].ID != public.ID || len(d.Replies[0].Attachments) != 1 {
				t.Fatalf("%s: customer sees replies %+v", name, d.Replies)
			}
			if len(d.Attachments) != 2 || d.Attachments[0].ReplyID == nil || *d.Attachments[0].ReplyID != public.ID || d.Attachments[1].ReplyID != nil {
				t.Fatalf("%s: customer sees attachments %+v", name, d.Attachments)
			}
			if len(d.Activities) != 0 {
				t.Fatalf("%s: customer sees the timeline %+v", name, d.Activities)
			}
		}
	})
}
