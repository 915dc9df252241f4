// Package autoclose closes tickets that have stayed resolved longer than the desk's
// auto_close_resolved_after_days setting, on a schedule, through the ticket service.
package autoclose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Every is how often the desk looks for tickets to close. A ticket closes up to this long
// after its time is up, which for a limit counted in days does not matter.
const Every = 15 * time.Minute

// batch is how many tickets one query fetches.
const batch = 100

// Closer closes resolved tickets whose time is up.
type Closer struct {
	db       *db.DB
	clock    clock.Clock
	tickets  *ticket.Service
	settings *settings.Store
	log      *slog.Logger
}

// New returns a Closer and schedules it on j every Every, once per period across processes.
func New(d *db.DB, c clock.Clock, tickets *ticket.Service, st *settings.Store, j *jobs.Jobs, log *slog.Logger) *Closer {
	cl := &Closer{db: d, clock: c, tickets: tickets, settings: st, log: log}
	jobs.AddWorker(j, &worker{c: cl})
	j.AddPeriodic(jobs.Periodic{Name: args{}.Kind(), Every: Every, Args: func() river.JobArgs { return args{} }})
	return cl
}

// Result says what one run did.
type Result struct {
	Closed int // tickets closed
	// Refused counts tickets the ticket service would not close, say because an admin took
	// the resolved → closed transition out of the table. They are tried again next run.
	Refused int
}

// Run closes, as the system, every ticket that has been resolved since before now minus the
// setting's days, oldest first, one transaction per ticket. With the setting at 0 it closes
// nothing. An error is returned only when the database fails; the run can be repeated.
func (c *Closer) Run(ctx context.Context, now time.Time) (Result, error) {
	var res Result
	cfg, err := c.settings.All(ctx)
	if err != nil {
		return res, err
	}
	days := cfg.Int("auto_close_resolved_after_days")
	if days <= 0 {
		return res, nil
	}
	cutoff := now.AddDate(0, 0, -days)
	var afterAt time.Time
	var afterID int64
	for {
		var page []struct {
			ID         int64     `bun:"id"`
			ResolvedAt time.Time `bun:"resolved_at"`
		}
		if err := c.page(cutoff, afterAt, afterID).Scan(ctx, &page); err != nil {
			return res, fmt.Errorf("autoclose: find tickets: %w", err)
		}
		for _, p := range page {
			closed, err := c.close(ctx, p.ID, cutoff)
			var ae *apperr.Error
			switch {
			case err == nil && closed:
				res.Closed++
			case err == nil, apperr.Is(err, apperr.KindNotFound):
			case errors.As(err, &ae):
				res.Refused++
				c.log.Warn("autoclose: the ticket service refused to close a resolved ticket", "ticket", p.ID, "err", err)
			default:
				return res, err
			}
		}
		if len(page) < batch {
			return res, nil
		}
		afterAt, afterID = page[len(page)-1].ResolvedAt, page[len(page)-1].ID
	}
}

// page selects the next tickets resolved since before cutoff, by (resolved_at, id) after the
// last ones seen (none when afterID is 0), so tickets refused in one page do not hold up the
// next. Both databases read it in order from the (status, resolved_at, id) index of
// migration 0009 (since 0019 it holds only resolved tickets).
func (c *Closer) page(cutoff, afterAt time.Time, afterID int64) *bun.SelectQuery {
	q := c.db.R.NewSelect().TableExpr("tickets").Column("id", "resolved_at").
		Where("status = 'resolved' AND resolved_at <= ?", cutoff)
	if afterID != 0 {
		// The first term bounds the index range; the second skips the ties already seen.
		q = q.Where("resolved_at >= ? AND (resolved_at > ? OR id > ?)", afterAt, afterAt, afterID)
	}
	return q.OrderExpr("resolved_at, id").Limit(batch)
}

// close closes one ticket if, under its lock, it is still resolved since before cutoff.
func (c *Closer) close(ctx context.Context, id int64, cutoff time.Time) (bool, error) {
	closed := false
	_, err := c.tickets.ApplyPlanned(ctx, auth.System(), id, ticket.Batch{
		Plan: func(_ context.Context, _ bun.Tx, t ticket.Ticket) ([]ticket.Op, error) {
			if t.Status != ticket.StatusResolved || t.ResolvedAt == nil || t.ResolvedAt.After(cutoff) {
				return nil, nil
			}
			closed = true
			return []ticket.Op{ticket.OpStatus(ticket.StatusClosed)}, nil
		},
	})
	return closed, err
}

type args struct{}

func (args) Kind() string { return "tickets.auto_close" }

type worker struct {
	river.WorkerDefaults[args]
	c *Closer
}

func (w *worker) Work(ctx context.Context, _ *river.Job[args]) error {
	res, err := w.c.Run(ctx, w.c.clock.Now())
	if res.Closed > 0 || res.Refused > 0 {
		w.c.log.Info("autoclose: run", "closed", res.Closed, "refused", res.Refused)
	}
	return err
}
