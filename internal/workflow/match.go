package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// needs says which parts of a snapshot beyond the ticket row some condition reads, so an
// evaluation loads only those.
type needs struct {
	tags, requesterEmail, replyBody bool
}

func (n needs) or(o needs) needs {
	return needs{n.tags || o.tags, n.requesterEmail || o.requesterEmail, n.replyBody || o.replyBody}
}

func (c condSet) needs() needs {
	var n needs
	for _, r := range c.rules {
		switch r.field {
		case "tags":
			n.tags = true
		case "requester_email":
			n.requesterEmail = true
		case "reply_body":
			n.replyBody = true
		}
	}
	return n
}

// snapshot is a ticket as conditions see it, at one moment.
type snapshot struct {
	t              ticket.Ticket
	tags           []int64
	requesterEmail string
	replyBody      string
	now            time.Time
	// lower holds the text fields in lower case once a contains has needed them.
	lower map[string]string
}

// loadSnapshot reads what the conditions need of ticket t (already read) through idb: the
// reader pool, or the transaction that holds the ticket's lock.
func loadSnapshot(ctx context.Context, idb bun.IDB, t ticket.Ticket, ev event.Event, n needs, now time.Time) (*snapshot, error) {
	s := &snapshot{t: t, now: now}
	if n.tags {
		if err := idb.NewRaw(`SELECT tag_id FROM ticket_tags WHERE ticket_id = ? ORDER BY tag_id`, t.ID).Scan(ctx, &s.tags); err != nil {
			return nil, fmt.Errorf("workflow: load tags: %w", err)
		}
	}
	if n.requesterEmail {
		var emails []string
		q := `SELECT email FROM users WHERE id = ?`
		var id any
		switch {
		case t.RequesterID != nil:
			id = *t.RequesterID
		case t.ContactID != nil:
			q, id = `SELECT email FROM contacts WHERE id = ?`, *t.ContactID
		}
		if id != nil {
			if err := idb.NewRaw(q, id).Scan(ctx, &emails); err != nil {
				return nil, fmt.Errorf("workflow: load requester: %w", err)
			}
		}
		if len(emails) > 0 {
			s.requesterEmail = emails[0]
		}
	}
	if id, ok := replyID(ev); ok && n.replyBody {
		var bodies []string
		if err := idb.NewRaw(`SELECT body FROM replies WHERE id = ? AND ticket_id = ?`, id, t.ID).Scan(ctx, &bodies); err != nil {
			return nil, fmt.Errorf("workflow: load reply: %w", err)
		}
		if len(bodies) > 0 {
			s.replyBody = bodies[0]
		}
	}
	return s, nil
}

// loadTicket reads a ticket outside any lock; a ticket that is gone is nil.
func loadTicket(ctx context.Context, idb bun.IDB, id int64) (*ticket.Ticket, error) {
	var t ticket.Ticket
	err := idb.NewRaw(`SELECT * FROM tickets WHERE id = ?`, id).Scan(ctx, &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workflow: load ticket %d: %w", id, err)
	}
	return &t, nil
}

// replyID is the id of the reply an event is about. Events reach the job as JSON, so the id
// is a float64 there; in process it is an int64.
func replyID(ev event.Event) (int64, bool) {
	r, ok := ev.Data["reply"].(map[string]any)
	if !ok {
		return 0, false
	}
	switch id := r["id"].(type) {
	case float64:
		return int64(id), true
	case int64:
		return id, true
	}
	return 0, false
}

func (s *snapshot) text(field string) string {
	switch field {
	case "subject":
		return s.t.Subject
	case "description":
		return s.t.Description
	case "reference":
		return s.t.Reference
	case "requester_email":
		return s.requesterEmail
	case "reply_body":
		return s.replyBody
	case "status":
		return s.t.Status
	case "priority":
		return s.t.Priority
	case "ticket_type":
		return s.t.TicketType
	case "channel":
		return s.t.Channel
	}
	return ""
}

func (s *snapshot) lowered(field string) string {
	if v, ok := s.lower[field]; ok {
		return v
	}
	if s.lower == nil {
		s.lower = map[string]string{}
	}
	v := strings.ToLower(s.text(field))
	s.lower[field] = v
	return v
}

func (s *snapshot) ref(field string) *int64 {
	switch field {
	case "department_id":
		return s.t.DepartmentID
	case "assigned_to":
		return s.t.AssignedTo
	case "requester_id":
		return s.t.RequesterID
	}
	return nil
}

// holds reports whether the snapshot meets the conditions.
func (c condSet) holds(s *snapshot) bool {
	for i := range c.rules {
		if c.rules[i].holds(s) == c.any {
			return c.any
		}
	}
	return !c.any || len(c.rules) == 0
}

func (c *cond) holds(s *snapshot) bool {
	switch c.kind {
	case kText, kEnum, kPriority:
		return c.holdsText(s)
	case kRef:
		v := s.ref(c.field)
		switch c.op {
		case "equals":
			return v != nil && *v == c.id
		case "not_equals":
			return v == nil || *v != c.id
		case "in":
			return v != nil && slices.Contains(c.ids, *v)
		case "not_in":
			return v == nil || !slices.Contains(c.ids, *v)
		case "is_empty":
			return v == nil
		case "is_not_empty":
			return v != nil
		}
	case kTags:
		switch c.op {
		case "contains":
			return slices.Contains(s.tags, c.id)
		case "not_contains":
			return !slices.Contains(s.tags, c.id)
		case "in":
			return hasAny(s.tags, c.ids)
		case "not_in":
			return !hasAny(s.tags, c.ids)
		case "is_empty":
			return len(s.tags) == 0
		case "is_not_empty":
			return len(s.tags) > 0
		}
	case kBool:
		v := s.t.SlaFirstResponseBreached || s.t.SlaResolutionBreached
		return (v == c.flag) == (c.op == "equals")
	case kNumber:
		return compare(s.now.Sub(s.t.CreatedAt).Hours(), c.num, c.op)
	}
	return false
}

func (c *cond) holdsText(s *snapshot) bool {
	v := s.text(c.field)
	switch c.op {
	case "equals":
		return strings.EqualFold(v, c.str)
	case "not_equals":
		return !strings.EqualFold(v, c.str)
	case "in", "not_in":
		in := slices.ContainsFunc(c.strs, func(x string) bool { return strings.EqualFold(v, x) })
		return in == (c.op == "in")
	case "contains":
		return strings.Contains(s.lowered(c.field), c.str)
	case "not_contains":
		return !strings.Contains(s.lowered(c.field), c.str)
	case "is_empty":
		return strings.TrimSpace(v) == ""
	case "is_not_empty":
		return strings.TrimSpace(v) != ""
	case "matches":
		return c.re.MatchString(v)
	}
	// Priorities compare by rank, low to critical.
	return compare(float64(rank(v)), float64(rank(c.str)), c.op)
}

func compare(a, b float64, op string) bool {
	switch op {
	case "equals":
		return a == b
	case "not_equals":
		return a != b
	case "greater_than":
		return a > b
	case "less_than":
		return a < b
	case "greater_than_or_equal":
		return a >= b
	case "less_than_or_equal":
		return a <= b
	}
	return false
}

func rank(priority string) int { return slices.Index(ticket.Priorities, priority) }

func hasAny(have, want []int64) bool {
	for _, id := range want {
		if slices.Contains(have, id) {
			return true
		}
	}
	return false
}
