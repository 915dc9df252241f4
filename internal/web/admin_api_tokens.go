package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

func (s *Server) adminAPITokenIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	page, perPage, err := pageParams(r.URL.Query())
	if err != nil {
		return err
	}
	tokens, err := s.Auth.ListTokens(r.Context(), a, page, perPage)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, tokens.Items, tokens.Total, page, perPage))
	return nil
}

// createdToken is a new token with its plaintext, which no later answer holds.
type createdToken struct {
	*auth.APIToken
	Token string `json:"token"`
}

func (s *Server) adminAPITokenStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in auth.NewToken
	if err := decode(r, &in); err != nil {
		return err
	}
	t, plain, err := s.Auth.CreateToken(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, createdToken{APIToken: t, Token: plain})
}

func (s *Server) adminAPITokenDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "token", "API token")
	if err != nil {
		return err
	}
	if err := s.Auth.RevokeToken(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
