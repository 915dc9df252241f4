package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/canned"
)

// Canned responses (admin CRUD, the API's read-only list) and ticket followers.

func (s *Server) adminCannedIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Canned.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminCannedResponsesIndexPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	list, err := s.Canned.List(r.Context(), a)
	return map[string]any{"responses": list}, err
}

func (s *Server) adminCannedStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in canned.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Canned.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, c)
}

func (s *Server) adminCannedShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "cannedResponse", "Canned response")
	if err != nil {
		return err
	}
	c, err := s.Canned.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, c)
}

// adminCannedUpdate serves PUT and PATCH alike: fields left out of the body are kept.
func (s *Server) adminCannedUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "cannedResponse", "Canned response")
	if err != nil {
		return err
	}
	var in canned.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Canned.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, c)
}

func (s *Server) adminCannedDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "cannedResponse", "Canned response")
	if err != nil {
		return err
	}
	if err := s.Canned.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiCannedIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Canned.List(r.Context(), a)
	if err != nil {
		return err
	}
	return apiPage(w, r, list)
}

func (s *Server) apiMacroIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Rules.ListMacros(r.Context(), a)
	if err != nil {
		return err
	}
	return apiPage(w, r, list)
}

// ticketFollow makes the actor follow the ticket, or stop following it when they do (the
// shared frontend's button toggles), and answers {is_following, followers_count}. It takes
// no fields: the body may be empty or {}.
func (s *Server) ticketFollow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	if err := noFields(r); err != nil {
		return err
	}
	st, err := s.Tickets.ToggleFollow(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, st)
}

// followMessage words the flash of a follow toggle.
func followMessage(d map[string]any) string {
	if d["is_following"] == true {
		return "You are following this ticket."
	}
	return "You are no longer following this ticket."
}
