// Package webhook tells other systems what happens to tickets. An admin registers an
// endpoint URL and the events it wants; every ticket change that raises one of those events
// enqueues, in the change's own transaction, a durable job that enqueues one delivery job
// per endpoint and event. A delivery POSTs the JSON body {"event", "payload", "timestamp"}
// signed two ways (X-Escalated-Signature, and the Standard Webhooks headers), retries with
// exponential backoff and jitter for about a day, logs every attempt, and switches off an
// endpoint that keeps failing, telling the admins. Outgoing requests go through
// internal/netguard, so an endpoint cannot be pointed at the desk's own network unless an
// admin allow-lists it.
package webhook

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/netguard"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
	"github.com/escalated-dev/escalated-go/internal/settings"
)

// AllowedHostsSetting is the settings key of the admin's allow-list of internal hosts.
const AllowedHostsSetting = "webhook_allowed_hosts"

// Webhook is an endpoint and the events it subscribes to. Its secret never leaves the
// service except in the answer to Create.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID                  int64      `bun:"id,pk,autoincrement" json:"id"`
	URL                 string     `bun:"url" json:"url"`
	Events              []string   `bun:"events" json:"events"`
	Secret              string     `bun:"secret" json:"-"` // sealed
	IsActive            bool       `bun:"is_active" json:"is_active"`
	ConsecutiveFailures int        `bun:"consecutive_failures" json:"consecutive_failures"`
	DisabledAt          *time.Time `bun:"disabled_at" json:"disabled_at"`
	DisabledReason      string     `bun:"disabled_reason" json:"disabled_reason"`
	CreatedAt           time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt           time.Time  `bun:"updated_at" json:"updated_at"`
}

// Created is a new webhook with its secret in clear: the one time it is shown.
type Created struct {
	*Webhook
	Secret string `json:"secret"`
}

// Input is a webhook to create, or the fields of one to change; on update a nil field is
// left as it is. Secret is optional on create (one is generated); on update it replaces the
// secret. IsActive true switches an endpoint the desk turned off back on.
type Input struct {
	URL      *string
	Events   *[]string
	Secret   *string
	IsActive *bool
}

// Service manages webhooks, enqueues their deliveries and delivers them.
type Service struct {
	db       *db.DB
	clock    clock.Clock
	box      *secretbox.Box // nil when the desk has no secret key: no webhooks then
	settings *settings.Store
	jobs     *jobs.Jobs
	log      *slog.Logger
	http     *http.Client
	subs     cache.Loaded[map[string][]int64] // see subscriptions

	// ActionLog is told the outcome of every attempt of a workflow's send_webhook delivery,
	// in a transaction of its own (see EnqueueActionTx). It is set while the desk is built.
	ActionLog func(ctx context.Context, tx bun.Tx, a ActionAttempt) error
}

// RequestTimeout bounds one delivery attempt, from dialling to the end of the answer.
const RequestTimeout = 10 * time.Second

// NewService returns the webhook service. box seals secrets; without one (no
// Config.SecretKey) webhooks cannot be created. Deliveries are enqueued on j.
func NewService(d *db.DB, c clock.Clock, box *secretbox.Box, st *settings.Store, j *jobs.Jobs, log *slog.Logger) *Service {
	s := &Service{db: d, clock: c, box: box, settings: st, jobs: j, log: log}
	s.http = netguard.Client(s.allowList, RequestTimeout)
	return s
}

// allowList reads the admin's allow-list; the settings store caches it for a second.
func (s *Service) allowList(ctx context.Context) (netguard.AllowList, error) {
	v, err := s.settings.All(ctx)
	if err != nil {
		return nil, err
	}
	return netguard.ParseAllowList(v.Strings(AllowedHostsSetting)), nil
}

// List returns every webhook, oldest first.
func (s *Service) List(ctx context.Context, actor *auth.Actor) ([]Webhook, error) {
	if !actor.Can("webhook.view") {
		return nil, apperr.Forbidden("You may not view webhooks.")
	}
	list := []Webhook{}
	if err := s.db.R.NewSelect().Model(&list).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	return list, nil
}

// Get returns one webhook.
func (s *Service) Get(ctx context.Context, actor *auth.Actor, id int64) (*Webhook, error) {
	if !actor.Can("webhook.view") {
		return nil, apperr.Forbidden("You may not view webhooks.")
	}
	return load(ctx, s.db.R, id, "")
}

// load reads one webhook; lock is "" or the row-lock clause (db.ForUpdate).
func load(ctx context.Context, idb bun.IDB, id int64, lock string) (*Webhook, error) {
	w := new(Webhook)
	err := idb.NewRaw(`SELECT * FROM webhooks WHERE id = ?`+lock, id).Scan(ctx, w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("Webhook")
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: load %d: %w", id, err)
	}
	return w, nil
}

// noKey is the answer when the desk cannot seal secrets.
var noKey = apperr.Conflict("Webhooks are not available: the desk has no secret key to encrypt their signing secrets (Config.SecretKey, ESCALATED_SECRET_KEY).")

// Create registers a webhook and returns it with its secret, which is never shown again.
func (s *Service) Create(ctx context.Context, actor *auth.Actor, in Input) (*Created, error) {
	if !actor.Can("webhook.manage") {
		return nil, apperr.Forbidden("You may not manage webhooks.")
	}
	if s.box == nil {
		return nil, noKey
	}
	var v apperr.Validation
	if in.URL == nil {
		v.Add("url", "The url field is required.")
	}
	if in.Events == nil {
		v.Add("events", "The events field is required: a list of event names such as ticket.created.")
	}
	now := s.clock.Now()
	w := &Webhook{IsActive: true, CreatedAt: now, UpdatedAt: now}
	secret, err := s.apply(ctx, &v, w, in)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if secret == "" {
		secret = generateSecret()
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
			return fmt.Errorf("webhook: insert: %w", err)
		}
		// The sealed secret is bound to the id, which the insert has just made.
		w.Secret = s.seal(w.ID, secret)
		if _, err := tx.NewUpdate().Model(w).Column("secret").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("webhook: store secret: %w", err)
		}
		return audit.Record(ctx, tx, actor, "webhook.created", "webhook", w.ID, nil, snapshot(w), now)
	})
	if err != nil {
		return nil, err
	}
	s.subs.Invalidate()
	return &Created{Webhook: w, Secret: secret}, nil
}

// Update changes the fields in sets. Switching a webhook on clears why the desk switched it
// off and its failure count. A change that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, actor *auth.Actor, id int64, in Input) (*Webhook, error) {
	if !actor.Can("webhook.manage") {
		return nil, apperr.Forbidden("You may not manage webhooks.")
	}
	if in.Secret != nil && s.box == nil {
		return nil, noKey
	}
	now := s.clock.Now()
	var out *Webhook
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := load(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		old := snapshot(w)
		wasActive := w.IsActive
		var v apperr.Validation
		secret, err := s.apply(ctx, &v, w, in)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{}
		for k, nv := range snapshot(w) {
			if fmt.Sprint(old[k]) != fmt.Sprint(nv) {
				before[k], after[k] = old[k], nv
			}
		}
		if secret != "" {
			w.Secret = s.seal(w.ID, secret)
			before["secret"], after["secret"] = "", "" // recorded as changed, redacted by audit
		}
		if w.IsActive && !wasActive {
			w.DisabledAt, w.DisabledReason, w.ConsecutiveFailures = nil, "", 0
		}
		out = w
		if len(after) == 0 {
			return nil
		}
		w.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(w).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
			return fmt.Errorf("webhook: update %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, "webhook.updated", "webhook", id, before, after, now)
	})
	if err != nil {
		return nil, err
	}
	s.subs.Invalidate()
	return out, nil
}

// Delete removes a webhook and its delivery log. Deliveries still queued for it find it gone
// and are dropped.
func (s *Service) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("webhook.manage") {
		return apperr.Forbidden("You may not manage webhooks.")
	}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		w, err := load(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(w).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("webhook: delete %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, "webhook.deleted", "webhook", id, snapshot(w), nil, s.clock.Now())
	})
	if err != nil {
		return err
	}
	s.subs.Invalidate()
	return nil
}

// apply checks the fields in sets and copies them onto w, returning a new secret in clear
// when one was given.
func (s *Service) apply(ctx context.Context, v *apperr.Validation, w *Webhook, in Input) (string, error) {
	if in.URL != nil {
		allow, err := s.allowList(ctx)
		if err != nil {
			return "", err
		}
		u, err := netguard.CheckURL(strings.TrimSpace(*in.URL), allow)
		if err != nil {
			v.Add("url", err.Error())
		}
		w.URL = u
	}
	if in.Events != nil {
		w.Events = checkEvents(v, *in.Events)
	}
	if in.IsActive != nil {
		w.IsActive = *in.IsActive
	}
	if in.Secret == nil {
		return "", nil
	}
	if msg := checkSecret(*in.Secret); msg != "" {
		v.Add("secret", msg)
		return "", nil
	}
	return *in.Secret, nil
}

// checkEvents returns the subscribed event names without duplicates, naming each unknown
// one by its place (events.2).
func checkEvents(v *apperr.Validation, events []string) []string {
	known := event.WebhookNames()
	if len(events) == 0 {
		v.Add("events", "Subscribe to at least one event: "+strings.Join(known, ", ")+".")
		return nil
	}
	if len(events) > 4*len(known) {
		v.Addf("events", "The events field may list at most %d names.", len(known))
		return nil
	}
	out := make([]string, 0, len(events))
	for i, e := range events {
		switch {
		case !slices.Contains(known, e):
			v.Addf("events."+strconv.Itoa(i), "The selected events.%d is not a webhook event; use one of: %s.", i, strings.Join(known, ", "))
		case !slices.Contains(out, e):
			out = append(out, e)
		}
	}
	return out
}

// secretPrefix marks a secret in the Standard Webhooks form: whsec_ and the base64 of the
// key bytes.
const secretPrefix = "whsec_"

// checkSecret returns what is wrong with a secret an admin chose, or "".
func checkSecret(secret string) string {
	if rest, ok := strings.CutPrefix(secret, secretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(key) < 24 || len(key) > 64 {
			return "A secret starting with whsec_ must go on with the base64 of 24 to 64 random bytes."
		}
		return ""
	}
	if len(secret) < 16 || len(secret) > 255 {
		return "The secret must be 16 to 255 characters long, or whsec_ and base64; leave it out to have one generated."
	}
	for _, r := range secret {
		if r <= ' ' || r > '~' {
			return "The secret may only hold printable ASCII characters without spaces."
		}
	}
	return ""
}

// generateSecret makes a Standard Webhooks secret: whsec_ and the base64 of 32 random bytes.
func generateSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

func (s *Service) seal(id int64, secret string) string {
	return s.box.Seal([]byte(secret), secretContext(id))
}

// secretContext binds a sealed secret to its webhook, so a sealed value copied into another
// row does not open.
func secretContext(id int64) []byte { return []byte("webhook " + strconv.FormatInt(id, 10)) }

// snapshot is what the audit log records of a webhook.
func snapshot(w *Webhook) map[string]any {
	return map[string]any{"url": w.URL, "events": w.Events, "is_active": w.IsActive}
}
