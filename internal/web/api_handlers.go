package web

import (
	"net/http"
	"strconv"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/report"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// The REST API v1. Lists answer {data, meta}; one object answers {data}; errors answer
// {message, errors}, as everywhere on the desk.

type apiMeta struct {
	CurrentPage int `json:"current_page"`
	LastPage    int `json:"last_page"`
	PerPage     int `json:"per_page"`
	Total       int `json:"total"`
}

// apiList renders one page of a list.
func apiList[T any](w http.ResponseWriter, items []T, total, page, perPage int) error {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": items,
		"meta": apiMeta{CurrentPage: page, LastPage: max(1, (total+perPage-1)/perPage), PerPage: perPage, Total: total},
	})
	return nil
}

// apiPage renders the page the query asks for of a list the service returns whole (the
// short admin lists: departments, tags), so every API list pages alike.
func apiPage[T any](w http.ResponseWriter, r *http.Request, all []T) error {
	page, perPage, err := pageParams(r.URL.Query())
	if err != nil {
		return err
	}
	start := min((page-1)*perPage, len(all))
	end := min(start+perPage, len(all))
	return apiList(w, all[start:end], len(all), page, perPage)
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(s.openAPI)
	return nil
}

// apiAuthValidate tells a client whom its token acts as and what it may do now.
func (s *Server) apiAuthValidate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	if err := noFields(r); err != nil {
		return err
	}
	t, err := s.Auth.Token(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, map[string]any{
		"user":        t.User,
		"token":       t,
		"permissions": a.PermissionList(),
	})
}

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	stats, err := s.Tickets.Dashboard(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, stats)
}

func (s *Server) apiTicketIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	f, err := ticketFilter(r, a)
	if err != nil {
		return err
	}
	page, err := s.Tickets.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	return apiList(w, page.Items, page.Total, page.Page, page.PerPage)
}

// apiTicketStore opens a ticket; its channel is api unless the body names another.
func (s *Server) apiTicketStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in ticket.CreateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Channel == "" {
		in.Channel = "api"
	}
	t, err := s.Tickets.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, t)
}

func (s *Server) apiTicketReply(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	var in ticket.ReplyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	reply, err := s.Tickets.Reply(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, reply)
}

func (s *Server) apiTicketDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	if err := s.Tickets.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAgentIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	page, perPage, err := pageParams(r.URL.Query())
	if err != nil {
		return err
	}
	agents, err := s.Auth.ListAgents(r.Context(), a, page, perPage)
	if err != nil {
		return err
	}
	return apiList(w, agents.Items, agents.Total, page, perPage)
}

func (s *Server) apiDepartmentIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Departments.List(r.Context(), a)
	if err != nil {
		return err
	}
	return apiPage(w, r, list)
}

func (s *Server) apiTagIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Tags.List(r.Context(), a)
	if err != nil {
		return err
	}
	return apiPage(w, r, list)
}

func (s *Server) apiReportSummary(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	days := report.DefaultDays
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalid("days", "The days must be a whole number.")
		}
		days = n
	}
	sum, err := s.Reports.Summary(r.Context(), a, days)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, sum)
}
