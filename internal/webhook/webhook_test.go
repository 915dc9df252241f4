package webhook

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// TestFanOutEnqueuesOneJobPerSubscribedWebhook: a ticket change enqueues, with itself, one
// fan-out job that makes one delivery per active webhook subscribed to each of its events,
// each with the documented body built from the ticket as the change left it.
func TestFanOutEnqueuesOneJobPerSubscribedWebhook(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.allow("hooks.internal")
		a := e.hook("https://hooks.internal/a", "", "ticket.created", "ticket.priority_changed")
		b := e.hook("https://hooks.internal/b", "", "ticket.created")
		e.hook("https://hooks.internal/c", "", "reply.created")
		off := e.hook("https://hooks.internal/off", "", "ticket.created")
		if _, err := e.svc.Update(e.ctx, auth.System(), off.ID, Input{IsActive: ptr(false)}); err != nil {
			t.Fatal(err)
		}

		tk := e.open("Printer on fire")
		if n := len(e.jobArgs(fanoutArgs{}.Kind())); n != 1 {
			t.Fatalf("%d fan-out jobs for one change", n)
		}
		q := e.fannedOut()
		if len(q) != 2 || q[0].WebhookID != a.ID || q[1].WebhookID != b.ID {
			t.Fatalf("queued %+v, want one delivery each for webhooks %d and %d", q, a.ID, b.ID)
		}
		if q[0].Body != q[1].Body || q[0].MessageID == q[1].MessageID || !strings.HasPrefix(q[0].MessageID, "msg_") {
			t.Fatalf("one event should share its body and get a message id per endpoint: %+v", q)
		}
		var body struct {
			Event   string `json:"event"`
			Payload struct {
				Ticket  map[string]any `json:"ticket"`
				Channel string         `json:"channel"`
			} `json:"payload"`
			Timestamp string `json:"timestamp"`
		}
		if err := json.Unmarshal([]byte(q[0].Body), &body); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"id": float64(tk.ID), "reference": tk.Reference, "subject": "Printer on fire", "status": "open", "priority": "medium"}
		if body.Event != "ticket.created" || body.Timestamp != "2026-03-02T10:00:00Z" || len(body.Payload.Ticket) != len(want) {
			t.Fatalf("body %s", q[0].Body)
		}
		for k, v := range want {
			if body.Payload.Ticket[k] != v {
				t.Fatalf("payload.ticket.%s = %v, want %v (%s)", k, body.Payload.Ticket[k], v, q[0].Body)
			}
		}
		if !strings.HasPrefix(q[0].Body, `{"event":"ticket.created","payload":{`) {
			t.Fatalf("body keys out of order: %s", q[0].Body)
		}

		// The change raises TicketPriorityChanged and TicketUpdated; only a subscribes, once.
		if _, err := e.tickets.ChangePriority(e.ctx, auth.System(), tk.ID, "high"); err != nil {
			t.Fatal(err)
		}
		q = e.fannedOut()
		if len(q) != 3 || q[2].WebhookID != a.ID || q[2].Event != "ticket.priority_changed" || !strings.Contains(q[2].Body, `"priority":"high"`) {
			t.Fatalf("after a priority change: %+v", q)
		}
		// A change nobody subscribes to enqueues nothing.
		if _, err := e.tickets.ChangeStatus(e.ctx, auth.System(), tk.ID, "in_progress"); err != nil {
			t.Fatal(err)
		}
		if n := len(e.jobArgs(fanoutArgs{}.Kind())); n != 2 {
			t.Fatalf("%d fan-out jobs after a change nobody subscribes to, want 2", n)
		}
	})
}

// TestFanOutJobRunsOnce: run by River, the fan-out job enqueues each delivery once and
// completes in the same transaction; the deliveries then reach the receiver.
func TestFanOutJobRunsOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := newReceiver(t, 204)
		e.allow(r.hostPort())
		for range 3 {
			e.hook(r.URL, "", "ticket.created")
		}
		e.open("Three endpoints")
		if err := e.jobs.Start(e.ctx); err != nil {
			t.Fatal(err)
		}
		defer e.jobs.Stop(e.ctx)
		deadline := time.Now().Add(20 * time.Second)
		for e.count(`SELECT count(*) FROM webhook_deliveries`) < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("%d of 3 deliveries within 20s", len(r.requests()))
			}
			time.Sleep(10 * time.Millisecond)
		}
		// River's cleaner may already have removed finished jobs (the fake clock is in the
		// past), so what is left must merely not be waiting to run again.
		if n := e.count(`SELECT count(*) FROM river_job WHERE kind = ? AND state <> 'completed'`, fanoutArgs{}.Kind()); n != 0 {
			t.Fatalf("%d fan-out jobs not completed", n)
		}
		if n := len(r.requests()); n != 3 {
			t.Fatalf("%d requests, want 3", n)
		}
		ids := map[string]bool{}
		for _, got := range r.requests() {
			ids[got.Header.Get("webhook-id")] = true
		}
		if len(ids) != 3 {
			t.Fatalf("message ids %v", ids)
		}
	})
}

// TestSubscriptionsFollowChanges: a change made through this process applies to the next
// event at once; one made by another process within the cache's TTL.
func TestSubscriptionsFollowChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.allow("hooks.internal")
		other, _ := e.process(secretKey)
		if subs, err := other.subscriptions(e.ctx); err != nil || len(subs) != 0 {
			t.Fatalf("%v %v", subs, err)
		}
		h := e.hook("https://hooks.internal/", "", "ticket.created")
		if subs, _ := e.svc.subscriptions(e.ctx); !slices.Equal(subs["ticket.created"], []int64{h.ID}) {
			t.Fatalf("this process does not see its own new webhook: %v", subs)
		}
		if subs, _ := other.subscriptions(e.ctx); len(subs) != 0 {
			t.Fatalf("the other process reloaded before its TTL: %v", subs)
		}
		e.clock.Advance(cache.TTL)
		if subs, _ := other.subscriptions(e.ctx); !slices.Equal(subs["ticket.created"], []int64{h.ID}) {
			t.Fatalf("the other process did not reload after its TTL: %v", subs)
		}
		if err := e.svc.Delete(e.ctx, auth.System(), h.ID); err != nil {
			t.Fatal(err)
		}
		if subs, _ := e.svc.subscriptions(e.ctx); len(subs) != 0 {
			t.Fatalf("a deleted webhook is still subscribed: %v", subs)
		}
	})
}

// TestDeliverySignsBothWays: the receiver gets the body with both signatures, which it
// recomputes on its own, for a generated whsec_ secret and for a plain one.
func TestDeliverySignsBothWays(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := newReceiver(t, 200)
		e.allow(r.hostPort())
		for _, secret := range []string{"", "a-plain-shared-secret!"} {
			hook := e.hook(r.URL+"/hook", secret, "ticket.created")
			r.setSecret(hook.Secret)
			e.open("Signed " + hook.Secret)
			q := e.fannedOut()
			a := q[len(q)-1]
			e.clock.Advance(time.Minute)
			if err := e.worker.Work(e.ctx, job(a, 1, start)); err != nil {
				t.Fatalf("deliver: %v", err)
			}
			got := r.requests()[len(r.requests())-1]
			if !got.EscalatedOK || !got.StandardOK {
				t.Fatalf("secret %q: signatures escalated=%v standard=%v; headers %v", hook.Secret, got.EscalatedOK, got.StandardOK, got.Header)
			}
			for k, v := range map[string]string{
				"X-Escalated-Event": "ticket.created", "Content-Type": "application/json",
				"webhook-id": a.MessageID, "webhook-timestamp": unix(e.clock.Now()),
			} {
				if got.Header.Get(k) != v {
					t.Fatalf("%s = %q, want %q", k, got.Header.Get(k), v)
				}
			}
			if string(got.Body) != a.Body {
				t.Fatalf("sent %s, want %s", got.Body, a.Body)
			}
			log := e.deliveries(hook.ID)
			if len(log) != 1 || log[0].Status != Delivered || *log[0].ResponseStatus != 200 || log[0].ResponseExcerpt != "answer 200" ||
				log[0].Attempt != 1 || log[0].MessageID != a.MessageID || log[0].Error != "" || log[0].Body != a.Body {
				t.Fatalf("log %+v", log)
			}
			if sealed := e.webhook(hook.ID).Secret; strings.Contains(sealed, hook.Secret) || !strings.HasPrefix(sealed, "v1:") {
				t.Fatalf("the secret is not sealed at rest: %q", sealed)
			}
		}
	})
}

// TestRetriesBackOffThenSucceed: a 500 is a failed attempt that River retries, at a time
// NextRetry spreads over about a day; a later 2xx succeeds and clears the failure count.
func TestRetriesBackOffThenSucceed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := newReceiver(t, 500, 503, 204)
		e.allow(r.hostPort())
		hook := e.hook(r.URL, "", "ticket.created")
		e.open("Flaky")
		a := e.fannedOut()[0]
		for i, status := range []int{500, 503} {
			attempt := i + 1
			err := e.worker.Work(e.ctx, job(a, attempt, start))
			if err == nil || !strings.Contains(err.Error(), http.StatusText(status)) {
				t.Fatalf("attempt %d: %v, want the %d as an error", attempt, err, status)
			}
			if n := e.webhook(hook.ID).ConsecutiveFailures; n != attempt {
				t.Fatalf("after attempt %d: %d consecutive failures", attempt, n)
			}
		}
		if err := e.worker.Work(e.ctx, job(a, 3, start)); err != nil {
			t.Fatal(err)
		}
		log := e.deliveries(hook.ID)
		if len(log) != 3 || log[0].Status != Failed || *log[0].ResponseStatus != 500 || log[0].Error == "" ||
			log[2].Status != Delivered || log[2].Attempt != 3 || log[0].MessageID != log[2].MessageID {
			t.Fatalf("log %+v", log)
		}
		if w := e.webhook(hook.ID); w.ConsecutiveFailures != 0 || !w.IsActive {
			t.Fatalf("after a success: %+v", w)
		}

		// Every retry waits base·2^(n-1) ± 20% from now; in all, about a day.
		lo, hi := time.Duration(0), time.Duration(0)
		for n := 1; n < MaxAttempts; n++ {
			base := retryBase << (n - 1)
			for range 200 {
				wait := e.worker.NextRetry(job(a, n, start)).Sub(e.clock.Now())
				if wait < base*8/10 || wait > base*12/10 {
					t.Fatalf("retry after attempt %d waits %v, want %v ± 20%%", n, wait, base)
				}
			}
			lo, hi = lo+backoff(n, 0), hi+backoff(n, 0.999999)
		}
		if lo < 18*time.Hour || hi > 28*time.Hour {
			t.Fatalf("retries span %v to %v, want about a day", lo, hi)
		}
		if backoff(1, rand.Float64()) == backoff(1, rand.Float64()) && backoff(1, 0) == backoff(1, 0.5) {
			t.Fatal("no jitter")
		}
	})
}

// TestEndpointThatKeepsFailingIsSwitchedOff: when the last attempt of a message fails and
// nothing got through since it was enqueued, the webhook is switched off, every admin who
// may manage webhooks gets a notification and the audit log says so. Deliveries still
// queued are then dropped, while an admin's redelivery still goes out.
func TestEndpointThatKeepsFailingIsSwitchedOff(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := newReceiver(t, 500)
		e.allow(r.hostPort())
		admin1, admin2, agent := e.user("admin"), e.user("admin"), e.user("agent")
		if _, err := e.auth.CreateRole(e.ctx, auth.System(), auth.NewRole{Slug: "hooks", Name: "Hooks", Permissions: []string{"webhook.manage"}}); err != nil {
			t.Fatal(err)
		}
		keeper := e.user("hooks")
		gone := e.user("admin")
		if _, err := e.db.W.NewRaw(`UPDATE users SET is_active = FALSE WHERE id = ?`, gone.UserID).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		hook := e.hook(r.URL, "", "ticket.created")
		e.open("First")
		e.open("Second")
		q := e.fannedOut()
		enqueued := e.clock.Now()

		// A success after the message was enqueued keeps the endpoint on.
		e.clock.Advance(time.Hour)
		r.answerWith(200)
		if err := e.worker.Work(e.ctx, job(q[1], 1, enqueued)); err != nil {
			t.Fatal(err)
		}
		r.answerWith(500)
		e.clock.Advance(22 * time.Hour)
		if err := e.worker.Work(e.ctx, job(q[0], MaxAttempts, enqueued)); err == nil {
			t.Fatal("a failed attempt returned no error")
		}
		if !e.webhook(hook.ID).IsActive {
			t.Fatal("switched off although a delivery got through meanwhile")
		}

		// A message enqueued after that success that fails to the end switches it off.
		e.clock.Advance(time.Hour)
		later := e.clock.Now()
		e.clock.Advance(23 * time.Hour)
		if err := e.worker.Work(e.ctx, job(q[0], MaxAttempts, later)); err == nil {
			t.Fatal("a failed attempt returned no error")
		}
		w := e.webhook(hook.ID)
		if w.IsActive || w.DisabledAt == nil || !w.DisabledAt.Equal(e.clock.Now()) || !strings.Contains(w.DisabledReason, "answered 500") {
			t.Fatalf("not switched off: %+v", w)
		}
		var notified []int64
		if err := e.db.R.NewRaw(`SELECT user_id FROM notifications WHERE type = 'webhook_disabled' AND ticket_id IS NULL ORDER BY user_id`).Scan(e.ctx, &notified); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(notified, []int64{admin1.UserID, admin2.UserID, keeper.UserID}) {
			t.Fatalf("notified %v, want the active admins and webhook managers %v (not agent %d or inactive %d)",
				notified, []int64{admin1.UserID, admin2.UserID, keeper.UserID}, agent.UserID, gone.UserID)
		}
		var data string
		if err := e.db.R.NewRaw(`SELECT CAST(data AS TEXT) FROM notifications WHERE user_id = ?`, admin1.UserID).Scan(e.ctx, &data); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(data, r.URL) || !strings.Contains(data, `"webhook_id"`) {
			t.Fatalf("notification data %s", data)
		}
		if n := e.count(`SELECT count(*) FROM audit_logs WHERE action = 'webhook.disabled' AND resource_id = ? AND actor_id IS NULL`, hook.ID); n != 1 {
			t.Fatalf("%d audit rows", n)
		}

		// Deliveries still queued are dropped, unsent and unlogged.
		if err := e.worker.Work(e.ctx, job(q[1], MaxAttempts, later)); !isCancel(err) {
			t.Fatalf("a delivery to a switched-off webhook: %v, want it cancelled", err)
		}
		before := len(r.requests())
		logged := len(e.deliveries(hook.ID))
		if n := e.count(`SELECT count(*) FROM notifications`); n != 3 {
			t.Fatalf("%d notifications", n)
		}
		if len(e.deliveries(hook.ID)) != logged || len(r.requests()) != before {
			t.Fatal("a cancelled delivery was sent or logged")
		}
		if subs, _ := e.svc.subscriptions(e.ctx); len(subs) != 0 {
			t.Fatalf("a switched-off webhook is still subscribed: %v", subs)
		}
		// The admin's redelivery is tried once, does not count and does not switch it on.
		r.answerWith(200)
		var failed Delivery
		for _, d := range e.deliveries(hook.ID) {
			if d.MessageID == q[0].MessageID {
				failed = d
			}
		}
		qd, err := e.svc.Redeliver(e.ctx, admin1, hook.ID, failed.ID)
		if err != nil {
			t.Fatal(err)
		}
		manual := e.queued()
		m := manual[len(manual)-1]
		if !m.Manual || m.MessageID != qd.MessageID || m.Body != q[0].Body {
			t.Fatalf("redelivery %+v", m)
		}
		if err := e.worker.Work(e.ctx, job(m, 1, e.clock.Now())); err != nil {
			t.Fatal(err)
		}
		if w := e.webhook(hook.ID); w.IsActive || len(r.requests()) != before+1 {
			t.Fatalf("redelivery: %+v, %d requests", w, len(r.requests())-before)
		}

		// Switching it back on clears the reason and the count.
		w, err = e.svc.Update(e.ctx, admin1, hook.ID, Input{IsActive: ptr(true)})
		if err != nil || !w.IsActive || w.DisabledAt != nil || w.DisabledReason != "" || w.ConsecutiveFailures != 0 {
			t.Fatalf("switch on: %+v %v", w, err)
		}
	})
}

func isCancel(err error) bool {
	var c *river.JobCancelError
	return errors.As(err, &c)
}

func ptr[T any](v T) *T { return &v }

// TestDialTimeRefusals: what was allowed when saved is checked again when dialled. Taking
// the receiver off the allow-list, or a redirect to a host that is not on it, keeps the
// request from reaching it; the log says why.
func TestDialTimeRefusals(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inner := newReceiver(t, 200)
		outer := newHandlerReceiver(t, http.RedirectHandler(inner.URL+"/internal", http.StatusFound))
		e.allow(inner.hostPort(), outer.hostPort())
		direct := e.hook(inner.URL, "", "ticket.created")
		redirected := e.hook(outer.URL, "", "ticket.created")
		e.allow(outer.hostPort()) // inner is no longer allowed
		e.open("Refused")
		for _, a := range e.fannedOut() {
			if err := e.worker.Work(e.ctx, job(a, 1, start)); err == nil {
				t.Fatalf("delivery to webhook %d succeeded", a.WebhookID)
			}
		}
		if len(inner.requests()) != 0 {
			t.Fatal("the receiver taken off the allow-list was reached")
		}
		d := e.deliveries(direct.ID)
		if len(d) != 1 || d[0].ResponseStatus != nil || !strings.Contains(d[0].Error, "refused to connect") || !strings.Contains(d[0].Error, "loopback") {
			t.Fatalf("direct: %+v", d)
		}
		d = e.deliveries(redirected.ID)
		if len(d) != 1 || d[0].ResponseStatus == nil || *d[0].ResponseStatus != http.StatusFound || !strings.Contains(d[0].Error, "redirects are not followed") {
			t.Fatalf("redirected: %+v", d)
		}
	})
}

// TestResponseExcerptIsSanitised: at most 1 KB of the answer is kept, as valid UTF-8
// without control or invisible formatting characters.
func TestResponseExcerptIsSanitised(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := newHandlerReceiver(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(418)
			w.Write([]byte("bad\x00\x1b[31m\u202Eevil\xff\xfe\r\nline\t"))
			w.Write([]byte(strings.Repeat("é", 3000)))
		}))
		e.allow(r.hostPort())
		hook := e.hook(r.URL, "", "ticket.created")
		e.open("Noisy")
		e.worker.Work(e.ctx, job(e.fannedOut()[0], 1, start))
		x := e.deliveries(hook.ID)[0].ResponseExcerpt
		if len(x) > 1024 || !utf8.ValidString(x) || !strings.HasPrefix(x, "bad[31mevil\uFFFD\nline\t") {
			t.Fatalf("excerpt (%d bytes) %q", len(x), x[:min(len(x), 40)])
		}
		for _, r := range x {
			if r < ' ' && r != '\n' && r != '\t' || r == '\u202E' {
				t.Fatalf("excerpt keeps %U", r)
			}
		}
	})
}

// TestSecrets: a generated secret is whsec_ and 32 random bytes; a chosen one is checked;
// sealed, a secret only opens for its own webhook; without a secret key there are no
// webhooks.
func TestSecrets(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.allow("hooks.internal")
		a := e.hook("https://hooks.internal/a", "", "ticket.created")
		b := e.hook("https://hooks.internal/b", "", "ticket.created")
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a.Secret, "whsec_"))
		if err != nil || len(key) != 32 || a.Secret == b.Secret {
			t.Fatalf("generated secrets %q %q", a.Secret, b.Secret)
		}
		for _, bad := range []string{"short", "whsec_" + strings.Repeat("A", 20), "whsec_not*base64", "has a space in it ok", strings.Repeat("x", 256), "tab\there-long-enough", "ünïcødé-secret-long"} {
			in := Input{URL: ptr("https://hooks.internal/c"), Events: &[]string{"ticket.created"}, Secret: ptr(bad)}
			if _, err := e.svc.Create(e.ctx, auth.System(), in); !apperr.Is(err, apperr.KindValidation) || !strings.Contains(err.Error(), "secret") {
				t.Errorf("secret %q: %v", bad, err)
			}
		}
		// A sealed secret copied into another row does not open.
		if _, err := e.db.W.NewRaw(`UPDATE webhooks SET secret = (SELECT secret FROM webhooks WHERE id = ?) WHERE id = ?`, a.ID, b.ID).Exec(e.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.openSecret(e.webhook(b.ID)); err == nil {
			t.Fatal("a secret sealed for another webhook opened")
		}
		if got, err := e.svc.openSecret(e.webhook(a.ID)); err != nil || got != a.Secret {
			t.Fatalf("open: %q %v", got, err)
		}
	})
	dbtest.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url, "")
		_, err := e.svc.Create(e.ctx, auth.System(), Input{URL: ptr("https://example.com/"), Events: &[]string{"ticket.created"}})
		if !apperr.Is(err, apperr.KindConflict) || !strings.Contains(err.Error(), "secret key") {
			t.Fatalf("without a secret key: %v, want a conflict", err)
		}
	})
}
