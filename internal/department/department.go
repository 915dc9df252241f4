// Package department manages departments, the teams tickets are routed to, and which agents
// belong to each.
package department

import (
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
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/slug"
)

// Limits on what an admin may enter.
const (
	maxName        = 100
	maxDescription = 1000
	maxAgents      = 1000
)

// Department is a row of the departments table with its agents and how many tickets it holds.
type Department struct {
	bun.BaseModel `bun:"table:departments"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	Name         string    `bun:"name" json:"name"`
	Slug         string    `bun:"slug" json:"slug"`
	Description  string    `bun:"description" json:"description"`
	IsActive     bool      `bun:"is_active" json:"is_active"`
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at" json:"updated_at"`
	TicketsCount int       `bun:"tickets_count,scanonly" json:"tickets_count"`
	AgentsCount  int       `bun:"-" json:"agents_count"`
	Agents       []Agent   `bun:"-" json:"agents"`
}

// Agent is a member of a department as the department shows it.
type Agent struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Input is a department to create, or the fields of one to change. On update a nil field is
// left as it is; AgentIDs, when set, replaces the department's agents.
type Input struct {
	Name        *string  `json:"name"`
	Slug        *string  `json:"slug"`
	Description *string  `json:"description"`
	IsActive    *bool    `json:"is_active"`
	AgentIDs    *[]int64 `json:"agent_ids"`
}

// Service reads and changes departments.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns the department service.
func NewService(d *db.DB, c clock.Clock) *Service {
	return &Service{db: d, clock: c}
}

// List returns every department by name, with its agents and ticket count.
func (s *Service) List(ctx context.Context, actor *auth.Actor) ([]Department, error) {
	if !actor.Can("department.view") {
		return nil, apperr.Forbidden("You may not view departments.")
	}
	return load(ctx, s.db.R, 0)
}

// Name is a department as a picker shows it: no agents, no ticket count.
type Name struct {
	ID       int64  `bun:"id"`
	Name     string `bun:"name"`
	IsActive bool   `bun:"is_active"`
}

// Names lists every department by name, cheaply, for the pickers of pages whose routes hold
// their own permission; it counts no tickets.
func (s *Service) Names(ctx context.Context) ([]Name, error) {
	var out []Name
	if err := s.db.R.NewSelect().Table("departments").Column("id", "name", "is_active").OrderExpr("name, id").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("department: names: %w", err)
	}
	return out, nil
}

// Get returns one department with its agents and ticket count.
func (s *Service) Get(ctx context.Context, actor *auth.Actor, id int64) (*Department, error) {
	if !actor.Can("department.view") {
		return nil, apperr.Forbidden("You may not view departments.")
	}
	return loadOne(ctx, s.db.R, id)
}

// Create adds a department. Without a slug, one is made from the name.
func (s *Service) Create(ctx context.Context, actor *auth.Actor, in Input) (*Department, error) {
	if !actor.Can("department.create") {
		return nil, apperr.Forbidden("You may not create departments.")
	}
	now := s.clock.Now()
	d := &Department{IsActive: true, CreatedAt: now, UpdatedAt: now}
	var agents []int64
	var v apperr.Validation
	if in.Name == nil {
		v.Add("name", "The name field is required.")
	}
	apply(&v, d, &agents, in)
	var out *Department
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.checkRefs(ctx, tx, &v, d, in.AgentIDs != nil, agents); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return writeErr(err, "insert")
		}
		if err := setAgents(ctx, tx, d.ID, agents); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "department.created", "department", d.ID, nil, snapshot(d, agents), now); err != nil {
			return err
		}
		var err error
		out, err = loadOne(ctx, tx, d.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the fields that in sets. An empty slug makes a new one from the name.
// A change that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, actor *auth.Actor, id int64, in Input) (*Department, error) {
	if !actor.Can("department.edit") {
		return nil, apperr.Forbidden("You may not edit departments.")
	}
	now := s.clock.Now()
	var out *Department
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		d, err := lock(ctx, s.db, tx, id)
		if err != nil {
			return err
		}
		agents, err := agentIDs(ctx, tx, id)
		if err != nil {
			return err
		}
		old := snapshot(d, agents)
		var v apperr.Validation
		apply(&v, d, &agents, in)
		if err := s.checkRefs(ctx, tx, &v, d, in.AgentIDs != nil, agents); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, after := diff(old, snapshot(d, agents))
		if len(after) > 0 {
			d.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(d).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
				return writeErr(err, "update")
			}
			if in.AgentIDs != nil {
				if _, err := tx.NewRaw(`DELETE FROM department_agents WHERE department_id = ?`, id).Exec(ctx); err != nil {
					return fmt.Errorf("department: clear agents: %w", err)
				}
				if err := setAgents(ctx, tx, id, agents); err != nil {
					return err
				}
			}
			if err := audit.Record(ctx, tx, actor, "department.updated", "department", id, before, after, now); err != nil {
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

// Delete removes a department and its agent memberships. Its tickets are not deleted: the
// tickets.department_id foreign key is ON DELETE SET NULL, so they are left without a
// department. That happens in the database, outside the ticket write path, so those tickets
// get no department_changed activity or event; the audit row of the deletion records how
// many tickets were detached instead.
func (s *Service) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("department.delete") {
		return apperr.Forbidden("You may not delete departments.")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		d, err := lock(ctx, s.db, tx, id)
		if err != nil {
			return err
		}
		agents, err := agentIDs(ctx, tx, id)
		if err != nil {
			return err
		}
		var tickets int
		if err := tx.NewRaw(`SELECT count(*) FROM tickets WHERE department_id = ?`, id).Scan(ctx, &tickets); err != nil {
			return fmt.Errorf("department: count tickets: %w", err)
		}
		if _, err := tx.NewRaw(`DELETE FROM departments WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("department: delete: %w", err)
		}
		return audit.Record(ctx, tx, actor, "department.deleted", "department", id,
			snapshot(d, agents), map[string]any{"tickets_detached": tickets}, now)
	})
}

// apply validates the fields in sets and copies them onto d and agents.
func apply(v *apperr.Validation, d *Department, agents *[]int64, in Input) {
	if in.Name != nil {
		d.Name = strings.TrimSpace(*in.Name)
		v.CheckText("name", d.Name, true, maxName)
	}
	switch {
	case in.Slug != nil && strings.TrimSpace(*in.Slug) != "":
		d.Slug = strings.TrimSpace(*in.Slug)
		if !slug.Valid(d.Slug) || utf8.RuneCountInString(d.Slug) > maxName {
			v.Addf("slug", "The slug must be at most %d lower-case letters or digits joined by single hyphens.", maxName)
		}
	case in.Slug != nil || d.ID == 0:
		d.Slug = slug.Make(d.Name)
		if d.Slug == "" && !v.Has("name") {
			v.Add("slug", "The slug could not be made from the name; give one.")
		}
	}
	if in.Description != nil {
		d.Description = strings.TrimSpace(*in.Description)
		v.CheckText("description", d.Description, false, maxDescription)
	}
	if in.IsActive != nil {
		d.IsActive = *in.IsActive
	}
	if in.AgentIDs != nil {
		ids := slices.Clone(*in.AgentIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		switch {
		case len(ids) > maxAgents:
			v.Addf("agent_ids", "At most %d agents may belong to a department.", maxAgents)
		case len(ids) > 0 && ids[0] < 1:
			v.Add("agent_ids", "The agent_ids must be user ids.")
		}
		*agents = ids
	}
}

// checkRefs adds to v, inside the writing transaction, a slug another department has and,
// when the agents are being set, any that is not an active staff account. It returns only
// database errors.
func (s *Service) checkRefs(ctx context.Context, tx bun.Tx, v *apperr.Validation, d *Department, agentsSet bool, agents []int64) error {
	if !v.Has("slug") && d.Slug != "" {
		var n int
		if err := tx.NewRaw(`SELECT count(*) FROM departments WHERE slug = ? AND id <> ?`, d.Slug, d.ID).Scan(ctx, &n); err != nil {
			return fmt.Errorf("department: check slug: %w", err)
		}
		if n > 0 {
			v.Add("slug", "The slug has already been taken.")
		}
	}
	if !agentsSet || len(agents) == 0 || v.Has("agent_ids") {
		return nil
	}
	// Locking the users keeps them from being deleted or demoted before the memberships commit.
	var found []int64
	err := tx.NewRaw(`SELECT id FROM users WHERE id IN (?) AND is_active = TRUE AND role <> ?`+s.db.ForUpdate(),
		bun.In(agents), auth.RoleCustomer).Scan(ctx, &found)
	if err != nil {
		return fmt.Errorf("department: check agents: %w", err)
	}
	var bad []string
	for _, id := range agents {
		if !slices.Contains(found, id) {
			bad = append(bad, fmt.Sprint(id))
		}
	}
	if len(bad) > 0 {
		v.Addf("agent_ids", "The agent_ids must be active agents; these are not: %s.", strings.Join(bad, ", "))
	}
	return nil
}

// writeErr turns a unique violation that slipped past checkRefs (two writers at once) into
// the same error checkRefs gives.
func writeErr(err error, op string) error {
	if db.IsUniqueViolation(err) {
		return apperr.Invalid("slug", "The slug has already been taken.")
	}
	return fmt.Errorf("department: %s: %w", op, err)
}

func setAgents(ctx context.Context, tx bun.Tx, id int64, agents []int64) error {
	for _, uid := range agents {
		if _, err := tx.NewRaw(`INSERT INTO department_agents (department_id, user_id) VALUES (?, ?)`, id, uid).Exec(ctx); err != nil {
			return fmt.Errorf("department: add agent: %w", err)
		}
	}
	return nil
}

// lock loads a department's row for update, or reports it not found.
func lock(ctx context.Context, d *db.DB, tx bun.Tx, id int64) (*Department, error) {
	var dep Department
	err := tx.NewRaw(`SELECT * FROM departments WHERE id = ?`+d.ForUpdate(), id).Scan(ctx, &dep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("Department")
	}
	if err != nil {
		return nil, fmt.Errorf("department: load %d: %w", id, err)
	}
	return &dep, nil
}

func agentIDs(ctx context.Context, idb bun.IDB, id int64) ([]int64, error) {
	ids := []int64{}
	if err := idb.NewRaw(`SELECT user_id FROM department_agents WHERE department_id = ? ORDER BY user_id`, id).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("department: load agents: %w", err)
	}
	return ids, nil
}

func loadOne(ctx context.Context, idb bun.IDB, id int64) (*Department, error) {
	list, err := load(ctx, idb, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.NotFound("Department")
	}
	return &list[0], nil
}

// load reads the department with the given id, or all of them when id is 0, with their
// ticket counts and agents.
func load(ctx context.Context, idb bun.IDB, id int64) ([]Department, error) {
	departments := `SELECT d.*, (SELECT count(*) FROM tickets t WHERE t.department_id = d.id) AS tickets_count
		FROM departments d`
	members := `SELECT da.department_id, u.id, u.name FROM department_agents da JOIN users u ON u.id = da.user_id`
	var args []any
	if id != 0 {
		departments += ` WHERE d.id = ?`
		members += ` WHERE da.department_id = ?`
		args = append(args, id)
	}
	list := []Department{}
	if err := idb.NewRaw(departments+` ORDER BY d.name, d.id`, args...).Scan(ctx, &list); err != nil {
		return nil, fmt.Errorf("department: list: %w", err)
	}
	var agents []struct {
		DepartmentID int64  `bun:"department_id"`
		ID           int64  `bun:"id"`
		Name         string `bun:"name"`
	}
	if err := idb.NewRaw(members+` ORDER BY u.name, u.id`, args...).Scan(ctx, &agents); err != nil {
		return nil, fmt.Errorf("department: list agents: %w", err)
	}
	index := make(map[int64]*Department, len(list))
	for i := range list {
		list[i].Agents = []Agent{}
		index[list[i].ID] = &list[i]
	}
	for _, m := range agents {
		if d := index[m.DepartmentID]; d != nil {
			d.Agents = append(d.Agents, Agent{ID: m.ID, Name: m.Name})
			d.AgentsCount++
		}
	}
	return list, nil
}

// snapshot is a department's audited state.
func snapshot(d *Department, agents []int64) map[string]any {
	return map[string]any{
		"name": d.Name, "slug": d.Slug, "description": d.Description, "is_active": d.IsActive,
		"agent_ids": append([]int64{}, agents...),
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
