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
	list, err := s.Departments.Names(ctx)
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
	list, err := s.Tags.Names(ctx)
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

// agentDashboardPage is the staff home. For an admin it also carries setup (beyond
// pages.json): the first things to configure, each with where and whether it is done.
func (s *Server) agentDashboardPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	props, err := s.dashboard(r, a)
	if err != nil {
		return nil, err
	}
	props["setup"] = []setupStep{}
	if a.IsAdmin() {
		if props["setup"], err = s.setupSteps(r.Context(), a); err != nil {
			return nil, err
		}
	}
	return props, nil
}

// setupStep is one thing a new desk's admin sets up. Href is where, below the prefix; a step
// whose feature is not built has Available false, no Href, and says so in Text.
type setupStep struct {
	Key       string `json:"key"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	Href      string `json:"href,omitempty"`
	Done      bool   `json:"done"`
	Available bool   `json:"available"`
}

// setupSteps says what of departments, SLA policies, mail and the team is set up yet.
func (s *Server) setupSteps(ctx context.Context, a *auth.Actor) ([]setupStep, error) {
	departments, err := s.Departments.List(ctx, auth.System())
	if err != nil {
		return nil, err
	}
	policies, err := s.SLAPolicies.List(ctx, auth.System())
	if err != nil {
		return nil, err
	}
	staff, err := s.Auth.ListAgents(ctx, auth.System(), 1, 2)
	if err != nil {
		return nil, err
	}
	return []setupStep{
		{Key: "departments", Title: "Departments", Href: "/admin/departments", Available: true, Done: len(departments) > 0,
			Text: "Group tickets by team and choose who works on each."},
		{Key: "sla", Title: "SLA policies", Href: "/admin/sla-policies", Available: true, Done: len(policies) > 0,
			Text: "Set first-response and resolution targets per priority, in business hours if you like."},
		{Key: "mail", Title: "Mail", Available: false,
			Text: "Email in and out is not built yet: tickets arrive through the customer portal and the REST API."},
		{Key: "team", Title: "Your team", Href: "/admin/users", Available: true, Done: staff.Total > 1,
			Text: "Add agents and give them roles."},
	}, nil
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
	agents, err := s.assignees(ctx, a)
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

// assignees lists the people a ticket can be assigned to (active staff) for those who may
// assign; others get an empty list, as they have no assignee picker.
func (s *Server) assignees(ctx context.Context, a *auth.Actor) ([]option, error) {
	if !a.Can("ticket.assign") {
		return []option{}, nil
	}
	return s.agentOptions(ctx)
}
