package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Delete removes a ticket for good; its replies, attachments, tags and timeline go with it
// (ON DELETE CASCADE). Only the audit entry remains, holding what the ticket was. No domain
// event covers a deletion, so none is published.
func (s *Service) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("ticket.delete") {
		return apperr.Forbidden("You may not delete tickets.")
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var t Ticket
		err := tx.NewRaw(`SELECT * FROM tickets WHERE id = ?`+s.db.ForUpdate(), id).Scan(ctx, &t)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSee(actor, &t)) {
			return apperr.NotFound("Ticket")
		}
		if err != nil {
			return fmt.Errorf("ticket: load %d: %w", id, err)
		}
		if _, err := tx.NewRaw(`DELETE FROM tickets WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("ticket: delete %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, "ticket.deleted", "ticket", id, map[string]any{
			"reference": t.Reference, "subject": t.Subject, "status": t.Status, "priority": t.Priority,
			"requester_id": t.RequesterID, "assigned_to": t.AssignedTo, "department_id": t.DepartmentID,
		}, nil, s.clock.Now())
	})
}
