package rules

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Macro is a named list of changes an agent applies to a ticket at once. It has no trigger and
// no conditions: an agent decides when it applies. A personal macro is seen and used by its
// owner alone; a shared one by every agent. Holders of macro.manage see and manage them all.
type Macro struct {
	bun.BaseModel `bun:"table:macros"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	Name        string    `bun:"name" json:"name"`
	Description string    `bun:"description" json:"description"`
	IsShared    bool      `bun:"is_shared" json:"is_shared"`
	CreatedBy   *int64    `bun:"created_by" json:"created_by"`
	Actions     []Action  `bun:"actions" json:"actions"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at" json:"updated_at"`
}

// MacroInput is a macro to create, or the fields of one to change. On update a nil field is
// left as it is; Actions, when set, replaces the whole list.
type MacroInput struct {
	Name        *string
	Description *string
	IsShared    *bool
	Actions     *[]Action
}

// ListMacros returns the macros the actor may use, by name.
func (s *Service) ListMacros(ctx context.Context, actor *auth.Actor) ([]Macro, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not view macros.")
	}
	list := []Macro{}
	q := s.db.R.NewSelect().Model(&list).OrderExpr("name, id")
	if err := visible(q, actor).Scan(ctx); err != nil {
		return nil, fmt.Errorf("rules: list macros: %w", err)
	}
	return list, nil
}

// GetMacro returns one macro the actor may use.
func (s *Service) GetMacro(ctx context.Context, actor *auth.Actor, id int64) (*Macro, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not view macros.")
	}
	return loadMacro(ctx, s.db.R, actor, id, "")
}

// CreateMacro adds a macro: a personal one with macro.create, a shared one with macro.manage.
func (s *Service) CreateMacro(ctx context.Context, actor *auth.Actor, in MacroInput) (*Macro, error) {
	shared := in.IsShared != nil && *in.IsShared
	switch {
	case shared && !actor.Can("macro.manage"):
		return nil, apperr.Forbidden("You may not create shared macros.")
	case !actor.Can("macro.create") && !actor.Can("macro.manage"):
		return nil, apperr.Forbidden("You may not create macros.")
	}
	now := s.clock.Now()
	m := &Macro{CreatedBy: actor.ActorID(), CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	if in.Name == nil {
		v.Add("name", "The name field is required.")
	}
	if in.Actions == nil {
		v.Add("actions", "The actions field is required.")
	}
	var out *Macro
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := applyMacro(ctx, tx, &v, m, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			return fmt.Errorf("rules: insert macro: %w", err)
		}
		if err := audit.Record(ctx, tx, actor, "macro.created", "macro", m.ID, nil, macroSnapshot(m), now); err != nil {
			return err
		}
		var err error
		out, err = loadMacro(ctx, tx, actor, m.ID, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateMacro changes the fields that in sets. Owners edit their personal macros with
// macro.create; shared macros, other people's, and sharing take macro.manage.
func (s *Service) UpdateMacro(ctx context.Context, actor *auth.Actor, id int64, in MacroInput) (*Macro, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not view macros.")
	}
	now := s.clock.Now()
	var out *Macro
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, err := loadMacro(ctx, tx, actor, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := mayEdit(actor, m); err != nil {
			return err
		}
		if in.IsShared != nil && *in.IsShared && !actor.Can("macro.manage") {
			return apperr.Forbidden("You may not share macros.")
		}
		old := macroSnapshot(m)
		var v apperr.Validation
		if err := applyMacro(ctx, tx, &v, m, in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, after := diff(old, macroSnapshot(m))
		if len(after) > 0 {
			m.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(m).WherePK().ExcludeColumn("id", "created_at", "created_by").Exec(ctx); err != nil {
				return fmt.Errorf("rules: update macro: %w", err)
			}
			if err := audit.Record(ctx, tx, actor, "macro.updated", "macro", id, before, after, now); err != nil {
				return err
			}
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteMacro removes a macro, with the same rights as UpdateMacro.
func (s *Service) DeleteMacro(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("macro.view") {
		return apperr.Forbidden("You may not view macros.")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, err := loadMacro(ctx, tx, actor, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := mayEdit(actor, m); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM macros WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("rules: delete macro: %w", err)
		}
		return audit.Record(ctx, tx, actor, "macro.deleted", "macro", id, macroSnapshot(m), nil, now)
	})
}

// ApplyMacro makes all of a macro's actions on a ticket, in order, in one transaction, with
// the actor's rights: each action needs the permission its change needs on its own (a reply
// needs reply.create), and when one is refused or fails, none is applied.
func (s *Service) ApplyMacro(ctx context.Context, actor *auth.Actor, ticketID, macroID int64) (*ticket.Ticket, error) {
	ops, err := s.MacroOps(ctx, actor, macroID)
	if err != nil {
		return nil, err
	}
	return s.tickets.Apply(ctx, actor, ticketID, ops...)
}

// MacroOps returns the ticket changes of a macro the actor may use, in order, for applying
// it together with other changes in one batch (a workflow's apply_macro does).
func (s *Service) MacroOps(ctx context.Context, actor *auth.Actor, macroID int64) ([]ticket.Op, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not use macros.")
	}
	m, err := loadMacro(ctx, s.db.R, actor, macroID, "")
	if err != nil {
		return nil, err
	}
	ck := newChecker(&apperr.Validation{})
	ck.noCheck = true
	acts := ck.parseActions(m.Actions, macroActions)
	if err := ck.v.Err(); err != nil {
		return nil, fmt.Errorf("rules: stored macro %d does not parse: %w", m.ID, err)
	}
	ops := make([]ticket.Op, 0, len(acts))
	for _, a := range acts {
		op, _ := a.op()
		ops = append(ops, op)
	}
	return ops, nil
}

// visible limits q to the macros the actor may see.
func visible(q *bun.SelectQuery, actor *auth.Actor) *bun.SelectQuery {
	if actor.Can("macro.manage") {
		return q
	}
	return q.Where("(is_shared = TRUE OR created_by = ?)", actor.UserID)
}

// mayEdit says whether the actor may change a macro they can see.
func mayEdit(actor *auth.Actor, m *Macro) error {
	if actor.Can("macro.manage") {
		return nil
	}
	if m.IsShared || m.CreatedBy == nil || *m.CreatedBy != actor.UserID || !actor.Can("macro.create") {
		return apperr.Forbidden("You may not change this macro.")
	}
	return nil
}

func applyMacro(ctx context.Context, tx bun.Tx, v *apperr.Validation, m *Macro, in MacroInput) error {
	if in.Name != nil {
		m.Name = strings.TrimSpace(*in.Name)
		v.CheckText("name", m.Name, true, maxName)
	}
	if in.Description != nil {
		m.Description = strings.TrimSpace(*in.Description)
		v.CheckText("description", m.Description, false, maxDescription)
	}
	if in.IsShared != nil {
		m.IsShared = *in.IsShared
	}
	if in.Actions == nil {
		return nil
	}
	ck := newChecker(v)
	ck.parseActions(*in.Actions, macroActions)
	if err := ck.verify(ctx, tx); err != nil {
		return err
	}
	if v.Err() == nil {
		m.Actions = normalizeActions(*in.Actions)
	}
	return nil
}

// loadMacro reads one macro the actor may see, with lock appended to lock its row.
func loadMacro(ctx context.Context, idb bun.IDB, actor *auth.Actor, id int64, lock string) (*Macro, error) {
	var m Macro
	q := `SELECT * FROM macros WHERE id = ?`
	args := []any{id}
	if !actor.Can("macro.manage") {
		q += ` AND (is_shared = TRUE OR created_by = ?)`
		args = append(args, actor.UserID)
	}
	err := idb.NewRaw(q+lock, args...).Scan(ctx, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("Macro")
	}
	if err != nil {
		return nil, fmt.Errorf("rules: load macro %d: %w", id, err)
	}
	return &m, nil
}

func macroSnapshot(m *Macro) map[string]any {
	return map[string]any{"name": m.Name, "description": m.Description, "is_shared": m.IsShared, "actions": slices.Clone(m.Actions)}
}
