package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// DeliveryPage is one page of a webhook's delivery log and the number of rows in it all.
type DeliveryPage struct {
	Items []Delivery
	Total int
}

// Deliveries lists a webhook's delivery attempts, newest first; status, when not empty,
// keeps only "delivered" or only "failed" ones.
func (s *Service) Deliveries(ctx context.Context, actor *auth.Actor, webhookID int64, status string, page, perPage int) (*DeliveryPage, error) {
	if !actor.Can("webhook.view") {
		return nil, apperr.Forbidden("You may not view webhooks.")
	}
	if status != "" && status != Delivered && status != Failed {
		return nil, apperr.Invalid("status", "The status filter must be delivered or failed.")
	}
	if _, err := load(ctx, s.db.R, webhookID, ""); err != nil {
		return nil, err
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("webhook_id = ?", webhookID)
		if status != "" {
			q = q.Where("status = ?", status)
		}
		return q
	}
	total, err := filter(s.db.R.NewSelect().Model((*Delivery)(nil))).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: count deliveries: %w", err)
	}
	out := &DeliveryPage{Items: []Delivery{}, Total: int(total)}
	err = filter(s.db.R.NewSelect().Model(&out.Items)).OrderExpr("id DESC").Limit(int64(perPage)).Offset(int64((page - 1) * perPage)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: list deliveries: %w", err)
	}
	return out, nil
}

// Queued is a delivery an admin asked for, waiting for its one attempt.
type Queued struct {
	WebhookID int64  `json:"webhook_id"`
	Event     string `json:"event"`
	MessageID string `json:"message_id"`
}

// Redeliver sends a logged message again, once: the same body and webhook-id (so a
// receiver that already has it can tell), a fresh timestamp and signature. It goes out even
// when the webhook is switched off, so an admin can check an endpoint before switching it
// back on. webhookID 0 takes the delivery's own webhook (the frontend's retry route names
// the delivery alone); any other id must be the delivery's.
func (s *Service) Redeliver(ctx context.Context, actor *auth.Actor, webhookID, deliveryID int64) (*Queued, error) {
	if !actor.Can("webhook.manage") {
		return nil, apperr.Forbidden("You may not manage webhooks.")
	}
	if s.box == nil {
		return nil, noKey
	}
	var d Delivery
	err := s.db.R.NewSelect().Model(&d).Where("id = ?", deliveryID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && webhookID != 0 && d.WebhookID != webhookID) {
		return nil, apperr.NotFound("Delivery")
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: load delivery %d: %w", deliveryID, err)
	}
	a := deliveryArgs{WebhookID: d.WebhookID, Event: d.Event, MessageID: d.MessageID, Body: d.Body, Manual: true}
	err = s.enqueueManual(ctx, actor, "webhook.redelivered", a, map[string]any{"delivery_id": d.ID, "message_id": d.MessageID, "event": d.Event})
	if err != nil {
		return nil, err
	}
	return &Queued{WebhookID: a.WebhookID, Event: a.Event, MessageID: a.MessageID}, nil
}

// TestEvent is the event name of a test delivery.
const TestEvent = "webhook.test"

// SendTest sends the webhook a test event, once, even when it is switched off.
func (s *Service) SendTest(ctx context.Context, actor *auth.Actor, webhookID int64) (*Queued, error) {
	if !actor.Can("webhook.manage") {
		return nil, apperr.Forbidden("You may not manage webhooks.")
	}
	if s.box == nil {
		return nil, noKey
	}
	if _, err := load(ctx, s.db.R, webhookID, ""); err != nil {
		return nil, err
	}
	body, err := render(TestEvent, map[string]any{"webhook_id": webhookID}, s.clock.Now())
	if err != nil {
		return nil, err
	}
	a := deliveryArgs{WebhookID: webhookID, Event: TestEvent, MessageID: newMessageID(), Body: body, Manual: true}
	if err := s.enqueueManual(ctx, actor, "webhook.tested", a, map[string]any{"message_id": a.MessageID}); err != nil {
		return nil, err
	}
	return &Queued{WebhookID: webhookID, Event: TestEvent, MessageID: a.MessageID}, nil
}

// enqueueManual enqueues one attempt an admin asked for, audited, provided the webhook
// still exists when it commits.
func (s *Service) enqueueManual(ctx context.Context, actor *auth.Actor, action string, a deliveryArgs, details map[string]any) error {
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := load(ctx, tx, a.WebhookID, s.db.ForKeyShare()); err != nil {
			return err
		}
		if err := s.jobs.InsertTx(ctx, tx, a, manualOpts); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, action, "webhook", a.WebhookID, nil, details, s.clock.Now())
	})
}
