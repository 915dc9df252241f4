package web

import (
	"context"
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/canned"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Props of the customer and agent ticket pages (pages.json; shapes in shapes.md §2–7).

// listFilters are the ticket-list query keys the frontend sends and reads back from the
// page's filters prop (shapes.md §7).
var listFilters = []string{
	"status", "priority", "assigned_to", "department_id", "search", "following", "created_after",
	"created_before", "tag", "has_attachments", "requester", "ticket_type", "snoozed", "live_chat",
	"unassigned", "sla_breached", "sort", "direction",
}

// filterValues echoes the keys of keys that the query sets, so the page's filter controls
// show what the list was filtered by.
func filterValues(r *http.Request, keys []string) map[string]string {
	q := r.URL.Query()
	out := map[string]string{}
	for _, k := range keys {
		if v := q.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// option is an entry of a list to pick from.
type option struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
}

// departmentOptions lists departments to pick from on the ticket pages. Everyone who reaches
// a ticket form may file a ticket in any active department, or (staff) filter by and move to
// any department, so the list is read as the desk and cut down to ids and names: agents and
// counts stay behind department.view.
func (s *Server) departmentOptions(ctx context.Context, activeOnly bool) ([]option, error) {
	list, err := s.Departments.List(ctx, auth.System())
	if err != nil {
		return nil, err
	}
	out := []option{}
	for _, d := range list {
		if d.IsActive || !activeOnly {
			out = append(out, option{ID: d.ID, Name: d.Name})
		}
	}
	return out, nil
}

// tagOptions lists the tags staff may filter by and put on tickets, read as the desk for the
// same reason, without their ticket counts.
func (s *Server) tagOptions(ctx context.Context) ([]option, error) {
	list, err := s.Tags.List(ctx, auth.System())
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(list))
	for _, t := range list {
		out = append(out, option{ID: t.ID, Name: t.Name, Color: t.Color})
	}
	return out, nil
}

// customerTicket is a ticket as its requester sees it (Customer/Show). No ratings are taken
// yet, so satisfaction_rating is null.
type customerTicket struct {
	*ticket.Detail
	SatisfactionRating any `json:"satisfaction_rating"`
}

// agentTicket is a ticket as Agent/TicketShow shows it: the detail with its pinned notes.
// Links, ratings and ticket subjects do not exist yet and are empty.
type agentTicket struct {
	*ticket.Detail
	PinnedNotes        []ticket.Reply `json:"pinned_notes"`
	RelatedTickets     []any          `json:"related_tickets"`
	SatisfactionRating any            `json:"satisfaction_rating"`
	Subjects           []any          `json:"subjects"`
}

func (s *Server) customerIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	f, err := ticketFilter(r, a)
	if err != nil {
		return nil, err
	}
	f.RequesterID = &a.UserID
	list, err := s.Tickets.List(r.Context(), a, f)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"tickets": paginator(r, list.Items, list.Total, list.Page, list.PerPage),
		"filters": filterValues(r, listFilters),
	}, nil
}

func (s *Server) customerCreatePage(r *http.Request, _ *auth.Actor) (map[string]any, error) {
	departments, err := s.departmentOptions(r.Context(), true)
	if err != nil {
		return nil, err
	}
	return map[string]any{"departments": departments, "priorities": ticket.Priorities}, nil
}

func (s *Server) customerShowPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	id, err := s.ownTicket(r, a)
	if err != nil {
		return nil, err
	}
	d, err := s.Tickets.GetForRequester(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	s.linkDetail(d)
	return map[string]any{"ticket": customerTicket{Detail: d}}, nil
}

func (s *Server) agentDashboardPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	return s.dashboard(r, a)
}

func (s *Server) agentTicketIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	f, err := ticketFilter(r, a)
	if err != nil {
		return nil, err
	}
	list, err := s.Tickets.List(r.Context(), a, f)
	if err != nil {
		return nil, err
	}
	departments, err := s.departmentOptions(r.Context(), false)
	if err != nil {
		return nil, err
	}
	tags, err := s.tagOptions(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"tickets":     paginator(r, list.Items, list.Total, list.Page, list.PerPage),
		"filters":     filterValues(r, listFilters),
		"departments": departments,
		"tags":        tags,
	}, nil
}

// agentTicketShowPage is the ticket with what the agent may do to it: the departments, tags
// and agents to pick from, the macros and canned responses the agent may use, and whether
// they follow the ticket. customActions is always empty: the desk has no custom-action
// feature (the Laravel port's plugin-registered ticket actions), so there is none to offer.
func (s *Server) agentTicketShowPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	ctx := r.Context()
	id, err := s.ticketID(r)
	if err != nil {
		return nil, err
	}
	d, err := s.Tickets.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	s.linkDetail(d)
	t := agentTicket{Detail: d, PinnedNotes: []ticket.Reply{}, RelatedTickets: []any{}, Subjects: []any{}}
	for _, reply := range d.Replies {
		if reply.IsInternalNote && reply.IsPinned {
			t.PinnedNotes = append(t.PinnedNotes, reply)
		}
	}
	departments, err := s.departmentOptions(ctx, false)
	if err != nil {
		return nil, err
	}
	tags, err := s.tagOptions(ctx)
	if err != nil {
		return nil, err
	}
	agents, err := s.agentOptions(ctx, a)
	if err != nil {
		return nil, err
	}
	macros, responses := []rules.Macro{}, []canned.Response{}
	if a.Can("macro.view") {
		if macros, err = s.Rules.ListMacros(ctx, a); err != nil {
			return nil, err
		}
		if responses, err = s.Canned.List(ctx, a); err != nil {
			return nil, err
		}
	}
	follow, err := s.Tickets.FollowStateOf(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"ticket":          t,
		"departments":     departments,
		"tags":            tags,
		"agents":          agents,
		"macros":          macros,
		"cannedResponses": responses,
		"customActions":   []any{},
		"followers_count": follow.FollowersCount,
		"is_following":    follow.IsFollowing,
	}, nil
}

// agentOptions lists the people a ticket can be assigned to (active staff), by name, for
// those who may assign; others get an empty list, as they have no assignee picker.
func (s *Server) agentOptions(ctx context.Context, a *auth.Actor) ([]option, error) {
	out := []option{}
	if !a.Can("ticket.assign") {
		return out, nil
	}
	for page := 1; ; page++ {
		list, err := s.Auth.ListAgents(ctx, a, page, 100)
		if err != nil {
			return nil, err
		}
		for _, u := range list.Items {
			out = append(out, option{ID: u.ID, Name: u.Name})
		}
		if len(list.Items) < 100 || len(out) >= list.Total {
			return out, nil
		}
	}
}
