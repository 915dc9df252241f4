package ticket

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/settings"
)

// Op is one change to a ticket that Apply makes together with others, in one transaction.
// Each Op checks the actor's right to make it as the matching method does (OpReply as Reply,
// OpAssign as Assign...) and writes the same timeline entry, audit entry and events.
type Op struct {
	action string
	check  func(actor *auth.Actor) error
	apply  func(ctx context.Context, s *Service, tx bun.Tx, t *Ticket, c *change, cfg settings.Values) error
}

// OpStatus moves the ticket to status to through the transition table. Unlike ChangeStatus,
// a ticket already in that status is left as it is, so a batch can say where a ticket should
// end up without failing on the tickets already there.
func OpStatus(to string) Op {
	return Op{
		action: "ticket.status_changed",
		check: func(actor *auth.Actor) error {
			if err := checkStatus(to); err != nil {
				return err
			}
			return requireStatusPermission(actor, to)
		},
		apply: func(ctx context.Context, s *Service, tx bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			if t.Status == to {
				return nil
			}
			return s.moveStatus(ctx, tx, t, c, to, true)
		},
	}
}

// OpPriority sets the priority, as ChangePriority.
func OpPriority(priority string) Op {
	return Op{
		action: "ticket.priority_changed",
		check:  func(actor *auth.Actor) error { return checkPriority(actor, priority) },
		apply: func(_ context.Context, _ *Service, _ bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			setPriority(t, c, priority)
			return nil
		},
	}
}

// OpAssign assigns the ticket, or unassigns it when agentID is nil, as Assign.
func OpAssign(agentID *int64) Op {
	return Op{
		action: "ticket.assigned",
		check:  checkAssign,
		apply: func(ctx context.Context, _ *Service, tx bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			return assign(ctx, tx, t, c, agentID)
		},
	}
}

// OpDepartment moves the ticket to a department, or to none when departmentID is nil, as
// ChangeDepartment.
func OpDepartment(departmentID *int64) Op {
	return Op{
		action: "ticket.department_changed",
		check:  checkDepartment,
		apply: func(ctx context.Context, _ *Service, tx bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			return setDepartment(ctx, tx, t, c, departmentID)
		},
	}
}

// OpAddTags puts tags on the ticket, as AddTags.
func OpAddTags(tagIDs []int64) Op {
	return Op{
		action: tagAction(true),
		check:  func(actor *auth.Actor) error { return checkTags(actor, tagIDs) },
		apply: func(ctx context.Context, _ *Service, tx bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			return changeTags(ctx, tx, t, c, tagIDs, true)
		},
	}
}

// OpRemoveTags takes tags off the ticket, as RemoveTags.
func OpRemoveTags(tagIDs []int64) Op {
	return Op{
		action: tagAction(false),
		check:  func(actor *auth.Actor) error { return checkTags(actor, tagIDs) },
		apply: func(ctx context.Context, _ *Service, tx bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			return changeTags(ctx, tx, t, c, tagIDs, false)
		},
	}
}

// OpReply adds a public reply or an internal note, as Reply.
func OpReply(in ReplyInput) Op {
	return Op{
		action: replyAction(in),
		check:  func(actor *auth.Actor) error { return checkReply(actor, in) },
		apply: func(ctx context.Context, s *Service, tx bun.Tx, t *Ticket, c *change, cfg settings.Values) error {
			_, err := s.addReply(ctx, tx, t, c, in, cfg)
			return err
		},
	}
}

// OpType sets the ticket type, as ChangeType.
func OpType(ticketType string) Op {
	return Op{
		action: "ticket.type_changed",
		check:  func(actor *auth.Actor) error { return checkType(actor, ticketType) },
		apply: func(_ context.Context, _ *Service, _ bun.Tx, t *Ticket, c *change, _ settings.Values) error {
			setType(t, c, ticketType)
			return nil
		},
	}
}

// ChangeType sets the ticket type (question, problem, incident, task). DOMAIN.md has no
// timeline entry for it, so it is audited and announced by TicketUpdated only.
func (s *Service) ChangeType(ctx context.Context, actor *auth.Actor, ticketID int64, ticketType string) (*Ticket, error) {
	return s.Apply(ctx, actor, ticketID, OpType(ticketType))
}

func checkType(actor *auth.Actor, ticketType string) error {
	if !isOneOf(ticketType, Types) {
		return apperr.Invalid("ticket_type", "The selected ticket_type is invalid; use one of: "+strings.Join(Types, ", ")+".")
	}
	if !actor.Can("ticket.edit") {
		return apperr.Forbidden("You may not change the ticket type.")
	}
	return nil
}

func setType(t *Ticket, c *change, ticketType string) {
	if t.TicketType == ticketType {
		return
	}
	c.record("ticket_type", t.TicketType, ticketType)
	t.TicketType = ticketType
	c.updated = true
}

// Plan decides, under the ticket's row lock and inside the transaction, which changes to make
// to the ticket as it now is. Returning none changes nothing.
type Plan func(ctx context.Context, tx bun.Tx, t Ticket) ([]Op, error)

// Batch is a planned set of changes to one ticket. Done, when set, runs in the same
// transaction after the changes are written, with the ticket as written (its updated_at moved
// only when something changed); an error from it undoes everything.
type Batch struct {
	Plan Plan
	Done func(ctx context.Context, tx bun.Tx, t *Ticket) error
}

// Apply makes all of ops, in order, in one transaction: every op's permission and input are
// checked before anything is written, and when one of them fails none is applied. Each op
// leaves the timeline entry, audit entry and events it leaves when made alone; TicketUpdated
// is published once for the batch.
func (s *Service) Apply(ctx context.Context, actor *auth.Actor, ticketID int64, ops ...Op) (*Ticket, error) {
	for _, op := range ops {
		if err := op.check(actor); err != nil {
			return nil, err
		}
	}
	return s.ApplyPlanned(ctx, actor, ticketID, Batch{Plan: func(context.Context, bun.Tx, Ticket) ([]Op, error) { return ops, nil }})
}

// ApplyPlanned is Apply for changes that depend on the ticket's current state: b.Plan sees the
// locked ticket and picks the ops, and b.Done records what was done in the same transaction.
// The rules engine uses it so that a rule's check, its changes and the mark that it acted
// commit together.
func (s *Service) ApplyPlanned(ctx context.Context, actor *auth.Actor, ticketID int64, b Batch) (*Ticket, error) {
	cfg, err := s.setting(ctx)
	if err != nil {
		return nil, err
	}
	return s.mutate(ctx, actor, ticketID, "", func(ctx context.Context, tx bun.Tx, t *Ticket, c *change) error {
		ops, err := b.Plan(ctx, tx, *t)
		if err != nil {
			return err
		}
		for _, op := range ops {
			if err := op.check(actor); err != nil {
				return err
			}
		}
		for _, op := range ops {
			part := &change{actor: actor, now: c.now, action: op.action}
			if err := op.apply(ctx, s, tx, t, part, cfg); err != nil {
				return err
			}
			c.absorb(part)
		}
		c.after = b.Done
		return nil
	})
}
