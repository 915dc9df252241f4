package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/jobs"
)

// subscriptions returns, per webhook event name, the ids of the active webhooks subscribed
// to it, from the cache (s.subs) so that a ticket change does not query for them inside its
// transaction. Every change through this service invalidates it.
func (s *Service) subscriptions(ctx context.Context) (map[string][]int64, error) {
	return s.subs.Get(ctx, s.clock.Now(), func(ctx context.Context) (map[string][]int64, error) {
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
		return m, nil
	})
}

// EnqueueTx is the ticket service's transaction hook (ticket.Service.OnEventsTx). In the
// change's transaction it resolves, for each event with a webhook name, the active webhooks
// subscribed to it, builds the event's body once and gives each (webhook, event) its message
// id, and enqueues all of it as one fan-out job; that job enqueues one delivery job per
// (webhook, event). A River insert costs a few hundred microseconds plus about 100 per job,
// so one job per change keeps a change with many subscribers fast (docs/decisions.md).
func (s *Service) EnqueueTx(ctx context.Context, tx bun.Tx, events []event.Event) error {
	var fan fanoutArgs
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
		fe := fanoutEvent{Event: name, Body: body, Targets: make([]target, len(ids))}
		for i, id := range ids {
			fe.Targets[i] = target{WebhookID: id, MessageID: newMessageID()}
		}
		fan.Events = append(fan.Events, fe)
	}
	if len(fan.Events) == 0 {
		return nil
	}
	return s.jobs.InsertTx(ctx, tx, fan, nil)
}

// fanoutArgs is what one ticket change sends: its events, each with its body and the
// webhooks subscribed to it when the change was made.
type fanoutArgs struct {
	Events []fanoutEvent `json:"events"`
}

type fanoutEvent struct {
	Event   string   `json:"event"`
	Body    string   `json:"body"`
	Targets []target `json:"targets"`
}

type target struct {
	WebhookID int64  `json:"webhook_id"`
	MessageID string `json:"message_id"`
}

func (fanoutArgs) Kind() string { return "webhook.fanout" }

func (fanoutArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: queue} }

// deliveries is one delivery job per (webhook, event).
func (a fanoutArgs) deliveries() []river.InsertManyParams {
	var out []river.InsertManyParams
	for _, e := range a.Events {
		for _, t := range e.Targets {
			out = append(out, river.InsertManyParams{Args: deliveryArgs{
				WebhookID: t.WebhookID, Event: e.Event, MessageID: t.MessageID, Body: e.Body,
			}})
		}
	}
	return out
}

// fanoutWorker enqueues a change's deliveries and completes itself in one transaction, so
// each delivery is enqueued exactly once.
type fanoutWorker struct {
	river.WorkerDefaults[fanoutArgs]
	s *Service
}

func (w *fanoutWorker) Work(ctx context.Context, job *river.Job[fanoutArgs]) error {
	return w.s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := w.s.jobs.InsertManyTx(ctx, tx, job.Args.deliveries()); err != nil {
			return err
		}
		return jobs.CompleteTx(ctx, tx, job)
	})
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
