package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func (s *Server) adminStatusIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Tickets.ListStatuses(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminStatusStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in ticket.NewStatus
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.Tickets.CreateStatus(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, st)
}

func (s *Server) adminStatusUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in ticket.StatusChanges
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.Tickets.UpdateStatus(r.Context(), a, r.PathValue("status"), in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, st)
}

func (s *Server) adminStatusDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	if err := s.Tickets.DeleteStatus(r.Context(), a, r.PathValue("status")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) adminTransitionIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	table, err := s.Tickets.Transitions(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, table)
}

func (s *Server) adminTransitionUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in struct {
		Transitions map[string][]string `json:"transitions"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	table, err := s.Tickets.ReplaceTransitions(r.Context(), a, in.Transitions)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, table)
}
