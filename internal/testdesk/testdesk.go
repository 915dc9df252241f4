// Package testdesk starts a real desk on a real database behind an httptest server and
// signs people in, so HTTP tests read like a story: an admin does this, a customer sees that.
package testdesk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/web"
)

// Desk is a running desk for one test.
type Desk struct {
	*escalated.Desk
	t      testing.TB
	Server *httptest.Server
	Clock  *clock.Fake
	Events *testenv.Recorder
	seq    atomic.Int64
}

// Start is the moment every test desk's clock starts at.
var Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// SecretKey is every test desk's Config.SecretKey.
const SecretKey = "test secret key, thirty-two characters or more"

// Config is the configuration of a test desk on the database at url: a secret key, so
// two-factor sign-in works, and no rate limits, so tests may sign in and call as often as
// they like. Rate-limit tests set their own limits and pass it to NewConfig.
func Config(url string) escalated.Config {
	off := -1
	return escalated.Config{
		Database:   url,
		SecretKey:  SecretKey,
		RateLimits: escalated.RateLimits{PerMinute: off, Login: off, TwoFactor: off, GuestCreate: off, GuestLookup: off},
	}
}

// New opens a desk on the database at url (see dbtest.Each) with a fake clock and an event
// recorder, serves it, and closes everything when the test ends.
func New(t testing.TB, url string, opts ...escalated.Option) *Desk {
	t.Helper()
	return NewConfig(t, Config(url), opts...)
}

// NewConfig is New with the configuration cfg.
func NewConfig(t testing.TB, cfg escalated.Config, opts ...escalated.Option) *Desk {
	t.Helper()
	d := &Desk{t: t, Clock: clock.NewFake(Start), Events: &testenv.Recorder{}}
	if cfg.StoragePath == "" {
		cfg.StoragePath = filepath.Join(t.TempDir(), "storage")
	}
	all := append([]escalated.Option{
		escalated.WithClock(d.Clock),
		escalated.WithEventListener(d.Events.Record),
		escalated.WithPasswordCost(1024, 1),
		escalated.WithLogger(quietLogger),
	}, opts...)
	desk, err := escalated.New(cfg, all...)
	if err != nil {
		t.Fatalf("testdesk: new desk: %v", err)
	}
	d.Desk = desk
	mux := http.NewServeMux()
	mux.Handle("/support/", desk.Handler())
	d.Server = httptest.NewServer(mux)
	t.Cleanup(func() {
		d.Server.Close()
		desk.Close()
	})
	return d
}

// Each runs fn against a fresh desk on SQLite and on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, d *Desk)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, New(t, url)) })
}

// quietLogger keeps the test output to warnings and errors: migrations and the job client
// log at info level on every desk.
var quietLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// Password is every test user's password.
const Password = "correct horse battery"

// User creates an account with the given role and returns a client signed in as it.
func (d *Desk) User(role string) *Client {
	d.t.Helper()
	n := d.seq.Add(1)
	name := fmt.Sprintf("%s %d", role, n)
	email := fmt.Sprintf("%s%d@example.test", strings.ReplaceAll(role, "_", "-"), n)
	u, err := d.Users.Create(context.Background(), escalated.NewUser{Name: name, Email: email, Password: Password, Role: role})
	if err != nil {
		d.t.Fatalf("testdesk: create %s: %v", role, err)
	}
	c := d.Anonymous()
	c.ID, c.Name, c.Email = u.ID, u.Name, u.Email
	c.Do("POST", "/login", map[string]any{"email": email, "password": Password}).Want(200)
	return c
}

// Role creates a custom role holding exactly perms and returns its slug.
func (d *Desk) Role(slug string, perms ...string) string {
	d.t.Helper()
	if _, err := d.Roles.Create(context.Background(), escalated.NewRole{Slug: slug, Name: slug, Permissions: perms}); err != nil {
		d.t.Fatalf("testdesk: create role %s: %v", slug, err)
	}
	return slug
}

// RunJobs runs the desk's background work (Desk.Run) until the test ends, and fails the test
// if it stops with an error.
func (d *Desk) RunJobs() {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	d.t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			d.t.Errorf("testdesk: run: %v", err)
		}
	})
}

// Anonymous returns a client that is signed in as nobody.
func (d *Desk) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{
		t: d.t, base: d.Server.URL + "/support", http: &http.Client{Jar: jar}, Header: http.Header{},
		version: d.Handler().(*web.Server).AssetVersion(),
	}
}

// Bearer returns a client that sends the API token on every request and keeps no cookies.
func (d *Desk) Bearer(token string) *Client {
	return &Client{t: d.t, base: d.Server.URL + "/support", http: &http.Client{}, Header: http.Header{"Authorization": {"Bearer " + token}}}
}

// Client is one person's browser session, or an API client.
type Client struct {
	t     testing.TB
	base  string
	http  *http.Client
	ID    int64
	Name  string
	Email string
	// Header is sent with every request (e.g. X-Forwarded-For, Origin).
	Header http.Header
	// version is the frontend build's asset version, which Inertia visits send.
	version string
}

// Response is what came back.
type Response struct {
	t       testing.TB
	req     string
	Request *http.Request
	Status  int
	Header  http.Header
	Body    []byte
}

// Do sends a JSON request to a path below /support. body may be nil, a string (sent as is)
// or any value (sent as JSON).
func (c *Client) Do(method, path string, body any) *Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("testdesk: encode body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	contentType := ""
	if rd != nil {
		contentType = "application/json"
	}
	return c.send(method, path, contentType, rd)
}

// Send sends a body of the given content type (a multipart form, say) to a path below
// /support.
func (c *Client) Send(method, path, contentType string, body []byte) *Response {
	c.t.Helper()
	return c.send(method, path, contentType, bytes.NewReader(body))
}

func (c *Client) send(method, path, contentType string, rd io.Reader) *Response {
	c.t.Helper()
	req := c.request(method, path, contentType, rd)
	req.Header.Set("Accept", "application/json")
	return c.roundTrip(c.http, req)
}

// request builds a request to a path below /support with the client's headers. Like a
// browser running the frontend, it sends the XSRF-TOKEN cookie back as X-XSRF-TOKEN.
func (c *Client) request(method, path, contentType string, rd io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("testdesk: %v", err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if req.Header.Get("X-XSRF-TOKEN") == "" && c.http.Jar != nil {
		for _, ck := range c.http.Jar.Cookies(req.URL) {
			if ck.Name == "XSRF-TOKEN" {
				req.Header.Set("X-XSRF-TOKEN", ck.Value)
			}
		}
	}
	return req
}

func (c *Client) roundTrip(hc *http.Client, req *http.Request) *Response {
	c.t.Helper()
	res, err := hc.Do(req)
	if err != nil {
		c.t.Fatalf("testdesk: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	path := strings.TrimPrefix(req.URL.RequestURI(), "/support")
	return &Response{t: c.t, req: req.Method + " " + path, Request: req, Status: res.StatusCode, Header: res.Header, Body: out}
}

// Inertia makes the request the web UI's Inertia client makes: X-Inertia with the build's
// asset version, a JSON body (nil, a string or any value). Redirects are not followed, so a
// test sees the 303 a form post gets; Follow visits where it points.
func (c *Client) Inertia(method, path string, body any) *Response {
	c.t.Helper()
	var rd io.Reader
	contentType := ""
	if body != nil {
		contentType = "application/json"
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			buf, err := json.Marshal(body)
			if err != nil {
				c.t.Fatalf("testdesk: encode body: %v", err)
			}
			rd = bytes.NewReader(buf)
		}
	}
	req := c.request(method, path, contentType, rd)
	req.Header.Set("Accept", "text/html, application/xhtml+xml")
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	req.Header.Set("X-Inertia", "true")
	req.Header.Set("X-Inertia-Version", c.version)
	noFollow := *c.http
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c.roundTrip(&noFollow, req)
}

// Follow makes the Inertia visit a redirect points to, and those that follow it, as the
// browser does.
func (c *Client) Follow(r *Response) *Response {
	c.t.Helper()
	for range 10 {
		loc := r.Header.Get("Location")
		if r.Status < 300 || r.Status >= 400 {
			return r
		}
		if !strings.HasPrefix(loc, "/support") {
			c.t.Fatalf("%s: redirect to %q, not a page of the desk", r.req, loc)
		}
		r = c.Inertia("GET", strings.TrimPrefix(loc, "/support"), nil)
	}
	c.t.Fatalf("%s: more than 10 redirects", r.req)
	return r
}

// Page is an Inertia page object.
type Page struct {
	Component string         `json:"component"`
	Props     map[string]any `json:"props"`
	URL       string         `json:"url"`
	Version   string         `json:"version"`
}

// Page decodes the body as an Inertia page object, failing unless the response says it is one.
func (r *Response) Page() Page {
	r.t.Helper()
	if r.Header.Get("X-Inertia") != "true" {
		r.t.Fatalf("%s: not an Inertia response (status %d): %s", r.req, r.Status, r.Body)
	}
	var p Page
	r.Decode(&p)
	return p
}

// Want fails the test unless the status is one of want.
func (r *Response) Want(want ...int) *Response {
	r.t.Helper()
	for _, w := range want {
		if r.Status == w {
			return r
		}
	}
	r.t.Fatalf("%s: status %d, want %v; body: %s", r.req, r.Status, want, r.Body)
	return r
}

// JSON decodes the body into a generic map.
func (r *Response) JSON() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("%s: body is not a JSON object: %v: %s", r.req, err, r.Body)
	}
	return m
}

// Data returns the "data" object of the body.
func (r *Response) Data() map[string]any {
	r.t.Helper()
	d, ok := r.JSON()["data"].(map[string]any)
	if !ok {
		r.t.Fatalf("%s: body has no data object: %s", r.req, r.Body)
	}
	return d
}

// Decode decodes the body into v.
func (r *Response) Decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s: decode: %v: %s", r.req, err, r.Body)
	}
}

// FieldError returns the first validation message for field, failing when there is none.
func (r *Response) FieldError(field string) string {
	r.t.Helper()
	var body struct {
		Errors map[string][]string `json:"errors"`
	}
	r.Decode(&body)
	if len(body.Errors[field]) == 0 {
		r.t.Fatalf("%s: no validation error for %q: %s", r.req, field, r.Body)
	}
	return body.Errors[field][0]
}
