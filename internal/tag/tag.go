// Package tag manages the tags agents put on tickets.
package tag

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
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

const maxName = 50

var colorPattern = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// Tag is a row of the tags table with the number of tickets that carry it.
type Tag struct {
	bun.BaseModel `bun:"table:tags"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	Name         string    `bun:"name" json:"name"`
	Slug         string    `bun:"slug" json:"slug"`
	Color        string    `bun:"color" json:"color"`
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at" json:"updated_at"`
	TicketsCount int       `bun:"tickets_count,scanonly" json:"tickets_count"`
}

// Input is a tag to create, or the fields of one to change; on update a nil field is left as
// it is. The slug always follows the name, so two names that differ only in case or
// punctuation are the same tag.
type Input struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

// Service reads and changes tags.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns the tag service.
func NewService(d *db.DB, c clock.Clock) *Service {
	return &Service{db: d, clock: c}
}

// List returns every tag by name, with its ticket count.
func (s *Service) List(ctx context.Context, actor *auth.Actor) ([]Tag, error) {
	if !actor.Can("tag.view") {
		return nil, apperr.Forbidden("You may not view tags.")
	}
	return load(ctx, s.db.R, 0)
}

// Name is a tag as a picker shows it, without its ticket count.
type Name struct {
	ID    int64  `bun:"id"`
	Name  string `bun:"name"`
	Color string `bun:"color"`
}

// Names lists every tag by name, cheaply, for the pickers of pages whose routes hold their own
// permission; it counts no tickets.
func (s *Service) Names(ctx context.Context) ([]Name, error) {
	var out []Name
	if err := s.db.R.NewSelect().Table("tags").Column("id", "name", "color").OrderExpr("name, id").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("tag: names: %w", err)
	}
	return out, nil
}

// Create adds a tag.
func (s *Service) Create(ctx context.Context, actor *auth.Actor, in Input) (*Tag, error) {
	if !actor.Can("tag.manage") {
		return nil, apperr.Forbidden("You may not manage tags.")
	}
	now := s.clock.Now()
	t := &Tag{CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	if in.Name == nil {
		v.Add("name", "The name field is required.")
	}
	apply(&v, t, in)
	var out *Tag
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkSlug(ctx, tx, &v, t); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return writeErr(err, "insert")
		}
		if err := audit.Record(ctx, tx, actor, "tag.created", "tag", t.ID, nil, snapshot(t), now); err != nil {
			return err
		}
		var err error
		out, err = loadOne(ctx, tx, t.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes the fields that in sets. A change that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, actor *auth.Actor, id int64, in Input) (*Tag, error) {
	if !actor.Can("tag.manage") {
		return nil, apperr.Forbidden("You may not manage tags.")
	}
	now := s.clock.Now()
	var out *Tag
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := lock(ctx, s.db, tx, id)
		if err != nil {
			return err
		}
		old := snapshot(t)
		var v apperr.Validation
		apply(&v, t, in)
		if err := checkSlug(ctx, tx, &v, t); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{}
		for k, nv := range snapshot(t) {
			if old[k] != nv {
				before[k], after[k] = old[k], nv
			}
		}
		if len(after) > 0 {
			t.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(t).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
				return writeErr(err, "update")
			}
			if err := audit.Record(ctx, tx, actor, "tag.updated", "tag", id, before, after, now); err != nil {
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

// Delete removes a tag. The ticket_tags rows go with it (ON DELETE CASCADE), in the database
// and outside the ticket write path, so the tickets get no tag_removed activity or event; the
// audit row of the deletion records how many tickets carried the tag instead.
func (s *Service) Delete(ctx context.Context, actor *auth.Actor, id int64) error {
	if !actor.Can("tag.manage") {
		return apperr.Forbidden("You may not manage tags.")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := lock(ctx, s.db, tx, id)
		if err != nil {
			return err
		}
		var tickets int
		if err := tx.NewRaw(`SELECT count(*) FROM ticket_tags WHERE tag_id = ?`, id).Scan(ctx, &tickets); err != nil {
			return fmt.Errorf("tag: count tickets: %w", err)
		}
		if _, err := tx.NewRaw(`DELETE FROM tags WHERE id = ?`, id).Exec(ctx); err != nil {
			return fmt.Errorf("tag: delete: %w", err)
		}
		return audit.Record(ctx, tx, actor, "tag.deleted", "tag", id, snapshot(t), map[string]any{"tickets_untagged": tickets}, now)
	})
}

// apply validates the fields in sets and copies them onto t.
func apply(v *apperr.Validation, t *Tag, in Input) {
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
		t.Slug = slug.Make(t.Name)
		switch {
		case t.Name == "":
			v.Add("name", "The name field is required.")
		case !utf8.ValidString(t.Name) || strings.ContainsRune(t.Name, 0):
			v.Add("name", "The name field contains invalid characters.")
		case utf8.RuneCountInString(t.Name) > maxName:
			v.Addf("name", "The name field may not be greater than %d characters.", maxName)
		case t.Slug == "":
			v.Add("name", "The name must contain a letter or a digit.")
		}
	}
	if in.Color != nil {
		t.Color = strings.TrimSpace(*in.Color)
		if t.Color != "" && !colorPattern.MatchString(t.Color) {
			v.Add("color", "The color must be a hex colour such as #1d4ed8.")
		}
	}
}

// checkSlug adds to v, inside the writing transaction, a name whose slug another tag has.
// It returns only database errors.
func checkSlug(ctx context.Context, tx bun.Tx, v *apperr.Validation, t *Tag) error {
	if v.Has("name") {
		return nil
	}
	var n int
	if err := tx.NewRaw(`SELECT count(*) FROM tags WHERE slug = ? AND id <> ?`, t.Slug, t.ID).Scan(ctx, &n); err != nil {
		return fmt.Errorf("tag: check slug: %w", err)
	}
	if n > 0 {
		v.Add("name", nameTaken)
	}
	return nil
}

const nameTaken = "The name has already been taken."

// writeErr turns a unique violation that slipped past checkSlug (two writers at once) into
// the same error checkSlug gives.
func writeErr(err error, op string) error {
	if db.IsUniqueViolation(err) {
		return apperr.Invalid("name", nameTaken)
	}
	return fmt.Errorf("tag: %s: %w", op, err)
}

// lock loads a tag's row for update, or reports it not found.
func lock(ctx context.Context, d *db.DB, tx bun.Tx, id int64) (*Tag, error) {
	var t Tag
	err := tx.NewRaw(`SELECT * FROM tags WHERE id = ?`+d.ForUpdate(), id).Scan(ctx, &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("Tag")
	}
	if err != nil {
		return nil, fmt.Errorf("tag: load %d: %w", id, err)
	}
	return &t, nil
}

func loadOne(ctx context.Context, idb bun.IDB, id int64) (*Tag, error) {
	list, err := load(ctx, idb, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.NotFound("Tag")
	}
	return &list[0], nil
}

// load reads the tag with the given id, or all of them when id is 0, with ticket counts.
func load(ctx context.Context, idb bun.IDB, id int64) ([]Tag, error) {
	q := `SELECT g.*, (SELECT count(*) FROM ticket_tags tt WHERE tt.tag_id = g.id) AS tickets_count FROM tags g`
	var args []any
	if id != 0 {
		q += ` WHERE g.id = ?`
		args = append(args, id)
	}
	list := []Tag{}
	if err := idb.NewRaw(q+` ORDER BY g.name, g.id`, args...).Scan(ctx, &list); err != nil {
		return nil, fmt.Errorf("tag: list: %w", err)
	}
	return list, nil
}

// snapshot is a tag's audited state.
func snapshot(t *Tag) map[string]any {
	return map[string]any{"name": t.Name, "slug": t.Slug, "color": t.Color}
}
