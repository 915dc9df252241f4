package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/event"
)

// subscriptionsTTL bounds how long a change made by another server process takes to reach
// this one's fan-out. Changes made through this process apply at once (invalidate).
const subscriptionsTTL = 2 * time.Second

// subscriptions caches, per webhook event name, the ids of the active webhooks subscribed
// to it, so that a ticket change does not query for them inside its transaction.
type subscriptions struct {
	mu       sync.Mutex
	byEvent  map[string][]int64
	loadedAt time.Time
	gen      uint64 // bumped by invalidate; a load that started before is not kept
}

func (c *subscriptions) invalidate() {
	c.mu.Lock()
	c.byEvent = nil
	c.gen++
	c.mu.Unlock()
}

// subscriptions returns the cached map, loading it when it is missing or stale.
func (s *Service) subscriptions(ctx context.Context) (map[string][]int64, error) {
	c := &s.subs
	now := s.clock.Now()
	c.mu.Lock()
	if c.byEvent != nil && now.Sub(c.loadedAt) < subscriptionsTTL && !now.Before(c.loadedAt) {
		m := c.byEvent
		c.mu.Unlock()
		return m, nil
	}
	gen := c.gen
	c.mu.Unlock()

	var rows []struct {
		ID     int64    `bun:"id"`
		Events []string `bun:"events"`
	}
	if err := s.db.R.NewRaw(`SELECT id, events FROM webhooks WHERE is_active = TRUE ORDER BY id`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("webhook: load subscriptions: %w", err)
	}
	m := make(map[string][]int64)
	for _, r := range rows {
		for _, e := range r.Events {
			m[e] = append(m[e], r.ID)
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		c.byEvent, c.loadedAt = m, now
	}
	c.mu.Unlock()
	return m, nil
}

// EnqueueTx is the ticket service's transaction hook (ticket.Service.OnEventsTx): for each
// event that has a webhook name it enqueues one delivery job per active webhook subscribed
// to it, all in one insert, in the change's transaction. The body is built once per event.
func (s *Service) EnqueueTx(ctx context.Context, tx bun.Tx, events []event.Event) error {
	var params []river.InsertManyParams
	var subs map[string][]int64
	for _, e := range events {
		name := e.WebhookName()
		if name == "" {
			continue
		}
		if subs == nil {
			var err error
			if subs, err = s.subscriptions(ctx); err != nil {
				return err
			}
		}
		ids := subs[name]
		if len(ids) == 0 {
			continue
		}
		body, err := eventBody(name, e)
		if err != nil {
			return err
		}
		for _, id := range ids {
			params = append(params, river.InsertManyParams{Args: deliveryArgs{
				WebhookID: id, Event: name, MessageID: newMessageID(), Body: body,
			}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	return s.jobs.InsertManyTx(ctx, tx, params)
}

// envelope is the body of every delivery, in this key order.
type envelope struct {
	Event     string         `json:"event"`
	Payload   map[string]any `json:"payload"`
	Timestamp string         `json:"timestamp"`
}

// eventBody renders an event: the payload holds the ticket as it was after the change and
// the event's own details (reply, tag, agent_id, from/to ...).
func eventBody(name string, e event.Event) (string, error) {
	payload := make(map[string]any, len(e.Data)+1)
	for k, v := range e.Data {
		payload[k] = v
	}
	payload["ticket"] = e.Ticket
	return render(name, payload, e.OccurredAt)
}

func render(name string, payload map[string]any, at time.Time) (string, error) {
	b, err := json.Marshal(envelope{Event: name, Payload: payload, Timestamp: at.UTC().Format(time.RFC3339)})
	if err != nil {
		return "", fmt.Errorf("webhook: render %s: %w", name, err)
	}
	return string(b), nil
}

// newMessageID is a Standard Webhooks message id: the same for every attempt and redelivery
// of one message to one endpoint, so a receiver can drop duplicates.
func newMessageID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}
