package sla

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Limits on what an admin may enter.
const (
	maxDescription = 1000
	// maxHours is a year of hours: a target further off is no target.
	maxHours          = 8760
	maxWarningMinutes = 7 * 24 * 60
	maxDepartments    = 1000
	// DefaultWarningMinutes is how long before a due date its warning fires, unless the
	// policy says otherwise.
	DefaultWarningMinutes = 30
)

// Hours maps each priority to a target in hours; fractions are allowed (0.25 is 15 minutes).
type Hours map[string]float64

// duration is the target for priority as a duration, to the second; false when there is none.
func (h Hours) duration(priority string) (time.Duration, bool) {
	v, ok := h[priority]
	if !ok {
		return 0, false
	}
	return time.Duration(math.Round(v*3600)) * time.Second, true
}

// Policy is a row of sla_policies with the departments it covers.
type Policy struct {
	bun.BaseModel `bun:"table:sla_policies"`

	ID                 int64  `bun:"id,pk,autoincrement" json:"id"`
	Name               string `bun:"name" json:"name"`
	Description        string `bun:"description" json:"description"`
	FirstResponseHours Hours  `bun:"first_response_hours" json:"first_response_hours"`
	ResolutionHours    Hours  `bun:"resolution_hours" json:"resolution_hours"`
	// BusinessHoursOnly counts the targets in business time: of BusinessScheduleID's schedule,
	// or of the desk's default business hours (Config.Sla.BusinessHours) when that is nil.
	BusinessHoursOnly  bool   `bun:"business_hours_only" json:"business_hours_only"`
	BusinessScheduleID *int64 `bun:"business_schedule_id" json:"business_schedule_id"`
	IsDefault          bool   `bun:"is_default" json:"is_default"`
	// IsActive: an inactive policy is attached to no new ticket.
	IsActive bool `bun:"is_active" json:"is_active"`
	// PauseOnWaiting stops the clock while a ticket waits on the customer or is snoozed.
	PauseOnWaiting bool      `bun:"pause_on_waiting" json:"pause_on_waiting"`
	WarningMinutes int       `bun:"warning_minutes" json:"warning_minutes"`
	DepartmentIDs  []int64   `bun:"-" json:"department_ids"`
	CreatedAt      time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at" json:"updated_at"`
}

// NullableID is an id field that may be sent as null to clear it: Set says it was sent at
// all, and ID is nil for null.
type NullableID struct {
	Set bool
	ID  *int64
}

// PolicyInput is a policy to create, or the fields of one to change. On update a nil field
// (an unset BusinessScheduleID) is left as it is; the hours and DepartmentIDs, when set,
// replace the whole map or list.
type PolicyInput struct {
	Name               *string
	Description        *string
	FirstResponseHours *map[string]float64
	ResolutionHours    *map[string]float64
	BusinessHoursOnly  *bool
	BusinessScheduleID NullableID
	IsDefault          *bool
	IsActive           *bool
	PauseOnWaiting     *bool
	WarningMinutes     *int
	DepartmentIDs      *[]int64
}

// Policies reads and changes SLA policies.
type Policies struct {
	db    *db.DB
	clock clock.Clock
	// businessHoursOnly is what a new policy's business_hours_only is when not given.
	businessHoursOnly bool

	// Changed, when set, is called after every write to a policy or its departments, so that
	// the engine's cache of policies (Engine.Invalidate) sees it at once. It is set while the
	// desk is built.
	Changed func()
}

// changed calls Changed. It is deferred by every write, committed or not: on SQLite a ticket
// change sharing the write's transaction (db.InTx's group commit) may have cached what the
// write wrote before a failed commit undid it.
func (s *Policies) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}

// NewPolicies returns the SLA policy service. businessHoursOnly is the default of a new
// policy's business_hours_only (Config.Sla.BusinessHoursOnly).
func NewPolicies(d *db.DB, c clock.Clock, businessHoursOnly bool) *Policies {
	return &Policies{db: d, clock: c, businessHoursOnly: businessHoursOnly}
}

// List returns every policy by name.
func (s *Policies) List(ctx context.Context, actor *auth.Actor) ([]Policy, error) {
	if !actor.Can("sla.view") {
		return nil, apperr.Forbidden("You may not view SLA policies.")
	}
	return loadPolicies(ctx, s.db.R, 0)
}

// Get returns one policy.
func (s *Policies) Get(ctx context.Context, actor *auth.Actor, id int64) (*Policy, error) {
	if !actor.Can("sla.view") {
		return nil, apperr.Forbidden("You may not view SLA policies.")
	}
	return loadPolicy(ctx, s.db.R, id)
}

// Create adds a policy. Name and both sets of hours are required. A new default policy takes
// over from the previous one.
func (s *Policies) Create(ctx context.Context, actor *auth.Actor, in PolicyInput) (*Policy, error) {
	if !actor.Can("sla.manage") {
		return nil, apperr.Forbidden("You may not manage SLA policies.")
	}
	now := s.clock.Now()
	p := &Policy{
		BusinessHoursOnly: s.businessHoursOnly, IsActive: true, PauseOnWaiting: true,
		WarningMinutes: DefaultWarningMinutes, DepartmentIDs: []int64{}, CreatedAt: now, UpdatedAt: now,
	}
	var v apperr.Validation
	for _, f := range []struct {
		name    string
		missing bool
	}{{"name", in.Name == nil}, {"first_response_hours", in.FirstResponseHours == nil}, {"resolution_hours", in.ResolutionHours == nil}} {
		if f.missing {
			v.Addf(f.name, "The %s field is required.", f.name)
		}
	}
	applyPolicy(&v, p, in)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Policy
	defer s.changed()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkPolicyRefs(ctx, tx, p); err != nil {
			return err
		}
		if err := s.takeDefault(ctx, tx, p); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return policyWriteErr(err, "insert")
		}
		if err := setDepartments(ctx, tx, p); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "sla_policy.created", "sla_policy", p.ID, nil, policySnapshot(p), now); err != nil {
			return err
		}
		var err error
		out, err = loadPolicy(ctx, tx, p.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the fields that in sets. A change that changes nothing writes nothing. The
// tickets already under the policy keep their due dates until they are next recomputed (their
// priority or department changes, or their clock restarts).
func (s *Policies) Update(ctx context.Context, actor *auth.Actor, id int64, in PolicyInput) (*Policy, error) {
	if !actor.Can("sla.manage") {
		return nil, apperr.Forbidden("You may not manage SLA policies.")
	}
	now := s.clock.Now()
	var out *Policy
	defer s.changed()
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		old := policySnapshot(p)
		var v apperr.Validation
		applyPolicy(&v, p, in)
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.checkPolicyRefs(ctx, tx, p); err != nil {
			return err
		}
		before, after := diff(old, policySnapshot(p))
		if len(after) > 0 {
			if err := s.takeDefault(ctx, tx, p); err != nil {
				return err
			}
			p.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(p).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
				return policyWriteErr(err, "update")
			}
			if in.DepartmentIDs != nil {
				if err := setDepartments(ctx, tx, p); err != nil {
					return err
				}
			}
			if err := audit.Record(ctx, tx, actor, "sla_policy.updated", "sla_policy", id, before, after, now); err != nil {
				return err
			}
		}
		out, err = loadPolicy(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a policy. Its tickets keep their due dates and flags but leave the SLA: the
// sweep passes over tickets without a policy.
func (s *Policies) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("sla.manage") {
		return apperr.Forbidden("You may not manage SLA policies.")
	}
	now := s.clock.Now()
	defer s.changed()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM sla_policies WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("sla: delete policy: %w", err)
		}
		return audit.Record(ctx, tx, actor, "sla_policy.deleted", "sla_policy", id, policySnapshot(p), nil, now)
	})
}

// lock takes the policy's row for update and loads it.
func (s *Policies) lock(ctx context.Context, tx bun.Tx, id int64) (*Policy, error) {
	var found int64
	err := tx.NewRaw(`SELECT id FROM sla_policies WHERE id = ?`+s.db.ForUpdate(), id).Scan(ctx, &found)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("SLA policy")
	}
	if err != nil {
		return nil, fmt.Errorf("sla: lock policy %d: %w", id, err)
	}
	return loadPolicy(ctx, tx, id)
}

// applyPolicy validates the fields in sets and copies them onto p.
func applyPolicy(v *apperr.Validation, p *Policy, in PolicyInput) {
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
		v.CheckText("name", p.Name, true, maxName)
	}
	if in.Description != nil {
		p.Description = strings.TrimSpace(*in.Description)
		v.CheckText("description", p.Description, false, maxDescription)
	}
	if in.FirstResponseHours != nil {
		p.FirstResponseHours = checkHours(v, "first_response_hours", *in.FirstResponseHours)
	}
	if in.ResolutionHours != nil {
		p.ResolutionHours = checkHours(v, "resolution_hours", *in.ResolutionHours)
	}
	if in.BusinessHoursOnly != nil {
		p.BusinessHoursOnly = *in.BusinessHoursOnly
	}
	if in.BusinessScheduleID.Set {
		p.BusinessScheduleID = in.BusinessScheduleID.ID
	}
	if in.IsDefault != nil {
		p.IsDefault = *in.IsDefault
	}
	if in.IsActive != nil {
		p.IsActive = *in.IsActive
	}
	if in.PauseOnWaiting != nil {
		p.PauseOnWaiting = *in.PauseOnWaiting
	}
	if in.WarningMinutes != nil {
		p.WarningMinutes = *in.WarningMinutes
		if p.WarningMinutes < 0 || p.WarningMinutes > maxWarningMinutes {
			v.Addf("warning_minutes", "The warning_minutes must be between 0 (no warning) and %d.", maxWarningMinutes)
		}
	}
	if in.DepartmentIDs != nil {
		if len(*in.DepartmentIDs) > maxDepartments {
			v.Addf("department_ids", "A policy may cover at most %d departments.", maxDepartments)
		}
		p.DepartmentIDs = slices.Clone(*in.DepartmentIDs)
	}
}

// checkHours validates a target per priority: every priority, nothing else, each more than
// nothing (at least a second) and at most a year.
func checkHours(v *apperr.Validation, field string, in map[string]float64) Hours {
	out := Hours{}
	for _, p := range ticket.Priorities {
		h, ok := in[p]
		key := field + "." + p
		switch {
		case !ok:
			v.Addf(key, "The %s field is required.", key)
		case h > maxHours:
			v.Addf(key, "The %s field may not be greater than %d hours.", key, maxHours)
		case math.Round(h*3600) < 1:
			v.Addf(key, "The %s field must be a number of hours greater than 0.", key)
		default:
			out[p] = h
		}
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(ticket.Priorities, k) {
			v.Addf(field+"."+k, "%s is not a priority; use %s.", k, strings.Join(ticket.Priorities, ", "))
		}
	}
	return out
}

// checkPolicyRefs checks the schedule and departments p names. The schedule is share-locked
// so that it cannot be deleted before the policy commits, and a department may belong to one
// policy only.
func (s *Policies) checkPolicyRefs(ctx context.Context, tx bun.Tx, p *Policy) error {
	var v apperr.Validation
	if p.BusinessScheduleID != nil {
		var ids []int64
		if err := tx.NewRaw(`SELECT id FROM business_schedules WHERE id = ?`+s.db.ForKeyShare(), *p.BusinessScheduleID).Scan(ctx, &ids); err != nil {
			return fmt.Errorf("sla: check schedule: %w", err)
		}
		if len(ids) == 0 {
			v.Add("business_schedule_id", "The selected business_schedule_id is invalid.")
		}
	}
	seen := map[int64]bool{}
	unique := p.DepartmentIDs[:0:0]
	for i, id := range p.DepartmentIDs {
		field := fmt.Sprintf("department_ids.%d", i)
		if seen[id] {
			continue
		}
		seen[id] = true
		unique = append(unique, id)
		var rows []struct {
			Department int64          `bun:"department"`
			PolicyID   sql.NullInt64  `bun:"policy_id"`
			Policy     sql.NullString `bun:"policy"`
		}
		err := tx.NewRaw(`SELECT d.id AS department, pd.policy_id, p.name AS policy FROM departments d
			LEFT JOIN sla_policy_departments pd ON pd.department_id = d.id
			LEFT JOIN sla_policies p ON p.id = pd.policy_id
			WHERE d.id = ?`, id).Scan(ctx, &rows)
		if err != nil {
			return fmt.Errorf("sla: check department: %w", err)
		}
		switch {
		case len(rows) == 0:
			v.Addf(field, "Department %d does not exist.", id)
		case rows[0].PolicyID.Valid && rows[0].PolicyID.Int64 != p.ID:
			v.Addf(field, "Department %d already has the SLA policy %q.", id, rows[0].Policy.String)
		}
	}
	slices.Sort(unique)
	p.DepartmentIDs = unique
	return v.Err()
}

// takeDefault makes p the only default policy when it is one.
func (s *Policies) takeDefault(ctx context.Context, tx bun.Tx, p *Policy) error {
	if !p.IsDefault {
		return nil
	}
	if _, err := tx.NewRaw(`UPDATE sla_policies SET is_default = FALSE WHERE is_default = TRUE AND id <> ?`, p.ID).Exec(ctx); err != nil {
		return fmt.Errorf("sla: unset the previous default policy: %w", err)
	}
	return nil
}

// policyWriteErr turns the default policy's unique index, which only a concurrent change of
// the default can trip, into a conflict.
func policyWriteErr(err error, op string) error {
	if db.IsUniqueViolation(err) {
		return apperr.Conflict("Another policy was made the default at the same time; try again.")
	}
	return fmt.Errorf("sla: %s policy: %w", op, err)
}

func setDepartments(ctx context.Context, tx bun.Tx, p *Policy) error {
	if _, err := tx.NewRaw(`DELETE FROM sla_policy_departments WHERE policy_id = ?`, p.ID).Exec(ctx); err != nil {
		return fmt.Errorf("sla: clear policy departments: %w", err)
	}
	for _, id := range p.DepartmentIDs {
		if _, err := tx.NewRaw(`INSERT INTO sla_policy_departments (department_id, policy_id) VALUES (?, ?)`, id, p.ID).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.Conflict("A department was given another SLA policy at the same time; try again.")
			}
			return fmt.Errorf("sla: set policy departments: %w", err)
		}
	}
	return nil
}

func loadPolicy(ctx context.Context, idb bun.IDB, id int64) (*Policy, error) {
	list, err := loadPolicies(ctx, idb, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.NotFound("SLA policy")
	}
	return &list[0], nil
}

// loadPolicies reads the policy with the given id, or all of them when id is 0, with their
// departments.
func loadPolicies(ctx context.Context, idb bun.IDB, id int64) ([]Policy, error) {
	list := []Policy{}
	q := idb.NewSelect().Model(&list).OrderExpr("name, id")
	var links []struct {
		DepartmentID int64 `bun:"department_id"`
		PolicyID     int64 `bun:"policy_id"`
	}
	lq := idb.NewSelect().Table("sla_policy_departments").Column("department_id", "policy_id").OrderExpr("department_id")
	if id != 0 {
		q = q.Where("id = ?", id)
		lq = lq.Where("policy_id = ?", id)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("sla: list policies: %w", err)
	}
	if err := lq.Scan(ctx, &links); err != nil {
		return nil, fmt.Errorf("sla: list policy departments: %w", err)
	}
	index := make(map[int64]*Policy, len(list))
	for i := range list {
		list[i].DepartmentIDs = []int64{}
		index[list[i].ID] = &list[i]
	}
	for _, l := range links {
		if p := index[l.PolicyID]; p != nil {
			p.DepartmentIDs = append(p.DepartmentIDs, l.DepartmentID)
		}
	}
	return list, nil
}

// policySnapshot is a policy's audited state.
func policySnapshot(p *Policy) map[string]any {
	return map[string]any{
		"name": p.Name, "description": p.Description,
		"first_response_hours": map[string]float64(p.FirstResponseHours), "resolution_hours": map[string]float64(p.ResolutionHours),
		"business_hours_only": p.BusinessHoursOnly, "business_schedule_id": idValue(p.BusinessScheduleID),
		"is_default": p.IsDefault, "is_active": p.IsActive, "pause_on_waiting": p.PauseOnWaiting,
		"warning_minutes": p.WarningMinutes, "department_ids": slices.Clone(p.DepartmentIDs),
	}
}

// idValue is an optional id as a value, so that snapshots compare ids and not pointers.
func idValue(id *int64) any {
	if id == nil {
		return nil
	}
	return *id
}
