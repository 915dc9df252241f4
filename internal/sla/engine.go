package sla

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/bizhours"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Engine keeps each ticket's SLA policy, due dates and clock in step with the ticket; the
// ticket service calls it inside every change (it implements ticket.SLA).
//
// A target is due when its clock has run for the policy's hours for the ticket's priority.
// The clock starts when the ticket is created and counts calendar time, or business time when
// the policy is business_hours_only. It stops while the ticket is solved (resolved or closed)
// and, when the policy pauses on waiting, while it waits on the customer or is snoozed. So a
// due date is creation + hours + the clock time of the stops so far, and each stop that ends
// pushes the due dates back by its own length: the time that was left is kept, across
// resolving and reopening too.
type Engine struct {
	// fallback counts business time for business-hours policies that name no schedule.
	fallback *bizhours.Schedule

	// active is what ruleFor picks from, so that a ticket change does not query for its
	// policy. Policy and schedule changes through this process invalidate it (Invalidate).
	active cache.Loaded[activePolicies]

	mu        sync.Mutex
	schedules map[int64]cachedSchedule
}

// Invalidate drops the cached policies and schedule calculators, so that the next ticket
// change sees a change made to a policy, its departments or a business schedule at once.
// Policies.Changed and Schedules.Changed call it. The calculators go too because a schedule
// saved twice in one microsecond (a test's clock) keeps its updated_at.
func (e *Engine) Invalidate() {
	e.active.Invalidate()
	e.mu.Lock()
	clear(e.schedules)
	e.mu.Unlock()
}

// cachedSchedule is a stored schedule's calculator, good while the schedule's updated_at is
// the one it was built from.
type cachedSchedule struct {
	updatedAt time.Time
	calc      *bizhours.Schedule
}

// NewEngine returns the engine. fallback is the desk's default business hours.
func NewEngine(fallback *bizhours.Schedule) *Engine {
	return &Engine{fallback: fallback, schedules: map[int64]cachedSchedule{}}
}

// timeline counts a policy's clock time: calendar time or a schedule's business time.
type timeline interface {
	Add(start time.Time, d time.Duration) (time.Time, error)
	Between(a, b time.Time) time.Duration
}

type calendar struct{}

func (calendar) Add(start time.Time, d time.Duration) (time.Time, error) { return start.Add(d), nil }

func (calendar) Between(a, b time.Time) time.Duration { return max(0, b.Sub(a)) }

// rule is what the engine reads of a policy.
type rule struct {
	id             int64
	firstResponse  Hours
	resolution     Hours
	pauseOnWaiting bool
	time           timeline
}

// Update implements ticket.SLA. On create, and when the priority or department changes, it
// attaches the policy that now applies (the department's, else the default) and recomputes
// the due dates of the targets still running; when the ticket's clock stops or restarts it
// records the stop or pushes the due dates back by it. Met and breached targets keep their due
// dates. Any other change costs nothing.
func (e *Engine) Update(ctx context.Context, tx bun.IDB, before, t *ticket.Ticket, now time.Time) error {
	reattach := before == nil || before.Priority != t.Priority || !sameID(before.DepartmentID, t.DepartmentID)
	if !reattach && (t.SlaPolicyID == nil || !clockMayChange(before, t)) {
		return nil
	}
	var r *rule
	var err error
	if reattach {
		r, err = e.ruleFor(ctx, tx, t.DepartmentID, now)
	} else {
		r, err = e.ruleByID(ctx, tx, *t.SlaPolicyID)
	}
	if err != nil {
		return err
	}
	if r == nil {
		// No policy applies (any more): the ticket leaves the SLA, keeping its flags.
		t.SlaPolicyID, t.FirstResponseDueAt, t.ResolutionDueAt, t.SlaPausedAt = nil, nil, nil, nil
		return nil
	}
	recompute := reattach
	t.SlaPolicyID = &r.id
	switch stopped := stopped(t, r); {
	case stopped && t.SlaPausedAt == nil:
		t.SlaPausedAt = &now
	case !stopped && t.SlaPausedAt != nil:
		t.SlaPausedMicros += r.time.Between(*t.SlaPausedAt, pauseEnd(before, t, now)).Microseconds()
		t.SlaPausedAt = nil
		recompute = true
	}
	if recompute {
		paused := time.Duration(t.SlaPausedMicros) * time.Microsecond
		if t.FirstResponseAt == nil && !t.SlaFirstResponseBreached {
			if t.FirstResponseDueAt, err = due(r.time, t.CreatedAt, r.firstResponse, t.Priority, paused); err != nil {
				return err
			}
		}
		if !t.SlaResolutionBreached {
			if t.ResolutionDueAt, err = due(r.time, t.CreatedAt, r.resolution, t.Priority, paused); err != nil {
				return err
			}
		}
	}
	return nil
}

// clockMayChange reports whether the change touched what stops the clock.
func clockMayChange(before, t *ticket.Ticket) bool {
	return before.Status != t.Status || before.IsOpen != t.IsOpen || (before.SnoozedUntil == nil) != (t.SnoozedUntil == nil)
}

// stopped reports whether t's clock is stopped under r.
func stopped(t *ticket.Ticket, r *rule) bool {
	return !t.IsOpen || (r.pauseOnWaiting && (t.Status == ticket.StatusWaitingOnCustomer || t.SnoozedUntil != nil))
}

// pauseEnd is when the stop that ends now ended. A snooze that ran out ended when it ran out,
// however late its wake-up came, if nothing else held the clock.
func pauseEnd(before, t *ticket.Ticket, now time.Time) time.Time {
	if before == nil || before.SnoozedUntil == nil || t.SnoozedUntil != nil || !before.SnoozedUntil.Before(now) ||
		!before.IsOpen || before.Status == ticket.StatusWaitingOnCustomer {
		return now
	}
	if before.SlaPausedAt != nil && before.SnoozedUntil.Before(*before.SlaPausedAt) {
		return *before.SlaPausedAt
	}
	return *before.SnoozedUntil
}

// due is when a target of hours[priority] falls due for a ticket created at created whose
// clock has been stopped for paused; nil when the policy has no target for the priority, or
// when business time never gets there (a schedule closed for ten years).
func due(tl timeline, created time.Time, hours Hours, priority string, paused time.Duration) (*time.Time, error) {
	d, ok := hours.duration(priority)
	if !ok {
		return nil, nil
	}
	at, err := tl.Add(created, d+paused)
	if errors.Is(err, bizhours.ErrHorizon) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sla: due date: %w", err)
	}
	// Stored as UTC to the microsecond, as every time is (SQLite compares them as text).
	at = at.UTC().Truncate(time.Microsecond)
	return &at, nil
}

// policyRow is a policy with its schedule's updated_at, to check the cached calculator.
type policyRow struct {
	ID                 int64      `bun:"id"`
	FirstResponseHours Hours      `bun:"first_response_hours"`
	ResolutionHours    Hours      `bun:"resolution_hours"`
	BusinessHoursOnly  bool       `bun:"business_hours_only"`
	BusinessScheduleID *int64     `bun:"business_schedule_id"`
	PauseOnWaiting     bool       `bun:"pause_on_waiting"`
	ScheduleUpdatedAt  *time.Time `bun:"schedule_updated_at"`
	IsDefault          bool       `bun:"is_default"`
}

// policyColumns are a policyRow's columns in policyTables.
const (
	policyColumns = `p.id, p.first_response_hours, p.resolution_hours, p.business_hours_only,
	p.business_schedule_id, p.pause_on_waiting, s.updated_at AS schedule_updated_at, p.is_default`
	policyTables = `sla_policies p LEFT JOIN business_schedules s ON s.id = p.business_schedule_id`
)

// activePolicies are the active policies as ruleFor picks from them.
type activePolicies struct {
	byDepartment map[int64]*policyRow // the active policy each department is linked to
	byDefault    *policyRow           // the active default policy; nil when there is none
}

// loadActive reads the active policies, each with the departments it covers, in one query so
// that they are read at one moment.
func loadActive(ctx context.Context, tx bun.IDB) (activePolicies, error) {
	var rows []struct {
		policyRow
		DepartmentID *int64 `bun:"department_id"`
	}
	err := tx.NewRaw(`SELECT `+policyColumns+`, d.department_id FROM `+policyTables+`
		LEFT JOIN sla_policy_departments d ON d.policy_id = p.id
		WHERE p.is_active = TRUE ORDER BY p.id`).Scan(ctx, &rows)
	if err != nil {
		return activePolicies{}, fmt.Errorf("sla: load active policies: %w", err)
	}
	a := activePolicies{byDepartment: map[int64]*policyRow{}}
	var last *policyRow
	for i, r := range rows {
		if last == nil || last.ID != r.ID {
			last = &rows[i].policyRow
		}
		// The schema allows one default and one policy per department; should that ever not
		// hold, the lowest id wins, every time.
		if last.IsDefault && a.byDefault == nil {
			a.byDefault = last
		}
		if r.DepartmentID != nil && a.byDepartment[*r.DepartmentID] == nil {
			a.byDepartment[*r.DepartmentID] = last
		}
	}
	return a, nil
}

// ruleFor is the active policy of the department, else the active default policy, or nil.
// The policies come from the cache; a calculator for a schedule from its own cache.
func (e *Engine) ruleFor(ctx context.Context, tx bun.IDB, departmentID *int64, now time.Time) (*rule, error) {
	a, err := e.active.Get(ctx, now, func(ctx context.Context) (activePolicies, error) { return loadActive(ctx, tx) })
	if err != nil {
		return nil, err
	}
	p := a.byDefault
	if departmentID != nil && a.byDepartment[*departmentID] != nil {
		p = a.byDepartment[*departmentID]
	}
	return e.rule(ctx, tx, p)
}

// ruleByID is the ticket's policy, active or not, or nil when it has been deleted.
func (e *Engine) ruleByID(ctx context.Context, tx bun.IDB, id int64) (*rule, error) {
	var rows []policyRow
	if err := tx.NewRaw(`SELECT `+policyColumns+` FROM `+policyTables+` WHERE p.id = ?`, id).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("sla: policy %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return e.rule(ctx, tx, &rows[0])
}

// rule is what the engine reads of p, or nil when p is nil.
func (e *Engine) rule(ctx context.Context, tx bun.IDB, p *policyRow) (*rule, error) {
	if p == nil {
		return nil, nil
	}
	r := &rule{id: p.ID, firstResponse: p.FirstResponseHours, resolution: p.ResolutionHours, pauseOnWaiting: p.PauseOnWaiting, time: calendar{}}
	switch {
	case !p.BusinessHoursOnly:
	case p.BusinessScheduleID == nil || p.ScheduleUpdatedAt == nil:
		r.time = e.fallback
	default:
		calc, err := e.schedule(ctx, tx, *p.BusinessScheduleID, *p.ScheduleUpdatedAt)
		if err != nil {
			return nil, err
		}
		r.time = calc
	}
	return r, nil
}

// schedule returns the calculator of a stored schedule, building it when the schedule has
// changed since it was last built.
func (e *Engine) schedule(ctx context.Context, tx bun.IDB, id int64, updatedAt time.Time) (*bizhours.Schedule, error) {
	e.mu.Lock()
	c, ok := e.schedules[id]
	e.mu.Unlock()
	if ok && c.updatedAt.Equal(updatedAt) {
		return c.calc, nil
	}
	b, err := loadOne(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	calc, err := b.Calculator()
	if err != nil {
		return nil, fmt.Errorf("sla: stored schedule %d is invalid: %w", id, err)
	}
	e.mu.Lock()
	e.schedules[id] = cachedSchedule{updatedAt: b.UpdatedAt, calc: calc}
	e.mu.Unlock()
	return calc, nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
