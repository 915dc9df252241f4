package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

func (s *Server) adminUserStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in auth.NewUser
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.Auth.CreateUser(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, u)
}

// Written in this session by a parallel change; answers 404 until it lands.
func (s *Server) adminUserIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminUserShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminUserUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminUserRole(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminUserDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
