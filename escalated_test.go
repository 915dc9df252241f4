package escalated_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// hostApp is a toy host application whose "session" is a header naming the signed-in user.
type hostApp struct {
	mu    sync.Mutex
	users map[string]escalated.HostUser
}

func (h *hostApp) resolve(r *http.Request) (*escalated.HostUser, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.users[r.Header.Get("X-Host-User")]
	if !ok {
		return nil, nil
	}
	return &u, nil
}

func (h *hostApp) setRole(id, role string) {
	h.mu.Lock()
	u := h.users[id]
	u.Role = role
	h.users[id] = u
	h.mu.Unlock()
}

func TestEmbeddedDeskTrustsTheHostsIdentity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		host := &hostApp{users: map[string]escalated.HostUser{
			"u1": {ExternalID: "u1", Name: "Alice", Email: "alice@host.test", Role: "customer"},
			"u2": {ExternalID: "u2", Name: "Bob", Email: "bob@host.test", Role: "agent"},
		}}
		var mu sync.Mutex
		var events []string
		desk, do := serveEmbedded(t, url, host, escalated.WithEventListener(func(_ context.Context, e escalated.Event) {
			mu.Lock()
			events = append(events, e.Name)
			mu.Unlock()
		}))

		if code, _ := do("", "GET", "/tickets", ""); code != 401 {
			t.Fatalf("anonymous list: %d, want 401", code)
		}
		// The desk's own sign-in is not served when the host owns identity.
		if code, _ := do("", "POST", "/login", `{"email":"alice@host.test","password":"x"}`); code != 404 {
			t.Fatalf("login in embedded mode: %d, want 404", code)
		}
		code, body := do("u1", "POST", "/tickets", `{"subject":"Invoice","description":"Wrong amount"}`)
		if code != 201 {
			t.Fatalf("alice creates: %d %v", code, body)
		}
		ref := body["data"].(map[string]any)["reference"].(string)
		if code, _ := do("u1", "GET", "/agent/tickets", ""); code != 403 {
			t.Fatalf("customer opens the queue: %d, want 403", code)
		}
		if code, body := do("u2", "GET", "/agent/tickets/"+ref, ""); code != 200 {
			t.Fatalf("bob opens %s: %d %v", ref, code, body)
		}
		// The host demotes Bob: his next request has a customer's rights.
		host.setRole("u2", "customer")
		if code, _ := do("u2", "GET", "/agent/tickets/"+ref, ""); code != 403 {
			t.Fatalf("demoted bob: %d, want 403", code)
		}
		// Programmatic services use the same write path and fire the same events.
		if _, err := desk.Tickets.Reply(context.Background(), 0, ref, "Refund issued.", false); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(events, ",") != "TicketCreated,ReplyCreated" {
			t.Fatalf("events = %v", events)
		}
	})
}

// serveEmbedded mounts a desk that trusts host's resolver under /support of a test server,
// and returns it with a function that sends a JSON request as one of host's users ("" for
// nobody).
func serveEmbedded(t *testing.T, url string, host *hostApp, opts ...escalated.Option) (*escalated.Desk, func(user, method, path, body string) (int, map[string]any)) {
	t.Helper()
	desk, err := escalated.New(escalated.Config{Database: url, StoragePath: t.TempDir()},
		append([]escalated.Option{escalated.WithIdentityResolver(host.resolve)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { desk.Close() })
	mux := http.NewServeMux()
	mux.Handle("/support/", desk.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return desk, func(user, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+"/support"+path, strings.NewReader(body))
		req.Header.Set("Accept", "application/json")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if user != "" {
			req.Header.Set("X-Host-User", user)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
}

// A user deactivated in the desk's admin stays out, though the host still signs them in: the
// host owns who someone is, the desk who may use it. Reactivated, they are back.
func TestEmbeddedDeskRefusesADeactivatedUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		host := &hostApp{users: map[string]escalated.HostUser{
			"u1": {ExternalID: "u1", Name: "Alice", Email: "alice@host.test", Role: "customer"},
			"u3": {ExternalID: "u3", Name: "Carol", Email: "carol@host.test", Role: "admin"},
		}}
		_, do := serveEmbedded(t, url, host)
		if code, body := do("u1", "GET", "/tickets", ""); code != 200 {
			t.Fatalf("alice lists her tickets: %d %v", code, body)
		}
		code, body := do("u3", "GET", "/admin/users?search=alice", "")
		users, _ := body["data"].([]any)
		if code != 200 || len(users) != 1 {
			t.Fatalf("carol finds alice: %d %v", code, body)
		}
		alice := fmt.Sprint(users[0].(map[string]any)["id"])
		if code, body := do("u3", "DELETE", "/admin/users/"+alice, ""); code != 200 {
			t.Fatalf("carol deactivates alice: %d %v", code, body)
		}
		for _, req := range [][3]string{{"GET", "/tickets", ""}, {"POST", "/tickets", `{"subject":"Still here?","description":"x"}`}, {"GET", "/me", ""}} {
			if code, _ := do("u1", req[0], req[1], req[2]); code != 401 {
				t.Fatalf("deactivated alice: %s %s = %d, want 401", req[0], req[1], code)
			}
		}
		if code, body := do("u3", "PATCH", "/admin/users/"+alice, `{"is_active":true}`); code != 200 {
			t.Fatalf("carol reactivates alice: %d %v", code, body)
		}
		if code, body := do("u1", "GET", "/tickets", ""); code != 200 {
			t.Fatalf("reactivated alice: %d %v", code, body)
		}
	})
}

// TestEmbeddedDeskKeepsHostUsersApart: over HTTP, a host user whose email another host user's
// account already has gets a 409 and reaches nothing of theirs; a host user without an email
// still works the desk under a stand-in address.
func TestEmbeddedDeskKeepsHostUsersApart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		host := &hostApp{users: map[string]escalated.HostUser{
			"u1": {ExternalID: "u1", Name: "Alice", Email: "alice@host.test", Role: "customer"},
			"u5": {ExternalID: "u5", Name: "Mallory", Email: "Alice@Host.test", Role: "customer"},
			"u6": {ExternalID: "u6", Name: "No Mail", Role: "customer"},
		}}
		_, do := serveEmbedded(t, url, host)
		code, body := do("u1", "POST", "/tickets", `{"subject":"Invoice","description":"Wrong amount"}`)
		if code != 201 {
			t.Fatalf("alice creates: %d %v", code, body)
		}
		ref := body["data"].(map[string]any)["reference"].(string)
		for _, req := range [][2]string{{"GET", "/tickets"}, {"GET", "/tickets/" + ref}} {
			if code, body := do("u5", req[0], req[1], ""); code != 409 || body["message"] == nil {
				t.Fatalf("a second host user with alice's email: %s %s = %d %v, want 409 {message}", req[0], req[1], code, body)
			}
		}
		if code, body := do("u6", "POST", "/tickets", `{"subject":"Hello","description":"No email here"}`); code != 201 {
			t.Fatalf("a host user without an email creates: %d %v", code, body)
		}
		code, body = do("u6", "GET", "/me", "")
		me, _ := body["data"].(map[string]any)
		if email, _ := me["email"].(string); code != 200 || email == "" || strings.EqualFold(email, "alice@host.test") {
			t.Fatalf("the email-less host user: %d %v, want a stand-in address", code, body)
		}
		if code, body := do("u6", "GET", "/tickets", ""); code != 200 || len(body["data"].([]any)) != 1 {
			t.Fatalf("the email-less host user lists: %d %v, want their one ticket", code, body)
		}
	})
}
