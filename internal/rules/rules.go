// Package rules holds what changes tickets besides people working them one change at a time:
// macros, which an agent applies by hand, and escalation rules and automations, which the
// desk evaluates on a schedule (never on events). Every change they make goes through the
// ticket service, so it leaves the same timeline, audit and events as a person's.
package rules

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// Service manages macros, escalation rules and automations, applies macros and runs rules.
type Service struct {
	db      *db.DB
	clock   clock.Clock
	tickets *ticket.Service
	log     *slog.Logger
}

// NewService returns the rules service. Rules change tickets through tickets.
func NewService(d *db.DB, c clock.Clock, tickets *ticket.Service, log *slog.Logger) *Service {
	return &Service{db: d, clock: c, tickets: tickets, log: log}
}

// Kind is a kind of scheduled rule.
type Kind int

const (
	Escalation Kind = iota + 1 // escalation rules
	Automation                 // automations
)

// kindSpec is what differs between escalation rules and automations.
type kindSpec struct {
	table, applications string
	resource, what      string // audit resource type, name in messages
	viewPerm, manage    string
	conditions, actions map[string]valueKind
	operators           bool
	// openOnly limits a kind to open tickets: escalating a solved ticket means nothing.
	openOnly bool
}

var specs = map[Kind]*kindSpec{
	Escalation: {
		table: "escalation_rules", applications: "escalation_rule_applications",
		resource: "escalation_rule", what: "Escalation rule",
		viewPerm: "escalation.view", manage: "escalation.manage",
		conditions: escalationConditions, actions: escalationActions, openOnly: true,
	},
	Automation: {
		table: "automations", applications: "automation_applications",
		resource: "automation", what: "Automation",
		viewPerm: "automation.view", manage: "automation.manage",
		conditions: automationConditions, actions: automationActions, operators: true,
	},
}

// Rule is an escalation rule or an automation.
type Rule struct {
	ID          int64       `bun:"id,pk,autoincrement" json:"id"`
	Name        string      `bun:"name" json:"name"`
	Description string      `bun:"description" json:"description"`
	IsActive    bool        `bun:"is_active" json:"is_active"`
	Position    int         `bun:"position" json:"position"`
	Conditions  []Condition `bun:"conditions" json:"conditions"`
	Actions     []Action    `bun:"actions" json:"actions"`
	CreatedAt   time.Time   `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time   `bun:"updated_at" json:"updated_at"`
}

// RuleInput is a rule to create, or the fields of one to change. On update a nil field is
// left as it is; Conditions and Actions, when set, replace the whole list.
type RuleInput struct {
	Name        *string
	Description *string
	IsActive    *bool
	Position    *int
	Conditions  *[]Condition
	Actions     *[]Action
}

// ListRules returns every rule of kind k in the order they run.
func (s *Service) ListRules(ctx context.Context, actor *auth.Actor, k Kind) ([]Rule, error) {
	sp := specs[k]
	if !actor.Can(sp.viewPerm) {
		return nil, apperr.Forbidden("You may not view " + strings.ToLower(sp.what) + "s.")
	}
	list := []Rule{}
	if err := s.db.R.NewSelect().Model(&list).ModelTableExpr(sp.table + " AS rule").OrderExpr("position, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("rules: list %s: %w", sp.table, err)
	}
	return list, nil
}

// GetRule returns one rule of kind k.
func (s *Service) GetRule(ctx context.Context, actor *auth.Actor, k Kind, id int64) (*Rule, error) {
	sp := specs[k]
	if !actor.Can(sp.viewPerm) {
		return nil, apperr.Forbidden("You may not view " + strings.ToLower(sp.what) + "s.")
	}
	return loadRule(ctx, s.db.R, sp, id, "")
}

// CreateRule adds a rule of kind k. Name, conditions and actions are required; a rule is
// active unless told otherwise and, without a position, runs after the others.
func (s *Service) CreateRule(ctx context.Context, actor *auth.Actor, k Kind, in RuleInput) (*Rule, error) {
	sp := specs[k]
	if !actor.Can(sp.manage) {
		return nil, apperr.Forbidden("You may not manage " + strings.ToLower(sp.what) + "s.")
	}
	now := s.clock.Now()
	r := &Rule{IsActive: true, CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	for _, f := range []struct {
		name    string
		missing bool
	}{{"name", in.Name == nil}, {"conditions", in.Conditions == nil}, {"actions", in.Actions == nil}} {
		if f.missing {
			v.Addf(f.name, "The %s field is required.", f.name)
		}
	}
	var out *Rule
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := applyRule(ctx, tx, &v, sp, r, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if in.Position == nil {
			if err := tx.NewRaw(`SELECT coalesce(max(position) + 1, 0) FROM `+sp.table).Scan(ctx, &r.Position); err != nil {
				return fmt.Errorf("rules: next position: %w", err)
			}
		}
		if _, err := tx.NewInsert().Model(r).ModelTableExpr(sp.table).Exec(ctx); err != nil {
			return fmt.Errorf("rules: insert %s: %w", sp.resource, err)
		}
		if err := audit.Record(ctx, tx, actor, sp.resource+".created", sp.resource, r.ID, nil, ruleSnapshot(r), now); err != nil {
			return err
		}
		var err error
		out, err = loadRule(ctx, tx, sp, r.ID, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateRule changes the fields that in sets. A change that changes nothing writes nothing.
func (s *Service) UpdateRule(ctx context.Context, actor *auth.Actor, k Kind, id int64, in RuleInput) (*Rule, error) {
	sp := specs[k]
	if !actor.Can(sp.manage) {
		return nil, apperr.Forbidden("You may not manage " + strings.ToLower(sp.what) + "s.")
	}
	now := s.clock.Now()
	var out *Rule
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := loadRule(ctx, tx, sp, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		old := ruleSnapshot(r)
		var v apperr.Validation
		if err := applyRule(ctx, tx, &v, sp, r, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, after := diff(old, ruleSnapshot(r))
		if len(after) > 0 {
			r.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(r).ModelTableExpr(sp.table+" AS rule").WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
				return fmt.Errorf("rules: update %s: %w", sp.resource, err)
			}
			if err := audit.Record(ctx, tx, actor, sp.resource+".updated", sp.resource, id, before, after, now); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRule removes a rule and its record of which tickets it acted on.
func (s *Service) DeleteRule(ctx context.Context, actor *auth.Actor, k Kind, id int64) error {
	sp := specs[k]
	if !actor.Can(sp.manage) {
		return apperr.Forbidden("You may not manage " + strings.ToLower(sp.what) + "s.")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := loadRule(ctx, tx, sp, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM `+sp.table+` WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("rules: delete %s: %w", sp.resource, err)
		}
		return audit.Record(ctx, tx, actor, sp.resource+".deleted", sp.resource, id, ruleSnapshot(r), nil, now)
	})
}

// applyRule validates the fields in sets and copies them onto r. Validation problems go to v;
// the error is for the database failing.
func applyRule(ctx context.Context, tx bun.Tx, v *apperr.Validation, sp *kindSpec, r *Rule, in RuleInput) error {
	if in.Name != nil {
		r.Name = strings.TrimSpace(*in.Name)
		v.CheckText("name", r.Name, true, maxName)
	}
	if in.Description != nil {
		r.Description = strings.TrimSpace(*in.Description)
		v.CheckText("description", r.Description, false, maxDescription)
	}
	if in.IsActive != nil {
		r.IsActive = *in.IsActive
	}
	if in.Position != nil {
		if *in.Position < 0 || *in.Position > maxPosition {
			v.Addf("position", "The position must be a whole number from 0 to %d.", maxPosition)
		}
		r.Position = *in.Position
	}
	ck := newChecker(v)
	var conds []condition
	if in.Conditions != nil {
		conds = ck.parseConditions(*in.Conditions, sp.conditions, sp.operators)
	}
	if in.Actions != nil {
		ck.parseActions(*in.Actions, sp.actions)
	}
	if err := ck.verify(ctx, tx); err != nil {
		return err
	}
	if v.Err() != nil {
		return nil
	}
	if in.Conditions != nil {
		r.Conditions = normalizeConditions(*in.Conditions, conds)
	}
	if in.Actions != nil {
		r.Actions = normalizeActions(*in.Actions)
	}
	return nil
}

// loadRule reads one rule, with lock appended to the query to lock its row.
func loadRule(ctx context.Context, idb bun.IDB, sp *kindSpec, id int64, lock string) (*Rule, error) {
	var r Rule
	err := idb.NewRaw(`SELECT * FROM `+sp.table+` WHERE id = ?`+lock, id).Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound(sp.what)
	}
	if err != nil {
		return nil, fmt.Errorf("rules: load %s %d: %w", sp.resource, id, err)
	}
	return &r, nil
}

func ruleSnapshot(r *Rule) map[string]any {
	return map[string]any{
		"name": r.Name, "description": r.Description, "is_active": r.IsActive, "position": r.Position,
		"conditions": slices.Clone(r.Conditions), "actions": slices.Clone(r.Actions),
	}
}

// diff keeps the keys whose values differ between old and new, compared as JSON would show
// them.
func diff(old, new map[string]any) (map[string]any, map[string]any) {
	before, after := map[string]any{}, map[string]any{}
	for k, nv := range new {
		if jsonOf(old[k]) != jsonOf(nv) {
			before[k], after[k] = old[k], nv
		}
	}
	return before, after
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
