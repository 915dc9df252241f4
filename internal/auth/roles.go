package auth

import (
	"context"
	"fmt"
	"regexp"
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
	in.Slug, in.Name = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name)
	var v apperr.Validation
	switch {
	case !slugPattern.MatchString(in.Slug):
		v.Add("slug", "The slug must be lower-case letters, digits, - or _, starting with a letter.")
	case in.Slug == RoleCustomer:
		v.Add("slug", "customer is reserved for requesters.")
	}
	checkRoleText(&v, in.Name, in.Description)
	checkPermissions(&v, in.Permissions)
	if err := v.Err(); err != nil {
		return nil, err
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
	r.Permissions = append([]string{}, in.Permissions...)
	return r, nil
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
