package ticket

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/settings"
)

// maxSnooze is the longest snooze: a ticket put away for longer is better closed.
const maxSnooze = 365 * 24 * time.Hour

// SnoozeInput says until when to snooze a ticket: Until, or DurationMinutes from now.
type SnoozeInput struct {
	Until           *time.Time
	DurationMinutes *int
}

// Snooze puts an open ticket away until a time in the future. Its status stays as it is; the
// ticket is flagged snoozed (is_snoozed), its SLA clock stops when the policy pauses for
// snoozes, and it wakes by itself at that time, or earlier when the customer replies or staff
// unsnooze it. Snoozing a snoozed ticket again moves the wake-up time.
func (s *Service) Snooze(ctx context.Context, actor *auth.Actor, ticketID int64, in SnoozeInput) (*Ticket, error) {
	if !actor.Can("ticket.edit") {
		return nil, apperr.Forbidden("You may not snooze tickets.")
	}
	var v apperr.Validation
	switch {
	case in.Until == nil && in.DurationMinutes == nil:
		v.Add("until", "The until field is required when duration_minutes is not given.")
	case in.Until != nil && in.DurationMinutes != nil:
		v.Add("until", "Give until or duration_minutes, not both.")
	case in.DurationMinutes != nil && (*in.DurationMinutes < 1 || *in.DurationMinutes > int(maxSnooze/time.Minute)):
		v.Addf("duration_minutes", "The duration_minutes must be between 1 and %d.", int(maxSnooze/time.Minute))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, "ticket.snoozed", func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		until := in.Until
		if until == nil {
			end := c.now.Add(time.Duration(*in.DurationMinutes) * time.Minute)
			until = &end
		}
		return s.snoozeUntil(ctx, tx, t, c, *until)
	})
}

// OpSnooze snoozes the ticket until a time, as Snooze, within a batch (a workflow's
// snooze_ticket action).
func OpSnooze(until time.Time) Op {
	return Op{
		action: "ticket.snoozed",
		check: func(actor *auth.Actor) error {
			if !actor.Can("ticket.edit") {
				return apperr.Forbidden("You may not snooze tickets.")
			}
			return nil
		},
		apply: func(ctx context.Context, s *Service, tx bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			return s.snoozeUntil(ctx, tx, t, c, until)
		},
	}
}

// snoozeUntil is one snooze: the ticket is flagged until that time and a wake-up job is
// enqueued for it.
func (s *Service) snoozeUntil(ctx context.Context, tx bun.Tx, t *Ticket, c *change, until time.Time) error {
	until = until.UTC().Truncate(time.Microsecond)
	switch {
	case !until.After(c.now):
		return apperr.Invalid("until", "The until time must be in the future.")
	case until.Sub(c.now) > maxSnooze:
		return apperr.Invalid("until", "A ticket may be snoozed for at most a year.")
	}
	if !t.IsOpen {
		return apperr.Conflict("Only open tickets can be snoozed.")
	}
	c.record("snoozed_until", t.SnoozedUntil, until)
	t.SnoozedUntil = &until
	c.updated = true
	c.activity(t.ID, "snoozed", map[string]any{"until": until})
	if s.jobs == nil {
		return nil
	}
	// The wake-up is a job due at the snooze's end; one left over from an earlier snooze of
	// the ticket finds it not yet due and does nothing.
	return s.jobs.InsertTx(ctx, tx, wakeArgs{TicketID: t.ID}, &river.InsertOpts{ScheduledAt: until})
}

// Unsnooze wakes a snoozed ticket now.
func (s *Service) Unsnooze(ctx context.Context, actor *auth.Actor, ticketID int64) (*Ticket, error) {
	if !actor.Can("ticket.edit") {
		return nil, apperr.Forbidden("You may not unsnooze tickets.")
	}
	return s.mutate(ctx, actor, ticketID, "ticket.unsnoozed", func(_ context.Context, _ bun.Tx, t *Ticket, c *change) error {
		if t.SnoozedUntil == nil {
			return apperr.Conflict("The ticket is not snoozed.")
		}
		unsnooze(t, c, "manual")
		return nil
	})
}

// unsnooze clears the snooze; reason is manual, customer_reply or expired.
func unsnooze(t *Ticket, c *change, reason string) {
	c.record("snoozed_until", t.SnoozedUntil, nil)
	c.activity(t.ID, "unsnoozed", map[string]any{"reason": reason, "snoozed_until": t.SnoozedUntil})
	t.SnoozedUntil = nil
	c.updated = true
}

// wake unsnoozes the ticket, as the system, if its snooze has run out, and reports whether
// it did.
func (s *Service) wake(ctx context.Context, ticketID int64) (bool, error) {
	woke := false
	_, err := s.mutate(ctx, auth.System(), ticketID, "ticket.unsnoozed", func(_ context.Context, _ bun.Tx, t *Ticket, c *change) error {
		if t.SnoozedUntil != nil && !t.SnoozedUntil.After(c.now) {
			unsnooze(t, c, "expired")
			woke = true
		}
		return nil
	})
	if apperr.Is(err, apperr.KindNotFound) {
		return false, nil // deleted since it was snoozed
	}
	return woke, err
}

// wakeBatch is how many snoozed tickets one query of WakeDue fetches.
const wakeBatch = 500

// WakeDue wakes every ticket whose snooze has run out. Each ticket's own wake-up job does
// this on time; WakeDue, run every minute, catches any whose job could not run.
func (s *Service) WakeDue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	woken := 0
	var after int64
	for {
		var ids []int64
		err := s.db.R.NewRaw(`SELECT id FROM tickets WHERE snoozed_until IS NOT NULL AND snoozed_until <= ? AND id > ?
			ORDER BY id LIMIT ?`, now, after, wakeBatch).Scan(ctx, &ids)
		if err != nil {
			return woken, fmt.Errorf("ticket: find snoozes run out: %w", err)
		}
		for _, id := range ids {
			woke, err := s.wake(ctx, id)
			if err != nil {
				return woken, err
			}
			if woke {
				woken++
			}
		}
		if len(ids) < wakeBatch {
			return woken, nil
		}
		after = ids[len(ids)-1]
	}
}

// wakeArgs is the job that wakes one snoozed ticket when its snooze runs out.
type wakeArgs struct {
	TicketID int64 `json:"ticket_id"`
}

func (wakeArgs) Kind() string { return "ticket.wake" }

type wakeWorker struct {
	river.WorkerDefaults[wakeArgs]
	tickets *Service
}

func (w *wakeWorker) Work(ctx context.Context, j *river.Job[wakeArgs]) error {
	_, err := w.tickets.wake(ctx, j.Args.TicketID)
	return err
}

// wakeDueArgs is the minutely sweep that wakes what the wake-up jobs missed.
type wakeDueArgs struct{}

func (wakeDueArgs) Kind() string { return "ticket.wake_due" }

type wakeDueWorker struct {
	river.WorkerDefaults[wakeDueArgs]
	tickets *Service
}

func (w *wakeDueWorker) Work(ctx context.Context, _ *river.Job[wakeDueArgs]) error {
	_, err := w.tickets.WakeDue(ctx)
	return err
}

// RegisterJobs registers the snooze wake-up jobs and has Snooze schedule one for each snooze,
// and the job that compacts the queue's counts.
func (s *Service) RegisterJobs(j *jobs.Jobs) {
	s.jobs = j
	jobs.AddWorker(j, &wakeWorker{tickets: s})
	jobs.AddWorker(j, &wakeDueWorker{tickets: s})
	s.registerCountJobs(j)
	j.AddPeriodic(jobs.Periodic{
		Name:  wakeDueArgs{}.Kind(),
		Every: time.Minute,
		Args:  func() river.JobArgs { return wakeDueArgs{} },
	})
}
