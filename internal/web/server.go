// Package web is the desk's HTTP layer: the routes file, guards, JSON in and out. Handlers
// parse the request, call one service method and render the result.
package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/canned"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/department"
	"github.com/escalated-dev/escalated-go/internal/guest"
	"github.com/escalated-dev/escalated-go/internal/inertia"
	"github.com/escalated-dev/escalated-go/internal/notification"
	"github.com/escalated-dev/escalated-go/internal/report"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/storage"
	"github.com/escalated-dev/escalated-go/internal/tag"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/twofactor"
	"github.com/escalated-dev/escalated-go/internal/webhook"
	"github.com/escalated-dev/escalated-go/internal/workflow"
	"github.com/escalated-dev/escalated-go/ui"
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
	Guests        *guest.Service
	Settings      *settings.Store
	Departments   *department.Service
	Tags          *tag.Service
	Canned        *canned.Service
	BusinessHours *sla.Schedules
	SLAPolicies   *sla.Policies
	Audit         *audit.Log
	Notifications *notification.Service
	TwoFactor     *twofactor.Service
	Rules         *rules.Service
	Reports       *report.Service
	Workflows     *workflow.Service
	Webhooks      *webhook.Service
	Sessions      *auth.SessionStore
	Storage       storage.Store
	Resolver      Resolver // nil in the standalone server: the desk's own sign-in is used
	SecureCookies bool
	MaxBodyBytes  int64 // for JSON bodies; uploads are limited by the attachment settings
	// TrustedProxies are the peers whose X-Forwarded-For is believed (see clientAddr).
	TrustedProxies []netip.Prefix
	RateLimits     RateLimits
	// Frontend is the web UI to serve; the zero value serves the desk's own build (package ui).
	Frontend Frontend
}

// Frontend is a build of the web UI: its files and the page shell that loads them.
type Frontend struct {
	// Assets is the Vite build output, served under <prefix>/build/.
	Assets fs.FS
	// Manifest is the path of the Vite manifest in Assets; default ".vite/manifest.json".
	Manifest string
	// Entry is the manifest key of the entry module; default "src/main.js".
	Entry string
	// Shell is the HTML page of a first visit, executed with an inertia.ShellData; nil takes
	// inertia.DefaultShell.
	Shell *template.Template
}

// Server holds the dependencies, the route table and the rate limiters' state. It is the
// desk's http.Handler.
type Server struct {
	Deps
	sessions *scs.SessionManager
	routes   []Route
	api      []Route
	openAPI  []byte // the API's OpenAPI document, as served
	ui       *inertia.Renderer
	assets   fs.FS // the frontend's build
	// ziggyRoutes is the route table in Ziggy's format, shared with every page.
	ziggyRoutes map[string]ziggyRoute
	limiters    [limitClasses]*limiter // nil for a class that is turned off
	handler     http.Handler
}

// apiBase is where the REST API lives, below the route prefix.
const apiBase = "/api/v1"

// New builds the desk's HTTP handler. The REST API is served apart from the rest: bearer
// tokens are its only credential, so it gets neither the session nor cross-origin checks,
// and the desk's cookie routes never look at a token.
func New(d Deps) (*Server, error) {
	s := &Server{Deps: d}
	for c := range limitClasses {
		if n := d.RateLimits.perMinute(c); n > 0 {
			s.limiters[c] = newLimiter(n, d.Clock.Now())
		}
	}
	// Sessions hold who is signed in with the desk's own sign-in, and the web UI's state
	// (flash messages, validation errors, the CSRF token) in both modes. A request that
	// changes nothing in its session gets no cookie: scs's IdleTimeout stays off, since it
	// saves every session and sends its cookie on every response; the store ends idle
	// sessions instead (auth.SessionIdleTimeout), on the desk's clock.
	sm := scs.New()
	sm.Store = d.Sessions
	sm.Codec = auth.SessionCodec{}
	sm.Lifetime = 14 * 24 * time.Hour
	sm.Cookie.Name = "escalated_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.SecureCookies
	sm.Cookie.Path = "/"
	s.sessions = sm
	if err := s.loadFrontend(); err != nil {
		return nil, err
	}
	doc, err := openAPIDocument(s.Prefix + apiBase)
	if err != nil {
		return nil, err
	}
	s.openAPI = doc
	s.api = s.apiRoutes()
	s.routes = s.routeTable()
	s.ziggyRoutes = ziggyTable(s.Prefix, s.routes)
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
		if wantsPage(r) {
			// The Error page shows the layout as for whoever is signed in, or for nobody
			// when that cannot be told.
			who, _ := s.identify(r)
			s.pageError(w, r, who, notFoundRoute)
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
	h = s.sessions.LoadAndSave(h)
	h = withSessionUser(h) // before the session is loaded: the look-up reads its user too

	api := http.NewServeMux()
	for _, rt := range s.api {
		api.Handle(rt.Method+" "+s.Prefix+rt.Path, s.wrapAPI(rt))
	}
	s.fallback(api, s.Prefix+apiBase+"/")

	top := http.NewServeMux()
	top.Handle(s.Prefix+apiBase+"/", api)
	top.Handle("/", h)
	s.handler = s.recoverer(securityHeaders(top))
	return s, nil
}

// fallback answers every other path below catchAll with a JSON 404, or a 405 with Allow when
// the path is known but not for that method.
func (s *Server) fallback(mux *http.ServeMux, catchAll string) {
	mux.Handle(catchAll, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r, catchAll); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: "The " + r.Method + " method is not supported for this route."})
			return
		}
		s.writeError(w, r, notFoundRoute)
	}))
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

// Routes lists every route, the desk's and then the API's, for tests and the route table the
// frontend reads.
func (s *Server) Routes() []Route { return append(slices.Clip(s.routes), s.api...) }

// loadFrontend reads the frontend's manifest and builds the page renderer. The asset version
// is the manifest's hash, so a new build makes open pages reload.
func (s *Server) loadFrontend() error {
	f := s.Frontend
	if f.Assets == nil {
		dist, err := fs.Sub(ui.Dist, "dist")
		if err != nil {
			return fmt.Errorf("web: the built frontend: %w", err)
		}
		f.Assets = dist
	}
	if f.Manifest == "" {
		f.Manifest = ".vite/manifest.json"
	}
	if f.Entry == "" {
		f.Entry = "src/main.js"
	}
	manifest, err := fs.ReadFile(f.Assets, f.Manifest)
	if err != nil {
		return fmt.Errorf("web: the frontend's Vite manifest: %w", err)
	}
	s.ui, err = inertia.New(f.Shell, manifest, f.Entry, s.Prefix+"/build/")
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	s.assets = f.Assets
	return nil
}

// AssetVersion is the frontend build's version, which Inertia visits send as
// X-Inertia-Version.
func (s *Server) AssetVersion() string { return s.ui.Version() }

// withSessionUser gives the request room for the session store to leave the session's user
// in (auth.WithSessionUser), so identify needs no query of its own.
func withSessionUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(auth.WithSessionUser(r.Context())))
	})
}
