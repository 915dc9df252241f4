package webhook

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/netguard"
)

// Workflow deliveries. A workflow's send_webhook action posts one message to the URL the
// action names, outside any registered webhook: it has no subscription, no delivery log
// row and no failure count of its own. Everything else is a subscription delivery's: the
// body shape, both signatures (keyed with the action's own secret, sealed in the workflow),
// the SSRF guard with the admin allow-list, a durable job enqueued in the workflow run's
// transaction, and the same retries with backoff for about a day. Each attempt's outcome
// is handed to ActionLog, which the desk points at the workflow run log.

// ActionDelivery is a message a workflow's send_webhook action sends.
type ActionDelivery struct {
	URL string
	// SealedSecret is the action's signing secret as SealActionSecret sealed it.
	SealedSecret string
	// Event names the message (X-Escalated-Event and the body's event): the workflow's
	// trigger, such as ticket.created.
	Event   string
	Payload map[string]any
	At      time.Time
	// RunID and Action name the workflow run and the index of its action; they come back
	// with the outcome of every attempt.
	RunID  int64
	Action int
}

// ActionAttempt is the outcome of one attempt of an ActionDelivery.
type ActionAttempt struct {
	RunID       int64
	Action      int
	MessageID   string
	Attempt     int
	MaxAttempts int
	Delivered   bool
	// Final is set when no further attempt will be made: delivered, or failed for good.
	Final          bool
	ResponseStatus *int
	LatencyMS      int64
	Error          string
}

// actionArgs is one workflow delivery. Secret stays sealed in the job table.
type actionArgs struct {
	URL       string `json:"url"`
	Secret    string `json:"secret"`
	Event     string `json:"event"`
	MessageID string `json:"message_id"`
	Body      string `json:"body"`
	RunID     int64  `json:"run_id"`
	Action    int    `json:"action"`
}

func (actionArgs) Kind() string { return "webhook.workflow_deliver" }

func (actionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue, MaxAttempts: MaxAttempts}
}

// actionSecretContext binds a sealed action secret to its URL, so a sealed value copied into
// an action for another URL does not open.
func actionSecretContext(url string) []byte { return []byte("workflow webhook " + url) }

// CheckActionURL checks the URL of a send_webhook action as a webhook's URL is checked when
// saved: scheme, credentials, and internal hosts not on the admin allow-list. It returns the
// URL as it is to be stored, or what is wrong with it; err is for the settings failing.
func (s *Service) CheckActionURL(ctx context.Context, raw string) (url, problem string, err error) {
	allow, err := s.allowList(ctx)
	if err != nil {
		return "", "", err
	}
	u, cerr := netguard.CheckURL(strings.TrimSpace(raw), allow)
	if cerr != nil {
		return u, cerr.Error(), nil
	}
	return u, "", nil
}

// CheckActionSecret returns what is wrong with a secret an admin chose for a send_webhook
// action, or "": the rules of a webhook's chosen secret.
func (s *Service) CheckActionSecret(secret string) string { return checkSecret(secret) }

// SealActionSecret seals the signing secret of a send_webhook action for url, to be stored
// with the action. Without the desk's secret key it fails with a conflict that says so.
func (s *Service) SealActionSecret(url, secret string) (string, error) {
	if s.box == nil {
		return "", noKey
	}
	return s.box.Seal([]byte(secret), actionSecretContext(url)), nil
}

// EnqueueActionTx renders the message and enqueues its delivery in tx, the workflow run's
// transaction: it is sent once the run commits, and never if it rolls back.
func (s *Service) EnqueueActionTx(ctx context.Context, tx bun.Tx, d ActionDelivery) error {
	body, err := render(d.Event, d.Payload, d.At)
	if err != nil {
		return err
	}
	return s.jobs.InsertTx(ctx, tx, actionArgs{
		URL: d.URL, Secret: d.SealedSecret, Event: d.Event, MessageID: newMessageID(), Body: body,
		RunID: d.RunID, Action: d.Action,
	}, nil)
}

type actionWorker struct {
	river.WorkerDefaults[actionArgs]
	s *Service
}

func (w *actionWorker) Work(ctx context.Context, job *river.Job[actionArgs]) error {
	return w.s.deliverAction(ctx, job.Args, job.Attempt, job.MaxAttempts)
}

// NextRetry backs off as subscription deliveries do.
func (w *actionWorker) NextRetry(job *river.Job[actionArgs]) time.Time {
	return w.s.clock.Now().Add(backoff(job.Attempt, rand.Float64()))
}

func (w *actionWorker) Timeout(*river.Job[actionArgs]) time.Duration {
	return RequestTimeout + 20*time.Second
}

// deliverAction makes one attempt of a workflow delivery and reports it to ActionLog. It
// returns an error when the attempt failed, so River retries it; a secret that cannot be
// opened fails for good at once, as no retry can open it.
func (s *Service) deliverAction(ctx context.Context, a actionArgs, attempt, maxAttempts int) error {
	d := &Delivery{Event: a.Event, MessageID: a.MessageID, Attempt: attempt, Status: Failed, Body: a.Body}
	hopeless := false
	switch {
	case s.box == nil:
		d.Error, hopeless = "the action's secret cannot be read: the desk has no secret key (Config.SecretKey)", true
	default:
		secret, err := s.box.Open(a.Secret, actionSecretContext(a.URL))
		if err != nil {
			d.Error, hopeless = "the action's secret cannot be read: the desk's secret key has changed; save the workflow with a new secret", true
			break
		}
		s.send(ctx, a.URL, string(secret), deliveryArgs{Event: a.Event, MessageID: a.MessageID, Body: a.Body}, d)
	}
	out := ActionAttempt{
		RunID: a.RunID, Action: a.Action, MessageID: a.MessageID, Attempt: attempt, MaxAttempts: maxAttempts,
		Delivered: d.Status == Delivered, ResponseStatus: d.ResponseStatus, LatencyMS: d.LatencyMS, Error: d.Error,
	}
	out.Final = out.Delivered || hopeless || attempt >= maxAttempts
	if s.ActionLog != nil {
		if err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return s.ActionLog(ctx, tx, out) }); err != nil {
			return err
		}
	}
	switch {
	case out.Delivered:
		return nil
	case hopeless:
		return river.JobCancel(fmt.Errorf("workflow webhook to %s: %s", a.URL, d.Error))
	}
	return fmt.Errorf("workflow webhook to %s: %s", a.URL, d.Error)
}

// Describe is how the attempt reads in a workflow's run log.
func (a ActionAttempt) Describe() string {
	if a.Delivered {
		return fmt.Sprintf("Delivered: the endpoint answered %d in %d ms (attempt %d of %d).", *a.ResponseStatus, a.LatencyMS, a.Attempt, a.MaxAttempts)
	}
	msg := fmt.Sprintf("Attempt %d of %d failed: %s.", a.Attempt, a.MaxAttempts, strings.TrimSuffix(a.Error, "."))
	if !a.Final {
		msg += " It will be retried with backoff."
	} else if a.Attempt < a.MaxAttempts {
		msg += " It will not be retried."
	}
	return msg
}
