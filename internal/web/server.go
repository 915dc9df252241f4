// Package web is the desk's HTTP layer: the routes file, guards, JSON in and out. Handlers
// parse the request, call one service method and render the result.
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/department"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/storage"
	"github.com/escalated-dev/escalated-go/internal/tag"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/twofactor"
)

// Resolver maps a request of an embedding host to its signed-in user, or nil for nobody.
type Resolver func(*http.Request) (*auth.HostUser, error)

// Deps is everything the HTTP layer calls.
type Deps struct {
	Prefix        string // e.g. "/support"
	DB            *db.DB
	Clock         clock.Clock
	Log           *slog.Logger
	Auth          *auth.Service
	Tickets       *ticket.Service
	Settings      *settings.Store
	Departments   *department.Service
	Tags          *tag.Service
	BusinessHours *sla.Schedules
	SLAPolicies   *sla.Policies
	Audit         *audit.Log
	TwoFactor     *twofactor.Service
	Rules         *rules.Service
	Sessions      *auth.SessionStore
	Storage       storage.Store
	Resolver      Resolver // nil in the standalone server: the desk's own sign-in is used
	SecureCookies bool
	MaxBodyBytes  int64 // for JSON bodies; uploads are limited by the attachment settings
	// TrustedProxies are the peers whose X-Forwarded-For is believed (see clientAddr).
	TrustedProxies []netip.Prefix
	RateLimits     RateLimits
}

// Server holds the dependencies, the route table and the rate limiters' state. It is the
// desk's http.Handler.
type Server struct {
	Deps
	sessions *scs.SessionManager
	routes   []Route
	limiters [limitClasses]*limiter // nil for a class that is turned off
	handler  http.Handler
}

// New builds the desk's HTTP handler.
func New(d Deps) (*Server, error) {
	s := &Server{Deps: d}
	for c := range limitClasses {
		if n := d.RateLimits.perMinute(c); n > 0 {
			s.limiters[c] = newLimiter(n, d.Clock.Now())
		}
	}
	if d.Resolver == nil {
		sm := scs.New()
		sm.Store = d.Sessions
		sm.Lifetime = 14 * 24 * time.Hour
		sm.IdleTimeout = 7 * 24 * time.Hour
		sm.Cookie.Name = "escalated_session"
		sm.Cookie.HttpOnly = true
		sm.Cookie.SameSite = http.SameSiteLaxMode
		sm.Cookie.Secure = d.SecureCookies
		sm.Cookie.Path = "/"
		s.sessions = sm
	}
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+s.Prefix+rt.Path, s.wrap(rt))
	}
	catchAll := s.Prefix + "/"
	mux.Handle(catchAll, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r, catchAll); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: "The " + r.Method + " method is not supported for this route."})
			return
		}
		s.writeError(w, r, notFoundRoute)
	}))
	var h http.Handler = mux
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, errorBody{Message: "Cross-origin request refused."})
	}))
	h = csrf.Handler(h)
	if s.sessions != nil {
		h = s.sessions.LoadAndSave(h)
	}
	s.handler = s.recoverer(securityHeaders(h))
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// allowedMethods lists the methods some route serves at r's path. The catch-all that renders
// JSON 404s also catches a known path called with the wrong method, which is a 405.
func allowedMethods(mux *http.ServeMux, r *http.Request, catchAll string) []string {
	var allow []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != catchAll {
			allow = append(allow, m)
		}
	}
	return allow
}

// Routes lists every route, for tests and the route table the frontend reads.
func (s *Server) Routes() []Route { return s.routes }
