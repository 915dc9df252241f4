// Package notification is the staff's inbox: what an escalation rule, a workflow or a failing
// webhook has to tell someone. The change that causes a notification writes it in its own
// transaction; its recipient reads it in the desk and marks it read.
package notification

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// The kinds of notification, in the type column.
const (
	TypeEscalation      = "escalation"       // an escalation rule's notify action
	TypeWorkflow        = "workflow"         // a workflow's send_notification action
	TypeWebhookDisabled = "webhook_disabled" // a webhook switched off after failing
)

// Notification is a row of the notifications table.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        int64          `bun:"id,pk,autoincrement" json:"id"`
	UserID    int64          `bun:"user_id" json:"user_id"`
	TicketID  *int64         `bun:"ticket_id" json:"ticket_id"`
	Type      string         `bun:"type" json:"type"`
	Data      map[string]any `bun:"data" json:"data"`
	CreatedAt time.Time      `bun:"created_at" json:"created_at"`
	ReadAt    *time.Time     `bun:"read_at" json:"read_at"`
}

// Note is what to tell: its kind, the ticket it is about (if any) and what the inbox shows.
type Note struct {
	Type     string
	TicketID *int64
	Data     map[string]any
}

// Send leaves the note for each of users, in tx. Callers pick the users; ToStaff is for
// recipients named by a rule, who may since have left or become customers.
func Send(ctx context.Context, tx bun.IDB, users []int64, n Note, now time.Time) error {
	if len(users) == 0 {
		return nil
	}
	rows := make([]Notification, len(users))
	for i, id := range users {
		rows[i] = Notification{UserID: id, TicketID: n.TicketID, Type: n.Type, Data: n.Data, CreatedAt: now}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("notification: write %s: %w", n.Type, err)
	}
	return nil
}

// ToStaff leaves the note for those of users who are active staff, in tx, and returns how
// many that was.
func ToStaff(ctx context.Context, tx bun.IDB, users []int64, n Note, now time.Time) (int, error) {
	if len(users) == 0 {
		return 0, nil
	}
	var staff []int64
	if err := tx.NewSelect().Table("users").Column("id").
		Where("id IN (?) AND is_active = TRUE AND role <> ?", bun.In(users), auth.RoleCustomer).
		OrderExpr("id").Scan(ctx, &staff); err != nil {
		return 0, fmt.Errorf("notification: find recipients: %w", err)
	}
	return len(staff), Send(ctx, tx, staff, n, now)
}

// Service reads a person's notifications and marks them read. Everyone sees only their own.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns the notification service.
func NewService(d *db.DB, c clock.Clock) *Service {
	return &Service{db: d, clock: c}
}

// Filter picks a page of someone's notifications, newest first.
type Filter struct {
	UnreadOnly bool
	Page       int
	PerPage    int
}

// Page is one page of notifications and how many the filter matches.
type Page struct {
	Items []Notification
	Total int
}

// List returns a page of the actor's notifications.
func (s *Service) List(ctx context.Context, a *auth.Actor, f Filter) (Page, error) {
	q := s.db.R.NewSelect().Model((*Notification)(nil)).Where("user_id = ?", a.UserID)
	if f.UnreadOnly {
		q = q.Where("read_at IS NULL")
	}
	var p Page
	total, err := q.Count(ctx)
	if err != nil {
		return p, fmt.Errorf("notification: count: %w", err)
	}
	p.Total = int(total)
	err = q.Model(&p.Items).OrderExpr("id DESC").Limit(int64(f.PerPage)).Offset(int64((f.Page - 1) * f.PerPage)).Scan(ctx)
	if err != nil {
		return p, fmt.Errorf("notification: list: %w", err)
	}
	return p, nil
}

// Unread counts the actor's unread notifications.
func (s *Service) Unread(ctx context.Context, a *auth.Actor) (int, error) {
	n, err := s.db.R.NewSelect().Table("notifications").Where("user_id = ? AND read_at IS NULL", a.UserID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("notification: count unread: %w", err)
	}
	return int(n), nil
}

// MarkRead marks one of the actor's notifications read; someone else's is not found. Marking
// a read one again keeps the time it was first read.
func (s *Service) MarkRead(ctx context.Context, a *auth.Actor, id int64) (Notification, error) {
	var n Notification
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("notifications").Set("read_at = ?", s.clock.Now()).
			Where("id = ? AND user_id = ? AND read_at IS NULL", id, a.UserID).Exec(ctx); err != nil {
			return fmt.Errorf("notification: mark read: %w", err)
		}
		err := tx.NewSelect().Model(&n).Where("id = ? AND user_id = ?", id, a.UserID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFound("Notification")
		}
		return err
	})
	return n, err
}

// MarkAllRead marks every unread notification of the actor read and returns how many.
func (s *Service) MarkAllRead(ctx context.Context, a *auth.Actor) (int, error) {
	res, err := s.db.W.NewUpdate().Table("notifications").Set("read_at = ?", s.clock.Now()).
		Where("user_id = ? AND read_at IS NULL", a.UserID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("notification: mark all read: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
