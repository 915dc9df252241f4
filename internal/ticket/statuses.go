package ticket

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Status is a row of the statuses table.
type Status struct {
	bun.BaseModel `bun:"table:statuses"`

	Slug      string    `bun:"slug,pk" json:"slug"`
	Name      string    `bun:"name" json:"name"`
	Category  string    `bun:"category" json:"category"`
	Color     string    `bun:"color" json:"color"`
	Position  int       `bun:"position" json:"position"`
	IsSystem  bool      `bun:"is_system" json:"is_system"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

var builtInStatuses = []struct{ slug, name, category string }{
	{StatusOpen, "Open", "open"},
	{StatusInProgress, "In progress", "open"},
	{StatusWaitingOnCustomer, "Waiting on customer", "pending"},
	{StatusWaitingOnAgent, "Waiting on agent", "open"},
	{StatusEscalated, "Escalated", "open"},
	{StatusResolved, "Resolved", "solved"},
	{StatusClosed, "Closed", "solved"},
	{StatusReopened, "Reopened", "open"},
}

// DefaultTransitions is the transition table of DOMAIN.md.
var DefaultTransitions = map[string][]string{
	StatusOpen:              {StatusInProgress, StatusWaitingOnCustomer, StatusWaitingOnAgent, StatusEscalated, StatusResolved, StatusClosed},
	StatusInProgress:        {StatusWaitingOnCustomer, StatusWaitingOnAgent, StatusEscalated, StatusResolved, StatusClosed},
	StatusWaitingOnCustomer: {StatusOpen, StatusInProgress, StatusResolved, StatusClosed},
	StatusWaitingOnAgent:    {StatusOpen, StatusInProgress, StatusEscalated, StatusResolved, StatusClosed},
	StatusEscalated:         {StatusInProgress, StatusResolved, StatusClosed},
	StatusResolved:          {StatusReopened, StatusClosed},
	StatusClosed:            {StatusReopened},
	StatusReopened:          {StatusInProgress, StatusWaitingOnCustomer, StatusWaitingOnAgent, StatusEscalated, StatusResolved, StatusClosed},
}

// Seed creates the built-in statuses and the default transition table. It runs once, with
// the migration that creates the tables, so an admin's later edits are never undone.
func Seed(ctx context.Context, tx bun.Tx, now time.Time) error {
	for i, s := range builtInStatuses {
		if _, err := tx.NewRaw(`INSERT INTO statuses (slug, name, category, position, is_system, created_at, updated_at)
			VALUES (?, ?, ?, ?, TRUE, ?, ?) ON CONFLICT (slug) DO NOTHING`, s.slug, s.name, s.category, i, now, now).Exec(ctx); err != nil {
			return fmt.Errorf("ticket: seed status %s: %w", s.slug, err)
		}
	}
	for from, tos := range DefaultTransitions {
		for _, to := range tos {
			if _, err := tx.NewRaw(`INSERT INTO status_transitions (from_status, to_status) VALUES (?, ?) ON CONFLICT DO NOTHING`, from, to).Exec(ctx); err != nil {
				return fmt.Errorf("ticket: seed transition %s→%s: %w", from, to, err)
			}
		}
	}
	return nil
}

// allowedFrom lists the statuses a ticket in status from may move to.
func allowedFrom(ctx context.Context, db bun.IDB, from string) ([]string, error) {
	var to []string
	err := db.NewRaw(`SELECT tr.to_status FROM status_transitions tr JOIN statuses s ON s.slug = tr.to_status
		WHERE tr.from_status = ? ORDER BY s.position, s.slug`, from).Scan(ctx, &to)
	if err != nil {
		return nil, fmt.Errorf("ticket: load transitions from %s: %w", from, err)
	}
	return to, nil
}

// statusCategory returns the category of a status, or "" when it does not exist. The status
// row stays key-share locked until tx ends, so an admin cannot delete the status or change
// its category between this read and the commit of the ticket that moves into it.
func (s *Service) statusCategory(ctx context.Context, tx bun.Tx, slug string) (string, error) {
	var cats []string
	if err := tx.NewRaw(`SELECT category FROM statuses WHERE slug = ?`+s.db.ForKeyShare(), slug).Scan(ctx, &cats); err != nil {
		return "", fmt.Errorf("ticket: load status %s: %w", slug, err)
	}
	if len(cats) == 0 {
		return "", nil
	}
	return cats[0], nil
}
