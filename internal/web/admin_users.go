package web

import (
	"net/http"

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
