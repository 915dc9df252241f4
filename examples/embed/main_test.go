package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// client is a browser for the example application.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}}
}

// signIn uses the application's own login form.
func (c *client) signIn(name, password string) {
	c.t.Helper()
	res, err := c.http.PostForm(c.base+"/login", url.Values{"username": {name}, "password": {password}})
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK { // the redirect to / has been followed
		c.t.Fatalf("sign in as %s: status %d", name, res.StatusCode)
	}
}

// do sends a JSON request and returns the status and the decoded body.
func (c *client) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("%s %s: %d, body is not JSON: %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, out
}

func TestHostSignInReachesTheDesk(t *testing.T) {
	t.Chdir(t.TempDir()) // on PostgreSQL the desk keeps attachments in ./storage
	dbtest.Each(t, func(t *testing.T, database string) {
		handler, desk, err := newApp(database)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(handler)
		t.Cleanup(func() {
			srv.Close()
			desk.Close()
		})

		anonymous := newClient(t, srv.URL)
		if status, _ := anonymous.do("POST", "/support/tickets", `{"subject": "Hi", "description": "Anyone?"}`); status != http.StatusUnauthorized {
			t.Fatalf("anonymous POST /support/tickets = %d, want 401", status)
		}

		mallory := newClient(t, srv.URL)
		mallory.http.Jar.SetCookies(mustURL(t, srv.URL), []*http.Cookie{{Name: "session", Value: "bob.forged"}})
		if status, _ := mallory.do("GET", "/support/agent/tickets", ""); status != http.StatusUnauthorized {
			t.Fatalf("forged cookie GET /support/agent/tickets = %d, want 401", status)
		}

		alice := newClient(t, srv.URL)
		alice.signIn("alice", "alice")
		status, created := alice.do("POST", "/support/tickets", `{"subject": "Invoice is wrong", "description": "Charged twice."}`)
		if status != http.StatusCreated {
			t.Fatalf("alice POST /support/tickets = %d %v", status, created)
		}
		ref := created["data"].(map[string]any)["reference"]
		if status, _ := alice.do("GET", "/support/agent/tickets", ""); status != http.StatusForbidden {
			t.Fatalf("alice (a customer) GET /support/agent/tickets = %d, want 403", status)
		}

		bob := newClient(t, srv.URL)
		bob.signIn("bob", "bob")
		status, queue := bob.do("GET", "/support/agent/tickets", "")
		if status != http.StatusOK {
			t.Fatalf("bob GET /support/agent/tickets = %d %v", status, queue)
		}
		items, _ := queue["data"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["reference"] != ref {
			t.Fatalf("bob's queue = %v, want alice's ticket %v", queue["data"], ref)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
