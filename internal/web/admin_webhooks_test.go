package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// hookReceiver is a webhook endpoint on loopback that keeps every request and checks both
// signatures itself.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	got    []hookRequest
}

type hookRequest struct {
	Header                  http.Header
	Body                    []byte
	EscalatedOK, StandardOK bool
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		m := hmac.New(sha256.New, []byte(r.secret))
		m.Write(body)
		escalated := hex.EncodeToString(m.Sum(nil))
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.secret, "whsec_"))
		m = hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%s.%s.%s", req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), body)
		standard := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		r.got = append(r.got, hookRequest{
			Header: req.Header.Clone(), Body: body,
			EscalatedOK: req.Header.Get("X-Escalated-Signature") == escalated,
			StandardOK:  req.Header.Get("webhook-signature") == standard,
		})
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) hostPort() string { return strings.TrimPrefix(r.URL, "http://") }

func (r *hookReceiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

// await waits for a request with the given X-Escalated-Event, as the desk's jobs deliver in
// the background, and returns it with its decoded body.
func (r *hookReceiver) await(t *testing.T, event string, skip int) (hookRequest, map[string]any) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		seen := 0
		for _, g := range r.got {
			if g.Header.Get("X-Escalated-Event") == event {
				if seen == skip {
					r.mu.Unlock()
					var body map[string]any
					if err := json.Unmarshal(g.Body, &body); err != nil {
						t.Fatalf("%s: body %s: %v", event, g.Body, err)
					}
					return g, body
				}
				seen++
			}
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s delivery (#%d) within 20s", event, skip+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hookBody(url string, events ...string) map[string]any {
	return map[string]any{"url": url, "events": events}
}

// TestWebhookEndToEnd: a customer opens a ticket over HTTP and the receiver gets
// ticket.created with the documented body and headers, both signatures verified; replies
// and notes follow; the log shows the deliveries, which an admin can send again.
func TestWebhookEndToEnd(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		d.RunJobs()
		r := newHookReceiver(t)
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		admin.Do("POST", "/admin/settings", map[string]any{"webhook_allowed_hosts": []string{r.hostPort()}}).Want(200)
		created := admin.Do("POST", "/admin/webhooks", hookBody(r.URL+"/escalated", "ticket.created", "reply.created", "note.created", "ticket.tag_added")).Want(201).Data()
		r.setSecret(created["secret"].(string))
		hookPath := fmt.Sprintf("/admin/webhooks/%v", created["id"])

		tk := open(customer, "Webhook me")
		got, body := r.await(t, "ticket.created", 0)
		if !got.EscalatedOK || !got.StandardOK {
			t.Fatalf("signatures: escalated %v, standard %v; headers %v", got.EscalatedOK, got.StandardOK, got.Header)
		}
		if got.Header.Get("webhook-id") == "" || got.Header.Get("webhook-timestamp") != fmt.Sprint(d.Clock.Now().Unix()) ||
			got.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", got.Header)
		}
		if len(body) != 3 || body["event"] != "ticket.created" || body["timestamp"] != "2026-03-02T10:00:00Z" {
			t.Fatalf("body %s", got.Body)
		}
		ticketJSON := body["payload"].(map[string]any)["ticket"].(map[string]any)
		want := map[string]any{"id": float64(tk.ID), "reference": tk.Ref, "subject": "Webhook me", "status": "open", "priority": "medium"}
		for k, v := range want {
			if ticketJSON[k] != v {
				t.Fatalf("payload.ticket %v, want %v", ticketJSON, want)
			}
		}

		reply := agent.Do("POST", tk.path("/reply"), map[string]any{"body": "On it."}).Want(201).Data()
		agent.Do("POST", tk.path("/note"), map[string]any{"body": "Between us."}).Want(201)
		_, body = r.await(t, "reply.created", 0)
		if rj := body["payload"].(map[string]any)["reply"].(map[string]any); rj["id"] != reply["id"] || rj["is_internal_note"] != false {
			t.Fatalf("reply.created payload %v", body["payload"])
		}
		_, body = r.await(t, "note.created", 0)
		if rj := body["payload"].(map[string]any)["reply"].(map[string]any); rj["is_internal_note"] != true {
			t.Fatalf("note.created payload %v", body["payload"])
		}

		// The log, newest first, then a redelivery by hand of the first delivery (same
		// webhook-id, new signature) through both routes, and a test event.
		var log []map[string]any
		deadline := time.Now().Add(20 * time.Second)
		for len(log) < 3 && time.Now().Before(deadline) {
			log = nil
			for _, row := range admin.Do("GET", hookPath+"/deliveries", nil).Want(200).JSON()["data"].([]any) {
				log = append(log, row.(map[string]any))
			}
			time.Sleep(20 * time.Millisecond)
		}
		first := log[len(log)-1]
		if len(log) != 3 || first["event"] != "ticket.created" || first["status"] != "delivered" || first["response_status"] != float64(204) || first["attempt"] != float64(1) {
			t.Fatalf("log %v", log)
		}
		if _, ok := first["body"]; ok {
			t.Fatal("the log shows the body")
		}
		q := admin.Do("POST", fmt.Sprintf("%s/deliveries/%v/redeliver", hookPath, first["id"]), nil).Want(202).Data()
		again, _ := r.await(t, "ticket.created", 1)
		if q["message_id"] != first["message_id"] || again.Header.Get("webhook-id") != first["message_id"] || !again.EscalatedOK || !again.StandardOK {
			t.Fatalf("redelivery %v: headers %v", q, again.Header)
		}
		admin.Do("POST", fmt.Sprintf("/admin/webhooks/deliveries/%v/retry", first["id"]), nil).Want(202)
		r.await(t, "ticket.created", 2)
		admin.Do("POST", fmt.Sprintf("/admin/webhooks/%d/deliveries/%v/redeliver", 999, first["id"]), nil).Want(404)
		admin.Do("POST", hookPath+"/deliveries/999999/redeliver", nil).Want(404)
		admin.Do("POST", hookPath+"/test", nil).Want(202)
		test, body := r.await(t, "webhook.test", 0)
		if !test.EscalatedOK || body["payload"].(map[string]any)["webhook_id"] != created["id"] {
			t.Fatalf("test event %s", test.Body)
		}
	})
}

// TestWebhookSecretShownOnce: the secret is in the answer to the create, never after.
func TestWebhookSecretShownOnce(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		created := admin.Do("POST", "/admin/webhooks", hookBody("https://hooks.example.com/a", "ticket.created")).Want(201).Data()
		secret, _ := created["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") || created["url"] != "https://hooks.example.com/a" || created["is_active"] != true {
			t.Fatalf("create answered %v", created)
		}
		chosen := admin.Do("POST", "/admin/webhooks", map[string]any{"url": "https://hooks.example.com/b", "events": []string{"ticket.closed"}, "secret": "my-own-secret-value"}).Want(201).Data()
		if chosen["secret"] != "my-own-secret-value" {
			t.Fatalf("chosen secret answered %v", chosen["secret"])
		}
		path := fmt.Sprintf("/admin/webhooks/%v", created["id"])
		responses := []*testdesk.Response{
			admin.Do("GET", "/admin/webhooks", nil).Want(200),
			admin.Do("GET", path, nil).Want(200),
			admin.Do("PATCH", path, map[string]any{"events": []string{"ticket.created", "ticket.closed", "ticket.created"}}).Want(200),
			admin.Do("PUT", path, map[string]any{"secret": "a-rotated-secret-value"}).Want(200),
		}
		for _, res := range responses {
			if strings.Contains(string(res.Body), "secret\"") || strings.Contains(string(res.Body), secret) || strings.Contains(string(res.Body), "rotated") {
				t.Fatalf("a later answer shows the secret: %s", res.Body)
			}
		}
		if events := responses[2].Data()["events"].([]any); len(events) != 2 {
			t.Fatalf("events %v", events)
		}
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'webhook' AND (CAST(old_values AS TEXT) LIKE '%secret-value%' OR CAST(new_values AS TEXT) LIKE '%secret-value%' OR CAST(new_values AS TEXT) LIKE ?)`, "%"+secret+"%"); n != 0 {
			t.Fatal("the audit log holds a secret")
		}
		if n := d.count(`SELECT count(*) FROM webhooks WHERE secret LIKE '%secret-value%' OR secret LIKE ?`, "%"+strings.TrimPrefix(secret, "whsec_")+"%"); n != 0 {
			t.Fatal("a secret is stored in clear")
		}
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'webhook'`); n != 4 {
			t.Fatalf("%d audit rows, want 4 (two creates, two updates)", n)
		}
		admin.Do("DELETE", path, nil).Want(204)
		admin.Do("GET", path, nil).Want(404)
		admin.Do("GET", path+"/deliveries", nil).Want(404)
		admin.Do("DELETE", path, nil).Want(404)
	})
}

// TestWebhookHostileInput: bad bodies are 422s naming the field, and nothing is written.
func TestWebhookHostileInput(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		ok := "https://hooks.example.com/x"
		for _, tc := range []struct {
			body  any
			field string
		}{
			{map[string]any{}, "url"},
			{map[string]any{"url": ok}, "events"},
			{map[string]any{"url": 5, "events": []string{"ticket.created"}}, "url"},
			{hookBody("ftp://hooks.example.com/", "ticket.created"), "url"},
			{hookBody("hooks.example.com/x", "ticket.created"), "url"},
			{hookBody("https://user:pw@hooks.example.com/", "ticket.created"), "url"},
			{hookBody("http://127.0.0.1/", "ticket.created"), "url"},
			{hookBody("http://localhost:8080/", "ticket.created"), "url"},
			{hookBody("http://2130706433/", "ticket.created"), "url"},
			{hookBody("http://0177.0.0.1/", "ticket.created"), "url"},
			{hookBody("http://0x7f.1/", "ticket.created"), "url"},
			{hookBody("http://[::1]/", "ticket.created"), "url"},
			{hookBody("http://[::ffff:127.0.0.1]/", "ticket.created"), "url"},
			{hookBody("http://169.254.169.254/latest/meta-data/", "ticket.created"), "url"},
			{hookBody("http://[fd00:ec2::254]/", "ticket.created"), "url"},
			{hookBody("http://100.64.1.1/", "ticket.created"), "url"},
			{hookBody("http://0.0.0.0/", "ticket.created"), "url"},
			{hookBody(ok + strings.Repeat("a", 3000)), "url"},
			{hookBody(ok), "events"},
			{hookBody(ok, "ticket.created", "ticket.exploded"), "events.1"},
			{hookBody(ok, "TicketCreated"), "events.0"},
			{map[string]any{"url": ok, "events": []any{"ticket.created", 7}}, "events.1"},
			{map[string]any{"url": ok, "events": "ticket.created"}, "events"},
			{map[string]any{"url": ok, "events": []string{"ticket.created"}, "secret": "short"}, "secret"},
			{map[string]any{"url": ok, "events": []string{"ticket.created"}, "secret": 12345678901234567}, "secret"},
			{map[string]any{"url": ok, "events": []string{"ticket.created"}, "is_active": "yes"}, "is_active"},
			{map[string]any{"url": ok, "events": []string{"ticket.created"}, "name": "x"}, "name"},
			{`{"url": "` + ok + `", "events": ["ticket.created"]`, "body"},
			{`[]`, "body"},
		} {
			res := admin.Do("POST", "/admin/webhooks", tc.body).Want(422)
			res.FieldError(tc.field)
		}
		if n := d.count(`SELECT count(*) FROM webhooks`); n != 0 {
			t.Fatalf("%d webhooks written by refused requests", n)
		}
		id := admin.Do("POST", "/admin/webhooks", hookBody(ok, "ticket.created")).Want(201).Data()["id"]
		path := fmt.Sprintf("/admin/webhooks/%v", id)
		admin.Do("PATCH", path, map[string]any{"url": "http://10.0.0.1/"}).Want(422).FieldError("url")
		admin.Do("PATCH", path, map[string]any{"events": []string{}}).Want(422).FieldError("events")
		admin.Do("PATCH", path, map[string]any{"secret": "whsec_short"}).Want(422).FieldError("secret")
		admin.Do("GET", "/admin/webhooks/abc", nil).Want(404)
		admin.Do("GET", "/admin/webhooks/0", nil).Want(404)
		if got := admin.Do("GET", path, nil).Want(200).Data(); got["url"] != ok {
			t.Fatalf("a refused update changed the webhook: %v", got)
		}
		// A test event and a redelivery take no fields: one that seems to choose the event
		// or the address is refused, not sent as something else.
		delivery := d.insert(`INSERT INTO webhook_deliveries (webhook_id, event, message_id, attempt, status, body, created_at)
			VALUES (?, 'ticket.created', 'msg_1', 1, 'failed', '{}', ?)`, id, d.Clock.Now())
		jobs := d.count(`SELECT count(*) FROM river_job`)
		admin.Do("POST", path+"/test", map[string]any{"event": "ticket.created"}).Want(422).FieldError("event")
		admin.Do("POST", path+"/test", `{`).Want(422).FieldError("body")
		admin.Do("POST", fmt.Sprintf("%s/deliveries/%d/redeliver", path, delivery), map[string]any{"url": "https://elsewhere.example.com/"}).Want(422).FieldError("url")
		admin.Do("POST", fmt.Sprintf("/admin/webhooks/deliveries/%d/retry", delivery), `"now"`).Want(422).FieldError("body")
		if n := d.count(`SELECT count(*) FROM river_job`); n != jobs {
			t.Fatalf("refused test events and redeliveries queued %d jobs", n-jobs)
		}
		admin.Do("POST", path+"/test", `{}`).Want(202)
	})
}

// TestWebhookAllowedHosts: the allow-list setting is checked and normalised, and lets a
// webhook reach exactly the internal hosts it names.
func TestWebhookAllowedHosts(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		got := admin.Do("POST", "/admin/settings", map[string]any{"webhook_allowed_hosts": []string{"Hooks.Internal.", "127.0.0.1:8080", "::1", "hooks.internal"}}).Want(200).Data()
		if fmt.Sprint(got["webhook_allowed_hosts"]) != "[hooks.internal 127.0.0.1:8080 [::1]]" {
			t.Fatalf("stored %v", got["webhook_allowed_hosts"])
		}
		for _, bad := range []any{"hooks.internal", []any{1}, []string{"http://hooks.internal"}, []string{"2130706433"}, []string{"h:99999"}, make([]string, 101)} {
			admin.Do("POST", "/admin/settings", map[string]any{"webhook_allowed_hosts": bad}).Want(422).FieldError("webhook_allowed_hosts")
		}
		admin.Do("POST", "/admin/webhooks", hookBody("http://127.0.0.1:8080/hook", "ticket.created")).Want(201)
		admin.Do("POST", "/admin/webhooks", hookBody("http://hooks.internal:9999/hook", "ticket.created")).Want(201)
		admin.Do("POST", "/admin/webhooks", hookBody("http://[::1]/hook", "ticket.created")).Want(201)
		admin.Do("POST", "/admin/webhooks", hookBody("http://127.0.0.1:8081/hook", "ticket.created")).Want(422).FieldError("url")
		admin.Do("POST", "/admin/webhooks", hookBody("http://localhost:8080/hook", "ticket.created")).Want(422).FieldError("url")
	})
}

// TestWebhookPermissions: webhook.view reads, webhook.manage writes; an agent without them
// gets 403 and nobody signed in 401.
func TestWebhookPermissions(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent := d.User("admin"), d.User("agent")
		viewer := d.User(d.Role("hook_viewer", "webhook.view"))
		manager := d.User(d.Role("hook_manager", "webhook.view", "webhook.manage"))
		id := admin.Do("POST", "/admin/webhooks", hookBody("https://hooks.example.com/x", "ticket.created")).Want(201).Data()["id"]
		path := fmt.Sprintf("/admin/webhooks/%v", id)
		now := d.Clock.Now()
		delivery := d.insert(`INSERT INTO webhook_deliveries (webhook_id, event, message_id, attempt, status, body, created_at)
			VALUES (?, 'ticket.created', 'msg_1', 1, 'failed', '{}', ?)`, id, now)
		reads := [][2]string{{"GET", "/admin/webhooks"}, {"GET", path}, {"GET", path + "/deliveries"}}
		writes := [][2]string{
			{"POST", "/admin/webhooks"}, {"PUT", path}, {"PATCH", path}, {"POST", path + "/test"},
			{"POST", fmt.Sprintf("%s/deliveries/%d/redeliver", path, delivery)},
			{"POST", fmt.Sprintf("/admin/webhooks/deliveries/%d/retry", delivery)}, {"DELETE", path},
		}
		body := func(method string) any {
			if method == "POST" || method == "PUT" || method == "PATCH" {
				return hookBody("https://hooks.example.com/y", "ticket.closed")
			}
			return nil
		}
		anonymous := d.Anonymous()
		for _, rt := range append(reads, writes...) {
			agent.Do(rt[0], rt[1], body(rt[0])).Want(403)
			anonymous.Do(rt[0], rt[1], body(rt[0])).Want(401)
		}
		for _, rt := range reads {
			viewer.Do(rt[0], rt[1], nil).Want(200)
		}
		for _, rt := range writes {
			viewer.Do(rt[0], rt[1], body(rt[0])).Want(403)
		}
		if n := d.count(`SELECT count(*) FROM webhooks`); n != 1 {
			t.Fatalf("%d webhooks after refused writes", n)
		}
		manager.Do("PATCH", path, map[string]any{"is_active": false}).Want(200)
		manager.Do("POST", path+"/test", nil).Want(202)
		manager.Do("DELETE", path, nil).Want(204)
	})
}

// TestWebhookDeliveryLog: the log is paginated newest first in the paginator shape,
// filtered by status, and holds one webhook's deliveries only.
func TestWebhookDeliveryLog(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		a := admin.Do("POST", "/admin/webhooks", hookBody("https://hooks.example.com/a", "ticket.created")).Want(201).Data()["id"]
		b := admin.Do("POST", "/admin/webhooks", hookBody("https://hooks.example.com/b", "ticket.created")).Want(201).Data()["id"]
		var ids []int64
		for i, status := range []string{"failed", "failed", "delivered", "failed", "delivered"} {
			ids = append(ids, d.insert(`INSERT INTO webhook_deliveries (webhook_id, event, message_id, attempt, status, response_status, latency_ms, response_excerpt, body, created_at)
				VALUES (?, 'ticket.created', ?, ?, ?, 200, 12, 'ok', '{}', ?)`, a, fmt.Sprintf("msg_%d", i), i+1, status, d.Clock.Now()))
		}
		d.insert(`INSERT INTO webhook_deliveries (webhook_id, event, message_id, attempt, status, body, created_at)
			VALUES (?, 'ticket.created', 'msg_b', 1, 'failed', '{}', ?)`, b, d.Clock.Now())
		path := fmt.Sprintf("/admin/webhooks/%v/deliveries", a)
		page := admin.Do("GET", path+"?per_page=2", nil).Want(200).JSON()
		rows := page["data"].([]any)
		if page["total"] != float64(5) || page["last_page"] != float64(3) || page["per_page"] != float64(2) || len(rows) != 2 ||
			rows[0].(map[string]any)["id"] != float64(ids[4]) || rows[1].(map[string]any)["id"] != float64(ids[3]) {
			t.Fatalf("page 1: %v", page)
		}
		first := rows[0].(map[string]any)
		for _, k := range []string{"webhook_id", "event", "message_id", "attempt", "manual", "status", "response_status", "latency_ms", "response_excerpt", "error", "created_at"} {
			if _, ok := first[k]; !ok {
				t.Fatalf("a log row lacks %s: %v", k, first)
			}
		}
		last := admin.Do("GET", path+"?per_page=2&page=3", nil).Want(200).JSON()
		if rows := last["data"].([]any); len(rows) != 1 || rows[0].(map[string]any)["id"] != float64(ids[0]) || last["next_page_url"] != nil {
			t.Fatalf("page 3: %v", last)
		}
		failed := admin.Do("GET", path+"?status=failed", nil).Want(200).JSON()
		if failed["total"] != float64(3) {
			t.Fatalf("failed: %v", failed)
		}
		admin.Do("GET", path+"?status=pending", nil).Want(422).FieldError("status")
		admin.Do("GET", path+"?page=0", nil).Want(422).FieldError("page")
		admin.Do("GET", path+"?per_page=1000", nil).Want(422).FieldError("per_page")
		admin.Do("GET", "/admin/webhooks/999/deliveries", nil).Want(404)
		// A delivery of webhook b is not webhook a's to redeliver.
		admin.Do("POST", fmt.Sprintf("%s/%d/redeliver", path, ids[0]+5), nil).Want(404)
	})
}

// TestWebhooksNeedASecretKey: a desk without Config.SecretKey cannot keep signing secrets.
func TestWebhooksNeedASecretKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		cfg := testdesk.Config(url)
		cfg.SecretKey = ""
		d := testdesk.NewConfig(t, cfg)
		admin := d.User("admin")
		res := admin.Do("POST", "/admin/webhooks", hookBody("https://hooks.example.com/x", "ticket.created")).Want(409)
		if !strings.Contains(string(res.Body), "secret key") {
			t.Fatalf("409 body %s", res.Body)
		}
		admin.Do("GET", "/admin/webhooks", nil).Want(200)
	})
}
