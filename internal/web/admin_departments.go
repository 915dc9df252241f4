package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/department"
)

func (s *Server) adminDepartmentIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Departments.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminDepartmentStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in department.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Departments.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, d)
}

func (s *Server) adminDepartmentShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "department", "Department")
	if err != nil {
		return err
	}
	d, err := s.Departments.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, d)
}

// adminDepartmentUpdate serves PUT and PATCH alike: fields left out of the body are kept.
func (s *Server) adminDepartmentUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "department", "Department")
	if err != nil {
		return err
	}
	var in department.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Departments.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, d)
}

func (s *Server) adminDepartmentDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "department", "Department")
	if err != nil {
		return err
	}
	if err := s.Departments.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
