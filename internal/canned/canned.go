// Package canned keeps canned responses: texts an agent inserts into a reply or note instead
// of typing them again. A personal one is seen by its owner alone, a shared one by every
// agent, as with macros, and the same permissions govern them: macro.view to read and use
// them, macro.create to keep personal ones, macro.manage for shared ones and other people's.
package canned

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// Text limits: a title is one line, a body fits in a reply.
const (
	maxTitle    = 255
	maxCategory = 100
	maxBody     = 65535
)

// Creator is who made a canned response.
type Creator struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Response is a row of the canned_responses table. Body is plain text, as replies are; it
// is shown escaped and never rendered as HTML.
type Response struct {
	bun.BaseModel `bun:"table:canned_responses"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	Title     string    `bun:"title" json:"title"`
	Body      string    `bun:"body" json:"body"`
	Category  string    `bun:"category" json:"category"`
	IsShared  bool      `bun:"is_shared" json:"is_shared"`
	CreatedBy *int64    `bun:"created_by" json:"created_by"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
	// CreatorName is read with the row; Creator is built from it.
	CreatorName sql.NullString `bun:"creator_name,scanonly" json:"-"`
	Creator     *Creator       `bun:"-" json:"creator"`
}

// Input is a canned response to create, or the fields of one to change; on update a nil
// field is left as it is.
type Input struct {
	Title    *string `json:"title"`
	Body     *string `json:"body"`
	Category *string `json:"category"`
	IsShared *bool   `json:"is_shared"`
}

// Service reads and changes canned responses.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns the canned-response service.
func NewService(d *db.DB, c clock.Clock) *Service {
	return &Service{db: d, clock: c}
}

// List returns the canned responses the actor may use, by category and title.
func (s *Service) List(ctx context.Context, actor *auth.Actor) ([]Response, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not view canned responses.")
	}
	return load(ctx, s.db.R, actor, 0, "")
}

// Get returns one canned response the actor may use.
func (s *Service) Get(ctx context.Context, actor *auth.Actor, id int64) (*Response, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not view canned responses.")
	}
	return loadOne(ctx, s.db.R, actor, id, "")
}

// Create adds a canned response: a personal one with macro.create, a shared one with
// macro.manage.
func (s *Service) Create(ctx context.Context, actor *auth.Actor, in Input) (*Response, error) {
	shared := in.IsShared != nil && *in.IsShared
	switch {
	case shared && !actor.Can("macro.manage"):
		return nil, apperr.Forbidden("You may not create shared canned responses.")
	case !actor.Can("macro.create") && !actor.Can("macro.manage"):
		return nil, apperr.Forbidden("You may not create canned responses.")
	}
	now := s.clock.Now()
	c := &Response{CreatedBy: actor.ActorID(), CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	if in.Title == nil {
		v.Add("title", "The title field is required.")
	}
	if in.Body == nil {
		v.Add("body", "The body field is required.")
	}
	apply(&v, c, in)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Response
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("canned: insert: %w", err)
		}
		if err := audit.Record(ctx, tx, actor, "canned_response.created", "canned_response", c.ID, nil, snapshot(c), now); err != nil {
			return err
		}
		var err error
		out, err = loadOne(ctx, tx, actor, c.ID, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the fields that in sets. Owners edit their personal ones with macro.create;
// shared ones, other people's, and sharing take macro.manage. A change that changes nothing
// writes nothing.
func (s *Service) Update(ctx context.Context, actor *auth.Actor, id int64, in Input) (*Response, error) {
	if !actor.Can("macro.view") {
		return nil, apperr.Forbidden("You may not view canned responses.")
	}
	now := s.clock.Now()
	var out *Response
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := loadOne(ctx, tx, actor, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := mayEdit(actor, c); err != nil {
			return err
		}
		if in.IsShared != nil && *in.IsShared && !actor.Can("macro.manage") {
			return apperr.Forbidden("You may not share canned responses.")
		}
		old := snapshot(c)
		var v apperr.Validation
		apply(&v, c, in)
		if err := v.Err(); err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{}
		for k, nv := range snapshot(c) {
			if old[k] != nv {
				before[k], after[k] = old[k], nv
			}
		}
		if len(after) > 0 {
			c.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(c).WherePK().Column("title", "body", "category", "is_shared", "updated_at").Exec(ctx); err != nil {
				return fmt.Errorf("canned: update: %w", err)
			}
			if err := audit.Record(ctx, tx, actor, "canned_response.updated", "canned_response", id, before, after, now); err != nil {
				return err
			}
		}
		out, err = loadOne(ctx, tx, actor, id, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a canned response, with the same rights as Update.
func (s *Service) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("macro.view") {
		return apperr.Forbidden("You may not view canned responses.")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := loadOne(ctx, tx, actor, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := mayEdit(actor, c); err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM canned_responses WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("canned: delete: %w", err)
		}
		return audit.Record(ctx, tx, actor, "canned_response.deleted", "canned_response", id, snapshot(c), nil, now)
	})
}

// mayEdit says whether the actor may change a canned response they can see.
func mayEdit(actor *auth.Actor, c *Response) error {
	if actor.Can("macro.manage") {
		return nil
	}
	if c.IsShared || c.CreatedBy == nil || *c.CreatedBy != actor.UserID || !actor.Can("macro.create") {
		return apperr.Forbidden("You may not change this canned response.")
	}
	return nil
}

// apply validates the fields in sets and copies them onto c. Title and category are trimmed;
// the body is kept as written, since its spacing is part of the text.
func apply(v *apperr.Validation, c *Response, in Input) {
	if in.Title != nil {
		c.Title = strings.TrimSpace(*in.Title)
		v.CheckText("title", c.Title, true, maxTitle)
	}
	if in.Body != nil {
		c.Body = *in.Body
		v.CheckText("body", c.Body, true, maxBody)
	}
	if in.Category != nil {
		c.Category = strings.TrimSpace(*in.Category)
		v.CheckText("category", c.Category, false, maxCategory)
	}
	if in.IsShared != nil {
		c.IsShared = *in.IsShared
	}
}

func loadOne(ctx context.Context, idb bun.IDB, actor *auth.Actor, id int64, lock string) (*Response, error) {
	list, err := load(ctx, idb, actor, id, lock)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.NotFound("Canned response")
	}
	return &list[0], nil
}

// load reads the canned responses the actor may see: the one with the given id, or all of
// them when id is 0, with the creator's name. With lock (appended to lock the row) the
// creator is left out, so only the canned_responses row is locked.
func load(ctx context.Context, idb bun.IDB, actor *auth.Actor, id int64, lock string) ([]Response, error) {
	q := `SELECT c.*, u.name AS creator_name FROM canned_responses c LEFT JOIN users u ON u.id = c.created_by WHERE 1 = 1`
	var args []any
	if id != 0 {
		q += ` AND c.id = ?`
		args = append(args, id)
	}
	if !actor.Can("macro.manage") {
		q += ` AND (c.is_shared = TRUE OR c.created_by = ?)`
		args = append(args, actor.UserID)
	}
	q += ` ORDER BY c.category, lower(c.title), c.id`
	if lock != "" {
		// A locking read of a join would lock the creator's users row too.
		q = strings.Replace(q, " LEFT JOIN users u ON u.id = c.created_by", "", 1)
		q = strings.Replace(q, ", u.name AS creator_name", "", 1)
		q += lock
	}
	list := []Response{}
	if err := idb.NewRaw(q, args...).Scan(ctx, &list); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("canned: list: %w", err)
	}
	for i := range list {
		c := &list[i]
		if c.CreatedBy != nil && c.CreatorName.Valid {
			c.Creator = &Creator{ID: *c.CreatedBy, Name: c.CreatorName.String}
		}
	}
	return list, nil
}

// snapshot is a canned response's audited state.
func snapshot(c *Response) map[string]any {
	return map[string]any{"title": c.Title, "body": c.Body, "category": c.Category, "is_shared": c.IsShared}
}
