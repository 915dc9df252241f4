package auth

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
)

// NewUser is an account to create.
type NewUser struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// CreateUser creates an account. The role must be "customer" or an existing role's slug.
func (s *Service) CreateUser(ctx context.Context, actor *Actor, in NewUser) (*User, error) {
	if !actor.Can("user.manage") {
		return nil, apperr.Forbidden("You may not manage users.")
	}
	in.Name, in.Email, in.Role = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email), strings.TrimSpace(in.Role)
	if in.Role == "" {
		in.Role = RoleCustomer
	}
	var v apperr.Validation
	s.checkUser(ctx, &v, in.Name, in.Email, in.Role)
	if utf8.RuneCountInString(in.Password) < MinPasswordLength {
		v.Addf("password", "The password must be at least %d characters.", MinPasswordLength)
	} else if len(in.Password) > 1024 {
		v.Add("password", "The password may not be greater than 1024 bytes.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	u := &User{Name: in.Name, Email: in.Email, PasswordHash: hash, Role: in.Role, IsActive: true, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var n int
		if err := tx.NewRaw(`SELECT count(*) FROM users WHERE lower(email) = lower(?)`, u.Email).Scan(ctx, &n); err != nil {
			return fmt.Errorf("auth: check email: %w", err)
		}
		if n > 0 {
			return apperr.Invalid("email", "The email has already been taken.")
		}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return fmt.Errorf("auth: insert user: %w", err)
		}
		return audit.Record(ctx, tx, actor, "user.created", "user", u.ID, nil,
			map[string]any{"name": u.Name, "email": u.Email, "role": u.Role, "password": "set"}, now)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// checkUser validates the fields every user has.
func (s *Service) checkUser(ctx context.Context, v *apperr.Validation, name, email, role string) {
	switch {
	case name == "":
		v.Add("name", "The name field is required.")
	case utf8.RuneCountInString(name) > 255 || strings.ContainsRune(name, 0) || !utf8.ValidString(name):
		v.Add("name", "The name must be at most 255 valid characters.")
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		v.Add("email", "The email must be a valid email address.")
	}
	if role != RoleCustomer {
		ok, err := s.roleExists(ctx, role)
		if err != nil || !ok {
			v.Add("role", "The selected role is invalid; use customer or an existing role's slug.")
		}
	}
}

func (s *Service) roleExists(ctx context.Context, slug string) (bool, error) {
	var n int
	if err := s.db.R.NewRaw(`SELECT count(*) FROM roles WHERE slug = ?`, slug).Scan(ctx, &n); err != nil {
		return false, fmt.Errorf("auth: check role: %w", err)
	}
	return n > 0, nil
}

// CountAdmins reports how many active admins exist.
func (s *Service) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.R.NewRaw(`SELECT count(*) FROM users WHERE role = ? AND is_active = TRUE`, RoleAdmin).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("auth: count admins: %w", err)
	}
	return n, nil
}
