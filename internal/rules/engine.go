package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/notification"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// RunResult says what one run of a kind of rule did.
type RunResult struct {
	Rules   int `json:"rules"`   // active rules evaluated
	Applied int `json:"applied"` // times a rule acted on a ticket
	// Failed counts the times the ticket service refused a rule's actions (say, a status
	// move the transition table does not allow). Nothing of that rule is applied to that
	// ticket, and the refusal is recorded so the rule does not try again until the ticket
	// changes.
	Failed int `json:"failed"`
}

// pageSize is how many candidate tickets one query fetches.
const pageSize = 100

// RunEscalations evaluates every active escalation rule, in position order, against the open
// tickets as they are at now, and lets each rule act on the tickets it matches. A rule acts on
// a ticket once until the ticket changes again. It is meant to run every minute; running it
// again, or from several processes at once, never makes a rule act twice on an unchanged
// ticket. An error is returned only when the database fails; the run can simply be repeated.
func (s *Service) RunEscalations(ctx context.Context, now time.Time) (RunResult, error) {
	return s.run(ctx, Escalation, now)
}

// RunAutomations is RunEscalations for automations, over tickets in any status.
func (s *Service) RunAutomations(ctx context.Context, now time.Time) (RunResult, error) {
	return s.run(ctx, Automation, now)
}

// RunNow runs the rules of kind k at once, for an admin who does not want to wait for the
// schedule.
func (s *Service) RunNow(ctx context.Context, actor *auth.Actor, k Kind) (RunResult, error) {
	if sp := specs[k]; !actor.Can(sp.manage) {
		return RunResult{}, apperr.Forbidden("You may not run " + strings.ToLower(sp.what) + "s.")
	}
	return s.run(ctx, k, s.clock.Now())
}

func (s *Service) run(ctx context.Context, k Kind, now time.Time) (RunResult, error) {
	sp := specs[k]
	var res RunResult
	var list []Rule
	if err := s.db.R.NewSelect().Model(&list).ModelTableExpr(sp.table + " AS rule").Where("is_active = TRUE").OrderExpr("position, id").Scan(ctx); err != nil {
		return res, fmt.Errorf("rules: load %s: %w", sp.table, err)
	}
	for i := range list {
		r := &list[i]
		// Stored rules were validated when saved; parsing again only turns them into their
		// working form. What they name may have been deleted since: a condition on a deleted
		// department matches nothing, and an action naming one is refused by the ticket service.
		ck := newChecker(&apperr.Validation{})
		ck.noCheck = true
		conds := ck.parseConditions(r.Conditions, sp.conditions, sp.operators)
		acts := ck.parseActions(r.Actions, sp.actions)
		if err := ck.v.Err(); err != nil {
			s.log.Error("escalated: stored rule does not parse; skipped", "kind", sp.resource, "rule", r.ID, "err", err)
			continue
		}
		res.Rules++
		var after int64
		for {
			ids, err := s.candidates(ctx, sp, r.ID, conds, now, after)
			if err != nil {
				return res, err
			}
			for _, id := range ids {
				acted, seen, err := s.act(ctx, sp, r, conds, acts, id, now)
				var ae *apperr.Error
				switch {
				case err == nil && acted:
					res.Applied++
				case err == nil, !acted && errors.As(err, &ae):
					// Passed by: not matching, already acted on, or the ticket is gone.
				case errors.As(err, &ae):
					res.Failed++
					s.log.Warn("escalated: rule actions refused", "kind", sp.resource, "rule", r.ID, "ticket", id, "err", err)
					if err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
						return mark(ctx, tx, sp, r.ID, id, seen, now, ae.Error())
					}); err != nil {
						return res, err
					}
				default:
					return res, err
				}
			}
			if len(ids) < pageSize {
				break
			}
			after = ids[len(ids)-1]
		}
	}
	return res, nil
}

// candidates returns, in id order after the id after, tickets that may meet every condition
// of the rule and that the rule has not acted on since they last changed.
func (s *Service) candidates(ctx context.Context, sp *kindSpec, ruleID int64, conds []condition, now time.Time, after int64) ([]int64, error) {
	q := s.db.R.NewSelect().TableExpr("tickets AS t").ColumnExpr("t.id").Where("t.id > ?", after)
	if sp.openOnly {
		q = q.Where("t.is_open = TRUE")
	}
	for _, c := range conds {
		q = c.where(q, s.db, now)
	}
	q = q.Where(`NOT EXISTS (SELECT 1 FROM `+sp.applications+` AS a
		WHERE a.rule_id = ? AND a.ticket_id = t.id AND a.ticket_updated_at >= t.updated_at)`, ruleID)
	var ids []int64
	if err := q.OrderExpr("t.id").Limit(pageSize).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("rules: candidates of %s %d: %w", sp.resource, ruleID, err)
	}
	return ids, nil
}

// act lets one rule act on one ticket, as the system, in one transaction that holds the
// ticket's row lock: it checks again that the rule has not acted since the ticket last
// changed and that the conditions hold for the ticket as it now is, makes the changes, leaves
// the notifications and records that the rule acted. Two runs racing for the ticket are
// serialised by the lock, and the second finds the first one's record. It reports whether the
// rule's conditions held, and the ticket's updated_at it saw.
func (s *Service) act(ctx context.Context, sp *kindSpec, r *Rule, conds []condition, acts []action, ticketID int64, now time.Time) (bool, time.Time, error) {
	var ops []ticket.Op
	var notify []action
	for _, a := range acts {
		if op, ok := a.op(); ok {
			ops = append(ops, op)
		} else {
			notify = append(notify, a)
		}
	}
	var seen time.Time
	acted := false
	_, err := s.tickets.ApplyPlanned(ctx, auth.System(), ticketID, ticket.Batch{
		Plan: func(ctx context.Context, tx bun.Tx, t ticket.Ticket) ([]ticket.Op, error) {
			seen = t.UpdatedAt
			n, err := tx.NewSelect().TableExpr(sp.applications).
				Where("rule_id = ? AND ticket_id = ? AND ticket_updated_at >= ?", r.ID, t.ID, t.UpdatedAt).Count(ctx)
			if err != nil {
				return nil, fmt.Errorf("rules: read applications: %w", err)
			}
			if n > 0 || (sp.openOnly && !t.IsOpen) || !holdsAll(conds, &t, now) {
				return nil, nil
			}
			acted = true
			return ops, nil
		},
		Done: func(ctx context.Context, tx bun.Tx, t *ticket.Ticket) error {
			if !acted {
				return nil
			}
			if err := s.notify(ctx, tx, r, notify, t, now); err != nil {
				return err
			}
			// A change made by a rule is not the ticket "changing again" for the other rules:
			// rules that were up to date with the ticket stay so. Otherwise two rules that
			// both add a note would take turns acting on the ticket for ever.
			if t.UpdatedAt.After(seen) {
				for _, other := range specs {
					if _, err := tx.NewRaw(`UPDATE `+other.applications+` SET ticket_updated_at = ?
						WHERE ticket_id = ? AND ticket_updated_at >= ?`, t.UpdatedAt, t.ID, seen).Exec(ctx); err != nil {
						return fmt.Errorf("rules: carry applications forward: %w", err)
					}
				}
			}
			return mark(ctx, tx, sp, r.ID, t.ID, t.UpdatedAt, now, "")
		},
	})
	return acted, seen, err
}

// mark records that rule ruleID acted on (or, with a message, failed to act on) the ticket as
// it was at ticketUpdatedAt. A mark never moves back: a late failure does not undo a later
// success of another process.
func mark(ctx context.Context, tx bun.Tx, sp *kindSpec, ruleID, ticketID int64, ticketUpdatedAt, now time.Time, failure string) error {
	_, err := tx.NewRaw(`INSERT INTO `+sp.applications+` (rule_id, ticket_id, ticket_updated_at, applied_at, error)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (rule_id, ticket_id) DO UPDATE SET ticket_updated_at = excluded.ticket_updated_at,
			applied_at = excluded.applied_at, error = excluded.error
		WHERE `+sp.applications+`.ticket_updated_at <= excluded.ticket_updated_at`,
		ruleID, ticketID, ticketUpdatedAt, now, truncate(failure, 1000)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("rules: record application: %w", err)
	}
	return nil
}

// notify writes the notifications of a rule's notify actions: one per recipient who is still
// an active agent, the assignee being whoever holds the ticket after the rule's changes.
func (s *Service) notify(ctx context.Context, tx bun.Tx, r *Rule, acts []action, t *ticket.Ticket, now time.Time) error {
	var to []int64
	for _, a := range acts {
		to = append(to, a.recipients...)
		if a.assignee && t.AssignedTo != nil {
			to = append(to, *t.AssignedTo)
		}
	}
	if len(to) == 0 {
		return nil
	}
	_, err := notification.ToStaff(ctx, tx, to, notification.Note{
		Type: notification.TypeEscalation, TicketID: &t.ID,
		Data: map[string]any{"rule_id": r.ID, "rule_name": r.Name, "reference": t.Reference, "subject": t.Subject},
	}, now)
	return err
}

func truncate(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max])
}
