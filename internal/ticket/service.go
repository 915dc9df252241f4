package ticket

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/settings"
)

// Service is the ticket write path and the ticket reads.
type Service struct {
	db       *db.DB
	clock    clock.Clock
	bus      *event.Bus
	settings *settings.Store
	txHooks  []TxHook
	sla      SLA        // nil: the SLA columns are left alone
	jobs     *jobs.Jobs // nil until RegisterJobs: snoozes then wait for the wake-up sweep
	creates  createBatches
}

// TxHook runs inside the transaction of every ticket change that has events, after the
// change is written, so durable follow-up work (webhook deliveries, workflow runs) is
// enqueued with the change: committed together, or not at all.
type TxHook func(ctx context.Context, tx bun.Tx, events []event.Event) error

// OnEventsTx adds a hook. Hooks are added while the desk is built, before it serves.
func (s *Service) OnEventsTx(h TxHook) { s.txHooks = append(s.txHooks, h) }

// Option changes how NewService builds the service.
type Option func(*Service)

// WithSLA has every ticket change keep the ticket's SLA policy, due dates and clock in step
// through x.
func WithSLA(x SLA) Option { return func(s *Service) { s.sla = x } }

// NewService returns the ticket service.
func NewService(d *db.DB, c clock.Clock, bus *event.Bus, st *settings.Store, opts ...Option) *Service {
	s := &Service{db: d, clock: c, bus: bus, settings: st}
	for _, o := range opts {
		o(s)
	}
	return s
}

// change collects what one operation on a ticket writes besides the ticket row: timeline
// entries, the audit entry and the events to publish after commit.
type change struct {
	actor      *auth.Actor
	now        time.Time
	activities []Activity
	events     []event.Event
	old, new   map[string]any
	action     string
	updated    bool // a field the TicketUpdated event covers changed
	// parts holds the audit entries of a batch's changes (see absorb); a single change
	// audits action, old and new instead.
	parts []audited
	// after runs in the transaction once the change is written (see ApplyPlanned).
	after func(ctx context.Context, tx bun.Tx, t *Ticket) error
}

// audited is the audit entry of one change of a batch.
type audited struct {
	action   string
	old, new map[string]any
}

// absorb takes one change of a batch into the batch: its timeline entries and events in
// order, and its own audit entry, so each change of a batch is audited as it would be alone.
func (c *change) absorb(part *change) {
	if len(part.old) == 0 && len(part.activities) == 0 && len(part.events) == 0 && !part.updated {
		return
	}
	c.activities = append(c.activities, part.activities...)
	c.events = append(c.events, part.events...)
	c.updated = c.updated || part.updated
	c.parts = append(c.parts, audited{part.action, part.old, part.new})
}

func (c *change) activity(ticketID int64, typ string, props map[string]any) {
	b, err := json.Marshal(props)
	if err != nil || props == nil {
		b = []byte("{}")
	}
	c.activities = append(c.activities, Activity{TicketID: ticketID, Type: typ, CauserID: c.actor.ActorID(),
		CauserContactID: c.actor.ActorContactID(), Properties: b, CreatedAt: c.now})
}

func (c *change) emit(name string, data map[string]any) {
	c.events = append(c.events, event.Event{Name: name, ActorID: c.actor.ActorID(), Data: data, OccurredAt: c.now})
}

func (c *change) record(field string, old, new any) {
	if c.old == nil {
		c.old, c.new = map[string]any{}, map[string]any{}
	}
	if _, seen := c.old[field]; !seen {
		c.old[field] = old
	}
	c.new[field] = new
}

// inTx runs a ticket write in a transaction. A row the write refers to that another request
// or process removed meanwhile (a department, a user, an SLA policy another process deleted
// while this one still had it cached) is a conflict to try again, not a server error; the
// cached SLA policies are dropped so the retry picks from the policies that exist.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.db.InTx(ctx, fn)
	if !db.IsForeignKeyViolation(err) {
		return err
	}
	if c, ok := s.sla.(interface{ Invalidate() }); ok {
		c.Invalidate()
	}
	return apperr.Conflict("Something this ticket refers to was removed at the same moment. Please try again.")
}

// mutate is the one place a ticket changes. In one transaction it locks the ticket, checks
// that the actor may see it, lets fn change it, then writes the row, the timeline, the audit
// entry and, after commit, publishes the events.
func (s *Service) mutate(ctx context.Context, actor *auth.Actor, id int64, action string, fn func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error) (*Ticket, error) {
	c := &change{actor: actor, now: s.clock.Now(), action: action}
	var t Ticket
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewRaw(`SELECT * FROM tickets WHERE id = ?`+s.db.ForUpdate(), id).Scan(ctx, &t)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSee(actor, &t)) {
			return apperr.NotFound("Ticket")
		}
		if err != nil {
			return fmt.Errorf("ticket: load %d: %w", id, err)
		}
		before := t
		if err := fn(ctx, tx, &t, c); err != nil {
			return err
		}
		if err := s.trackSLA(ctx, tx, &before, &t, c.now); err != nil {
			return err
		}
		if err := s.write(ctx, tx, &t, c); err != nil {
			return err
		}
		if c.after != nil {
			if err := c.after(ctx, tx, &t); err != nil {
				return err
			}
		}
		return s.runTxHooks(ctx, tx, &t, c)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, c)
	return &t, nil
}

func (s *Service) write(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
	if !c.finish(t) {
		return nil // nothing changed: no row, no audit, no events
	}
	return s.writeAll(ctx, tx, []*Ticket{t}, []*change{c}, nil)
}

// finish completes a change before it is written: TicketUpdated when a field it covers
// changed, and the ticket's new updated_at. It reports whether there is anything to write.
func (c *change) finish(t *Ticket) bool {
	if c.updated {
		c.emit(event.TicketUpdated, nil)
	}
	if len(c.old) == 0 && len(c.activities) == 0 && len(c.events) == 0 && len(c.parts) == 0 {
		return false
	}
	t.UpdatedAt = c.now
	return true
}

// writeAll writes finished changes, changes[i] to tickets[i]: the rows (every column, or
// only columns when it is not nil), then every timeline entry and every audit entry with one
// statement each.
func (s *Service) writeAll(ctx context.Context, tx bun.Tx, tickets []*Ticket, changes []*change, columns []string) error {
	if err := updateRows(ctx, tx, tickets, columns); err != nil {
		return err
	}
	var activities []Activity
	var audits []audit.Change
	for i, t := range tickets {
		c := changes[i]
		activities = append(activities, c.activities...)
		if len(c.parts) == 0 {
			audits = append(audits, audit.Change{Actor: c.actor, Action: c.action, ResourceType: "ticket", ResourceID: t.ID, Old: c.old, New: c.new, At: c.now})
		}
		for _, p := range c.parts {
			audits = append(audits, audit.Change{Actor: c.actor, Action: p.action, ResourceType: "ticket", ResourceID: t.ID, Old: p.old, New: p.new, At: c.now})
		}
	}
	if len(activities) > 0 {
		if _, err := tx.NewInsert().Model(&activities).Exec(ctx); err != nil {
			return fmt.Errorf("ticket: write activities: %w", err)
		}
	}
	return audit.RecordAll(ctx, tx, audits)
}

// mutateEach is mutate for many tickets in one transaction: it locks them in id order (so
// two batches, or a batch and a single change, never wait on each other in a cycle), lets fn
// change each one the actor may see, passing the others by as mutate would refuse them, and
// writes every change, with its timeline, audit entries and transaction hooks; the events are
// published after commit. An error from fn undoes the whole batch. One commit for many
// changes is what lets a sweep record a thousand breaches in a fraction of a second.
func (s *Service) mutateEach(ctx context.Context, actor *auth.Actor, ids []int64, action string, fn func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var done []*change
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		done = nil
		now := s.clock.Now()
		var list []Ticket
		if err := tx.NewRaw(`SELECT * FROM tickets WHERE id IN (?) ORDER BY id`+s.db.ForUpdate(), bun.In(ids)).Scan(ctx, &list); err != nil {
			return fmt.Errorf("ticket: load %d tickets: %w", len(ids), err)
		}
		var changed []*Ticket
		// Only the columns some change touched are written: SQLite rewrites the entries of
		// every index over a column an UPDATE sets, whether its value changed or not.
		columns := map[string]bool{}
		for i := range list {
			t := &list[i]
			if !canSee(actor, t) {
				continue
			}
			c := &change{actor: actor, now: now, action: action}
			before := *t
			if err := fn(ctx, tx, t, c); err != nil {
				return err
			}
			if err := s.trackSLA(ctx, tx, &before, t, now); err != nil {
				return err
			}
			if c.finish(t) {
				changed, done = append(changed, t), append(done, c)
				changedColumns(tx, &before, t, columns)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if err := s.writeAll(ctx, tx, changed, done, slices.Sorted(maps.Keys(columns))); err != nil {
			return err
		}
		for i, t := range changed {
			if err := s.runTxHooks(ctx, tx, t, done[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range done {
		s.publish(ctx, c)
	}
	return nil
}

// updateRows writes the tickets' rows: every column that may change, or only columns when it
// is not nil. Many rows with known columns are written by one UPDATE … FROM (VALUES …) that
// carries only those columns, so the statement stays small.
func updateRows(ctx context.Context, tx bun.Tx, tickets []*Ticket, columns []string) error {
	if columns == nil || len(tickets) == 1 {
		for _, t := range tickets {
			q := tx.NewUpdate().Model(t).WherePK()
			if columns == nil {
				q = q.ExcludeColumn("id", "created_at", "reference")
			} else {
				q = q.Column(columns...)
			}
			if _, err := q.Exec(ctx); err != nil {
				return fmt.Errorf("ticket: update %d: %w", t.ID, err)
			}
		}
		return nil
	}
	values := tx.NewValues(&tickets).Column(append([]string{"id"}, columns...)...)
	q := tx.NewUpdate().With("_data", values).Model(&tickets).TableExpr("_data").Where("t.id = _data.id")
	for _, c := range columns {
		q = q.Set("? = _data.?", bun.Ident(c), bun.Ident(c))
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("ticket: update %d tickets: %w", len(tickets), err)
	}
	return nil
}

// changedColumns adds to columns the name of every column whose value differs between
// before and after.
func changedColumns(tx bun.Tx, before, after *Ticket, columns map[string]bool) {
	table := tx.Dialect().Tables().Get(reflect.TypeFor[Ticket]())
	b, a := reflect.ValueOf(before).Elem(), reflect.ValueOf(after).Elem()
	for _, f := range table.Fields {
		if !columns[f.Name] && !reflect.DeepEqual(f.Value(b).Interface(), f.Value(a).Interface()) {
			columns[f.Name] = true
		}
	}
}

// runTxHooks stamps the change's events with the ticket as it now is and hands them to the
// transaction hooks.
func (s *Service) runTxHooks(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
	if len(c.events) == 0 {
		return nil
	}
	ref := event.TicketRef{ID: t.ID, Reference: t.Reference, Subject: t.Subject, Status: t.Status, Priority: t.Priority}
	for i := range c.events {
		c.events[i].Ticket = ref
	}
	for _, h := range s.txHooks {
		if err := h(ctx, tx, c.events); err != nil {
			return err
		}
	}
	return nil
}

// publish hands the committed change's events to the in-process listeners.
func (s *Service) publish(ctx context.Context, c *change) {
	if len(c.events) > 0 {
		s.bus.Publish(ctx, c.events)
	}
}

// canSee is the visibility rule: customers see the tickets they requested, a guest the one
// ticket their token opened, staff need ticket.view.
func canSee(a *auth.Actor, t *Ticket) bool {
	if a.IsGuest() {
		return a.GuestTicketID != 0 && a.GuestTicketID == t.ID
	}
	if a.IsCustomer() {
		return t.RequesterID != nil && *t.RequesterID == a.UserID
	}
	return a.Can("ticket.view")
}

// ticketKey is the shape of a ticket key in a URL: an id, or a reference such as ESC-00042.
var ticketKey = regexp.MustCompile(`^(?:[0-9]+|[A-Za-z0-9]+-[0-9]+)$`)

// ResolveID turns a ticket key from a URL, a numeric id or a reference such as ESC-00042,
// into the ticket id. An unknown key is not found.
func (s *Service) ResolveID(ctx context.Context, key string) (int64, error) {
	key = strings.TrimSpace(key)
	// Anything but an id or a reference is not found before it gets near the database,
	// which refuses some bytes (NUL) with an error rather than an empty answer.
	if len(key) > 40 || !ticketKey.MatchString(key) {
		return 0, apperr.NotFound("Ticket")
	}
	if n, err := strconv.ParseInt(key, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	var ids []int64
	if err := s.db.R.NewRaw(`SELECT id FROM tickets WHERE reference = ?`, strings.ToUpper(key)).Scan(ctx, &ids); err != nil {
		return 0, fmt.Errorf("ticket: resolve %q: %w", key, err)
	}
	if len(ids) == 0 {
		return 0, apperr.NotFound("Ticket")
	}
	return ids[0], nil
}

func (s *Service) setting(ctx context.Context) (settings.Values, error) {
	return s.settings.All(ctx)
}
