package web

import (
	"encoding/json"
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

func (s *Server) adminSettingsShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	v, err := s.Settings.All(r.Context())
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, v)
}

func (s *Server) adminSettingsUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in map[string]json.RawMessage
	if err := decode(r, &in); err != nil {
		return err
	}
	if len(in) == 0 {
		return invalid("body", "Send a JSON object of setting keys to values.")
	}
	v, err := s.Settings.Update(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, v)
}
