package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Written in this session by a parallel change; answers 404 until it lands.
func (s *Server) adminTagIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminTagStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminTagUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
func (s *Server) adminTagDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}
