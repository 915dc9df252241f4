// Package report answers questions about the desk's tickets as a whole: how many are open and
// in which state, how many came in and went out over a period.
package report

import (
	"context"
	"fmt"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Limits of a summary's period.
const (
	DefaultDays = 30
	MaxDays     = 365
)

// Service computes reports.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns the report service.
func NewService(d *db.DB, c clock.Clock) *Service { return &Service{db: d, clock: c} }

// Summary is the state of the queue now and its flow over the last Days days.
type Summary struct {
	Days  int       `json:"days"`
	Since time.Time `json:"since"`
	// Open counts the open tickets (any status outside the solved category).
	Open int `json:"open"`
	// OpenByStatus counts open tickets per status; statuses with none are left out.
	OpenByStatus map[string]int `json:"open_by_status"`
	// OpenByPriority counts open tickets per priority, every priority present.
	OpenByPriority map[string]int `json:"open_by_priority"`
	// Created counts the tickets created since Since.
	Created int `json:"created"`
	// Resolved counts the tickets resolved since Since that have not been reopened.
	Resolved int `json:"resolved"`
}

// Summary reports the open queue and the tickets created and resolved over the last days
// days. Every count reads an index: the open tickets by status and priority, creation time,
// resolution time.
func (s *Service) Summary(ctx context.Context, actor *auth.Actor, days int) (*Summary, error) {
	if !actor.Can("report.view") {
		return nil, apperr.Forbidden("You may not view reports.")
	}
	if days < 1 || days > MaxDays {
		return nil, apperr.Invalid("days", fmt.Sprintf("The days must be a whole number from 1 to %d.", MaxDays))
	}
	now := s.clock.Now()
	out := &Summary{Days: days, Since: now.AddDate(0, 0, -days), OpenByStatus: map[string]int{}, OpenByPriority: map[string]int{}}
	for _, p := range ticket.Priorities {
		out.OpenByPriority[p] = 0
	}
	var groups []struct {
		Status   string `bun:"status"`
		Priority string `bun:"priority"`
		N        int    `bun:"n"`
	}
	// From the per-combination counts the ticket triggers keep (ticket_counts), not from
	// the tickets.
	err := s.db.R.NewRaw(`SELECT status, priority, CAST(sum(n) AS BIGINT) AS n FROM ticket_counts
		WHERE is_open = TRUE GROUP BY status, priority HAVING sum(n) <> 0`).Scan(ctx, &groups)
	if err != nil {
		return nil, fmt.Errorf("report: open tickets: %w", err)
	}
	for _, g := range groups {
		out.Open += g.N
		out.OpenByStatus[g.Status] += g.N
		out.OpenByPriority[g.Priority] += g.N
	}
	if err := s.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE created_at >= ?`, out.Since).Scan(ctx, &out.Created); err != nil {
		return nil, fmt.Errorf("report: created tickets: %w", err)
	}
	if err := s.db.R.NewRaw(`SELECT count(*) FROM tickets WHERE resolved_at >= ?`, out.Since).Scan(ctx, &out.Resolved); err != nil {
		return nil, fmt.Errorf("report: resolved tickets: %w", err)
	}
	return out, nil
}
