package web

import (
	"context"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Guard says who may call a route.
type Guard struct {
	// Kind is "public" (anyone), "user" (anyone signed in: customer or staff), "staff"
	// (signed-in staff holding Perm, or any staff when Perm is empty) or "token" (an API
	// token whose effective rights hold Perm, or any valid token when Perm is empty).
	Kind string
	Perm string
}

var (
	public   = Guard{Kind: "public"}
	signedIn = Guard{Kind: "user"}
	anyStaff = Guard{Kind: "staff"}
	anyToken = Guard{Kind: "token"}
)

// staff requires a signed-in agent or admin who holds the permission.
func staff(perm string) Guard { return Guard{Kind: "staff", Perm: perm} }

// token requires an API token whose effective rights hold the ability.
func token(ability string) Guard { return Guard{Kind: "token", Perm: ability} }

// handler is a route's body: it gets the acting user (nil on public routes when nobody is
// signed in) and returns an error that the wrapper renders.
type handler func(w http.ResponseWriter, r *http.Request, a *auth.Actor) error

// Route is one line of the routes file.
type Route struct {
	Method string
	Path   string // below the prefix, with {param} placeholders
	Name   string // the frontend's route name, where it has one
	Guard  Guard
	h      handler
}

type ctxKey struct{}

// wrap turns a route into an http.Handler: it limits the body, resolves the actor with
// resolve (the session's or the bearer token's), applies the guard and renders any error.
func (s *Server) wrap(rt Route, resolve func(*http.Request) (*auth.Actor, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
		}
		a, err := resolve(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := check(rt.Guard, a); err != nil {
			if rt.Guard.Kind == "token" && a == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="escalated"`)
			}
			s.writeError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, a))
		if err := rt.h(w, r, a); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func check(g Guard, a *auth.Actor) error {
	switch g.Kind {
	case "public":
		return nil
	case "user":
		if a == nil {
			return apperr.Unauthenticated()
		}
		return nil
	default:
		if a == nil {
			return apperr.Unauthenticated()
		}
		if !a.IsAgent() || (g.Perm != "" && !a.Can(g.Perm)) {
			return apperr.Forbidden("This action is unauthorized.")
		}
		return nil
	}
}

// actor finds who is asking: the host's resolver in embedded mode, else the session.
func (s *Server) actor(r *http.Request) (*auth.Actor, error) {
	ip := clientIP(r)
	if s.Resolver != nil {
		hu, err := s.Resolver(r)
		if err != nil || hu == nil {
			if err != nil {
				s.Log.Warn("escalated: identity resolver failed", "err", err)
			}
			return nil, nil
		}
		u, err := s.Auth.SyncHostUser(r.Context(), *hu)
		if err != nil {
			return nil, err
		}
		return s.Auth.ActorForUser(r.Context(), u, ip)
	}
	id := s.sessions.GetInt64(r.Context(), sessionUserKey)
	if id == 0 {
		return nil, nil
	}
	a, err := s.Auth.Actor(r.Context(), id, ip)
	if apperr.Is(err, apperr.KindUnauthenticated) {
		return nil, nil // the account is gone or disabled: treat as signed out
	}
	return a, err
}

// tokenActor finds who is asking on the API: the owner of the bearer token, with the token's
// effective rights. Sessions and the host's resolver play no part here, so a browser's
// cookie cannot be ridden into the API. A missing, malformed or refused token is nobody.
func (s *Server) tokenActor(r *http.Request) (*auth.Actor, error) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return nil, nil
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, nil
	}
	a, err := s.Auth.TokenActor(r.Context(), strings.TrimSpace(tok), clientIP(r))
	if apperr.Is(err, apperr.KindUnauthenticated) {
		return nil, nil
	}
	return a, err
}

// clientIP is the address of the peer. Forwarded headers are not believed here; trusting
// them needs a configured proxy list.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("escalated: panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, errorBody{Message: "Server error."})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		next.ServeHTTP(w, r)
	})
}
