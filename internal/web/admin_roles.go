package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

func (s *Server) adminRoleIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	roles, err := s.Auth.ListRoles(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, roles)
}

func (s *Server) adminRoleStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in auth.NewRole
	if err := decode(r, &in); err != nil {
		return err
	}
	role, err := s.Auth.CreateRole(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, role)
}

func (s *Server) adminRoleShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "role", "Role")
	if err != nil {
		return err
	}
	role, err := s.Auth.GetRole(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, role)
}

func (s *Server) adminRoleUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "role", "Role")
	if err != nil {
		return err
	}
	var in auth.RoleUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	role, err := s.Auth.UpdateRole(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, role)
}

func (s *Server) adminRoleDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "role", "Role")
	if err != nil {
		return err
	}
	if err := s.Auth.DeleteRole(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
