package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func (s *Server) agentDashboard(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	d, err := s.dashboard(r, a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, d)
}

// dashboard is the agent dashboard's counts, the agent's week and the latest tickets.
func (s *Server) dashboard(r *http.Request, a *auth.Actor) (map[string]any, error) {
	stats, err := s.Tickets.Dashboard(r.Context(), a)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	weekStart := time.Date(now.Year(), now.Month(), now.Day()-int((now.Weekday()+6)%7), 0, 0, 0, 0, time.UTC)
	resolvedThisWeek, err := s.Tickets.ResolvedSince(r.Context(), a.UserID, weekStart)
	if err != nil {
		return nil, err
	}
	recent, err := s.Tickets.List(r.Context(), a, ticket.Filter{PerPage: 10, Page: 1})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"stats":         stats,
		"myPerformance": map[string]any{"resolved_this_week": resolvedThisWeek},
		"recentTickets": recent.Items,
	}, nil
}

func (s *Server) agentTicketIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	f, err := ticketFilter(r, a)
	if err != nil {
		return err
	}
	page, err := s.Tickets.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, page.Items, page.Total, page.Page, page.PerPage))
	return nil
}

func (s *Server) agentTicketStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in ticket.CreateInput
	files, err := s.readForm(r, &in)
	if err != nil {
		return err
	}
	in.Attachments = files
	t, err := s.Tickets.Create(r.Context(), a, in)
	if err != nil {
		s.discard(r.Context(), files)
		return err
	}
	return data(w, http.StatusCreated, t)
}

func (s *Server) agentTicketShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	d, err := s.Tickets.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	s.linkDetail(d)
	return data(w, http.StatusOK, d)
}

func (s *Server) agentTicketReply(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return s.agentReply(w, r, a, false)
}

func (s *Server) agentTicketNote(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return s.agentReply(w, r, a, true)
}

func (s *Server) agentReply(w http.ResponseWriter, r *http.Request, a *auth.Actor, note bool) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	var in replyBody
	files, err := s.readForm(r, &in)
	if err != nil {
		return err
	}
	reply, err := s.Tickets.Reply(r.Context(), a, id, ticket.ReplyInput{Body: in.Body, IsInternalNote: note, Attachments: files})
	if err != nil {
		s.discard(r.Context(), files)
		return err
	}
	s.linkAttachments(reply.Attachments)
	return data(w, http.StatusCreated, reply)
}

// ticketChange decodes the body into in, resolves {ticket}, applies the change and renders
// the ticket.
func ticketChange[T any](s *Server, w http.ResponseWriter, r *http.Request, apply func(id int64, in T) (*ticket.Ticket, error)) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	var in T
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := apply(id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, t)
}

type assignInput struct {
	AgentID json.RawMessage `json:"agent_id"`
}

func (s *Server) agentTicketAssign(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in assignInput) (*ticket.Ticket, error) {
		agentID, err := nullableID(in.AgentID, "agent_id")
		if err != nil {
			return nil, err
		}
		return s.Tickets.Assign(r.Context(), a, id, agentID)
	})
}

type statusInput struct {
	Status string `json:"status"`
}

func (s *Server) agentTicketStatus(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in statusInput) (*ticket.Ticket, error) {
		if in.Status == "" {
			return nil, invalid("status", "The status field is required.")
		}
		return s.Tickets.ChangeStatus(r.Context(), a, id, in.Status)
	})
}

type priorityInput struct {
	Priority string `json:"priority"`
}

func (s *Server) agentTicketPriority(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in priorityInput) (*ticket.Ticket, error) {
		return s.Tickets.ChangePriority(r.Context(), a, id, in.Priority)
	})
}

type departmentInput struct {
	DepartmentID json.RawMessage `json:"department_id"`
}

func (s *Server) agentTicketDepartment(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in departmentInput) (*ticket.Ticket, error) {
		departmentID, err := nullableID(in.DepartmentID, "department_id")
		if err != nil {
			return nil, err
		}
		return s.Tickets.ChangeDepartment(r.Context(), a, id, departmentID)
	})
}

type tagsInput struct {
	TagIDs []int64 `json:"tag_ids"`
}

func (s *Server) agentTicketTagsAdd(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in tagsInput) (*ticket.Ticket, error) {
		return s.Tickets.AddTags(r.Context(), a, id, in.TagIDs)
	})
}

func (s *Server) agentTicketTagRemove(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	tagID, err := pathID(r, "tag", "Tag")
	if err != nil {
		return err
	}
	t, err := s.Tickets.RemoveTag(r.Context(), a, id, tagID)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, t)
}
