package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// env is one desk process's webhook service over a ticket service, on a fresh database,
// with a fake clock. Its jobs are never started: tests call the worker themselves.
type env struct {
	t       testing.TB
	ctx     context.Context
	db      *db.DB
	clock   *clock.Fake
	svc     *Service
	tickets *ticket.Service
	auth    *auth.Service
	worker  *deliveryWorker
	jobs    *jobs.Jobs
	seq     int
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const secretKey = "webhook test secret key, thirty-two characters or more"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url, secretKey)) })
}

// newEnv opens and migrates the database the way escalated.New does. key "" makes a desk
// without a secret key.
func newEnv(t testing.TB, url, key string) *env {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(start)
	d := testenv.OpenDB(t, url, clk)
	e := &env{t: t, ctx: ctx, db: d, clock: clk}
	e.svc, e.tickets = e.process(key)
	e.jobs = e.svc.jobs
	e.worker = &deliveryWorker{s: e.svc}
	e.auth = auth.NewService(d, clk, testenv.FastArgon)
	return e
}

// process builds the services of one desk process on e's database.
func (e *env) process(key string) (*Service, *ticket.Service) {
	e.t.Helper()
	var box *secretbox.Box
	if key != "" {
		var err error
		if box, err = secretbox.New(key, "webhook secret"); err != nil {
			e.t.Fatal(err)
		}
	}
	j, err := jobs.New(e.ctx, e.db, jobs.Options{Clock: e.clock, Logger: quiet})
	if err != nil {
		e.t.Fatalf("jobs: %v", err)
	}
	st := settings.NewStore(e.db, e.clock, settings.Defaults())
	svc := NewService(e.db, e.clock, box, st, j, quiet)
	svc.RegisterJobs()
	tickets := ticket.NewService(e.db, e.clock, event.NewBus(quiet), st)
	tickets.OnEventsTx(svc.EnqueueTx)
	return svc, tickets
}

func (e *env) user(role string) *auth.Actor {
	e.t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(e.ctx, auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		e.t.Fatalf("create %s: %v", role, err)
	}
	a, err := e.auth.Actor(e.ctx, u.ID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// allow sets the allow-list.
func (e *env) allow(hosts ...string) {
	e.t.Helper()
	raw, _ := json.Marshal(hosts)
	if _, err := e.svc.settings.Update(e.ctx, auth.System(), map[string]json.RawMessage{AllowedHostsSetting: raw}); err != nil {
		e.t.Fatalf("allow %v: %v", hosts, err)
	}
}

// hook creates an active webhook for url and events with the given secret ("" generates).
func (e *env) hook(url, secret string, events ...string) *Created {
	e.t.Helper()
	in := Input{URL: &url, Events: &events}
	if secret != "" {
		in.Secret = &secret
	}
	c, err := e.svc.Create(e.ctx, auth.System(), in)
	if err != nil {
		e.t.Fatalf("create webhook %s: %v", url, err)
	}
	return c
}

func (e *env) open(subject string) *ticket.Ticket {
	e.t.Helper()
	tk, err := e.tickets.Create(e.ctx, e.user("customer"), ticket.CreateInput{Subject: subject, Description: "About " + subject})
	if err != nil {
		e.t.Fatalf("create ticket: %v", err)
	}
	return tk
}

// jobArgs returns the args of the River jobs of a kind, oldest first.
func (e *env) jobArgs(kind string) []string {
	e.t.Helper()
	args := "CAST(args AS TEXT)"
	if e.db.Dialect == db.SQLite {
		args = "json(args)" // riversqlite stores SQLite's binary JSON
	}
	var raw []string
	if err := e.db.R.NewRaw(`SELECT `+args+` FROM river_job WHERE kind = ? ORDER BY id`, kind).Scan(e.ctx, &raw); err != nil {
		e.t.Fatal(err)
	}
	return raw
}

// fannedOut returns the deliveries that the fan-out jobs enqueued so far make, in order.
func (e *env) fannedOut() []deliveryArgs {
	e.t.Helper()
	var out []deliveryArgs
	for _, raw := range e.jobArgs(fanoutArgs{}.Kind()) {
		var f fanoutArgs
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			e.t.Fatal(err)
		}
		for _, p := range f.deliveries() {
			out = append(out, p.Args.(deliveryArgs))
		}
	}
	return out
}

// queued returns the delivery jobs enqueued directly: redeliveries and test events.
func (e *env) queued() []deliveryArgs {
	e.t.Helper()
	var out []deliveryArgs
	for _, raw := range e.jobArgs(deliveryArgs{}.Kind()) {
		var a deliveryArgs
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// job is a River job for the worker: attempt n of a delivery enqueued at enqueued.
func job(a deliveryArgs, attempt int, enqueued time.Time) *river.Job[deliveryArgs] {
	max := MaxAttempts
	if a.Manual {
		max = 1
	}
	return &river.Job[deliveryArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: max, CreatedAt: enqueued, State: rivertype.JobStateRunning}, Args: a}
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.R.NewRaw(query, args...).Scan(e.ctx, &n); err != nil {
		e.t.Fatalf("count %s: %v", query, err)
	}
	return n
}

func (e *env) deliveries(webhookID int64) []Delivery {
	e.t.Helper()
	var out []Delivery
	if err := e.db.R.NewSelect().Model(&out).Where("webhook_id = ?", webhookID).OrderExpr("id").Scan(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) webhook(id int64) *Webhook {
	e.t.Helper()
	w, err := load(e.ctx, e.db.R, id, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// received is one request a receiver got, with both signatures checked independently of
// the code under test.
type received struct {
	Header http.Header
	Body   []byte
	// EscalatedOK and StandardOK report whether each signature matched.
	EscalatedOK, StandardOK bool
}

// receiver is a webhook endpoint on loopback that records every request, checking its
// signatures with secret.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	answer []int
	got    []received
}

// newReceiver answers with the statuses of answer in turn, the last one for ever.
func newReceiver(t testing.TB, answer ...int) *receiver {
	r := &receiver{answer: answer}
	return r.start(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		status := r.answer[min(len(r.got), len(r.answer))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
}

// newHandlerReceiver answers with h.
func newHandlerReceiver(t testing.TB, h http.Handler) *receiver {
	return (&receiver{}).start(t, h)
}

func (r *receiver) start(t testing.TB, h http.Handler) *receiver {
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, verify(r.secret, req.Header, body))
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

// answerWith makes every later request get status.
func (r *receiver) answerWith(status int) {
	r.mu.Lock()
	r.answer = []int{status}
	r.mu.Unlock()
}

func (r *receiver) hostPort() string { return strings.TrimPrefix(r.URL, "http://") }

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// verify recomputes both signatures as a receiver would: X-Escalated-Signature is the hex
// HMAC-SHA256 of the body keyed with the secret as written; the Standard Webhooks one is the
// base64 HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded part of a whsec_
// secret (or the secret as written otherwise).
func verify(secret string, h http.Header, body []byte) received {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	escalated := hex.EncodeToString(m.Sum(nil))

	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, _ = base64.StdEncoding.DecodeString(rest)
	}
	m = hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	standard := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	return received{
		Header: h.Clone(), Body: body,
		EscalatedOK: hmac.Equal([]byte(h.Get("X-Escalated-Signature")), []byte(escalated)),
		StandardOK:  hmac.Equal([]byte(h.Get("webhook-signature")), []byte(standard)),
	}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
