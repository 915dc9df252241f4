package auth

import "context"

// RolePermissions lists the permission slugs granted to the role with the given slug, read
// from the database.
func (s *Service) RolePermissions(ctx context.Context, role string) ([]string, error) {
	return rolePermissions(ctx, s.db.R, role)
}
