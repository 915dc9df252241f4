package ticket

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
)

// ReplyInput is a reply or an internal note.
type ReplyInput struct {
	Body           string `json:"body"`
	IsInternalNote bool   `json:"is_internal_note"`
	// Attachments are files already in storage, recorded on the reply.
	Attachments []File `json:"-"`
}

// Reply adds a public reply or an internal note. A customer's reply wakes a snoozed ticket,
// moves a ticket waiting on them to waiting_on_agent and reopens a solved one (when
// reopen_on_customer_reply is on); the first public reply by staff records the first response.
func (s *Service) Reply(ctx context.Context, actor *auth.Actor, ticketID int64, in ReplyInput) (*Reply, error) {
	if err := checkReply(actor, in); err != nil {
		return nil, err
	}
	cfg, err := s.setting(ctx)
	if err != nil {
		return nil, err
	}
	var r *Reply
	_, err = s.mutate(ctx, actor, ticketID, replyAction(in), func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		var err error
		r, err = s.addReply(ctx, tx, t, c, in, cfg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkReply validates a reply and the actor's right to post it.
func checkReply(actor *auth.Actor, in ReplyInput) error {
	var v apperr.Validation
	v.CheckText("body", in.Body, true, maxBody)
	checkFiles(&v, in.Attachments)
	if err := v.Err(); err != nil {
		return err
	}
	switch {
	case (actor.IsCustomer() || actor.IsGuest()) && in.IsInternalNote:
		return apperr.Forbidden("Customers cannot add internal notes.")
	case actor.IsAgent() && in.IsInternalNote && !actor.Can("reply.create_internal"):
		return apperr.Forbidden("You may not add internal notes.")
	case actor.IsAgent() && !in.IsInternalNote && !actor.Can("reply.create"):
		return apperr.Forbidden("You may not post public replies; add an internal note instead.")
	}
	return nil
}

func replyAction(in ReplyInput) string {
	if in.IsInternalNote {
		return "ticket.note_added"
	}
	return "ticket.replied"
}

func (s *Service) addReply(ctx context.Context, tx bun.Tx, t *Ticket, c *change, in ReplyInput, cfg settings.Values) (*Reply, error) {
	actor := c.actor
	r := &Reply{TicketID: t.ID, AuthorID: actor.ActorID(), ContactID: actor.ActorContactID(), Body: in.Body,
		IsInternalNote: in.IsInternalNote, CreatedAt: c.now, UpdatedAt: c.now}
	if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
		return nil, fmt.Errorf("ticket: insert reply: %w", err)
	}
	r.Author = &Person{ID: actor.UserID, Name: actor.Name}
	if actor.IsGuest() {
		r.Author = &Person{ID: actor.ContactID, Name: actor.Name}
	}
	files, err := attach(ctx, tx, t.ID, &r.ID, in.Attachments, c.now)
	if err != nil {
		return nil, err
	}
	r.Attachments = files
	replyData := map[string]any{"reply": map[string]any{"id": r.ID, "is_internal_note": r.IsInternalNote}}
	if in.IsInternalNote {
		c.activity(t.ID, "note_added", map[string]any{"reply_id": r.ID})
		c.emit(event.InternalNoteAdded, replyData)
		c.record("reply_id", nil, r.ID)
		return r, nil
	}
	t.LastReplyAt = &c.now
	c.activity(t.ID, "replied", map[string]any{"reply_id": r.ID})
	c.emit(event.ReplyCreated, replyData)
	c.record("reply_id", nil, r.ID)
	if actor.IsAgent() && t.FirstResponseAt == nil {
		t.FirstResponseAt = &c.now
	}
	// A guest is the requester answering through their magic link: their reply is a
	// customer's reply.
	if actor.IsCustomer() || actor.IsGuest() {
		if t.SnoozedUntil != nil {
			unsnooze(t, c, "customer_reply")
		}
		switch {
		case t.Status == StatusWaitingOnCustomer:
			return r, s.moveStatus(ctx, tx, t, c, StatusWaitingOnAgent, false)
		case !t.IsOpen && cfg.Bool("reopen_on_customer_reply"):
			return r, s.moveStatus(ctx, tx, t, c, StatusReopened, false)
		}
	}
	return r, nil
}

// ChangeStatus moves a ticket to another status through the transition table. A move the
// table does not allow is a conflict that lists the statuses that are allowed.
func (s *Service) ChangeStatus(ctx context.Context, actor *auth.Actor, ticketID int64, to string) (*Ticket, error) {
	return s.changeStatus(ctx, actor, ticketID, to, actor.IsCustomer())
}

// ChangeStatusAsRequester changes the status with the requester's rights, which are the
// customer's: close (when allow_customer_close) and reopen, only on their own ticket.
func (s *Service) ChangeStatusAsRequester(ctx context.Context, actor *auth.Actor, ticketID int64, to string) (*Ticket, error) {
	return s.changeStatus(ctx, actor, ticketID, to, true)
}

func (s *Service) changeStatus(ctx context.Context, actor *auth.Actor, ticketID int64, to string, asRequester bool) (*Ticket, error) {
	if err := checkStatus(to); err != nil {
		return nil, err
	}
	cfg, err := s.setting(ctx)
	if err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, "ticket.status_changed", func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		if asRequester {
			if t.RequesterID == nil || *t.RequesterID != actor.UserID {
				return apperr.NotFound("Ticket")
			}
			switch {
			case to == StatusClosed && !cfg.Bool("allow_customer_close"):
				return apperr.Forbidden("Customers may not close tickets on this desk.")
			case to != StatusClosed && to != StatusReopened:
				return apperr.Forbidden("Customers may only close or reopen their tickets.")
			}
		} else if err := requireStatusPermission(actor, to); err != nil {
			return err
		}
		return s.moveStatus(ctx, tx, t, c, to, true)
	})
}

func checkStatus(to string) error {
	var v apperr.Validation
	v.CheckText("status", to, true, maxStatus)
	return v.Err()
}

func requireStatusPermission(actor *auth.Actor, to string) error {
	perm := "ticket.edit"
	if to == StatusClosed || to == StatusResolved {
		perm = "ticket.close"
	}
	if !actor.Can(perm) {
		return apperr.Forbidden("You may not change this ticket's status (needs " + perm + ").")
	}
	return nil
}

// moveStatus applies one status change with its timestamps, timeline entry and events.
// A requested change (requested true) must be in the transition table and must not be to the
// current status. The desk's own lifecycle moves (a customer's reply handing the ticket back
// to the agents) are part of the domain's rules and apply whatever the table says.
func (s *Service) moveStatus(ctx context.Context, tx bun.Tx, t *Ticket, c *change, to string, requested bool) error {
	if to == t.Status {
		if requested {
			return apperr.Conflict(fmt.Sprintf("The ticket is already %s.", to))
		}
		return nil
	}
	category, err := s.statusCategory(ctx, tx, to)
	if err != nil {
		return err
	}
	if category == "" {
		return apperr.Invalid("status", fmt.Sprintf("The status %q does not exist.", to))
	}
	allowed, err := allowedFrom(ctx, tx, t.Status)
	if err != nil {
		return err
	}
	if requested && !isOneOf(to, allowed) {
		e := apperr.Conflict(fmt.Sprintf("A ticket cannot move from %s to %s; allowed: %s.", t.Status, to, strings.Join(allowed, ", ")))
		e.Extra = map[string]any{"allowed_transitions": allowed, "from": t.Status, "to": to}
		return e
	}
	from := t.Status
	t.Status = to
	t.IsOpen = category != "solved"
	switch to {
	case StatusResolved:
		t.ResolvedAt = &c.now
	case StatusClosed:
		t.ClosedAt = &c.now
	case StatusReopened:
		t.ResolvedAt, t.ClosedAt = nil, nil
	}
	c.record("status", from, to)
	c.updated = true
	props := map[string]any{"from": from, "to": to}
	specific := map[string]struct{ activity, event string }{
		StatusResolved:  {"resolved", event.TicketResolved},
		StatusClosed:    {"closed", event.TicketClosed},
		StatusReopened:  {"reopened", event.TicketReopened},
		StatusEscalated: {"escalated", event.TicketEscalated},
	}[to]
	if specific.activity != "" {
		c.activity(t.ID, specific.activity, props)
	} else {
		c.activity(t.ID, "status_changed", props)
	}
	c.emit(event.TicketStatusChanged, props)
	if specific.event != "" {
		c.emit(specific.event, props)
	}
	return nil
}

// Assign gives the ticket to an agent, or takes it away when agentID is nil.
func (s *Service) Assign(ctx context.Context, actor *auth.Actor, ticketID int64, agentID *int64) (*Ticket, error) {
	if err := checkAssign(actor); err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, "ticket.assigned", func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		return assign(ctx, tx, t, c, agentID)
	})
}

func checkAssign(actor *auth.Actor) error {
	if !actor.Can("ticket.assign") {
		return apperr.Forbidden("You may not assign tickets.")
	}
	return nil
}

// assign sets the assignee and when the ticket was assigned, which time-based rules read.
func assign(ctx context.Context, tx bun.Tx, t *Ticket, c *change, agentID *int64) error {
	if sameID(t.AssignedTo, agentID) {
		return nil
	}
	if agentID == nil {
		prev := *t.AssignedTo
		t.AssignedTo, t.AssignedAt = nil, nil
		c.action = "ticket.unassigned"
		c.record("assigned_to", prev, nil)
		c.updated = true
		c.activity(t.ID, "unassigned", map[string]any{"agent_id": prev})
		c.emit(event.TicketUnassigned, map[string]any{"agent_id": prev})
		return nil
	}
	var agent struct {
		Name     string `bun:"name"`
		Role     string `bun:"role"`
		IsActive bool   `bun:"is_active"`
	}
	err := tx.NewRaw(`SELECT name, role, is_active FROM users WHERE id = ?`, *agentID).Scan(ctx, &agent)
	if err != nil || agent.Role == auth.RoleCustomer || !agent.IsActive {
		return apperr.Invalid("agent_id", "The selected agent_id is not an active agent.")
	}
	c.record("assigned_to", t.AssignedTo, *agentID)
	t.AssignedTo, t.AssignedAt = agentID, &c.now
	c.updated = true
	c.activity(t.ID, "assigned", map[string]any{"agent_id": *agentID, "agent_name": agent.Name})
	c.emit(event.TicketAssigned, map[string]any{"agent_id": *agentID})
	return nil
}

// ChangePriority sets the ticket's priority.
func (s *Service) ChangePriority(ctx context.Context, actor *auth.Actor, ticketID int64, priority string) (*Ticket, error) {
	if err := checkPriority(actor, priority); err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, "ticket.priority_changed", func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		setPriority(t, c, priority)
		return nil
	})
}

func checkPriority(actor *auth.Actor, priority string) error {
	if !isOneOf(priority, Priorities) {
		return apperr.Invalid("priority", "The selected priority is invalid; use one of: "+strings.Join(Priorities, ", ")+".")
	}
	if !actor.Can("ticket.edit") {
		return apperr.Forbidden("You may not change the priority.")
	}
	return nil
}

func setPriority(t *Ticket, c *change, priority string) {
	if t.Priority == priority {
		return
	}
	props := map[string]any{"from": t.Priority, "to": priority}
	c.record("priority", t.Priority, priority)
	t.Priority = priority
	c.updated = true
	c.activity(t.ID, "priority_changed", props)
	c.emit(event.TicketPriorityChanged, props)
}

// ChangeDepartment moves the ticket to another department, or to none when departmentID is nil.
func (s *Service) ChangeDepartment(ctx context.Context, actor *auth.Actor, ticketID int64, departmentID *int64) (*Ticket, error) {
	if err := checkDepartment(actor); err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, "ticket.department_changed", func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		return setDepartment(ctx, tx, t, c, departmentID)
	})
}

func checkDepartment(actor *auth.Actor) error {
	if !actor.Can("ticket.edit") {
		return apperr.Forbidden("You may not change the department.")
	}
	return nil
}

func setDepartment(ctx context.Context, tx bun.Tx, t *Ticket, c *change, departmentID *int64) error {
	if sameID(t.DepartmentID, departmentID) {
		return nil
	}
	name := ""
	if departmentID != nil {
		var names []string
		if err := tx.NewRaw(`SELECT name FROM departments WHERE id = ?`, *departmentID).Scan(ctx, &names); err != nil {
			return fmt.Errorf("ticket: load department: %w", err)
		}
		if len(names) == 0 {
			return apperr.Invalid("department_id", "The selected department_id is invalid.")
		}
		name = names[0]
	}
	props := map[string]any{"from": t.DepartmentID, "to": departmentID, "department": name}
	c.record("department_id", t.DepartmentID, departmentID)
	t.DepartmentID = departmentID
	c.updated = true
	c.activity(t.ID, "department_changed", props)
	c.emit(event.DepartmentChanged, props)
	return nil
}

// AddTags puts tags on the ticket; tags it already has are left alone.
func (s *Service) AddTags(ctx context.Context, actor *auth.Actor, ticketID int64, tagIDs []int64) (*Ticket, error) {
	return s.changeTags(ctx, actor, ticketID, tagIDs, true)
}

// RemoveTags takes tags off the ticket; tags it does not have are left alone.
func (s *Service) RemoveTags(ctx context.Context, actor *auth.Actor, ticketID int64, tagIDs []int64) (*Ticket, error) {
	return s.changeTags(ctx, actor, ticketID, tagIDs, false)
}

// RemoveTag takes off the ticket the one tag a URL names. A tag that does not exist is not
// found, as any object a path names, rather than an invalid tag_ids field the caller never
// sent; one the ticket does not have is left alone.
func (s *Service) RemoveTag(ctx context.Context, actor *auth.Actor, ticketID, tagID int64) (*Ticket, error) {
	if err := checkTags(actor, []int64{tagID}); err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, tagAction(false), func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		found, err := exists(ctx, tx, "tags", tagID)
		if err != nil {
			return err
		}
		if !found {
			return apperr.NotFound("Tag")
		}
		return changeTags(ctx, tx, t, c, []int64{tagID}, false)
	})
}

func (s *Service) changeTags(ctx context.Context, actor *auth.Actor, ticketID int64, tagIDs []int64, add bool) (*Ticket, error) {
	if err := checkTags(actor, tagIDs); err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, tagAction(add), func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		return changeTags(ctx, tx, t, c, tagIDs, add)
	})
}

func checkTags(actor *auth.Actor, tagIDs []int64) error {
	if len(tagIDs) == 0 {
		return apperr.Invalid("tag_ids", "The tag_ids field is required.")
	}
	if !actor.Can("ticket.edit") {
		return apperr.Forbidden("You may not change tags.")
	}
	return nil
}

func tagAction(add bool) string {
	if add {
		return "ticket.tag_added"
	}
	return "ticket.tag_removed"
}

func changeTags(ctx context.Context, tx bun.Tx, t *Ticket, c *change, tagIDs []int64, add bool) error {
	activity, name := "tag_added", event.TagAdded
	if !add {
		activity, name = "tag_removed", event.TagRemoved
	}
	if err := checkRefs(ctx, tx, nil, nil, tagIDs); err != nil {
		return err
	}
	var changed []string
	for _, id := range tagIDs {
		var tagName string
		if err := tx.NewRaw(`SELECT name FROM tags WHERE id = ?`, id).Scan(ctx, &tagName); err != nil {
			return fmt.Errorf("ticket: load tag %d: %w", id, err)
		}
		q := `INSERT INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
		if !add {
			q = `DELETE FROM ticket_tags WHERE ticket_id = ? AND tag_id = ?`
		}
		res, err := tx.NewRaw(q, t.ID, id).Exec(ctx)
		if err != nil {
			return fmt.Errorf("ticket: %s: %w", tagAction(add), err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		c.updated = true
		changed = append(changed, tagName)
		c.activity(t.ID, activity, map[string]any{"tag": tagName, "tag_id": id})
		c.emit(name, map[string]any{"tag": map[string]any{"id": id, "name": tagName}})
	}
	// One audit entry covers the whole operation, so it names every tag it changed.
	switch {
	case len(changed) == 0:
	case add:
		c.record("tags", nil, changed)
	default:
		c.record("tags", changed, nil)
	}
	return nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
