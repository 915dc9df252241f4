package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
)

func (s *Server) twoFactorShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	st, err := s.TwoFactor.Status(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, st)
}

// twoFactorSetup starts enrolment: the answer holds the secret and its QR code, shown once.
func (s *Server) twoFactorSetup(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	if err := noFields(r); err != nil {
		return err
	}
	e, err := s.TwoFactor.Setup(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, e)
}

type twoFactorCodeInput struct {
	Code string `json:"code"`
}

// twoFactorConfirm turns 2FA on and answers the recovery codes, which are never shown again.
func (s *Server) twoFactorConfirm(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in twoFactorCodeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	codes, err := s.TwoFactor.Confirm(r.Context(), a, in.Code)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, map[string]any{"enabled": true, "recovery_codes": codes})
}

type twoFactorDisableInput struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

func (s *Server) twoFactorDisable(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in twoFactorDisableInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.TwoFactor.Disable(r.Context(), a, in.Password, in.Code); err != nil {
		return err
	}
	return data(w, http.StatusOK, map[string]any{"enabled": false})
}

type twoFactorVerifyInput struct {
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// twoFactorVerify finishes a sign-in that owes its second factor. The guard lets only such a
// session in; on success it becomes an ordinary signed-in session under a new token.
func (s *Server) twoFactorVerify(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	var in twoFactorVerifyInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	a, err := s.Auth.Actor(ctx, s.sessions.GetInt64(ctx, twoFactorUserKey), s.clientIP(r))
	if err != nil {
		return err
	}
	if err := s.TwoFactor.Verify(ctx, a, in.Code, in.RecoveryCode); err != nil {
		return err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Remove(ctx, twoFactorUserKey)
	s.sessions.Remove(ctx, twoFactorSinceKey)
	s.sessions.Put(ctx, sessionUserKey, a.UserID)
	return data(w, http.StatusOK, userView(a))
}
