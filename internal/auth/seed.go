package auth

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

var systemRoles = []struct{ slug, name, description string }{
	{RoleAdmin, "Admin", "Full access to the desk and its configuration."},
	{RoleAgent, "Agent", "Works tickets: replies, notes, assignment, status."},
	{RoleLightAgent, "Light agent", "Sees tickets and adds internal notes; cannot reply publicly."},
}

// Seed creates the permission vocabulary and the system roles with their default grants.
// It only adds what is missing, so it is safe to run again.
func Seed(ctx context.Context, tx bun.Tx, now time.Time) error {
	for _, p := range Permissions {
		grp, _, _ := strings.Cut(p, ".")
		if _, err := tx.NewRaw(`INSERT INTO permissions (slug, grp) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING`, p, grp).Exec(ctx); err != nil {
			return err
		}
	}
	for _, r := range systemRoles {
		if _, err := tx.NewRaw(`INSERT INTO roles (slug, name, description, is_system, created_at, updated_at)
			VALUES (?, ?, ?, TRUE, ?, ?) ON CONFLICT (slug) DO NOTHING`, r.slug, r.name, r.description, now, now).Exec(ctx); err != nil {
			return err
		}
	}
	grants := map[string][]string{RoleAdmin: Permissions}
	for role, perms := range defaultGrants {
		grants[role] = perms
	}
	for role, perms := range grants {
		for _, p := range perms {
			if _, err := tx.NewRaw(`INSERT INTO role_permissions (role_id, permission_id)
				SELECT r.id, p.id FROM roles r, permissions p WHERE r.slug = ? AND p.slug = ?
				ON CONFLICT DO NOTHING`, role, p).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}
