package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Written in this session by a parallel change; answers 404 until it lands.
func (s *Server) adminDepartmentIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminDepartmentStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminDepartmentShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminDepartmentUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminDepartmentDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
