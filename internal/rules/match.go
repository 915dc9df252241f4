package rules

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// A condition is checked twice: in SQL, to pick candidates by indexed columns without loading
// every ticket, and in Go on the locked ticket, which decides. The SQL form never rules out a
// ticket the Go form accepts.

// where narrows the candidate query q to tickets that may meet c at now.
func (c condition) where(q *bun.SelectQuery, d *db.DB, now time.Time) *bun.SelectQuery {
	switch c.field {
	case "status":
		return q.Where("t.status = ?", c.str)
	case "priority":
		return q.Where("t.priority = ?", c.str)
	case "ticket_type":
		return q.Where("t.ticket_type = ?", c.str)
	case "department_id":
		return q.Where("t.department_id = ?", c.id)
	case "assigned":
		if c.str == "unassigned" {
			return q.Where("t.assigned_to IS NULL")
		}
		return q.Where("t.assigned_to IS NOT NULL")
	case "sla_breached":
		if c.flag {
			return q.Where("(t.sla_first_response_breached = TRUE OR t.sla_resolution_breached = TRUE)")
		}
		return q.Where("t.sla_first_response_breached = FALSE AND t.sla_resolution_breached = FALSE")
	case "subject_contains":
		return q.Where("t.subject "+d.ILike()+" ? ESCAPE '\\'", likeSuperset(c.str))
	case "age_hours":
		return q.Where("t.created_at <= ?", cutoff(now, c.hours))
	case "no_response_hours":
		return q.Where("t.first_response_at IS NULL AND t.created_at <= ?", cutoff(now, c.hours))
	case "hours_since_created":
		return sinceWhere(q, "t.created_at", c.op, now, c.hours)
	case "hours_since_updated":
		return sinceWhere(q, "t.updated_at", c.op, now, c.hours)
	case "hours_since_assigned":
		return sinceWhere(q, "t.assigned_at", c.op, now, c.hours)
	case "hours_since_last_reply":
		return sinceWhere(q, "t.last_reply_at", c.op, now, c.hours)
	}
	return q.Where("FALSE")
}

// holds reports whether t meets c at now.
func (c condition) holds(t *ticket.Ticket, now time.Time) bool {
	switch c.field {
	case "status":
		return t.Status == c.str
	case "priority":
		return t.Priority == c.str
	case "ticket_type":
		return t.TicketType == c.str
	case "department_id":
		return t.DepartmentID != nil && *t.DepartmentID == c.id
	case "assigned":
		return (t.AssignedTo == nil) == (c.str == "unassigned")
	case "sla_breached":
		return (t.SlaFirstResponseBreached || t.SlaResolutionBreached) == c.flag
	case "subject_contains":
		return containsFold(t.Subject, c.str)
	case "age_hours":
		return !t.CreatedAt.After(cutoff(now, c.hours))
	case "no_response_hours":
		return t.FirstResponseAt == nil && !t.CreatedAt.After(cutoff(now, c.hours))
	case "hours_since_created":
		return since(&t.CreatedAt, c.op, now, c.hours)
	case "hours_since_updated":
		return since(&t.UpdatedAt, c.op, now, c.hours)
	case "hours_since_assigned":
		return since(t.AssignedAt, c.op, now, c.hours)
	case "hours_since_last_reply":
		return since(t.LastReplyAt, c.op, now, c.hours)
	}
	return false
}

func holdsAll(conds []condition, t *ticket.Ticket, now time.Time) bool {
	for _, c := range conds {
		if !c.holds(t, now) {
			return false
		}
	}
	return true
}

// cutoff is the moment hours before now, to the microsecond the databases keep.
func cutoff(now time.Time, hours float64) time.Time {
	return now.Add(-time.Duration(math.Round(hours*3600e6)) * time.Microsecond)
}

// The hours since a moment compare with the operator as numbers do, except =, which holds
// through the whole hour: "= 2" is from two hours up to, not including, three.

func sinceWhere(q *bun.SelectQuery, col, op string, now time.Time, hours float64) *bun.SelectQuery {
	at := cutoff(now, hours)
	switch op {
	case ">":
		return q.Where(col+" < ?", at)
	case ">=":
		return q.Where(col+" <= ?", at)
	case "<":
		return q.Where(col+" > ?", at)
	case "<=":
		return q.Where(col+" >= ?", at)
	}
	return q.Where(col+" <= ? AND "+col+" > ?", at, cutoff(now, hours+1))
}

func since(ts *time.Time, op string, now time.Time, hours float64) bool {
	if ts == nil {
		return false
	}
	at := cutoff(now, hours)
	switch op {
	case ">":
		return ts.Before(at)
	case ">=":
		return !ts.After(at)
	case "<":
		return ts.After(at)
	case "<=":
		return !ts.Before(at)
	}
	return !ts.After(at) && ts.After(cutoff(now, hours+1))
}

// containsFold reports whether s contains sub, ignoring case by Unicode simple case folding,
// one character for one.
func containsFold(s, sub string) bool {
	rs, rsub := []rune(s), []rune(sub)
	for i := 0; i+len(rsub) <= len(rs); i++ {
		match := true
		for j, r := range rsub {
			if !foldEqual(rs[i+j], r) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func foldEqual(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

// likeSuperset is a case-insensitive LIKE pattern that matches every subject containsFold
// matches. The two databases' LIKE/ILIKE fold ASCII letters only (PostgreSQL in the C locale,
// SQLite always), so a character whose case variants are all ASCII stands for itself and any
// other (é, and k and s, which fold to the Kelvin sign and long s) matches any one character.
func likeSuperset(sub string) string {
	var b strings.Builder
	b.WriteByte('%')
	for _, r := range sub {
		switch {
		case r == '%' || r == '_' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case asciiFolds(r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	b.WriteByte('%')
	return b.String()
}

func asciiFolds(r rune) bool {
	if r >= utf8.RuneSelf {
		return false
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
