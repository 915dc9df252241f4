// Package event carries domain events from the write path to whoever listens: host hooks
// now, webhooks and realtime later. Events are published only after their transaction commits.
package event

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Domain event names, from DOMAIN.md.
const (
	TicketCreated         = "TicketCreated"
	TicketUpdated         = "TicketUpdated"
	TicketStatusChanged   = "TicketStatusChanged"
	TicketAssigned        = "TicketAssigned"
	TicketUnassigned      = "TicketUnassigned"
	ReplyCreated          = "ReplyCreated"
	InternalNoteAdded     = "InternalNoteAdded"
	SlaBreached           = "SlaBreached"
	SlaWarning            = "SlaWarning"
	TicketEscalated       = "TicketEscalated"
	TicketResolved        = "TicketResolved"
	TicketClosed          = "TicketClosed"
	TicketReopened        = "TicketReopened"
	TicketPriorityChanged = "TicketPriorityChanged"
	DepartmentChanged     = "DepartmentChanged"
	TagAdded              = "TagAdded"
	TagRemoved            = "TagRemoved"
)

var webhookNames = map[string]string{
	TicketCreated:         "ticket.created",
	TicketUpdated:         "ticket.updated",
	TicketStatusChanged:   "ticket.status_changed",
	TicketResolved:        "ticket.resolved",
	TicketClosed:          "ticket.closed",
	TicketReopened:        "ticket.reopened",
	TicketAssigned:        "ticket.assigned",
	TicketUnassigned:      "ticket.unassigned",
	TicketEscalated:       "ticket.escalated",
	TicketPriorityChanged: "ticket.priority_changed",
	DepartmentChanged:     "ticket.department_changed",
	ReplyCreated:          "reply.created",
	InternalNoteAdded:     "note.created",
	SlaBreached:           "sla.breached",
	SlaWarning:            "sla.warning",
	TagAdded:              "ticket.tag_added",
	TagRemoved:            "ticket.tag_removed",
}

// TicketRef identifies the ticket an event is about, as it was after the change.
type TicketRef struct {
	ID        int64  `json:"id"`
	Reference string `json:"reference"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
	Priority  string `json:"priority"`
}

// Event is one thing that happened to a ticket.
type Event struct {
	Name       string         `json:"name"`
	Ticket     TicketRef      `json:"ticket"`
	ActorID    *int64         `json:"actor_id,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	OccurredAt time.Time      `json:"occurred_at"`
}

// WebhookName is the event's name in webhook deliveries, e.g. "ticket.created".
func (e Event) WebhookName() string { return webhookNames[e.Name] }

// WebhookNames lists every webhook event name, sorted: what a webhook may subscribe to.
func WebhookNames() []string {
	names := make([]string, 0, len(webhookNames))
	for _, n := range webhookNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Listener receives events after commit. It runs on the committing goroutine, so it should
// be quick or hand the work off.
type Listener func(context.Context, Event)

// Bus fans events out to its listeners.
type Bus struct {
	mu        sync.RWMutex
	listeners []Listener
	log       *slog.Logger
}

// NewBus returns a bus that logs listener panics to log.
func NewBus(log *slog.Logger) *Bus { return &Bus{log: log} }

// Subscribe adds a listener.
func (b *Bus) Subscribe(l Listener) {
	b.mu.Lock()
	b.listeners = append(b.listeners, l)
	b.mu.Unlock()
}

// Publish hands each event to every listener in order. A listener that panics is logged and
// does not stop the others: the change it reports has already committed.
func (b *Bus) Publish(ctx context.Context, events []Event) {
	b.mu.RLock()
	ls := b.listeners
	b.mu.RUnlock()
	for _, e := range events {
		for _, l := range ls {
			b.call(ctx, l, e)
		}
	}
}

func (b *Bus) call(ctx context.Context, l Listener, e Event) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("event listener panicked", "event", e.Name, "ticket", e.Ticket.ID, "panic", r)
		}
	}()
	l(ctx, e)
}
