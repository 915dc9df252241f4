package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Admin handlers still being written in this session; each answers 404 until it lands.
func pending(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return apperr.NotFound("Page")
}

func (s *Server) adminDepartmentIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminDepartmentStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminDepartmentShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminDepartmentUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminDepartmentDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminTagIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminTagStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminTagUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminTagDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminRoleIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminRoleStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminRoleShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminRoleUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminRoleDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminUserIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminUserShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminUserUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminUserRole(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminUserDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminStatusIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminStatusStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminStatusUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminStatusDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminTransitionIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
func (s *Server) adminTransitionUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return pending(w, r, a)
}
