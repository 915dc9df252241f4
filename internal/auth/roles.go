package auth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
)

// Role is a named set of permissions.
type Role struct {
	bun.BaseModel `bun:"table:roles"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	Slug        string    `bun:"slug" json:"slug"`
	Name        string    `bun:"name" json:"name"`
	Description string    `bun:"description" json:"description"`
	IsSystem    bool      `bun:"is_system" json:"is_system"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at" json:"updated_at"`
	Permissions []string  `bun:"-" json:"permissions"`
	// UsersCount is how many users, active or not, hold the role.
	UsersCount int `bun:"-" json:"users_count"`
}

// NewRole is a custom role to create.
type NewRole struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// CreateRole creates a custom role with the given permissions.
func (s *Service) CreateRole(ctx context.Context, actor *Actor, in NewRole) (*Role, error) {
	if !actor.Can("role.manage") {
		return nil, apperr.Forbidden("You may not manage roles.")
	}
	// Signed-in and token requests read role permissions from memory (rolePerms).
	defer s.rolePerms.Invalidate()
	in.Slug, in.Name = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name)
	var v apperr.Validation
	checkSlug(&v, in.Slug)
	checkRoleText(&v, in.Name, in.Description)
	checkPermissions(&v, in.Permissions)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.Permissions = dedupe(in.Permissions)
	if !holdsAll(actor, in.Permissions) {
		return nil, apperr.Forbidden("You may not grant permissions you do not hold yourself.")
	}
	now := s.clock.Now()
	r := &Role{Slug: in.Slug, Name: in.Name, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var n int
		if err := tx.NewRaw(`SELECT count(*) FROM roles WHERE slug = ?`, r.Slug).Scan(ctx, &n); err != nil {
			return fmt.Errorf("auth: check role slug: %w", err)
		}
		if n > 0 {
			return apperr.Invalid("slug", "The slug has already been taken.")
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return fmt.Errorf("auth: insert role: %w", err)
		}
		if err := grant(ctx, tx, r.ID, in.Permissions); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "role.created", "role", r.ID, nil,
			map[string]any{"slug": r.Slug, "name": r.Name, "permissions": in.Permissions}, now)
	})
	if err != nil {
		return nil, err
	}
	r.Permissions = in.Permissions
	return r, nil
}

func checkSlug(v *apperr.Validation, slug string) {
	switch {
	case !slugPattern.MatchString(slug):
		v.Add("slug", "The slug must be lower-case letters, digits, - or _, starting with a letter.")
	case slug == RoleCustomer:
		v.Add("slug", "customer is reserved for requesters.")
	}
}

func checkRoleText(v *apperr.Validation, name, description string) {
	if name == "" {
		v.Add("name", "The name field is required.")
	} else if utf8.RuneCountInString(name) > 100 || strings.ContainsRune(name, 0) || !utf8.ValidString(name) {
		v.Add("name", "The name must be at most 100 valid characters.")
	}
	if utf8.RuneCountInString(description) > 1000 || strings.ContainsRune(description, 0) || !utf8.ValidString(description) {
		v.Add("description", "The description must be at most 1000 valid characters.")
	}
}

func checkPermissions(v *apperr.Validation, perms []string) {
	for _, p := range perms {
		if !IsPermission(p) {
			v.Addf("permissions", "%q is not a permission.", p)
		}
	}
}

// grant replaces a role's permissions with perms.
func grant(ctx context.Context, tx bun.Tx, roleID int64, perms []string) error {
	if _, err := tx.NewRaw(`DELETE FROM role_permissions WHERE role_id = ?`, roleID).Exec(ctx); err != nil {
		return fmt.Errorf("auth: clear role permissions: %w", err)
	}
	if len(perms) == 0 {
		return nil
	}
	_, err := tx.NewRaw(`INSERT INTO role_permissions (role_id, permission_id)
		SELECT ?, id FROM permissions WHERE slug IN (?) ON CONFLICT DO NOTHING`, roleID, bun.In(perms)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("auth: grant permissions: %w", err)
	}
	return nil
}

// RoleUpdate changes a role; a nil field stays as it is.
type RoleUpdate struct {
	Slug        *string   `json:"slug"`
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
}

// ListRoles returns every role with its permissions and how many users hold it.
func (s *Service) ListRoles(ctx context.Context, actor *Actor) ([]Role, error) {
	if !actor.Can("role.view") {
		return nil, apperr.Forbidden("You may not view roles.")
	}
	roles := []Role{}
	if err := s.db.R.NewSelect().Model(&roles).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: list roles: %w", err)
	}
	if err := describeRoles(ctx, s.db.R, roles); err != nil {
		return nil, err
	}
	return roles, nil
}

// GetRole returns one role with its permissions and how many users hold it.
func (s *Service) GetRole(ctx context.Context, actor *Actor, id int64) (*Role, error) {
	if !actor.Can("role.view") {
		return nil, apperr.Forbidden("You may not view roles.")
	}
	return s.describedRole(ctx, s.db.R, id, false)
}

// UpdateRole changes a role's name, description, permissions and, for custom roles, its slug
// (the users holding it follow). The admin role always holds every permission and system
// roles keep their slugs, since code and hosts refer to them by slug.
func (s *Service) UpdateRole(ctx context.Context, actor *Actor, id int64, in RoleUpdate) (*Role, error) {
	if !actor.Can("role.manage") {
		return nil, apperr.Forbidden("You may not manage roles.")
	}
	// Signed-in and token requests read role permissions from memory (rolePerms), and
	// signed-in ones their users' rows, which hold a renamed role's slug, with their sessions
	// (Service.sessions).
	defer s.rolePerms.Invalidate()
	defer s.sessions.Clear()
	var out *Role
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := s.describedRole(ctx, tx, id, true)
		if err != nil {
			return err
		}
		next := *r
		var v apperr.Validation
		if in.Slug != nil {
			next.Slug = strings.TrimSpace(*in.Slug)
			if next.Slug != r.Slug {
				if r.IsSystem {
					v.Add("slug", "The slug of a system role cannot change.")
				} else {
					checkSlug(&v, next.Slug)
				}
			}
		}
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			next.Description = *in.Description
		}
		checkRoleText(&v, next.Name, next.Description)
		if in.Permissions != nil {
			checkPermissions(&v, *in.Permissions)
			next.Permissions = dedupe(*in.Permissions)
			if r.Slug == RoleAdmin && !sameSet(next.Permissions, r.Permissions) {
				v.Add("permissions", "The admin role always holds every permission.")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if next.Slug != r.Slug {
			var n int
			if err := tx.NewRaw(`SELECT count(*) FROM roles WHERE slug = ?`, next.Slug).Scan(ctx, &n); err != nil {
				return fmt.Errorf("auth: check role slug: %w", err)
			}
			if n > 0 {
				return apperr.Invalid("slug", "The slug has already been taken.")
			}
		}
		if !holdsAll(actor, added(r.Permissions, next.Permissions)) {
			return apperr.Forbidden("You may not grant permissions you do not hold yourself.")
		}

		old, changed := map[string]any{}, map[string]any{}
		for field, pair := range map[string][2]string{
			"slug": {r.Slug, next.Slug}, "name": {r.Name, next.Name}, "description": {r.Description, next.Description},
		} {
			if pair[0] != pair[1] {
				old[field], changed[field] = pair[0], pair[1]
			}
		}
		permsChanged := !sameSet(r.Permissions, next.Permissions)
		if permsChanged {
			old["permissions"], changed["permissions"] = r.Permissions, next.Permissions
		}
		if len(changed) == 0 {
			out = r
			return nil
		}
		now := s.clock.Now()
		next.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(&next).Column("slug", "name", "description", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("auth: update role: %w", err)
		}
		if next.Slug != r.Slug {
			if _, err := tx.NewRaw(`UPDATE users SET role = ? WHERE role = ?`, next.Slug, r.Slug).Exec(ctx); err != nil {
				return fmt.Errorf("auth: move users to renamed role: %w", err)
			}
		}
		if permsChanged {
			if err := grant(ctx, tx, r.ID, next.Permissions); err != nil {
				return err
			}
		}
		out = &next
		return audit.Record(ctx, tx, actor, "role.updated", "role", r.ID, old, changed, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRole deletes a custom role that nobody holds. System roles stay, and a role still
// held by users stays until they are moved, so no account is left with a role that is gone.
func (s *Service) DeleteRole(ctx context.Context, actor *Actor, id int64) error {
	if !actor.Can("role.manage") {
		return apperr.Forbidden("You may not manage roles.")
	}
	// Signed-in and token requests read role permissions from memory (rolePerms).
	defer s.rolePerms.Invalidate()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := s.describedRole(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if r.IsSystem {
			return apperr.Conflict("System roles cannot be deleted.")
		}
		if r.UsersCount > 0 {
			noun := "users hold"
			if r.UsersCount == 1 {
				noun = "user holds"
			}
			return apperr.Conflict(fmt.Sprintf("%d %s this role; move them to another role before deleting it.", r.UsersCount, noun))
		}
		if _, err := tx.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("auth: delete role: %w", err)
		}
		return audit.Record(ctx, tx, actor, "role.deleted", "role", r.ID,
			map[string]any{"slug": r.Slug, "name": r.Name, "description": r.Description, "permissions": r.Permissions}, nil, s.clock.Now())
	})
}

// describedRole loads a role with its permissions and users count. With lock, the role row
// is locked first, so a user cannot be moved onto a role that is being deleted or renamed.
func (s *Service) describedRole(ctx context.Context, idb bun.IDB, id int64, lock bool) (*Role, error) {
	q := `SELECT * FROM roles WHERE id = ?`
	if lock {
		q += s.db.ForUpdate()
	}
	var roles []Role
	if err := idb.NewRaw(q, id).Scan(ctx, &roles); err != nil {
		return nil, fmt.Errorf("auth: load role %d: %w", id, err)
	}
	if len(roles) == 0 {
		return nil, apperr.NotFound("Role")
	}
	if err := describeRoles(ctx, idb, roles); err != nil {
		return nil, err
	}
	return &roles[0], nil
}

// describeRoles fills in the permissions and users count of each role. The admin role is
// shown with the whole vocabulary, which is what its holders get.
func describeRoles(ctx context.Context, idb bun.IDB, roles []Role) error {
	if len(roles) == 0 {
		return nil
	}
	ids, slugs := make([]int64, len(roles)), make([]string, len(roles))
	for i, r := range roles {
		ids[i], slugs[i] = r.ID, r.Slug
	}
	var grants []struct {
		RoleID int64  `bun:"role_id"`
		Slug   string `bun:"slug"`
	}
	err := idb.NewRaw(`SELECT rp.role_id, p.slug FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id
		WHERE rp.role_id IN (?) ORDER BY p.id`, bun.In(ids)).Scan(ctx, &grants)
	if err != nil {
		return fmt.Errorf("auth: load role permissions: %w", err)
	}
	var counts []struct {
		Role string `bun:"role"`
		N    int    `bun:"n"`
	}
	err = idb.NewRaw(`SELECT role, count(*) AS n FROM users WHERE role IN (?) GROUP BY role`, bun.In(slugs)).Scan(ctx, &counts)
	if err != nil {
		return fmt.Errorf("auth: count role holders: %w", err)
	}
	for i := range roles {
		r := &roles[i]
		r.Permissions = []string{}
		if r.Slug == RoleAdmin {
			r.Permissions = append(r.Permissions, Permissions...)
		} else {
			for _, g := range grants {
				if g.RoleID == r.ID {
					r.Permissions = append(r.Permissions, g.Slug)
				}
			}
		}
		for _, c := range counts {
			if c.Role == r.Slug {
				r.UsersCount = c.N
			}
		}
	}
	return nil
}

// holdsAll reports whether the actor holds every one of perms, so a role manager can never
// hand out more than they have themselves.
func holdsAll(actor *Actor, perms []string) bool {
	for _, p := range perms {
		if !actor.Can(p) {
			return false
		}
	}
	return true
}

// added lists the permissions in next that are not in prev.
func added(prev, next []string) []string {
	var out []string
	for _, p := range next {
		if !slices.Contains(prev, p) {
			out = append(out, p)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	return len(added(a, b)) == 0 && len(added(b, a)) == 0
}

// dedupe drops repeated permissions, keeping the first of each, and never returns nil so an
// empty set is rendered as [].
func dedupe(perms []string) []string {
	out := []string{}
	for _, p := range perms {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
