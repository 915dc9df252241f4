package escalated_test

import (
	"context"
	"encoding/json"
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
		desk, err := escalated.New(escalated.Config{Database: url, StoragePath: t.TempDir()},
			escalated.WithIdentityResolver(host.resolve),
			escalated.WithEventListener(func(_ context.Context, e escalated.Event) {
				mu.Lock()
				events = append(events, e.Name)
				mu.Unlock()
			}))
		if err != nil {
			t.Fatal(err)
		}
		defer desk.Close()
		mux := http.NewServeMux()
		mux.Handle("/support/", desk.Handler())
		srv := httptest.NewServer(mux)
		defer srv.Close()

		do := func(user, method, path, body string) (int, map[string]any) {
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
