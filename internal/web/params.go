package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func invalid(field, msg string) error { return apperr.Invalid(field, msg) }

// pathID reads a positive integer path parameter; anything else is a 404, since no object
// has that id.
func pathID(r *http.Request, name, what string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, apperr.NotFound(what)
	}
	return n, nil
}

// nullableID reads an id field that must be present and may be null, which clears it. It
// is raw in the input struct so that a body without the field is a 422 rather than a silent
// unassignment or move to no department.
func nullableID(raw json.RawMessage, field string) (*int64, error) {
	if len(raw) == 0 {
		return nil, invalid(field, "The "+field+" field is required; send null to clear it.")
	}
	var id *int64
	if err := json.Unmarshal(raw, &id); err != nil {
		return nil, invalid(field, "The "+field+" field must be of type number or null.")
	}
	return id, nil
}

// ticketID resolves the ticket key of the path, an id or a reference: {ticket} on the desk's
// routes, {reference} on the API's.
func (s *Server) ticketID(r *http.Request) (int64, error) {
	key := r.PathValue("ticket")
	if key == "" {
		key = r.PathValue("reference")
	}
	return s.Tickets.ResolveID(r.Context(), key)
}

// ticketFilter reads the list filters of shapes.md §7 from the query string. Keys the desk
// does not know yet are ignored, as the shared frontend sends them all; values of known keys
// are checked and a bad one names its key.
func ticketFilter(r *http.Request, a *auth.Actor) (ticket.Filter, error) {
	q := r.URL.Query()
	var f ticket.Filter
	var v apperr.Validation
	var err error
	if f.Page, f.PerPage, err = pageParams(q); err != nil {
		return f, err
	}
	for _, st := range splitList(q.Get("status")) {
		if len(st) > 64 || !utf8.ValidString(st) || strings.ContainsRune(st, 0) {
			v.Add("status", "The status filter is invalid.")
			break
		}
		f.Statuses = append(f.Statuses, st)
	}
	for _, p := range splitList(q.Get("priority")) {
		if !oneOf(p, ticket.Priorities) {
			v.Add("priority", "The priority filter must be one of: "+strings.Join(ticket.Priorities, ", ")+".")
			break
		}
		f.Priorities = append(f.Priorities, p)
	}
	switch at := q.Get("assigned_to"); at {
	case "":
	case "me":
		id := a.UserID
		f.AssignedTo = &id
	case "unassigned", "none":
		f.Unassigned = true
	default:
		id, err := strconv.ParseInt(at, 10, 64)
		if err != nil || id < 1 {
			v.Add("assigned_to", "The assigned_to filter must be an agent id, me or unassigned.")
		} else {
			f.AssignedTo = &id
		}
	}
	if b, ok := boolParam(&v, q.Get("unassigned"), "unassigned"); ok && b {
		f.Unassigned = true
	}
	if b, ok := boolParam(&v, q.Get("sla_breached"), "sla_breached"); ok && b {
		f.SLABreached = true
	}
	if b, ok := boolParam(&v, q.Get("following"), "following"); ok && b {
		id := a.UserID
		f.FollowedBy = &id
	}
	if b, ok := boolParam(&v, q.Get("snoozed"), "snoozed"); ok {
		f.Snoozed = &b
	}
	f.DepartmentID = idParam(&v, q.Get("department_id"), "department_id")
	f.TagID = idParam(&v, q.Get("tag"), "tag")
	if t := q.Get("ticket_type"); t != "" {
		if !oneOf(t, ticket.Types) {
			v.Add("ticket_type", "The ticket_type filter must be one of: "+strings.Join(ticket.Types, ", ")+".")
		}
		f.TicketType = t
	}
	if s := strings.TrimSpace(q.Get("search")); s != "" {
		switch {
		case len(s) > 200:
			v.Add("search", "The search may be at most 200 characters.")
		case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
			v.Add("search", "The search contains invalid characters.")
		}
		f.Search = s
	}
	f.CreatedAfter = dateParam(&v, q.Get("created_after"), "created_after", false)
	f.CreatedBefore = dateParam(&v, q.Get("created_before"), "created_before", true)
	if sort := q.Get("sort"); sort != "" {
		if _, ok := ticket.SortKeys[sort]; !ok {
			keys := make([]string, 0, len(ticket.SortKeys))
			for k := range ticket.SortKeys {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			v.Add("sort", "The sort must be one of: "+strings.Join(keys, ", ")+".")
		}
		f.Sort = sort
		f.Desc = true
	}
	switch d := strings.ToLower(q.Get("direction")); d {
	case "":
	case "asc":
		f.Desc = false
	case "desc":
		f.Desc = true
	default:
		v.Add("direction", "The direction must be asc or desc.")
	}
	// List orders a filter without a sort key newest first whatever Desc says, so a direction
	// given alone names the default key to take effect.
	if f.Sort == "" && q.Get("direction") != "" {
		f.Sort = "updated_at"
	}
	return f, v.Err()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func boolParam(v *apperr.Validation, s, field string) (bool, bool) {
	switch strings.ToLower(s) {
	case "":
		return false, false
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	v.Add(field, "The "+field+" filter must be true or false.")
	return false, false
}

func idParam(v *apperr.Validation, s, field string) *int64 {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		v.Add(field, "The "+field+" filter must be a positive id.")
		return nil
	}
	return &n
}

// dateParam reads a date (2006-01-02) or an RFC 3339 time, in the years 1 to 9999 (UTC):
// PostgreSQL has no year 0, and SQLite compares times as text, where year 10000 sorts first.
// A bare date used as an upper bound means the end of that day.
func dateParam(v *apperr.Validation, s, field string, endOfDay bool) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err == nil {
		t = t.UTC()
	} else {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			v.Add(field, "The "+field+" filter must be a date (YYYY-MM-DD) or an RFC 3339 time.")
			return nil
		}
		if endOfDay {
			t = t.Add(24*time.Hour - time.Microsecond)
		}
	}
	if t.Year() < 1 || t.Year() > 9999 {
		v.Add(field, "The "+field+" filter must fall between 0001-01-01 and 9999-12-31 (UTC).")
		return nil
	}
	return &t
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
