package webhook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// actionJob is attempt n of a workflow delivery.
func actionJob(a actionArgs, attempt int) *river.Job[actionArgs] {
	return &river.Job[actionArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: MaxAttempts, CreatedAt: start, State: rivertype.JobStateRunning}, Args: a}
}

// enqueuedAction enqueues a workflow delivery to url signed with secret and returns its job's
// args as stored.
func (e *env) enqueuedAction(url, secret string) actionArgs {
	e.t.Helper()
	sealed, err := e.svc.SealActionSecret(url, secret)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.db.InTx(e.ctx, func(ctx context.Context, tx bun.Tx) error {
		return e.svc.EnqueueActionTx(ctx, tx, ActionDelivery{
			URL: url, SealedSecret: sealed, Event: "ticket.created", At: start, RunID: 7, Action: 2,
			Payload: map[string]any{"workflow": map[string]any{"id": 3}},
		})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	raw := e.jobArgs(actionArgs{}.Kind())
	var a actionArgs
	if err := json.Unmarshal([]byte(raw[len(raw)-1]), &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// TestWorkflowDeliveriesAreSignedRetriedAndReported: a workflow's delivery is signed both
// ways with the action's secret, retried like a subscription's (same backoff, same number of
// attempts) and every attempt's outcome goes to ActionLog in a transaction.
func TestWorkflowDeliveriesAreSignedRetriedAndReported(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var told []ActionAttempt
		e.svc.ActionLog = func(ctx context.Context, tx bun.Tx, a ActionAttempt) error {
			var one int
			if err := tx.NewRaw(`SELECT 1`).Scan(ctx, &one); err != nil {
				return err
			}
			told = append(told, a)
			return nil
		}
		r := newReceiver(t, 500, 200)
		r.setSecret("whsec_" + strings.Repeat("QUJD", 8))
		e.allow(r.hostPort())
		a := e.enqueuedAction(r.URL+"/in", "whsec_"+strings.Repeat("QUJD", 8))
		if a.Secret == "" || strings.Contains(a.Secret, "QUJD") || a.RunID != 7 || a.Action != 2 || !strings.HasPrefix(a.MessageID, "msg_") {
			t.Fatalf("job args %+v", a)
		}
		if a.InsertOpts().Queue != queue || a.InsertOpts().MaxAttempts != MaxAttempts {
			t.Fatalf("insert opts %+v", a.InsertOpts())
		}
		w := &actionWorker{s: e.svc}
		if err := w.Work(e.ctx, actionJob(a, 1)); err == nil {
			t.Fatal("a 500 returned no error")
		}
		if err := w.Work(e.ctx, actionJob(a, 2)); err != nil {
			t.Fatal(err)
		}
		got := r.requests()
		if len(got) != 2 || !got[0].EscalatedOK || !got[0].StandardOK || !got[1].EscalatedOK || !got[1].StandardOK {
			t.Fatalf("requests %+v", got)
		}
		if got[0].Header.Get("webhook-id") != a.MessageID || got[1].Header.Get("webhook-id") != a.MessageID || string(got[0].Body) != a.Body {
			t.Fatalf("the retry is not the same message: %v / %v", got[0].Header, got[1].Header)
		}
		if !strings.HasPrefix(a.Body, `{"event":"ticket.created","payload":{"workflow":{"id":3}},"timestamp":"2026-03-02T10:00:00Z"}`) {
			t.Fatalf("body %s", a.Body)
		}
		if len(told) != 2 || told[0].Delivered || told[0].Final || told[0].Attempt != 1 || !strings.Contains(told[0].Error, "500") ||
			!told[1].Delivered || !told[1].Final || told[1].RunID != 7 || told[1].Action != 2 || *told[1].ResponseStatus != 200 {
			t.Fatalf("told %+v", told)
		}
		if n := e.count(`SELECT count(*) FROM webhook_deliveries`); n != 0 {
			t.Fatalf("%d rows in the subscriptions' delivery log", n)
		}
		// The same backoff as subscription deliveries.
		e.clock.Set(start)
		for n := 1; n < MaxAttempts; n++ {
			wait := w.NextRetry(actionJob(a, n)).Sub(start)
			base := retryBase << (n - 1)
			if wait < base*8/10 || wait > base*12/10 {
				t.Fatalf("retry after attempt %d waits %v, want %v ± 20%%", n, wait, base)
			}
		}
		// The last attempt is final.
		r.answerWith(503)
		if err := w.Work(e.ctx, actionJob(a, MaxAttempts)); err == nil {
			t.Fatal("a failed last attempt returned no error")
		}
		if last := told[len(told)-1]; last.Delivered || !last.Final || !strings.HasPrefix(last.Describe(), "Attempt 12 of 12 failed: the endpoint answered 503") {
			t.Fatalf("last %+v: %s", last, last.Describe())
		}
	})
}

// TestWorkflowDeliverySecretIsBoundToItsURL: a sealed secret moved to another URL does not
// open; the attempt fails for good without sending anything.
func TestWorkflowDeliverySecretIsBoundToItsURL(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var told []ActionAttempt
		e.svc.ActionLog = func(_ context.Context, _ bun.Tx, a ActionAttempt) error { told = append(told, a); return nil }
		r := newReceiver(t, 200)
		e.allow(r.hostPort())
		a := e.enqueuedAction("https://hooks.example.test/in", "a-secret-of-some-length")
		a.URL = r.URL
		err := (&actionWorker{s: e.svc}).Work(e.ctx, actionJob(a, 1))
		if !isCancel(err) || len(r.requests()) != 0 || len(told) != 1 || !told[0].Final || !strings.Contains(told[0].Error, "cannot be read") {
			t.Fatalf("err %v, told %+v", err, told)
		}
	})
}
