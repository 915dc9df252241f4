package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

func (s *Server) adminUserIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return err
	}
	users, err := s.Auth.ListUsers(r.Context(), a, auth.UserFilter{
		Search: q.Get("search"), Role: q.Get("role"), Page: page, PerPage: perPage,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, users.Items, users.Total, page, perPage))
	return nil
}

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

func (s *Server) adminUserShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "user", "User")
	if err != nil {
		return err
	}
	u, err := s.Auth.GetUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, u)
}

func (s *Server) adminUserUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "user", "User")
	if err != nil {
		return err
	}
	var in auth.UserUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.Auth.UpdateUser(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, u)
}

type userRoleInput struct {
	Role string `json:"role"`
}

func (s *Server) adminUserRole(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "user", "User")
	if err != nil {
		return err
	}
	var in userRoleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.Auth.ChangeRole(r.Context(), a, id, in.Role)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, u)
}

// adminUserDestroy deactivates the user; accounts are kept because tickets refer to them.
func (s *Server) adminUserDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "user", "User")
	if err != nil {
		return err
	}
	u, err := s.Auth.DeactivateUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, u)
}
