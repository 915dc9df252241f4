package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// Limits of the status fields.
const (
	maxStatusName     = 60
	maxStatusPosition = 100000
)

var (
	statusSlugPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	statusColorPattern = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
)

// NewStatus is a custom status to create. Without a position it goes after the last one.
type NewStatus struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Color    string `json:"color"`
	Position *int   `json:"position"`
}

// StatusChanges is an edit of a status; nil fields keep their value.
type StatusChanges struct {
	Name     *string `json:"name"`
	Category *string `json:"category"`
	Color    *string `json:"color"`
	Position *int    `json:"position"`
}

// transition is a row of the status_transitions table.
type transition struct {
	bun.BaseModel `bun:"table:status_transitions"`

	From string `bun:"from_status"`
	To   string `bun:"to_status"`
}

// ListStatuses returns every status in display order.
func (s *Service) ListStatuses(ctx context.Context, actor *auth.Actor) ([]Status, error) {
	if !actor.Can("settings.view") {
		return nil, apperr.Forbidden("You may not view the statuses.")
	}
	out := []Status{}
	if err := s.db.R.NewSelect().Model(&out).Order("position", "slug").Scan(ctx); err != nil {
		return nil, fmt.Errorf("ticket: list statuses: %w", err)
	}
	return out, nil
}

// CreateStatus adds a custom status. It has no transitions until the table is edited.
func (s *Service) CreateStatus(ctx context.Context, actor *auth.Actor, in NewStatus) (*Status, error) {
	if !actor.Can("settings.manage") {
		return nil, apperr.Forbidden("You may not manage statuses.")
	}
	in.Name = strings.TrimSpace(in.Name)
	var v apperr.Validation
	switch {
	case in.Slug == "":
		v.Add("slug", "The slug field is required.")
	case !statusSlugPattern.MatchString(in.Slug):
		v.Add("slug", "The slug must start with a lowercase letter and hold at most 40 lowercase letters, digits and underscores.")
	}
	checkStatusFields(&v, &in.Name, &in.Category, &in.Color, in.Position)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	st := &Status{Slug: in.Slug, Name: in.Name, Category: in.Category, Color: in.Color, CreatedAt: now, UpdatedAt: now}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if in.Position != nil {
			st.Position = *in.Position
		} else if err := tx.NewRaw(`SELECT COALESCE(MAX(position) + 1, 0) FROM statuses`).Scan(ctx, &st.Position); err != nil {
			return fmt.Errorf("ticket: next status position: %w", err)
		}
		// ON CONFLICT rather than a prior lookup, so two admins creating the same slug at
		// once get a validation error, not a key violation.
		res, err := tx.NewRaw(`INSERT INTO statuses (slug, name, category, color, position, is_system, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, FALSE, ?, ?) ON CONFLICT (slug) DO NOTHING`,
			st.Slug, st.Name, st.Category, st.Color, st.Position, now, now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("ticket: insert status: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return apperr.Invalid("slug", "The slug has already been taken.")
		}
		return audit.Record(ctx, tx, actor, "status.created", "status", 0, nil, statusValues(st), now)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// UpdateStatus edits a status. Built-in statuses may be renamed, recoloured and reordered,
// but their category is part of the desk's lifecycle and stays.
func (s *Service) UpdateStatus(ctx context.Context, actor *auth.Actor, slug string, in StatusChanges) (*Status, error) {
	if !actor.Can("settings.manage") {
		return nil, apperr.Forbidden("You may not manage statuses.")
	}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
	}
	var v apperr.Validation
	checkStatusFields(&v, in.Name, in.Category, in.Color, in.Position)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var st Status
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.lockStatus(ctx, tx, slug, &st); err != nil {
			return err
		}
		old := statusValues(&st)
		if in.Category != nil && *in.Category != st.Category && st.IsSystem {
			return apperr.Invalid("category", fmt.Sprintf("The category of the built-in status %s cannot be changed.", st.Slug))
		}
		wasOpen := st.Category != "solved"
		setIf(&st.Name, in.Name)
		setIf(&st.Category, in.Category)
		setIf(&st.Color, in.Color)
		setIf(&st.Position, in.Position)
		now := s.clock.Now()
		oldDiff, newDiff := map[string]any{"slug": st.Slug}, map[string]any{"slug": st.Slug}
		for k, nv := range statusValues(&st) {
			if ov := old[k]; ov != nv {
				oldDiff[k], newDiff[k] = ov, nv
			}
		}
		if len(newDiff) == 1 {
			return nil // nothing changed: no write, no audit
		}
		st.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(&st).Column("name", "category", "color", "position", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("ticket: update status %s: %w", st.Slug, err)
		}
		if isOpen := st.Category != "solved"; isOpen != wasOpen {
			// The tickets in this status keep their status, so this is no ticket change: no
			// timeline entry, no event. Only is_open, which mirrors the category, follows.
			res, err := tx.NewRaw(`UPDATE tickets SET is_open = ? WHERE status = ? AND is_open <> ?`, isOpen, st.Slug, isOpen).Exec(ctx)
			if err != nil {
				return fmt.Errorf("ticket: update is_open for status %s: %w", st.Slug, err)
			}
			n, _ := res.RowsAffected()
			newDiff["tickets_updated"] = n
		}
		return audit.Record(ctx, tx, actor, "status.updated", "status", 0, oldDiff, newDiff, now)
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// DeleteStatus removes a custom status nobody's ticket is in, with its transitions.
func (s *Service) DeleteStatus(ctx context.Context, actor *auth.Actor, slug string) error {
	if !actor.Can("settings.manage") {
		return apperr.Forbidden("You may not manage statuses.")
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var st Status
		if err := s.lockStatus(ctx, tx, slug, &st); err != nil {
			return err
		}
		if st.IsSystem {
			return apperr.Conflict(fmt.Sprintf("The built-in status %s cannot be deleted.", st.Slug))
		}
		var n int
		if err := tx.NewRaw(`SELECT count(*) FROM tickets WHERE status = ?`, st.Slug).Scan(ctx, &n); err != nil {
			return fmt.Errorf("ticket: count tickets in status %s: %w", st.Slug, err)
		}
		if n > 0 {
			noun := "tickets are"
			if n == 1 {
				noun = "ticket is"
			}
			return apperr.Conflict(fmt.Sprintf("%d %s in the status %s; move them to another status first.", n, noun, st.Slug))
		}
		var pairs []transition
		if err := tx.NewSelect().Model(&pairs).Where("from_status = ? OR to_status = ?", st.Slug, st.Slug).
			Order("from_status", "to_status").Scan(ctx); err != nil {
			return fmt.Errorf("ticket: load transitions of %s: %w", st.Slug, err)
		}
		// The foreign keys delete the status's transitions with it.
		if _, err := tx.NewDelete().Model(&st).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("ticket: delete status %s: %w", st.Slug, err)
		}
		old := statusValues(&st)
		old["transitions"] = pairTable(pairs)
		return audit.Record(ctx, tx, actor, "status.deleted", "status", 0, old, nil, s.clock.Now())
	})
}

// Transitions returns the transition table: for every status, the statuses it may move to.
func (s *Service) Transitions(ctx context.Context, actor *auth.Actor) (map[string][]string, error) {
	if !actor.Can("settings.view") {
		return nil, apperr.Forbidden("You may not view the status transitions.")
	}
	return loadTransitions(ctx, s.db.R)
}

// ReplaceTransitions makes table the whole transition table; a status it leaves out has no
// transitions afterwards. Every slug must exist and no status may move to itself; repeated
// targets count once. A nil table is refused, an empty one clears the table.
func (s *Service) ReplaceTransitions(ctx context.Context, actor *auth.Actor, table map[string][]string) (map[string][]string, error) {
	if !actor.Can("settings.manage") {
		return nil, apperr.Forbidden("You may not manage the status transitions.")
	}
	if table == nil {
		return nil, apperr.Invalid("transitions", "The transitions field is required: an object mapping each status to the statuses it may move to.")
	}
	var out map[string][]string
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Locking every status serialises concurrent replacements (each would otherwise keep
		// the other's rows) and keeps the statuses from going away while they are checked.
		var slugs []string
		if err := tx.NewRaw(`SELECT slug FROM statuses ORDER BY slug`+s.db.ForUpdate()).Scan(ctx, &slugs); err != nil {
			return fmt.Errorf("ticket: lock statuses: %w", err)
		}
		rows, err := checkTransitions(table, slugs)
		if err != nil {
			return err
		}
		old, err := loadTransitions(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw(`DELETE FROM status_transitions`).Exec(ctx); err != nil {
			return fmt.Errorf("ticket: clear transitions: %w", err)
		}
		if len(rows) > 0 {
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("ticket: insert transitions: %w", err)
			}
		}
		if out, err = loadTransitions(ctx, tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "status_transitions.replaced", "status_transitions", 0,
			map[string]any{"transitions": old}, map[string]any{"transitions": out}, s.clock.Now())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkTransitions validates a transition table against the existing slugs and returns its
// rows without repeats. Problems are reported under transitions.<from>; a key that is not
// even a slug is reported under transitions, so hostile keys are never echoed back.
func checkTransitions(table map[string][]string, slugs []string) ([]transition, error) {
	var v apperr.Validation
	var rows []transition
	froms := make([]string, 0, len(table))
	for from := range table {
		froms = append(froms, from)
	}
	slices.Sort(froms)
	for _, from := range froms {
		field := "transitions." + from
		switch {
		case !statusSlugPattern.MatchString(from):
			if !v.Has("transitions") {
				v.Add("transitions", "Every key of transitions must be a status slug.")
			}
			continue
		case !slices.Contains(slugs, from):
			v.Addf(field, "The status %s does not exist.", from)
			continue
		}
		seen := map[string]bool{}
		for _, to := range table[from] {
			switch {
			case seen[to]:
			case to == from:
				v.Addf(field, "The status %s cannot transition to itself.", from)
			case !statusSlugPattern.MatchString(to):
				v.Addf(field, "The targets of %s must be status slugs.", from)
			case !slices.Contains(slugs, to):
				v.Addf(field, "The status %s does not exist.", to)
			default:
				rows = append(rows, transition{From: from, To: to})
			}
			seen[to] = true
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// loadTransitions reads the whole table, with an entry (maybe empty) for every status and
// the targets in display order.
func loadTransitions(ctx context.Context, db bun.IDB) (map[string][]string, error) {
	var slugs []string
	if err := db.NewRaw(`SELECT slug FROM statuses`).Scan(ctx, &slugs); err != nil {
		return nil, fmt.Errorf("ticket: load statuses: %w", err)
	}
	var pairs []transition
	err := db.NewRaw(`SELECT tr.from_status, tr.to_status FROM status_transitions tr
		JOIN statuses s ON s.slug = tr.to_status ORDER BY tr.from_status, s.position, s.slug`).Scan(ctx, &pairs)
	if err != nil {
		return nil, fmt.Errorf("ticket: load transitions: %w", err)
	}
	out := pairTable(pairs)
	for _, slug := range slugs {
		if out[slug] == nil {
			out[slug] = []string{}
		}
	}
	return out, nil
}

func pairTable(pairs []transition) map[string][]string {
	out := map[string][]string{}
	for _, p := range pairs {
		out[p.From] = append(out[p.From], p.To)
	}
	return out
}

// lockStatus loads the status for a change that may rewrite or delete it; an unknown slug is
// not found.
func (s *Service) lockStatus(ctx context.Context, tx bun.Tx, slug string, st *Status) error {
	if !statusSlugPattern.MatchString(slug) {
		return apperr.NotFound("Status")
	}
	err := tx.NewRaw(`SELECT * FROM statuses WHERE slug = ?`+s.db.ForUpdate(), slug).Scan(ctx, st)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFound("Status")
	}
	if err != nil {
		return fmt.Errorf("ticket: load status %s: %w", slug, err)
	}
	return nil
}

// checkStatusFields validates the fields a create and an edit share; nil means not given.
// A name and a category, when given, may not be empty.
func checkStatusFields(v *apperr.Validation, name, category, color *string, position *int) {
	if name != nil {
		v.CheckText("name", *name, true, maxStatusName)
	}
	switch {
	case category == nil:
	case *category == "":
		v.Add("category", "The category field is required; use one of: "+strings.Join(Categories, ", ")+".")
	case !isOneOf(*category, Categories):
		v.Add("category", "The category must be one of: "+strings.Join(Categories, ", ")+".")
	}
	if color != nil && *color != "" && !statusColorPattern.MatchString(*color) {
		v.Add("color", "The color must be a hex colour such as #1a2b3c.")
	}
	if position != nil && (*position < 0 || *position > maxStatusPosition) {
		v.Addf("position", "The position must be between 0 and %d.", maxStatusPosition)
	}
}

func statusValues(st *Status) map[string]any {
	return map[string]any{"slug": st.Slug, "name": st.Name, "category": st.Category, "color": st.Color, "position": st.Position}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
