package web

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/inertia"
)

// Guard says who may call a route and which rate limit it counts against.
type Guard struct {
	// Kind is "public" (anyone), "user" (anyone signed in: customer or staff), "staff"
	// (signed-in staff holding Perm, or any staff when Perm is empty), "two_factor" (a
	// session that has passed the password and owes its second factor) or "token" (an API
	// token whose effective rights hold Perm, or any valid token when Perm is empty).
	Kind string
	Perm string
	// Limit is the rate-limit class; the zero value is the general limit.
	Limit limitClass
	// MidSignIn opens the route to a session that owes its second factor. Every other route
	// answers such a session 401.
	MidSignIn bool
}

var (
	public   = Guard{Kind: "public"}
	signedIn = Guard{Kind: "user"}
	// anyStaff is any signed-in agent or admin, acting on their own account.
	anyStaff = Guard{Kind: "staff"}
	// midSignIn is a session between the password and the second factor.
	midSignIn = Guard{Kind: "two_factor", MidSignIn: true}
	anyToken  = Guard{Kind: "token"}
)

// staff requires a signed-in agent or admin who holds the permission.
func staff(perm string) Guard { return Guard{Kind: "staff", Perm: perm} }

// alsoMidSignIn returns the guard opened to a session that owes its second factor too.
func (g Guard) alsoMidSignIn() Guard {
	g.MidSignIn = true
	return g
}

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
	h      handler // the JSON handler; nil on a route that only renders a page
	UI     UI
}

type ctxKey struct{}

// wrapAPI turns a REST API route into an http.Handler: it limits the body, finds the bearer
// token's owner, spends the request against the route's rate limit, applies the guard and
// renders any error as JSON. The API has no pages, sessions or CSRF tokens.
func (s *Server) wrapAPI(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			limit, err := s.bodyLimit(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		who, err := s.tokenIdentity(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.rateLimit(w, rt.Guard.Limit, limitKey(rt.Guard.Limit, s.clientIP(r), who)); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := check(rt.Guard, who); err != nil {
			if rt.Guard.Kind == "token" && who.actor == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="escalated"`)
			}
			s.writeError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, who.actor))
		if err := rt.h(w, r, who.actor); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// wrap turns a route into an http.Handler. A GET or HEAD that asks for a page (wantsPage) is
// answered with the route's page, or its errors with the Error page; an Inertia form post
// runs the route as a JSON request and turns the answer into a redirect (serveForm);
// everything else gets JSON.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && inertia.IsRequest(r) {
			s.serveForm(w, r, rt)
			return
		}
		s.serve(w, r, rt, wantsPage(r))
	})
}

// serve limits the body, finds who is asking, checks the CSRF token, spends the request
// against the route's rate limit, applies the guard and runs the route: its page when asPage
// and it has one, else its JSON handler. Errors are rendered as the Error page when asPage,
// else as JSON. It returns who was asking.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt Route, asPage bool) identity {
	var who identity
	fail := func(err error) {
		if asPage {
			s.pageError(w, r, who, err)
		} else {
			s.writeError(w, r, err)
		}
	}
	if asPage && s.ui.Stale(r) {
		inertia.Location(w, r, r.URL.RequestURI())
		return who
	}
	if r.Body != nil {
		limit, err := s.bodyLimit(r)
		if err != nil {
			fail(err)
			return who
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	var err error
	if who, err = s.identify(r); err != nil {
		fail(err)
		return who
	}
	if err := s.checkCSRF(r); err != nil {
		fail(err)
		return who
	}
	if err := s.rateLimit(w, rt.Guard.Limit, limitKey(rt.Guard.Limit, s.clientIP(r), who)); err != nil {
		fail(err)
		return who
	}
	if err := check(rt.Guard, who); err != nil {
		fail(err)
		return who
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, who.actor))
	switch {
	case asPage && rt.UI.Page != "":
		err = s.renderRoutePage(w, r, rt, who.actor)
	case rt.h != nil:
		err = rt.h(w, r, who.actor)
	default:
		err = s.pageData(w, r, rt, who.actor)
	}
	var to redirectTo
	switch {
	case errors.As(err, &to):
		inertia.Redirect(w, s.Prefix+string(to))
	case err != nil:
		fail(err)
	}
	return who
}

var errTwoFactorRequired = &apperr.Error{Kind: apperr.KindUnauthenticated,
	Message: "Two-factor authentication is required: send a code to /two-factor/verify to finish signing in."}

func check(g Guard, who identity) error {
	if who.pending != 0 && !g.MidSignIn {
		return errTwoFactorRequired
	}
	a := who.actor
	switch g.Kind {
	case "public":
		return nil
	case "two_factor":
		if who.pending == 0 {
			return apperr.Unauthenticated()
		}
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

// identity is who is asking: a signed-in actor; or, with pending set, a user who has given
// their password but still owes the second factor, and who acts as nobody until they give
// it; or nobody at all.
type identity struct {
	actor   *auth.Actor
	pending int64
}

// Session keys of a sign-in that waits for its second factor: the user and when the password
// was given (Unix seconds).
const (
	twoFactorUserKey  = "two_factor_user_id"
	twoFactorSinceKey = "two_factor_since"
)

// twoFactorPendingFor is how long a sign-in waits for its second factor before it has to
// start again with the password.
const twoFactorPendingFor = 10 * time.Minute

// identify finds who is asking: the host's resolver in embedded mode, else the session.
func (s *Server) identify(r *http.Request) (identity, error) {
	ip := s.clientIP(r)
	if s.Resolver != nil {
		hu, err := s.Resolver(r)
		if err != nil || hu == nil {
			if err != nil {
				s.Log.Warn("escalated: identity resolver failed", "err", err)
			}
			return identity{}, nil
		}
		u, err := s.Auth.SyncHostUser(r.Context(), *hu)
		if err != nil {
			return identity{}, err
		}
		a, err := s.Auth.ActorForUser(r.Context(), u, ip)
		if apperr.Is(err, apperr.KindUnauthenticated) {
			return identity{}, nil // deactivated in the desk: the host's sign-in does not undo that
		}
		return identity{actor: a}, err
	}
	ctx := r.Context()
	if id := s.sessions.GetInt64(ctx, twoFactorUserKey); id != 0 {
		since := time.Unix(s.sessions.GetInt64(ctx, twoFactorSinceKey), 0)
		if s.Clock.Now().Sub(since) > twoFactorPendingFor {
			return identity{}, nil
		}
		return identity{pending: id}, nil
	}
	id := s.sessions.GetInt64(ctx, sessionUserKey)
	if id == 0 {
		return identity{}, nil
	}
	a, err := s.Auth.SessionActor(ctx, id, ip)
	if apperr.Is(err, apperr.KindUnauthenticated) {
		return identity{}, nil // the account is gone or disabled: treat as signed out
	}
	return identity{actor: a}, err
}

// tokenActor finds who is asking on the API: the owner of the bearer token, with the token's
// effective rights. Sessions and the host's resolver play no part here, so a browser's
// cookie cannot be ridden into the API. A missing, malformed or refused token is nobody.
func (s *Server) tokenIdentity(r *http.Request) (identity, error) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return identity{}, nil
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return identity{}, nil
	}
	a, err := s.Auth.TokenActor(r.Context(), strings.TrimSpace(tok), s.clientIP(r))
	if apperr.Is(err, apperr.KindUnauthenticated) {
		return identity{}, nil
	}
	return identity{actor: a}, err
}

// clientIP is the address of whoever sent the request (see clientAddr).
func (s *Server) clientIP(r *http.Request) string { return clientAddr(r, s.TrustedProxies) }

// clientAddr is the peer's address, unless the peer is one of the trusted proxies. Then
// X-Forwarded-For is read from the right, where the nearest proxy appended its peer, past
// the entries of further trusted proxies; the first address that is not a trusted proxy is
// the client. Entries to its left were written by the client itself and are not believed.
// An entry that is not an address stops the walk at the last trusted hop.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	addr, ok := parseHop(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !isTrusted(addr, trusted) {
		return addr.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			break
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr.String()
}

// parseHop reads an address, with or without a port, as peers and proxies write them.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
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

// contentSecurityPolicy lets the web UI load its own scripts and styles and nothing else. The
// page shell has no inline script (the page object rides in an attribute); Vue and Tailwind
// set inline styles, and avatars and QR codes come as data: images.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"frame-ancestors 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		next.ServeHTTP(w, r)
	})
}
