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

// Followers are staff members who keep an eye on a ticket they may not be assigned to.
// Following is about the follower, not the ticket: it writes no timeline entry, publishes no
// event and leaves the ticket row (and its updated_at) alone; the audit log records it.

// FollowState is whether the actor follows a ticket, and how many people do.
type FollowState struct {
	IsFollowing    bool `json:"is_following"`
	FollowersCount int  `json:"followers_count"`
}

// checkFollow allows staff who may see tickets; a requester follows their ticket by owning it.
func checkFollow(actor *auth.Actor) error {
	if actor.IsCustomer() || !actor.Can("ticket.view") {
		return apperr.Forbidden("You may not follow tickets.")
	}
	return nil
}

// ToggleFollow makes the actor follow the ticket when they do not, and stop when they do.
func (s *Service) ToggleFollow(ctx context.Context, actor *auth.Actor, ticketID int64) (*FollowState, error) {
	return s.follow(ctx, actor, ticketID, nil)
}

// SetFollowing makes the actor follow the ticket, or stop following it; asking for what
// already holds changes nothing and writes nothing.
func (s *Service) SetFollowing(ctx context.Context, actor *auth.Actor, ticketID int64, on bool) (*FollowState, error) {
	return s.follow(ctx, actor, ticketID, &on)
}

// follow sets the actor's follow of the ticket to *want, or flips it when want is nil. The
// ticket row is held with FOR KEY SHARE, so it cannot be deleted under the new follower row;
// a follow changes no ticket column and takes no stronger lock.
func (s *Service) follow(ctx context.Context, actor *auth.Actor, ticketID int64, want *bool) (*FollowState, error) {
	if err := checkFollow(actor); err != nil {
		return nil, err
	}
	var st FollowState
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var t Ticket
		err := tx.NewRaw(`SELECT * FROM tickets WHERE id = ?`+s.db.ForKeyShare(), ticketID).Scan(ctx, &t)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSee(actor, &t)) {
			return apperr.NotFound("Ticket")
		}
		if err != nil {
			return fmt.Errorf("ticket: load %d: %w", ticketID, err)
		}
		following, err := isFollower(ctx, tx, ticketID, actor.UserID)
		if err != nil {
			return err
		}
		on := !following
		if want != nil {
			on = *want
		}
		now := s.clock.Now()
		switch {
		case on && !following:
			// A request racing this one inserts nothing, audits nothing and still reports
			// following.
			res, err := tx.NewRaw(`INSERT INTO ticket_followers (ticket_id, user_id, created_at) VALUES (?, ?, ?)
				ON CONFLICT (ticket_id, user_id) DO NOTHING`, ticketID, actor.UserID, now).Exec(ctx)
			if err != nil {
				return fmt.Errorf("ticket: follow %d: %w", ticketID, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := audit.Record(ctx, tx, actor, "ticket.followed", "ticket", ticketID, nil, map[string]any{"follower_id": actor.UserID}, now); err != nil {
					return err
				}
			}
		case !on && following:
			res, err := tx.NewRaw(`DELETE FROM ticket_followers WHERE ticket_id = ? AND user_id = ?`, ticketID, actor.UserID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("ticket: unfollow %d: %w", ticketID, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := audit.Record(ctx, tx, actor, "ticket.unfollowed", "ticket", ticketID, map[string]any{"follower_id": actor.UserID}, nil, now); err != nil {
					return err
				}
			}
		}
		st.IsFollowing = on
		return tx.NewRaw(`SELECT count(*) FROM ticket_followers WHERE ticket_id = ?`, ticketID).Scan(ctx, &st.FollowersCount)
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// FollowStateOf reports whether the actor follows the ticket and how many people do.
func (s *Service) FollowStateOf(ctx context.Context, actor *auth.Actor, ticketID int64) (*FollowState, error) {
	if err := checkFollow(actor); err != nil {
		return nil, err
	}
	var st FollowState
	var mine int
	err := s.db.R.NewRaw(`SELECT count(*), coalesce(sum(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0)
		FROM ticket_followers WHERE ticket_id = ?`, actor.UserID, ticketID).Scan(ctx, &st.FollowersCount, &mine)
	if err != nil {
		return nil, fmt.Errorf("ticket: follow state %d: %w", ticketID, err)
	}
	st.IsFollowing = mine > 0
	return &st, nil
}

// IsFollower reports whether userID follows the ticket. It checks no rights: inbound mail
// asks it of a sender before threading a message onto the ticket by its subject reference.
func (s *Service) IsFollower(ctx context.Context, ticketID, userID int64) (bool, error) {
	return isFollower(ctx, s.db.R, ticketID, userID)
}

func isFollower(ctx context.Context, idb bun.IDB, ticketID, userID int64) (bool, error) {
	var n int
	if err := idb.NewRaw(`SELECT count(*) FROM ticket_followers WHERE ticket_id = ? AND user_id = ?`, ticketID, userID).Scan(ctx, &n); err != nil {
		return false, fmt.Errorf("ticket: is follower %d: %w", ticketID, err)
	}
	return n > 0, nil
}

// followers lists the people who follow the ticket, by name.
func (s *Service) followers(ctx context.Context, ticketID int64) ([]Person, error) {
	list := []Person{}
	err := s.db.R.NewRaw(`SELECT u.id, u.name FROM ticket_followers f JOIN users u ON u.id = f.user_id
		WHERE f.ticket_id = ? ORDER BY u.name, u.id`, ticketID).Scan(ctx, &list)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket: followers %d: %w", ticketID, err)
	}
	return list, nil
}
