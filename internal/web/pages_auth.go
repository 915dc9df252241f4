package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/inertia"
)

// homeOf is where a person starts, below the prefix: customers at their tickets, staff
// (admins too; they reach the admin pages from its navigation) at the agent dashboard.
func homeOf(a *auth.Actor) string {
	if a.IsAgent() {
		return "/agent/tickets/dashboard"
	}
	return "/tickets"
}

// home is the desk's front door: it sends each person to their home page, and someone
// signed in as nobody to sign in.
func (s *Server) home(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	if a == nil {
		return apperr.Unauthenticated()
	}
	inertia.Redirect(w, s.Prefix+homeOf(a))
	return nil
}

// loginPage is the desk's own sign-in form (a desk-own page, Escalated/Auth/Login): its form
// posts to action. Someone already signed in is sent home.
func (s *Server) loginPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	if a != nil {
		return nil, redirectTo(homeOf(a))
	}
	return map[string]any{"action": s.Prefix + "/login"}, nil
}

// twoFactorChallengePage asks a session that gave its password for the second factor. Its
// form posts {code} or {recovery_code} to action; error is the last refusal's message, read
// from the error bag without taking it, so props.errors still has it.
func (s *Server) twoFactorChallengePage(r *http.Request, _ *auth.Actor) (map[string]any, error) {
	bag := map[string]string{}
	json.Unmarshal([]byte(s.sessions.GetString(r.Context(), errorsKey)), &bag)
	var msg any
	for _, field := range []string{"recovery_code", "code"} {
		if m, ok := bag[field]; ok {
			msg = m
		}
	}
	return map[string]any{"action": s.Prefix + "/two-factor/verify", "error": msg}, nil
}

// afterSignIn is where a sign-in through the web UI goes: to the second factor when the
// account asks for one, else to the page the person wanted before (if any), else home.
func (s *Server) afterSignIn(r *http.Request, data map[string]any) string {
	if data["two_factor_required"] == true {
		return "/two-factor/challenge"
	}
	// The stored URL is a request URI of the desk, prefix and all; next paths are below it.
	if to, ok := strings.CutPrefix(s.sessions.PopString(r.Context(), intendedKey), s.Prefix); ok && to != "" {
		return to
	}
	if data["is_agent"] == true {
		return "/agent/tickets/dashboard"
	}
	return "/tickets"
}
