package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/inertia"
)

// The web UI is the Inertia frontend. It visits the same URLs as API clients: a GET that
// asks for a page (wantsPage) gets the route's page, and a form post made by Inertia runs the
// route's JSON handler and is answered with a redirect (serveForm).

// UI is how a route serves the web UI. The zero value has no page and sends a successful
// form post back to the page it came from; routes.go calls it noPage on a GET and back on a
// write.
type UI struct {
	// Page is the Inertia component a GET renders, e.g. "Escalated/Customer/Index".
	Page  string
	props propsFunc
	// next is where a successful form post goes, below the prefix; nil or "" goes back.
	next nextFunc
	// success is flashed as flash.success after a successful form post.
	success string
	// say, when set, words flash.success from the answer's data instead.
	say func(data map[string]any) string
	// flashKey, when set, names the flash entry that receives the response's data, or only
	// its field flashField when that is set.
	flashKey   string
	flashField string
}

// propsFunc builds a page's own props; the shared ones are added by renderPage.
type propsFunc func(r *http.Request, a *auth.Actor) (map[string]any, error)

// nextFunc picks where a successful form post goes from the data of the JSON answer.
type nextFunc func(r *http.Request, data map[string]any) string

var (
	noPage = UI{}
	back   = UI{}
)

// page renders component with the props p builds.
func page(component string, p propsFunc) UI { return UI{Page: component, props: p} }

// then sends a successful form post to path below the prefix, with each {field} replaced by
// that field of the answer's data: then("/tickets/{reference}") opens the new ticket.
func then(path string) UI {
	return UI{next: func(_ *http.Request, data map[string]any) string {
		out := path
		for strings.Contains(out, "{") {
			open, end := strings.Index(out, "{"), strings.Index(out, "}")
			if end < open {
				return ""
			}
			v, ok := data[out[open+1:end]]
			if !ok || v == nil {
				return ""
			}
			out = out[:open] + url.PathEscape(fmt.Sprint(v)) + out[end+1:]
		}
		return out
	}}
}

// saying flashes msg as flash.success after a successful form post.
func (u UI) saying(msg string) UI {
	u.success = msg
	return u
}

// sayingBy flashes, as flash.success after a successful form post, what say makes of the
// answer's data: for a toggle whose message depends on which way it went.
func (u UI) sayingBy(say func(data map[string]any) string) UI {
	u.say = say
	return u
}

// flashing hands the answer's data to the next page as flash.<key>: things shown once, such
// as a new two-factor secret.
func (u UI) flashing(key string) UI {
	u.flashKey = key
	return u
}

// flashingField hands one field of the answer's data to the next page as flash.<key>: a
// secret shown once, such as a new API token's plaintext, without the rest of the object.
func (u UI) flashingField(key, field string) UI {
	u.flashKey, u.flashField = key, field
	return u
}

// redirectTo is returned by a page's props to send the visitor elsewhere (a path below the
// prefix): the sign-in page to someone already signed in, say.
type redirectTo string

func (r redirectTo) Error() string { return "redirect to " + string(r) }

// wantsPage reports whether a GET or HEAD asks for a page rather than JSON: an Inertia visit,
// or a browser asking for HTML. A request that names application/json gets JSON, and so does
// one that names neither (curl, scripts), so API clients keep their JSON.
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if inertia.IsRequest(r) {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/json")
}

// Session keys of the web UI.
const (
	flashKey    = "ui_flash"    // JSON object of flash messages for the next page
	errorsKey   = "ui_errors"   // JSON object of field → first message for the next page
	csrfKey     = "csrf_token"  // the session's CSRF token
	intendedKey = "ui_intended" // the page a visitor wanted before being sent to sign in
)

// csrfCookie carries the session's CSRF token to the frontend's JavaScript, which sends it
// back as X-XSRF-TOKEN on every write (Inertia's HTTP client does so by itself).
const csrfCookie = "XSRF-TOKEN"

// statusPageExpired answers a write whose CSRF token is missing or wrong, as Laravel does.
const statusPageExpired = 419

var errCSRF = errors.New("CSRF token mismatch: reload the page and try again.")

// csrfToken returns the session's CSRF token, making one on the first page a session renders,
// and sets the cookie the frontend reads it from. The cookie is confined to the desk's path
// so an embedding application's own XSRF-TOKEN cookie is left alone.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	ctx := r.Context()
	token := s.sessions.GetString(ctx, csrfKey)
	if token == "" {
		b := make([]byte, 32)
		rand.Read(b)
		token = base64.RawURLEncoding.EncodeToString(b)
		s.sessions.Put(ctx, csrfKey, token)
	}
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: token, Path: s.Prefix + "/",
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return token
}

// checkCSRF refuses a write whose session holds a CSRF token unless the request sends it back
// in X-XSRF-TOKEN or X-CSRF-TOKEN. A session gets its token with the first page it renders,
// so every session the web UI uses is checked; a request without the desk's session cookie
// (an API client, a first sign-in) or whose session never rendered a page (an API client
// that signed in with JSON) has no token to check. See docs/decisions.md.
func (s *Server) checkCSRF(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	want := s.sessions.GetString(r.Context(), csrfKey)
	if want == "" {
		return nil
	}
	got := r.Header.Get("X-XSRF-TOKEN")
	if got == "" {
		got = r.Header.Get("X-CSRF-TOKEN")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return nil
}

// putFlash adds entries to the flash the next page shows.
func (s *Server) putFlash(ctx context.Context, entries map[string]any) {
	m := map[string]any{}
	json.Unmarshal([]byte(s.sessions.GetString(ctx, flashKey)), &m)
	for k, v := range entries {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	s.sessions.Put(ctx, flashKey, string(b))
}

// flash is the flash of the page being rendered: every key the frontend reads, null unless
// set. A GET consumes it; a HEAD leaves it for the GET that follows.
func (s *Server) flash(r *http.Request) map[string]any {
	m := map[string]any{"success": nil, "error": nil, "plain_text_token": nil, "webhook_secret": nil, "two_factor_setup": nil, "two_factor_confirmed": nil}
	json.Unmarshal([]byte(s.take(r, flashKey)), &m)
	return m
}

// validationErrors is the error bag of the page being rendered: field → first message.
func (s *Server) validationErrors(r *http.Request) map[string]string {
	m := map[string]string{}
	json.Unmarshal([]byte(s.take(r, errorsKey)), &m)
	return m
}

func (s *Server) take(r *http.Request, key string) string {
	if r.Method == http.MethodGet {
		return s.sessions.PopString(r.Context(), key)
	}
	return s.sessions.GetString(r.Context(), key)
}

// renderRoutePage renders the route's page with the props its function builds.
func (s *Server) renderRoutePage(w http.ResponseWriter, r *http.Request, rt Route, a *auth.Actor) error {
	props, err := rt.UI.props(r, a)
	if err != nil {
		return err
	}
	return s.renderPage(w, r, http.StatusOK, rt.UI.Page, props, a)
}

// renderPage renders a page with the shared props under its own.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, component string, props map[string]any, a *auth.Actor) error {
	all := s.shared(r, a)
	for k, v := range props {
		all[k] = v
	}
	p := inertia.Page{Component: component, Props: all, URL: r.URL.RequestURI()}
	return s.ui.Render(w, r, status, p, s.csrfToken(w, r))
}

// pageData answers a JSON client that asks a page-only URL with the page's props.
func (s *Server) pageData(w http.ResponseWriter, r *http.Request, rt Route, a *auth.Actor) error {
	props, err := rt.UI.props(r, a)
	if err != nil {
		return err
	}
	v, err := inertia.Evaluate(props)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, v)
}

// pageError answers a failed page visit. Someone not signed in is sent to sign in (to the
// second factor when that is what they owe) and comes back here afterwards; every other
// error is the Error page with the error's status.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, who identity, err error) {
	status, body := s.classify(w, r, err)
	if status == http.StatusUnauthorized && s.Resolver == nil {
		if who.pending != 0 {
			inertia.Redirect(w, s.Prefix+"/two-factor/challenge")
			return
		}
		s.sessions.Put(r.Context(), intendedKey, r.URL.RequestURI())
		inertia.Redirect(w, s.Prefix+"/login")
		return
	}
	s.renderError(w, r, who.actor, status, body.Message)
}

// renderError renders the Error page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, a *auth.Actor, status int, message string) {
	props := map[string]any{"status": status, "message": message, "home": s.Prefix + "/"}
	if err := s.renderPage(w, r, status, "Escalated/Error", props, a); err != nil {
		s.Log.Error("escalated: render the error page", "status", status, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{Message: "Server error."})
	}
}

// serveForm runs an Inertia form post as the JSON request it is and answers with a redirect,
// as Inertia expects: success goes to the route's next page (or back) with its flash; a
// validation error goes back with the field errors for the next page's props.errors; someone
// not signed in goes to sign in; other refusals go back with the message as flash.error. A
// server error is the Error page.
func (s *Server) serveForm(w http.ResponseWriter, r *http.Request, rt Route) {
	c := &capture{header: http.Header{}}
	who := s.serve(c, r, rt, false)
	for k, v := range c.header {
		if k != "Content-Type" && k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	ctx := r.Context()
	var answer struct {
		Data    json.RawMessage     `json:"data"`
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
	}
	json.Unmarshal(c.body.Bytes(), &answer)
	to := ""
	switch status := c.status; {
	case status < 300:
		// Numbers stay as written, so an id fills a path as 1000000, not 1e+06.
		var data map[string]any
		dec := json.NewDecoder(bytes.NewReader(answer.Data))
		dec.UseNumber()
		dec.Decode(&data)
		flash := map[string]any{}
		if rt.UI.success != "" {
			flash["success"] = rt.UI.success
		}
		if rt.UI.say != nil {
			if msg := rt.UI.say(data); msg != "" {
				flash["success"] = msg
			}
		}
		switch {
		case rt.UI.flashKey == "":
		case rt.UI.flashField != "":
			flash[rt.UI.flashKey] = data[rt.UI.flashField]
		default:
			flash[rt.UI.flashKey] = answer.Data
		}
		if len(flash) > 0 {
			s.putFlash(ctx, flash)
		}
		if rt.UI.next != nil {
			if next := rt.UI.next(r, data); next != "" {
				to = s.Prefix + next
			}
		}
	case status < 400:
		to = c.header.Get("Location")
	case status == http.StatusUnauthorized && s.Resolver == nil:
		to = s.Prefix + "/login"
		if who.pending != 0 {
			to = s.Prefix + "/two-factor/challenge"
		}
	case status == http.StatusUnprocessableEntity:
		bag := map[string]string{}
		for field, msgs := range answer.Errors {
			if len(msgs) > 0 {
				bag[field] = msgs[0]
			}
		}
		b, _ := json.Marshal(bag)
		s.sessions.Put(ctx, errorsKey, string(b))
	case status >= 500:
		s.renderError(w, r, who.actor, status, answer.Message)
		return
	default:
		s.putFlash(ctx, map[string]any{"error": answer.Message})
	}
	if to == "" {
		to = s.back(r)
	}
	inertia.Redirect(w, to)
}

// back is the page a form was posted from: the Referer when it is a page of this desk on this
// host, else the desk's front door.
func (s *Server) back(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err == nil && u.Host == r.Host && (u.Path == s.Prefix || strings.HasPrefix(u.Path, s.Prefix+"/")) {
		return u.RequestURI()
	}
	return s.Prefix + "/"
}

// capture holds a response instead of sending it, so serveForm can turn it into a redirect.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(b)
}

// shared are the props every page gets (shapes.md §1): the desk's settings for the layout,
// the signed-in user, the flash, the validation errors and the route table. The costly or
// consuming ones are computed only when a partial reload asks for them; the errors come
// with every response, as the protocol has it.
func (s *Server) shared(r *http.Request, a *auth.Actor) map[string]any {
	var user any
	if a != nil {
		user = map[string]any{"id": a.UserID, "name": a.Name, "email": a.Email}
	}
	return map[string]any{
		"escalated": inertia.Lazy(func() (any, error) { return s.deskProps(r.Context(), a) }),
		"auth":      map[string]any{"user": user},
		"flash":     inertia.Lazy(func() (any, error) { return s.flash(r), nil }),
		"errors":    inertia.Always{Value: inertia.Lazy(func() (any, error) { return s.validationErrors(r), nil })},
		"ziggy":     inertia.Lazy(func() (any, error) { return s.ziggy(r), nil }),
	}
}

// deskProps is page.props.escalated: what the layout shows and whom to.
func (s *Server) deskProps(ctx context.Context, a *auth.Actor) (map[string]any, error) {
	cfg, err := s.Settings.All(ctx)
	if err != nil {
		return nil, err
	}
	var agentType any
	if a.IsAgent() {
		agentType = "full"
		if a.IsLightAgent() {
			agentType = "light"
		}
	}
	// Staff see how many notifications wait for them in the header.
	var unread any
	if a.IsAgent() && s.Notifications != nil {
		if unread, err = s.Notifications.Unread(ctx, a); err != nil {
			return nil, err
		}
	}
	// The layout links the knowledge base when it is on; it is on only once it is served.
	_, kb := s.ziggyRoutes["escalated.customer.kb.index"]
	return map[string]any{
		"prefix":                 strings.TrimPrefix(s.Prefix, "/"),
		"is_agent":               a.IsAgent(),
		"is_admin":               a.IsAdmin(),
		"permissions":            a.PermissionList(),
		"agent_type":             agentType,
		"show_powered_by":        true,
		"knowledge_base_enabled": kb && cfg.Bool("knowledge_base_enabled"),
		"knowledge_base_public":  kb && cfg.Bool("knowledge_base_public"),
		"features":               map[string]any{"newsletters": false},
		"chat_enabled":           false,
		"active_chats":           []any{},
		"plugins":                map[string]any{},
		"unread_notifications":   unread,
	}, nil
}
