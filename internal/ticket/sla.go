package ticket

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/event"
)

// SLA keeps a ticket's SLA fields in step with the rest of the ticket. The service calls it
// inside the transaction of every change, after the change is made and before it is written,
// with the ticket as it was loaded (nil when it is being created) and as it now is; Update may
// set t's SlaPolicyID, due dates and SLA clock (SlaPausedAt, SlaPausedMicros) and nothing
// else. internal/sla implements it; the ticket package only keeps the targets' flags.
type SLA interface {
	Update(ctx context.Context, tx bun.IDB, before, t *Ticket, now time.Time) error
}

func (s *Service) trackSLA(ctx context.Context, tx bun.IDB, before, t *Ticket, now time.Time) error {
	if s.sla == nil {
		return nil
	}
	return s.sla.Update(ctx, tx, before, t, now)
}

// SLA targets, as the SlaBreached and SlaWarning events and the sla_breached activity name them.
const (
	TargetFirstResponse = "first_response"
	TargetResolution    = "resolution"
)

// SLAOutcome is what RecordSLA did.
type SLAOutcome int

const (
	SLANothing  SLAOutcome = iota // the target is not due, already recorded, met or stopped
	SLAWarned                     // the warning fired
	SLABreached                   // the breach fired
)

// slaTarget is one target of a ticket: its due date, whether it is met, and its flags.
type slaTarget struct {
	due              *time.Time
	met              bool
	breached, warned *bool
}

func (t *Ticket) slaTarget(target string) (slaTarget, bool) {
	switch target {
	case TargetFirstResponse:
		return slaTarget{t.FirstResponseDueAt, t.FirstResponseAt != nil, &t.SlaFirstResponseBreached, &t.SlaFirstResponseWarned}, true
	case TargetResolution:
		return slaTarget{t.ResolutionDueAt, false, &t.SlaResolutionBreached, &t.SlaResolutionWarned}, true
	}
	return slaTarget{}, false
}

// SLACheck asks RecordSLA to look at one target of one ticket: to fire its breach when it is
// due, or else its warning when it falls due within WarnWithin.
type SLACheck struct {
	TicketID   int64
	Target     string // TargetFirstResponse or TargetResolution
	WarnWithin time.Duration
}

// RecordSLA fires what is due of the checks, all in one transaction, and returns what it did
// for each check, in order. A breach sets the target's breached flag, writes the sla_breached
// activity and publishes SlaBreached {type}; a warning sets its warned flag and publishes
// SlaWarning {type, minutes_left}. It acts as the system, under the tickets' row locks, and
// decides on the tickets as they are then, so each fires once per ticket and target however
// many sweeps and processes call it at once. A target that is met, stopped (its clock paused
// or the ticket solved) or without a policy fires nothing; a breach spends an unfired warning,
// which would come too late to be of use.
func (s *Service) RecordSLA(ctx context.Context, checks ...SLACheck) ([]SLAOutcome, error) {
	byTicket := make(map[int64][]int, len(checks))
	ids := make([]int64, 0, len(checks))
	for i, ck := range checks {
		byTicket[ck.TicketID] = append(byTicket[ck.TicketID], i)
		ids = append(ids, ck.TicketID)
	}
	outcomes := make([]SLAOutcome, len(checks))
	err := s.mutateEach(ctx, auth.System(), ids, "ticket.sla_warning", func(_ context.Context, _ bun.Tx, t *Ticket, c *change) error {
		for _, i := range byTicket[t.ID] {
			outcomes[i] = recordSLA(t, c, checks[i].Target, checks[i].WarnWithin)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outcomes, nil
}

func recordSLA(t *Ticket, c *change, target string, warnWithin time.Duration) SLAOutcome {
	tg, ok := t.slaTarget(target)
	if !ok || tg.due == nil || tg.met || *tg.breached || t.SlaPausedAt != nil || t.SlaPolicyID == nil || !t.IsOpen {
		return SLANothing
	}
	left := tg.due.Sub(c.now)
	switch {
	case left <= 0:
		c.action = "ticket.sla_breached"
		c.record("sla_"+target+"_breached", false, true)
		*tg.breached, *tg.warned = true, true
		c.activity(t.ID, "sla_breached", map[string]any{"type": target})
		c.emit(event.SlaBreached, map[string]any{"type": target})
		return SLABreached
	case !*tg.warned && left <= warnWithin:
		c.record("sla_"+target+"_warned", false, true)
		*tg.warned = true
		minutes := int((left + time.Minute - 1) / time.Minute)
		c.emit(event.SlaWarning, map[string]any{"type": target, "minutes_left": minutes})
		return SLAWarned
	}
	return SLANothing
}
