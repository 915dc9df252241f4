package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/notification"
)

// Delivery jobs run on a queue of their own (see jobs.AddQueue): each may wait
// RequestTimeout on a slow endpoint, and many endpoints may be slow at once.
const (
	queue        = "webhooks"
	queueWorkers = 100
)

// MaxAttempts is how often a delivery is tried: once, then 11 retries that back off
// exponentially over about a day (see backoff).
const MaxAttempts = 12

// deliveryArgs is one message to one endpoint. Body is the exact JSON to send, built once
// when the event happened; it is a string so the job table (JSONB on PostgreSQL) keeps its
// bytes as they are.
type deliveryArgs struct {
	WebhookID int64  `json:"webhook_id"`
	Event     string `json:"event"`
	MessageID string `json:"message_id"`
	Body      string `json:"body"`
	// Manual marks a redelivery or a test event: tried once, even to an endpoint that is
	// switched off, and not counted towards switching it off.
	Manual bool `json:"manual,omitempty"`
}

func (deliveryArgs) Kind() string { return "webhook.deliver" }

func (deliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue, MaxAttempts: MaxAttempts}
}

// manualOpts overrides the attempts of a delivery an admin asked for: they watch the log.
var manualOpts = &river.InsertOpts{MaxAttempts: 1}

// RegisterJobs adds the webhook queue and its workers. Call it while the desk is built.
func (s *Service) RegisterJobs() {
	s.jobs.AddQueue(queue, queueWorkers)
	jobs.AddWorker(s.jobs, &fanoutWorker{s: s})
	jobs.AddWorker(s.jobs, &deliveryWorker{s: s})
	jobs.AddWorker(s.jobs, &actionWorker{s: s})
}

type deliveryWorker struct {
	river.WorkerDefaults[deliveryArgs]
	s *Service
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	return w.s.deliver(ctx, job.Args, job.Attempt, job.MaxAttempts, job.CreatedAt)
}

// NextRetry spreads the retries of a failed delivery over about a day (see backoff).
func (w *deliveryWorker) NextRetry(job *river.Job[deliveryArgs]) time.Time {
	return w.s.clock.Now().Add(backoff(job.Attempt, rand.Float64()))
}

// Timeout gives the request its RequestTimeout and the log its write.
func (w *deliveryWorker) Timeout(*river.Job[deliveryArgs]) time.Duration {
	return RequestTimeout + 20*time.Second
}

// Retry timing: after failed attempt n (1 to 11) the next waits retryBase·2^(n-1), give or
// take retryJitter: 40 s, 80 s, 160 s ... 11.4 h, about 22.7 h in all (18.2 to 27.3 h).
// The jitter keeps the retries of many deliveries that failed together (an endpoint that
// was down) from arriving together.
const (
	retryBase   = 40 * time.Second
	retryJitter = 0.2
)

// backoff is the wait after failed attempt n, with r uniform in [0, 1) choosing the jitter.
func backoff(attempt int, r float64) time.Duration {
	attempt = min(max(attempt, 1), MaxAttempts-1)
	d := retryBase << (attempt - 1)
	return time.Duration(float64(d) * (1 - retryJitter + 2*retryJitter*r))
}

// Delivery is one attempt to deliver a message: a row of the delivery log.
type Delivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`

	ID              int64     `bun:"id,pk,autoincrement" json:"id"`
	WebhookID       int64     `bun:"webhook_id" json:"webhook_id"`
	Event           string    `bun:"event" json:"event"`
	MessageID       string    `bun:"message_id" json:"message_id"`
	Attempt         int       `bun:"attempt" json:"attempt"`
	Manual          bool      `bun:"manual" json:"manual"`
	Status          string    `bun:"status" json:"status"`
	ResponseStatus  *int      `bun:"response_status" json:"response_status"`
	LatencyMS       int64     `bun:"latency_ms" json:"latency_ms"`
	ResponseExcerpt string    `bun:"response_excerpt" json:"response_excerpt"`
	Error           string    `bun:"error" json:"error"`
	Body            string    `bun:"body" json:"-"`
	CreatedAt       time.Time `bun:"created_at" json:"created_at"`
}

// Delivery statuses.
const (
	Delivered = "delivered" // the endpoint answered 2xx
	Failed    = "failed"
)

// Limits of what the log keeps of an answer.
const (
	excerptBytes = 1024
	errorBytes   = 1000
	// drainBytes is how much of a longer answer is read and thrown away so the connection
	// can serve the next delivery; beyond it the connection is closed instead.
	drainBytes = 64 << 10
)

// deliver makes one attempt: sign, POST, log. It returns an error when the attempt failed,
// so River retries it, and cancels a job whose endpoint is gone or switched off.
func (s *Service) deliver(ctx context.Context, a deliveryArgs, attempt, maxAttempts int, enqueuedAt time.Time) error {
	w, err := load(ctx, s.db.R, a.WebhookID, "")
	if apperr.Is(err, apperr.KindNotFound) {
		return river.JobCancel(fmt.Errorf("webhook %d was deleted", a.WebhookID))
	}
	if err != nil {
		return err
	}
	if !w.IsActive && !a.Manual {
		return river.JobCancel(fmt.Errorf("webhook %d is switched off", w.ID))
	}
	d := &Delivery{
		WebhookID: w.ID, Event: a.Event, MessageID: a.MessageID, Attempt: attempt, Manual: a.Manual,
		Status: Failed, Body: a.Body, CreatedAt: s.clock.Now(),
	}
	if secret, err := s.openSecret(w); err != nil {
		d.Error = err.Error()
	} else {
		s.send(ctx, w.URL, secret, a, d)
	}
	final := !a.Manual && d.Status == Failed && attempt >= maxAttempts
	disabled, err := s.record(ctx, d, final, enqueuedAt)
	if err != nil {
		return err
	}
	if disabled {
		s.subs.Invalidate()
	}
	if d.Status == Failed {
		return fmt.Errorf("webhook %d: %s", w.ID, d.Error)
	}
	return nil
}

func (s *Service) openSecret(w *Webhook) (string, error) {
	if s.box == nil {
		return "", errors.New("the webhook's secret cannot be read: the desk has no secret key (Config.SecretKey)")
	}
	b, err := s.box.Open(w.Secret, secretContext(w.ID))
	if err != nil {
		return "", errors.New("the webhook's secret cannot be read: the desk's secret key has changed")
	}
	return string(b), nil
}

// send POSTs the body and notes the answer in d.
func (s *Service) send(ctx context.Context, target, secret string, a deliveryArgs, d *Delivery) {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(a.Body))
	if err != nil {
		d.Error = clean(err.Error(), errorBytes)
		return
	}
	sign(req.Header, secret, a.Event, a.MessageID, s.clock.Now(), []byte(a.Body))
	start := time.Now()
	res, err := s.http.Do(req)
	d.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		// The URL is in the log row already; keep what went wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		d.Error = clean(err.Error(), errorBytes)
		return
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, excerptBytes))
	io.Copy(io.Discard, io.LimitReader(res.Body, drainBytes))
	d.ResponseStatus = &res.StatusCode
	d.ResponseExcerpt = clean(string(excerpt), excerptBytes)
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		d.Status = Delivered
	case res.StatusCode >= 300 && res.StatusCode < 400:
		d.Error = fmt.Sprintf("the endpoint answered %s; redirects are not followed, so point the webhook at the final URL", res.Status)
	default:
		d.Error = "the endpoint answered " + res.Status
	}
	d.Error = clean(d.Error, errorBytes)
}

const userAgent = "Escalated-Webhooks/1.0"

// sign sets the headers of a delivery. X-Escalated-Signature is the hex HMAC-SHA256 of the
// body keyed with the secret as it is written. The Standard Webhooks signature covers
// "id.timestamp.body", so a receiver can refuse replays, keyed with the bytes the secret
// stands for: the base64-decoded part of a whsec_ secret, any other secret as written.
func sign(h http.Header, secret, event, id string, now time.Time, body []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set("X-Escalated-Event", event)
	h.Set("X-Escalated-Signature", hex.EncodeToString(mac([]byte(secret), body)))
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	signed := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	signed = append(append(append(append(append(signed, id...), '.'), ts...), '.'), body...)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac(standardKey(secret), signed)))
}

func mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// standardKey is the Standard Webhooks signing key of a secret (see sign).
func standardKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, secretPrefix); ok {
		if key, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return key
		}
	}
	return []byte(secret)
}

// clean makes text from an endpoint or the network safe to store and show: valid UTF-8,
// no control or invisible formatting characters but newlines and tabs, at most max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// record writes the attempt to the log and keeps the webhook's failure count. After the
// last automatic attempt of a message fails, it switches the webhook off when nothing has
// got through to it since the message was enqueued: the endpoint has then failed for the
// whole retry window (about a day), not merely refused one message. It reports whether it
// switched the webhook off.
func (s *Service) record(ctx context.Context, d *Delivery, final bool, enqueuedAt time.Time) (bool, error) {
	disabled := false
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return fmt.Errorf("webhook: log delivery: %w", err)
		}
		var q string
		switch {
		case d.Status == Delivered:
			q = `UPDATE webhooks SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures <> 0`
		case !d.Manual:
			q = `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ?`
		}
		if q != "" {
			if _, err := tx.NewRaw(q, d.WebhookID).Exec(ctx); err != nil {
				return fmt.Errorf("webhook: count failures: %w", err)
			}
		}
		if !final {
			return nil
		}
		var err error
		disabled, err = s.disableIfDead(ctx, tx, d, enqueuedAt)
		return err
	})
	return disabled, err
}

func (s *Service) disableIfDead(ctx context.Context, tx bun.Tx, d *Delivery, since time.Time) (bool, error) {
	var ok int
	if err := tx.NewRaw(`SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ? AND status = ? AND created_at >= ?`,
		d.WebhookID, Delivered, since).Scan(ctx, &ok); err != nil {
		return false, fmt.Errorf("webhook: look for deliveries: %w", err)
	}
	if ok > 0 {
		return false, nil
	}
	now := s.clock.Now()
	reason := clean(fmt.Sprintf("Switched off after every attempt to deliver %s (%s) failed for %s. Last error: %s",
		d.Event, d.MessageID, now.Sub(since).Round(time.Minute), d.Error), errorBytes)
	res, err := tx.NewRaw(`UPDATE webhooks SET is_active = FALSE, disabled_at = ?, disabled_reason = ?, updated_at = ?
		WHERE id = ? AND is_active = TRUE`, now, reason, now, d.WebhookID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("webhook: switch off %d: %w", d.WebhookID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // already off: the admins have been told
	}
	var url string
	if err := tx.NewRaw(`SELECT url FROM webhooks WHERE id = ?`, d.WebhookID).Scan(ctx, &url); err != nil {
		return false, fmt.Errorf("webhook: load %d: %w", d.WebhookID, err)
	}
	if err := notifyAdmins(ctx, tx, map[string]any{"webhook_id": d.WebhookID, "url": url, "reason": reason}, now); err != nil {
		return false, err
	}
	err = audit.Record(ctx, tx, auth.System(), "webhook.disabled", "webhook", d.WebhookID,
		map[string]any{"is_active": true}, map[string]any{"is_active": false, "disabled_reason": reason}, now)
	return err == nil, err
}

// notifyAdmins tells every active user who may manage webhooks that one was switched off.
func notifyAdmins(ctx context.Context, tx bun.Tx, data map[string]any, now time.Time) error {
	var ids []int64
	err := tx.NewRaw(`SELECT id FROM users WHERE is_active = TRUE AND (role = ? OR role IN (
			SELECT r.slug FROM roles r
			JOIN role_permissions rp ON rp.role_id = r.id
			JOIN permissions p ON p.id = rp.permission_id
			WHERE p.slug = 'webhook.manage'))
		ORDER BY id`, auth.RoleAdmin).Scan(ctx, &ids)
	if err != nil {
		return fmt.Errorf("webhook: find admins: %w", err)
	}
	return notification.Send(ctx, tx, ids, notification.Note{Type: notification.TypeWebhookDisabled, Data: data}, now)
}
