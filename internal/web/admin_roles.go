package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Written in this session by a parallel change; answers 404 until it lands.
func (s *Server) adminRoleIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminRoleStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminRoleShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminRoleUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminRoleDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
