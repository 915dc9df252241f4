package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/tag"
)

func (s *Server) adminTagIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Tags.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminTagStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in tag.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Tags.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, t)
}

// adminTagUpdate serves PUT and PATCH alike: fields left out of the body are kept.
func (s *Server) adminTagUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "tag", "Tag")
	if err != nil {
		return err
	}
	var in tag.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Tags.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, t)
}

func (s *Server) adminTagDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "tag", "Tag")
	if err != nil {
		return err
	}
	if err := s.Tags.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
