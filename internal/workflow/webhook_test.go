package workflow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
	"github.com/escalated-dev/escalated-go/internal/webhook"
)

const (
	testSecretKey = "workflow test secret key, thirty-two characters or more"
	hookSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// withWebhooks wires a webhook service into the desk, as escalated.New does, and returns it.
func (e *env) withWebhooks() *webhook.Service {
	e.t.Helper()
	box, err := secretbox.New(testSecretKey, "webhook secret")
	if err != nil {
		e.t.Fatal(err)
	}
	wh := webhook.NewService(e.db, e.clock, box, e.st, e.jobs, e.svc.log)
	wh.RegisterJobs()
	e.svc.Webhooks = wh
	wh.ActionLog = e.svc.RecordWebhook
	return wh
}

// allow sets the admin allow-list of internal hosts.
func (e *env) allow(hosts ...string) {
	e.t.Helper()
	raw, _ := json.Marshal(append([]string{}, hosts...))
	if _, err := e.st.Update(e.ctx, auth.System(), map[string]json.RawMessage{webhook.AllowedHostsSetting: raw}); err != nil {
		e.t.Fatalf("allow %v: %v", hosts, err)
	}
}

// hookReceiver is an endpoint on loopback that records what it gets and checks both
// signatures itself, as a receiver would: X-Escalated-Signature is the hex HMAC-SHA256 of
// the body keyed with the secret as written; webhook-signature is v1, and the base64
// HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded part of a whsec_ secret.
type hookReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []hookRequest
}

type hookRequest struct {
	header                  http.Header
	body                    []byte
	escalatedOK, standardOK bool
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		escalated := hex.EncodeToString(m.Sum(nil))
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		m = hmac.New(sha256.New, key)
		m.Write([]byte(req.Header.Get("webhook-id") + "." + req.Header.Get("webhook-timestamp") + "." + string(body)))
		standard := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		r.mu.Lock()
		r.got = append(r.got, hookRequest{
			header: req.Header.Clone(), body: body,
			escalatedOK: hmac.Equal([]byte(req.Header.Get("X-Escalated-Signature")), []byte(escalated)),
			standardOK:  hmac.Equal([]byte(req.Header.Get("webhook-signature")), []byte(standard)),
		})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

func (r *hookReceiver) hostPort() string { return strings.TrimPrefix(r.URL, "http://") }

// deliveryJobs returns the args of the webhook delivery jobs the desk enqueued.
func (e *env) deliveryJobs() []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, j := range e.pending() {
		if j.Kind != "webhook.workflow_deliver" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(j.Args, &m); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// waitForWebhook starts River and waits until the run's action at index has an outcome
// other than queued, returning the run.
func (e *env) waitForWebhook(w *Workflow, index int) Run {
	e.t.Helper()
	if err := e.jobs.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.jobs.Stop(e.ctx) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs := e.runs(w)
		if len(runs) == 1 {
			for _, a := range runs[0].Actions {
				if a.Index == index && a.Message != "Queued for delivery." {
					return runs[0]
				}
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no outcome of the webhook within 20s: %+v", runs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSendWebhookDeliversASignedMessage: the delivery is enqueued as a job in the run's
// transaction, with the secret sealed; River's worker delivers it to the receiver, signed
// both ways with the action's secret, and the run log records the outcome.
func TestSendWebhookDeliversASignedMessage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.withWebhooks()
		r := newHookReceiver(t, hookSecret)
		e.allow(r.hostPort())
		w := e.workflow("ticket.created", "", fmt.Sprintf(`[
			{"type": "change_priority", "value": "urgent"},
			{"type": "send_webhook", "value": {"url": %q, "secret": %q}}
		]`, r.URL+"/hooks/escalated", hookSecret))
		if strings.Contains(string(mustJSON(t, w)), "secret") {
			t.Fatalf("the saved workflow shows its secret: %s", mustJSON(t, w))
		}
		customer := e.user("customer")
		tk := e.open(customer, "Send it on")
		e.work()

		// Committed with the run: the job, and the run log saying it is queued.
		jobs := e.deliveryJobs()
		runs := e.runs(w)
		if len(jobs) != 1 || len(runs) != 1 || runs[0].Status != RunCompleted {
			t.Fatalf("jobs %v, runs %+v", jobs, runs)
		}
		if jobs[0]["run_id"] != float64(runs[0].ID) || jobs[0]["action"] != float64(1) || jobs[0]["url"] != r.URL+"/hooks/escalated" {
			t.Fatalf("job %v for run %d", jobs[0], runs[0].ID)
		}
		if sealed, _ := jobs[0]["secret"].(string); sealed == "" || strings.Contains(sealed, hookSecret[6:]) {
			t.Fatalf("the job's secret is not sealed: %q", sealed)
		}
		if got := results(runs[0]); len(got) != 2 || got[1] != "1 send_webhook waiting" || runs[0].Actions[1].Message != "Queued for delivery." {
			t.Fatalf("results %v", got)
		}
		if len(r.requests()) != 0 {
			t.Fatal("delivered before the job ran")
		}

		run := e.waitForWebhook(w, 1)
		res := run.Actions[1]
		if res.Status != "applied" || !strings.HasPrefix(res.Message, "Delivered: the endpoint answered 204") || run.Status != RunCompleted {
			t.Fatalf("run %+v", run)
		}
		got := r.requests()
		if len(got) != 1 || !got[0].escalatedOK || !got[0].standardOK {
			t.Fatalf("requests %+v", got)
		}
		h := got[0].header
		if h.Get("X-Escalated-Event") != "ticket.created" || !strings.HasPrefix(h.Get("webhook-id"), "msg_") || h.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", h)
		}
		var body struct {
			Event   string `json:"event"`
			Payload struct {
				Ticket   map[string]any `json:"ticket"`
				Workflow map[string]any `json:"workflow"`
			} `json:"payload"`
			Timestamp string `json:"timestamp"`
		}
		if err := json.Unmarshal(got[0].body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Event != "ticket.created" || body.Timestamp != "2026-03-02T10:00:00Z" ||
			body.Payload.Ticket["id"] != float64(tk.ID) || body.Payload.Ticket["reference"] != tk.Reference ||
			body.Payload.Ticket["priority"] != "urgent" || body.Payload.Workflow["id"] != float64(w.ID) || body.Payload.Workflow["name"] != w.Name {
			t.Fatalf("body %s", got[0].body)
		}
	})
}

// TestSendWebhookIsSentOnlyIfTheRunCommits: a run the ticket service refuses enqueues no
// delivery.
func TestSendWebhookIsSentOnlyIfTheRunCommits(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.withWebhooks()
		e.allow("hooks.internal")
		w := e.workflow("ticket.created", "", fmt.Sprintf(`[
			{"type": "send_webhook", "value": {"url": "https://hooks.internal/in", "secret": %q}},
			{"type": "change_status", "value": "reopened"}
		]`, hookSecret))
		e.open(e.user("customer"), "Refused")
		e.work()
		runs := e.runs(w)
		if len(runs) != 1 || runs[0].Status != RunFailed {
			t.Fatalf("runs %+v", runs)
		}
		if jobs := e.deliveryJobs(); len(jobs) != 0 {
			t.Fatalf("a refused run enqueued %v", jobs)
		}
	})
}

// TestSendWebhookToARefusedTargetFails: a host taken off the allow-list after the workflow
// was saved is refused by the SSRF guard when the worker dials it; the run log records the
// failed attempt, and the run fails when the last attempt has.
func TestSendWebhookToARefusedTargetFails(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.withWebhooks()
		r := newHookReceiver(t, hookSecret)
		e.allow(r.hostPort())
		w := e.workflow("ticket.created", "", fmt.Sprintf(`[{"type": "send_webhook", "value": {"url": %q, "secret": %q}}]`, r.URL, hookSecret))
		e.allow()
		e.open(e.user("customer"), "Refused target")
		e.work()

		run := e.waitForWebhook(w, 0)
		res := run.Actions[0]
		if res.Status != "waiting" || !strings.HasPrefix(res.Message, "Attempt 1 of 12 failed: ") || !strings.Contains(res.Message, "refused to connect to 127.0.0.1") ||
			!strings.Contains(res.Message, "a loopback address") || !strings.HasSuffix(res.Message, "It will be retried with backoff.") {
			t.Fatalf("result %+v", res)
		}
		if len(r.requests()) != 0 {
			t.Fatal("the refused target was reached")
		}
		// The last attempt fails the action and the run.
		err := e.db.InTx(e.ctx, func(ctx context.Context, tx bun.Tx) error {
			return e.svc.RecordWebhook(ctx, tx, webhook.ActionAttempt{
				RunID: run.ID, Action: 0, Attempt: 12, MaxAttempts: 12, Final: true, Error: "refused to connect to 127.0.0.1: it is a loopback address",
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		run = e.runs(w)[0]
		if run.Status != RunFailed || run.Actions[0].Status != "failed" || !strings.HasPrefix(run.Actions[0].Message, "Attempt 12 of 12 failed") {
			t.Fatalf("run %+v", run)
		}
	})
}

// TestSendWebhookSecretsAreCheckedKeptAndNeverShown: a send_webhook action needs a secret
// and a URL the SSRF guard accepts; an update that leaves the secret out keeps the one saved
// for that URL; the secret is in neither the workflow's JSON nor the audit log.
func TestSendWebhookSecretsAreCheckedKeptAndNeverShown(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.withWebhooks()
		name, trigger := "Hook", "ticket.created"
		create := func(value string) error {
			acts := []Action{{Type: "send_webhook", Value: json.RawMessage(value)}}
			_, err := e.svc.Create(e.ctx, auth.System(), Input{Name: &name, Trigger: &trigger, Actions: &acts})
			return err
		}
		for value, field := range map[string]string{
			`{"url": "https://hooks.example.test/in"}`:                                 "actions.0.value.secret",
			`{"url": "https://hooks.example.test/in", "secret": "short"}`:              "actions.0.value.secret",
			`{"url": "http://127.0.0.1:9/in", "secret": "` + hookSecret + `"}`:         "actions.0.value.url",
			`{"url": "http://169.254.169.254/latest", "secret": "` + hookSecret + `"}`: "actions.0.value.url",
			`{"url": "https://hooks.example.test/in", "sealed_secret": "v1:abc"}`:      "actions.0.value.sealed_secret",
		} {
			var ae *apperr.Error
			if err := create(value); !errors.As(err, &ae) || ae.Fields[field] == nil {
				t.Fatalf("%s: %v, want an error on %s", value, err, field)
			}
		}

		w := e.workflow(trigger, "", fmt.Sprintf(`[{"type": "send_webhook", "value": {"url": "https://hooks.example.test/in", "secret": %q}}]`, hookSecret))
		sealed := webhookSecrets(e.stored(w.ID).Actions)
		if len(sealed) != 1 {
			t.Fatalf("sealed %v", sealed)
		}
		// The form sends back what it was shown: the URL without the secret.
		shown := publicActions(e.stored(w.ID).Actions)
		desc := "Now described"
		if _, err := e.svc.Update(e.ctx, auth.System(), w.ID, Input{Description: &desc, Actions: &shown}); err != nil {
			t.Fatal(err)
		}
		if got := webhookSecrets(e.stored(w.ID).Actions); len(got) != 1 || got[0] != sealed[0] {
			t.Fatalf("the secret was not kept: %v", got)
		}
		// Another URL needs its own secret.
		moved := []Action{{Type: "send_webhook", Value: json.RawMessage(`{"url": "https://elsewhere.example.test/in"}`)}}
		if _, err := e.svc.Update(e.ctx, auth.System(), w.ID, Input{Actions: &moved}); !apperr.Is(err, apperr.KindValidation) {
			t.Fatalf("moved without a secret: %v", err)
		}
		// A new secret is a change, recorded redacted.
		rotated := []Action{{Type: "send_webhook", Value: json.RawMessage(`{"url": "https://hooks.example.test/in", "secret": "another-secret-long-enough"}`)}}
		if _, err := e.svc.Update(e.ctx, auth.System(), w.ID, Input{Actions: &rotated}); err != nil {
			t.Fatal(err)
		}
		if got := webhookSecrets(e.stored(w.ID).Actions); len(got) != 1 || got[0] == sealed[0] {
			t.Fatalf("the secret was not replaced: %v", got)
		}
		var logged []string
		if err := e.db.R.NewRaw(`SELECT CAST(old_values AS TEXT) || ' ' || CAST(new_values AS TEXT) FROM audit_logs WHERE resource_type = 'workflow' ORDER BY id`).Scan(e.ctx, &logged); err != nil {
			t.Fatal(err)
		}
		if len(logged) != 3 || !strings.Contains(strings.ReplaceAll(logged[2], " ", ""), `"webhook_secrets":"[redacted]"`) {
			t.Fatalf("audit %v", logged)
		}
		for _, l := range logged {
			if strings.Contains(l, "v1:") || strings.Contains(l, hookSecret) || strings.Contains(l, "another-secret") {
				t.Fatalf("the audit log holds a secret: %s", l)
			}
		}
		got, err := e.svc.Get(e.ctx, auth.System(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b := mustJSON(t, got); strings.Contains(string(b), "secret") || !strings.Contains(string(b), "https://hooks.example.test/in") {
			t.Fatalf("workflow JSON %s", b)
		}
	})
}

// stored reads a workflow's row as saved.
func (e *env) stored(id int64) *Workflow {
	e.t.Helper()
	w, err := load(e.ctx, e.db.R, id, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
