package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

const sessionUserKey = auth.SessionUserKey

type loginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Remember bool   `json:"remember"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	var in loginInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Email == "" || in.Password == "" || len(in.Password) > 1024 || len(in.Email) > 254 {
		return invalid("email", "These credentials do not match our records.")
	}
	// The route's limit counts attempts per address; this one counts them per account, so
	// guessing one account's password from many addresses is slow too.
	if err := s.rateLimit(w, limitLogin, "email:"+strings.ToLower(strings.TrimSpace(in.Email))); err != nil {
		return err
	}
	ctx := r.Context()
	u, err := s.Auth.Authenticate(ctx, in.Email, in.Password)
	if err != nil {
		return err
	}
	twoFactor, err := s.TwoFactor.Enabled(ctx, u.ID)
	if err != nil {
		return err
	}
	// A new token on sign-in, so a session id planted before it is worthless after.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	if twoFactor {
		// Halfway: the session names the user but acts as nobody until the second factor.
		s.sessions.Remove(ctx, sessionUserKey)
		s.sessions.Put(ctx, twoFactorUserKey, u.ID)
		s.sessions.Put(ctx, twoFactorSinceKey, s.Clock.Now().Unix())
		return data(w, http.StatusOK, map[string]any{"two_factor_required": true})
	}
	s.sessions.Remove(ctx, twoFactorUserKey)
	s.sessions.Remove(ctx, twoFactorSinceKey)
	s.sessions.Put(ctx, sessionUserKey, u.ID)
	a, err := s.Auth.ActorForUser(ctx, u, s.clientIP(r))
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, userView(a))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return data(w, http.StatusOK, userView(a))
}

func userView(a *auth.Actor) map[string]any {
	return map[string]any{
		"id": a.UserID, "name": a.Name, "email": a.Email, "role": a.Role,
		"is_agent": a.IsAgent(), "is_admin": a.IsAdmin(), "permissions": a.PermissionList(),
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Log.Error("escalated: health check", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "unreachable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": string(s.DB.Dialect)})
	return nil
}
