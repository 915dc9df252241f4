package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Written in this session by a parallel change; answers 404 until it lands.
func (s *Server) adminStatusIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminStatusStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminStatusUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminStatusDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminTransitionIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminTransitionUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
