package sla

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Sweeper fires SLA warnings and breaches as targets fall due.
type Sweeper struct {
	db      *db.DB
	clock   clock.Clock
	tickets *ticket.Service
	log     *slog.Logger
}

// NewSweeper returns the sweeper; it records what it finds through the ticket service.
func NewSweeper(d *db.DB, c clock.Clock, tickets *ticket.Service, log *slog.Logger) *Sweeper {
	return &Sweeper{db: d, clock: c, tickets: tickets, log: log}
}

// SweepResult counts what one sweep fired.
type SweepResult struct {
	Warnings int `json:"warnings"`
	Breaches int `json:"breaches"`
}

// sweepTarget is how the sweep finds one target's running clocks. running repeats the
// predicate of the target's partial index in migration 0008 term for term, so that both
// databases read the index, whose entries are only the clocks still running, in due order:
// a sweep's cost follows the tickets coming due, not the open ones.
type sweepTarget struct {
	name, due, warned, running string
}

var sweepTargets = []sweepTarget{
	{
		name: ticket.TargetFirstResponse, due: "first_response_due_at", warned: "sla_first_response_warned",
		running: "first_response_at IS NULL AND sla_first_response_breached = FALSE AND sla_paused_at IS NULL AND sla_policy_id IS NOT NULL",
	},
	{
		name: ticket.TargetResolution, due: "resolution_due_at", warned: "sla_resolution_warned",
		running: "sla_resolution_breached = FALSE AND sla_paused_at IS NULL AND sla_policy_id IS NOT NULL",
	},
}

// sweepPage is how many candidates one query fetches.
const sweepPage = 1000

// candidate is a running target that is due or may need its warning.
type candidate struct {
	ID       int64     `bun:"id"`
	Due      time.Time `bun:"due"`
	PolicyID int64     `bun:"sla_policy_id"`
}

// Sweep fires every breach that is due and every warning whose window has opened, at the
// clock's now. It is meant to run every minute; running it again, or in several processes at
// once, fires nothing twice (see ticket.Service.RecordSLA). An error is returned only when the
// database fails; the sweep can simply be repeated.
func (s *Sweeper) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.clock.Now()
	var policies []struct {
		ID             int64 `bun:"id"`
		WarningMinutes int   `bun:"warning_minutes"`
	}
	if err := s.db.R.NewRaw(`SELECT id, warning_minutes FROM sla_policies`).Scan(ctx, &policies); err != nil {
		return res, fmt.Errorf("sla: load warning windows: %w", err)
	}
	windows := make(map[int64]time.Duration, len(policies))
	var widest time.Duration
	for _, p := range policies {
		windows[p.ID] = time.Duration(p.WarningMinutes) * time.Minute
		widest = max(widest, windows[p.ID])
	}
	for _, tg := range sweepTargets {
		var last *candidate
		for {
			page, err := s.candidates(ctx, tg, now, widest, last)
			if err != nil {
				return res, err
			}
			checks := make([]ticket.SLACheck, 0, len(page))
			for _, c := range page {
				window := windows[c.PolicyID]
				if c.Due.Sub(now) > window {
					continue // not due, and its policy's window is narrower than the widest
				}
				checks = append(checks, ticket.SLACheck{TicketID: c.ID, Target: tg.name, WarnWithin: window})
			}
			if len(checks) > 0 {
				outcomes, err := s.tickets.RecordSLA(ctx, checks...)
				if err != nil {
					return res, err
				}
				for _, o := range outcomes {
					switch o {
					case ticket.SLAWarned:
						res.Warnings++
					case ticket.SLABreached:
						res.Breaches++
					}
				}
			}
			if len(page) < sweepPage {
				break
			}
			last = &page[len(page)-1]
		}
	}
	return res, nil
}

// candidates returns, in due order after last, the target's running clocks that are due by
// now, or by now+widest and not yet warned.
func (s *Sweeper) candidates(ctx context.Context, tg sweepTarget, now time.Time, widest time.Duration, last *candidate) ([]candidate, error) {
	q := `SELECT id, ` + tg.due + ` AS due, sla_policy_id FROM tickets
		WHERE ` + tg.due + ` <= ? AND ` + tg.running + ` AND (` + tg.due + ` <= ? OR ` + tg.warned + ` = FALSE)`
	args := []any{now.Add(widest), now}
	if last != nil {
		q += ` AND (` + tg.due + ` > ? OR (` + tg.due + ` = ? AND id > ?))`
		args = append(args, last.Due, last.Due, last.ID)
	}
	q += ` ORDER BY ` + tg.due + `, id LIMIT ?`
	args = append(args, sweepPage)
	var page []candidate
	if err := s.db.R.NewRaw(q, args...).Scan(ctx, &page); err != nil {
		return nil, fmt.Errorf("sla: %s candidates: %w", tg.name, err)
	}
	return page, nil
}

type sweepArgs struct{}

func (sweepArgs) Kind() string { return "sla.sweep" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	sweeper *Sweeper
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	res, err := w.sweeper.Sweep(ctx)
	if res.Warnings > 0 || res.Breaches > 0 {
		w.sweeper.log.Info("sla: sweep", "warnings", res.Warnings, "breaches", res.Breaches)
	}
	return err
}

// RegisterJobs has the sweep run every minute, once per minute across all server processes.
func (s *Sweeper) RegisterJobs(j *jobs.Jobs) {
	jobs.AddWorker(j, &sweepWorker{sweeper: s})
	j.AddPeriodic(jobs.Periodic{
		Name:  sweepArgs{}.Kind(),
		Every: time.Minute,
		Args:  func() river.JobArgs { return sweepArgs{} },
	})
}
