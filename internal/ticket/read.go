package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Filter selects tickets for a list. Zero values mean "any".
type Filter struct {
	Statuses      []string
	Priorities    []string
	AssignedTo    *int64
	Unassigned    bool
	DepartmentID  *int64
	TagID         *int64
	Search        string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	SLABreached   bool
	// Snoozed, when set, keeps the tickets whose is_snoozed is that: snoozed until a time
	// still to come, or not.
	Snoozed    *bool
	TicketType string
	// FollowedBy keeps the tickets that user follows.
	FollowedBy    *int64
	OpenOnly      bool
	RequesterID   *int64
	Sort          string // a key of SortKeys
	Desc          bool
	Page, PerPage int
}

// SortKeys are the columns a list may be sorted by.
var SortKeys = map[string]string{
	"created_at": "t.created_at",
	"updated_at": "t.updated_at",
	"priority":   priorityOrder,
	"status":     "t.status",
	"subject":    "t.subject",
	"reference":  "t.id",
	"id":         "t.id",
	"due_at":     "t.resolution_due_at",
}

const priorityOrder = `CASE t.priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 WHEN 'critical' THEN 4 ELSE 5 END`

// Page is one page of a list with the total it was cut from.
type Page[T any] struct {
	Items   []T
	Total   int
	Page    int
	PerPage int
}

// List returns the tickets the actor may see that match f: a customer's own tickets, or for
// staff with ticket.view the whole queue.
func (s *Service) List(ctx context.Context, actor *auth.Actor, f Filter) (*Page[Summary], error) {
	if !actor.IsCustomer() && !actor.Can("ticket.view") {
		return nil, apperr.Forbidden("You may not view tickets.")
	}
	if f.PerPage <= 0 {
		f.PerPage = 25
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	walk := false // see walkInOrder
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if actor.IsCustomer() {
			q = q.Where("t.requester_id = ?", actor.UserID)
		}
		return s.applyFilterFor(q, f, walk)
	}
	total, err := s.count(ctx, actor, f, where)
	if err != nil {
		return nil, err
	}
	walk = s.walkInOrder(f, total)
	order := "t.updated_at"
	if col, ok := SortKeys[f.Sort]; ok {
		order = col
	}
	dir := " ASC"
	if f.Desc || f.Sort == "" {
		dir = " DESC"
	}
	// The page's ids are found first, from the tickets table alone, so the database can
	// answer from an index and sort narrow rows; only those ids are then joined with the
	// names a list shows. Joining first would look up four names for every matching ticket
	// before the sort threw all but one page away.
	ids := where(s.db.R.NewSelect().TableExpr("tickets AS t").ColumnExpr("t.id")).
		OrderExpr(order + dir).OrderExpr("t.id" + dir).
		Limit(int64(f.PerPage)).Offset(int64((f.Page - 1) * f.PerPage))
	q := withNames(s.db.R.NewSelect().TableExpr("(?) AS page", ids).Join("JOIN tickets AS t ON t.id = page.id")).
		OrderExpr(order + dir).OrderExpr("t.id" + dir)
	items, err := s.scanSummaries(ctx, q)
	if err != nil {
		return nil, err
	}
	return &Page[Summary]{Items: items, Total: int(total), Page: f.Page, PerPage: f.PerPage}, nil
}

func (s *Service) applyFilter(q *bun.SelectQuery, f Filter) *bun.SelectQuery {
	return s.applyFilterFor(q, f, false)
}

// applyFilterFor is applyFilter; with walk, the tag and search conditions are tests of each
// ticket rather than the place to start from (walkInOrder).
func (s *Service) applyFilterFor(q *bun.SelectQuery, f Filter, walk bool) *bun.SelectQuery {
	if len(f.Statuses) > 0 {
		q = q.Where("t.status IN (?)", bun.In(f.Statuses))
	}
	if len(f.Priorities) > 0 {
		q = q.Where("t.priority IN (?)", bun.In(f.Priorities))
	}
	if f.AssignedTo != nil {
		q = q.Where("t.assigned_to = ?", *f.AssignedTo)
	}
	if f.Unassigned {
		q = q.Where("t.assigned_to IS NULL")
	}
	if f.DepartmentID != nil {
		q = q.Where("t.department_id = ?", *f.DepartmentID)
	}
	if f.TagID != nil && walk {
		q = q.Where("EXISTS (SELECT 1 FROM ticket_tags AS tt WHERE tt.ticket_id = t.id AND tt.tag_id = ?)", *f.TagID)
	} else if f.TagID != nil {
		// A join rather than IN (subquery): a ticket has a tag at most once, so it counts and
		// lists the same rows, and SQLite then walks the tag's index entries directly instead
		// of first copying them into a temporary list (about half the time of a tag filter).
		q = q.Join("JOIN ticket_tags AS tt ON tt.ticket_id = t.id AND tt.tag_id = ?", *f.TagID)
	}
	if f.FollowedBy != nil {
		q = q.Join("JOIN ticket_followers AS tf ON tf.ticket_id = t.id AND tf.user_id = ?", *f.FollowedBy)
	}
	if f.Search != "" {
		q = s.search(q, f.Search, walk)
	}
	if f.CreatedAfter != nil {
		q = q.Where("t.created_at >= ?", *f.CreatedAfter)
	}
	if f.CreatedBefore != nil {
		q = q.Where("t.created_at <= ?", *f.CreatedBefore)
	}
	if f.SLABreached {
		q = q.Where("t.is_open = TRUE AND (t.sla_first_response_breached = TRUE OR t.sla_resolution_breached = TRUE)")
	}
	switch {
	case f.Snoozed == nil:
	case *f.Snoozed:
		q = q.Where("t.snoozed_until > ?", s.clock.Now())
	default:
		q = q.Where("(t.snoozed_until IS NULL OR t.snoozed_until <= ?)", s.clock.Now())
	}
	if f.TicketType != "" {
		q = q.Where("t.ticket_type = ?", f.TicketType)
	}
	if f.RequesterID != nil {
		q = q.Where("t.requester_id = ?", *f.RequesterID)
	}
	if f.OpenOnly {
		q = q.Where("t.is_open = TRUE")
	}
	return q
}

func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// summaryRow is a ticket joined with the names a list shows.
type summaryRow struct {
	Ticket
	RequesterName  sql.NullString `bun:"requester_name"`
	RequesterEmail sql.NullString `bun:"requester_email"`
	ContactName    sql.NullString `bun:"contact_name"`
	ContactEmail   sql.NullString `bun:"contact_email"`
	AssigneeName   sql.NullString `bun:"assignee_name"`
	DepartmentName sql.NullString `bun:"department_name"`
}

func (s *Service) summaryQuery() *bun.SelectQuery {
	return withNames(s.db.R.NewSelect().TableExpr("tickets AS t"))
}

// withNames selects the columns of tickets AS t, which q must already name, with the names
// of the people and department a list shows.
func withNames(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ColumnExpr("t.*").
		ColumnExpr("ru.name AS requester_name, ru.email AS requester_email").
		ColumnExpr("c.name AS contact_name, c.email AS contact_email").
		ColumnExpr("au.name AS assignee_name, d.name AS department_name").
		Join("LEFT JOIN users AS ru ON ru.id = t.requester_id").
		Join("LEFT JOIN contacts AS c ON c.id = t.contact_id").
		Join("LEFT JOIN users AS au ON au.id = t.assigned_to").
		Join("LEFT JOIN departments AS d ON d.id = t.department_id")
}

func (s *Service) scanSummaries(ctx context.Context, q *bun.SelectQuery) ([]Summary, error) {
	var rows []summaryRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("ticket: list: %w", err)
	}
	items := make([]Summary, len(rows))
	ids := make([]int64, len(rows))
	index := make(map[int64]int, len(rows))
	now := s.clock.Now()
	for i, r := range rows {
		items[i] = r.summary(now)
		ids[i] = r.ID
		index[r.ID] = i
	}
	if len(ids) == 0 {
		return items, nil
	}
	var tags []struct {
		TicketID int64  `bun:"ticket_id"`
		ID       int64  `bun:"id"`
		Name     string `bun:"name"`
	}
	err := s.db.R.NewRaw(`SELECT tt.ticket_id, tg.id, tg.name FROM ticket_tags tt JOIN tags tg ON tg.id = tt.tag_id
		WHERE tt.ticket_id IN (?) ORDER BY tg.name`, bun.In(ids)).Scan(ctx, &tags)
	if err != nil {
		return nil, fmt.Errorf("ticket: list tags: %w", err)
	}
	for _, tg := range tags {
		i := index[tg.TicketID]
		items[i].Tags = append(items[i].Tags, Named{ID: tg.ID, Name: tg.Name})
	}
	return items, nil
}

func (r summaryRow) summary(now time.Time) Summary {
	s := Summary{Ticket: r.Ticket, Tags: []Named{}}
	s.IsSnoozed = r.SnoozedUntil != nil && r.SnoozedUntil.After(now)
	switch {
	case r.RequesterID != nil && r.RequesterName.Valid:
		s.Requester = &Person{ID: *r.RequesterID, Name: r.RequesterName.String, Email: r.RequesterEmail.String}
	case r.ContactID != nil && r.ContactEmail.Valid:
		s.Requester = &Person{ID: *r.ContactID, Name: r.ContactName.String, Email: r.ContactEmail.String}
	}
	if s.Requester != nil {
		s.RequesterName, s.RequesterEmail = s.Requester.Name, s.Requester.Email
	}
	if r.AssignedTo != nil && r.AssigneeName.Valid {
		s.Assignee = &Person{ID: *r.AssignedTo, Name: r.AssigneeName.String}
	}
	if r.DepartmentID != nil && r.DepartmentName.Valid {
		s.Department = &Named{ID: *r.DepartmentID, Name: r.DepartmentName.String}
	}
	return s
}

// Get returns one ticket with its replies, attachments and timeline. Customers and guests
// never see internal notes or the timeline.
func (s *Service) Get(ctx context.Context, actor *auth.Actor, id int64) (*Detail, error) {
	return s.get(ctx, actor, id, actor.IsCustomer() || actor.IsGuest())
}

// GetForRequester is Get as the requester sees the ticket, even when they are staff: no
// internal notes, no timeline.
func (s *Service) GetForRequester(ctx context.Context, actor *auth.Actor, id int64) (*Detail, error) {
	return s.get(ctx, actor, id, true)
}

// IsRequester reports whether userID requested the ticket.
func (s *Service) IsRequester(ctx context.Context, ticketID, userID int64) bool {
	var n int
	err := s.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE id = ? AND requester_id = ?`, ticketID, userID).Scan(ctx, &n)
	return err == nil && n > 0
}

func (s *Service) get(ctx context.Context, actor *auth.Actor, id int64, requesterView bool) (*Detail, error) {
	items, err := s.scanSummaries(ctx, s.summaryQuery().Where("t.id = ?", id))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 || !canSee(actor, &items[0].Ticket) {
		return nil, apperr.NotFound("Ticket")
	}
	d := &Detail{Summary: items[0], Replies: []Reply{}, Activities: []Activity{}, Attachments: []Attachment{}}
	staff := !requesterView

	q := s.db.R.NewSelect().Model(&d.Replies).Where("ticket_id = ?", id).OrderExpr("id ASC")
	if !staff {
		q = q.Where("is_internal_note = FALSE")
	}
	if err := q.Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket: replies: %w", err)
	}
	aq := s.db.R.NewSelect().Model(&d.Attachments).Where("ticket_id = ?", id).OrderExpr("id ASC")
	if !staff {
		// A file attached to an internal note is as internal as the note.
		aq = aq.Where("(reply_id IS NULL OR reply_id IN (SELECT id FROM replies WHERE ticket_id = ? AND is_internal_note = FALSE))", id)
	}
	if err := aq.Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket: attachments: %w", err)
	}
	if staff {
		if err := s.db.R.NewSelect().Model(&d.Activities).Where("ticket_id = ?", id).OrderExpr("id ASC").Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("ticket: activities: %w", err)
		}
		if d.Followers, err = s.followers(ctx, id); err != nil {
			return nil, err
		}
		var count string
		var who int64
		switch {
		case d.RequesterID != nil:
			count, who = `SELECT count(*) FROM tickets WHERE requester_id = ?`, *d.RequesterID
		case d.ContactID != nil:
			count, who = `SELECT count(*) FROM tickets WHERE contact_id = ?`, *d.ContactID
		}
		if count != "" {
			if err := s.db.R.NewRaw(count, who).Scan(ctx, &d.RequesterTicketCount); err != nil {
				return nil, fmt.Errorf("ticket: requester count: %w", err)
			}
		}
	}
	if err := s.fillPeople(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// fillPeople attaches author and causer names, and each reply's attachments. A guest's
// replies and timeline entries are named after their contact.
func (s *Service) fillPeople(ctx context.Context, d *Detail) error {
	ids, contactIDs := map[int64]bool{}, map[int64]bool{}
	for _, r := range d.Replies {
		if r.AuthorID != nil {
			ids[*r.AuthorID] = true
		} else if r.ContactID != nil {
			contactIDs[*r.ContactID] = true
		}
	}
	for _, a := range d.Activities {
		if a.CauserID != nil {
			ids[*a.CauserID] = true
		} else if a.CauserContactID != nil {
			contactIDs[*a.CauserContactID] = true
		}
	}
	names, err := s.namesOf(ctx, "users", ids)
	if err != nil {
		return err
	}
	contactNames, err := s.namesOf(ctx, "contacts", contactIDs)
	if err != nil {
		return err
	}
	byReply := map[int64][]Attachment{}
	for _, a := range d.Attachments {
		if a.ReplyID != nil {
			byReply[*a.ReplyID] = append(byReply[*a.ReplyID], a)
		}
	}
	for i := range d.Replies {
		r := &d.Replies[i]
		r.Attachments = byReply[r.ID]
		if r.Attachments == nil {
			r.Attachments = []Attachment{}
		}
		switch {
		case r.AuthorID != nil:
			r.Author = &Person{ID: *r.AuthorID, Name: names[*r.AuthorID]}
		case r.ContactID != nil:
			r.Author = &Person{ID: *r.ContactID, Name: contactNames[*r.ContactID]}
		}
	}
	for i := range d.Activities {
		switch a := &d.Activities[i]; {
		case a.CauserID != nil:
			a.Causer = &Person{ID: *a.CauserID, Name: names[*a.CauserID]}
		case a.CauserContactID != nil:
			a.Causer = &Person{ID: *a.CauserContactID, Name: contactNames[*a.CauserContactID]}
		}
	}
	return nil
}

// namesOf reads the names of the rows of table (users or contacts) with the given ids.
func (s *Service) namesOf(ctx context.Context, table string, ids map[int64]bool) (map[int64]string, error) {
	names := map[int64]string{}
	if len(ids) == 0 {
		return names, nil
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	var people []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
	}
	if err := s.db.R.NewRaw(`SELECT id, name FROM `+table+` WHERE id IN (?)`, bun.In(list)).Scan(ctx, &people); err != nil {
		return nil, fmt.Errorf("ticket: people: %w", err)
	}
	for _, p := range people {
		names[p.ID] = p.Name
	}
	return names, nil
}

// Stats are the agent dashboard's counts.
type Stats struct {
	Open          int `json:"open"`
	MyAssigned    int `json:"my_assigned"`
	Unassigned    int `json:"unassigned"`
	SLABreached   int `json:"sla_breached"`
	ResolvedToday int `json:"resolved_today"`
}

// Dashboard counts the open queue from the open-ticket index, so its cost follows the open
// tickets, never the whole table.
func (s *Service) Dashboard(ctx context.Context, actor *auth.Actor) (*Stats, error) {
	if !actor.Can("ticket.view") {
		return nil, apperr.Forbidden("You may not view tickets.")
	}
	var st Stats
	err := s.db.R.NewRaw(`SELECT count(*) AS open,
			coalesce(sum(CASE WHEN assigned_to = ? THEN 1 ELSE 0 END), 0) AS my_assigned,
			coalesce(sum(CASE WHEN assigned_to IS NULL THEN 1 ELSE 0 END), 0) AS unassigned,
			coalesce(sum(CASE WHEN sla_first_response_breached OR sla_resolution_breached THEN 1 ELSE 0 END), 0) AS sla_breached
		FROM tickets WHERE is_open = TRUE`, actor.UserID).Scan(ctx, &st.Open, &st.MyAssigned, &st.Unassigned, &st.SLABreached)
	if err != nil {
		return nil, fmt.Errorf("ticket: dashboard: %w", err)
	}
	now := s.clock.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if err := s.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE resolved_at >= ?`, today).Scan(ctx, &st.ResolvedToday); err != nil {
		return nil, fmt.Errorf("ticket: dashboard resolved today: %w", err)
	}
	return &st, nil
}

// ResolvedSince counts the tickets assigned to agentID that were resolved at or after t.
func (s *Service) ResolvedSince(ctx context.Context, agentID int64, t time.Time) (int, error) {
	var n int
	err := s.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE resolved_at >= ? AND assigned_to = ?`, t, agentID).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("ticket: resolved since: %w", err)
	}
	return n, nil
}
