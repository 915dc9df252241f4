// Package sla is the SLA engine: business schedules (open hours in a time zone, with
// holidays), the SLA policies that set first-response and resolution targets per priority,
// the Engine that keeps each ticket's due dates and clock as the ticket changes, and the
// Sweeper that fires warnings and breaches as targets fall due.
package sla

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/bizhours"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// Limits on what an admin may enter. A week has room for far fewer sensible intervals, and a
// year for far fewer holidays, than these.
const (
	maxName      = 100
	maxTimezone  = 64
	maxIntervals = 100
	maxHolidays  = 500
)

// BusinessSchedule is a row of business_schedules with its holidays.
type BusinessSchedule struct {
	bun.BaseModel `bun:"table:business_schedules"`

	ID       int64  `bun:"id,pk,autoincrement" json:"id"`
	Name     string `bun:"name" json:"name"`
	Timezone string `bun:"timezone" json:"timezone"`
	// Schedule is stored as JSON, sorted by day and start.
	Schedule  []bizhours.Interval `bun:"schedule" json:"schedule"`
	Holidays  []Holiday           `bun:"-" json:"holidays"`
	CreatedAt time.Time           `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time           `bun:"updated_at" json:"updated_at"`
}

// Holiday is a row of business_holidays.
type Holiday struct {
	bun.BaseModel `bun:"table:business_holidays"`

	ID         int64  `bun:"id,pk,autoincrement" json:"id"`
	ScheduleID int64  `bun:"schedule_id" json:"-"`
	Date       string `bun:"date" json:"date"` // YYYY-MM-DD
	Recurring  bool   `bun:"recurring" json:"recurring"`
	Name       string `bun:"name" json:"name"`
}

// Calculator returns the schedule's business-time calculator.
func (b *BusinessSchedule) Calculator() (*bizhours.Schedule, error) {
	holidays := make([]bizhours.Holiday, len(b.Holidays))
	for i, h := range b.Holidays {
		holidays[i] = bizhours.Holiday{Date: h.Date, Recurring: h.Recurring}
	}
	return bizhours.New(b.Timezone, b.Schedule, holidays)
}

// ScheduleInput is a schedule to create, or the fields of one to change. On update a nil
// field is left as it is; Schedule and Holidays, when set, replace the whole list.
type ScheduleInput struct {
	Name     *string
	Timezone *string
	Schedule *[]bizhours.Interval
	Holidays *[]HolidayInput
}

// HolidayInput is one holiday of a ScheduleInput.
type HolidayInput struct {
	Date      string `json:"date"`
	Recurring bool   `json:"recurring"`
	Name      string `json:"name"`
}

// Schedules reads and changes business schedules.
type Schedules struct {
	db    *db.DB
	clock clock.Clock

	// Changed, when set, is called after every write to a schedule, so that the engine's
	// cache of policies (Engine.Invalidate), which holds when each policy's schedule last
	// changed, sees it at once. It is set while the desk is built.
	Changed func()
}

// changed calls Changed. It is deferred by every write, committed or not (see
// Policies.changed).
func (s *Schedules) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}

// NewSchedules returns the business schedule service.
func NewSchedules(d *db.DB, c clock.Clock) *Schedules {
	return &Schedules{db: d, clock: c}
}

// List returns every business schedule by name, with its holidays.
func (s *Schedules) List(ctx context.Context, actor *auth.Actor) ([]BusinessSchedule, error) {
	if !actor.Can("sla.view") {
		return nil, apperr.Forbidden("You may not view business hours.")
	}
	return load(ctx, s.db.R, 0)
}

// Get returns one business schedule with its holidays.
func (s *Schedules) Get(ctx context.Context, actor *auth.Actor, id int64) (*BusinessSchedule, error) {
	if !actor.Can("sla.view") {
		return nil, apperr.Forbidden("You may not view business hours.")
	}
	return loadOne(ctx, s.db.R, id)
}

// Create adds a business schedule. Name, timezone and schedule are required.
func (s *Schedules) Create(ctx context.Context, actor *auth.Actor, in ScheduleInput) (*BusinessSchedule, error) {
	if !actor.Can("sla.manage") {
		return nil, apperr.Forbidden("You may not manage business hours.")
	}
	now := s.clock.Now()
	b := &BusinessSchedule{CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	for _, f := range []struct {
		name    string
		missing bool
	}{{"name", in.Name == nil}, {"timezone", in.Timezone == nil}, {"schedule", in.Schedule == nil}} {
		if f.missing {
			v.Addf(f.name, "The %s field is required.", f.name)
		}
	}
	apply(&v, b, in)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *BusinessSchedule
	defer s.changed()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return fmt.Errorf("sla: insert schedule: %w", err)
		}
		if err := insertHolidays(ctx, tx, b); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "business_schedule.created", "business_schedule", b.ID, nil, snapshot(b), now); err != nil {
			return err
		}
		var err error
		out, err = loadOne(ctx, tx, b.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the fields that in sets. A change that changes nothing writes nothing.
func (s *Schedules) Update(ctx context.Context, actor *auth.Actor, id int64, in ScheduleInput) (*BusinessSchedule, error) {
	if !actor.Can("sla.manage") {
		return nil, apperr.Forbidden("You may not manage business hours.")
	}
	now := s.clock.Now()
	var out *BusinessSchedule
	defer s.changed()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lock(ctx, s.db, tx, id); err != nil {
			return err
		}
		b, err := loadOne(ctx, tx, id)
		if err != nil {
			return err
		}
		old := snapshot(b)
		var v apperr.Validation
		apply(&v, b, in)
		if err := v.Err(); err != nil {
			return err
		}
		before, after := diff(old, snapshot(b))
		if len(after) > 0 {
			b.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(b).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
				return fmt.Errorf("sla: update schedule: %w", err)
			}
			if in.Holidays != nil {
				if _, err := tx.NewRaw(`DELETE FROM business_holidays WHERE schedule_id = ?`, id).Exec(ctx); err != nil {
					return fmt.Errorf("sla: clear holidays: %w", err)
				}
				if err := insertHolidays(ctx, tx, b); err != nil {
					return err
				}
			}
			if err := audit.Record(ctx, tx, actor, "business_schedule.updated", "business_schedule", id, before, after, now); err != nil {
				return err
			}
		}
		out, err = loadOne(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a business schedule and its holidays. A schedule an SLA policy counts in
// cannot be deleted (a conflict naming the policy).
func (s *Schedules) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("sla.manage") {
		return apperr.Forbidden("You may not manage business hours.")
	}
	now := s.clock.Now()
	defer s.changed()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lock(ctx, s.db, tx, id); err != nil {
			return err
		}
		b, err := loadOne(ctx, tx, id)
		if err != nil {
			return err
		}
		// A policy being saved with this schedule holds a share lock on its row (see
		// checkPolicyRefs), so lock above waits for it and this sees it.
		var users []string
		if err := tx.NewRaw(`SELECT name FROM sla_policies WHERE business_schedule_id = ? ORDER BY name, id`, id).Scan(ctx, &users); err != nil {
			return fmt.Errorf("sla: policies of schedule %d: %w", id, err)
		}
		if len(users) > 0 {
			return apperr.Conflict(fmt.Sprintf("The business schedule is used by the SLA policy %q; give the policy another schedule first.", users[0]))
		}
		if _, err := tx.NewRaw(`DELETE FROM business_schedules WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("sla: delete schedule: %w", err)
		}
		return audit.Record(ctx, tx, actor, "business_schedule.deleted", "business_schedule", id, snapshot(b), nil, now)
	})
}

// apply validates the fields in sets, copies them onto b, and checks the result as a whole
// with bizhours.New, whose errors name the fields as the request does.
func apply(v *apperr.Validation, b *BusinessSchedule, in ScheduleInput) {
	if in.Name != nil {
		b.Name = strings.TrimSpace(*in.Name)
		v.CheckText("name", b.Name, true, maxName)
	}
	if in.Timezone != nil {
		b.Timezone = strings.TrimSpace(*in.Timezone)
		if utf8.RuneCountInString(b.Timezone) > maxTimezone {
			v.Add("timezone", "The timezone is not a known IANA time zone name.")
		}
	}
	if in.Schedule != nil {
		if len(*in.Schedule) > maxIntervals {
			v.Addf("schedule", "The schedule may have at most %d intervals.", maxIntervals)
		}
		b.Schedule = slices.Clone(*in.Schedule)
	}
	if in.Holidays != nil {
		if len(*in.Holidays) > maxHolidays {
			v.Addf("holidays", "There may be at most %d holidays.", maxHolidays)
		}
		b.Holidays = make([]Holiday, len(*in.Holidays))
		for i, h := range *in.Holidays {
			name := strings.TrimSpace(h.Name)
			v.CheckText(fmt.Sprintf("holidays.%d.name", i), name, false, maxName)
			b.Holidays[i] = Holiday{Date: h.Date, Recurring: h.Recurring, Name: name}
		}
	}
	if v.Has("timezone") || v.Has("schedule") || v.Has("holidays") {
		return
	}
	if _, err := b.Calculator(); err != nil {
		var errs bizhours.Errors
		if !errors.As(err, &errs) {
			v.Add("schedule", err.Error())
			return
		}
		for _, e := range errs {
			v.Add(e.Field, e.Message)
		}
		return
	}
	// Stored in a stable order, so the schedule reads the same however it was sent.
	slices.SortStableFunc(b.Schedule, func(x, y bizhours.Interval) int {
		return cmp.Or(cmp.Compare(x.Day, y.Day), cmp.Compare(x.Start, y.Start))
	})
	slices.SortStableFunc(b.Holidays, func(x, y Holiday) int { return cmp.Compare(x.Date, y.Date) })
}

func insertHolidays(ctx context.Context, tx bun.Tx, b *BusinessSchedule) error {
	for i := range b.Holidays {
		b.Holidays[i].ID = 0
		b.Holidays[i].ScheduleID = b.ID
	}
	if len(b.Holidays) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&b.Holidays).Exec(ctx); err != nil {
		return fmt.Errorf("sla: insert holidays: %w", err)
	}
	return nil
}

// lock takes the schedule's row for update, or reports it not found.
func lock(ctx context.Context, d *db.DB, tx bun.Tx, id int64) error {
	var found int64
	err := tx.NewRaw(`SELECT id FROM business_schedules WHERE id = ?`+d.ForUpdate(), id).Scan(ctx, &found)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFound("Business schedule")
	}
	if err != nil {
		return fmt.Errorf("sla: lock schedule %d: %w", id, err)
	}
	return nil
}

func loadOne(ctx context.Context, idb bun.IDB, id int64) (*BusinessSchedule, error) {
	list, err := load(ctx, idb, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.NotFound("Business schedule")
	}
	return &list[0], nil
}

// load reads the schedule with the given id, or all of them when id is 0, with holidays.
func load(ctx context.Context, idb bun.IDB, id int64) ([]BusinessSchedule, error) {
	list := []BusinessSchedule{}
	q := idb.NewSelect().Model(&list).OrderExpr("name, id")
	var holidays []Holiday
	hq := idb.NewSelect().Model(&holidays).OrderExpr("date, id")
	if id != 0 {
		q = q.Where("id = ?", id)
		hq = hq.Where("schedule_id = ?", id)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("sla: list schedules: %w", err)
	}
	if err := hq.Scan(ctx); err != nil {
		return nil, fmt.Errorf("sla: list holidays: %w", err)
	}
	index := make(map[int64]*BusinessSchedule, len(list))
	for i := range list {
		list[i].Holidays = []Holiday{}
		index[list[i].ID] = &list[i]
	}
	for _, h := range holidays {
		if b := index[h.ScheduleID]; b != nil {
			b.Holidays = append(b.Holidays, h)
		}
	}
	return list, nil
}

// snapshot is a schedule's audited state.
func snapshot(b *BusinessSchedule) map[string]any {
	holidays := make([]map[string]any, len(b.Holidays))
	for i, h := range b.Holidays {
		holidays[i] = map[string]any{"date": h.Date, "recurring": h.Recurring, "name": h.Name}
	}
	return map[string]any{
		"name": b.Name, "timezone": b.Timezone,
		"schedule": slices.Clone(b.Schedule), "holidays": holidays,
	}
}

// diff keeps the keys whose values differ between old and new.
func diff(old, new map[string]any) (map[string]any, map[string]any) {
	before, after := map[string]any{}, map[string]any{}
	for k, nv := range new {
		if fmt.Sprint(old[k]) != fmt.Sprint(nv) {
			before[k], after[k] = old[k], nv
		}
	}
	return before, after
}
