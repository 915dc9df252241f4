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
	checkName(&v, in.Name)
	checkEmail(&v, in.Email)
	checkRole(&v, in.Role)
	checkPassword(&v, in.Password)
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
		if err := s.lockRoleSlug(ctx, tx, u.Role); err != nil {
			return err
		}
		if err := mayHandOut(ctx, tx, actor, u.Role); err != nil {
			return err
		}
		if err := emailFree(ctx, tx, u.Email, 0); err != nil {
			return err
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

// UserFilter selects users for the admin list.
type UserFilter struct {
	// Search matches part of the name or email, ignoring case.
	Search string
	// Role is "customer" or a role's slug; empty means every role.
	Role    string
	Page    int
	PerPage int
}

// UserPage is one page of users and how many match in all.
type UserPage struct {
	Items []User
	Total int
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListUsers returns one page of users, ordered by name.
func (s *Service) ListUsers(ctx context.Context, actor *Actor, f UserFilter) (*UserPage, error) {
	if !actor.Can("user.view") {
		return nil, apperr.Forbidden("You may not view users.")
	}
	f.Search, f.Role = strings.TrimSpace(f.Search), strings.TrimSpace(f.Role)
	var v apperr.Validation
	if utf8.RuneCountInString(f.Search) > 200 || strings.ContainsRune(f.Search, 0) || !utf8.ValidString(f.Search) {
		v.Add("search", "The search must be at most 200 valid characters.")
	}
	if f.Role != "" {
		checkRole(&v, f.Role)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	f.Page, f.PerPage = max(f.Page, 1), min(max(f.PerPage, 1), 100)
	users := []User{}
	q := s.db.R.NewSelect().Model(&users)
	if f.Search != "" {
		pattern := "%" + likeEscaper.Replace(f.Search) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("name "+s.db.ILike()+" ? ESCAPE '\\'", pattern).
				WhereOr("email "+s.db.ILike()+" ? ESCAPE '\\'", pattern)
		})
	}
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	total, err := q.OrderExpr("lower(name), id").Limit(int64(f.PerPage)).Offset(int64((f.Page - 1) * f.PerPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	return &UserPage{Items: users, Total: int(total)}, nil
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, actor *Actor, id int64) (*User, error) {
	if !actor.Can("user.view") {
		return nil, apperr.Forbidden("You may not view users.")
	}
	return s.User(ctx, id)
}

// UserUpdate changes an account; a nil field stays as it is.
type UserUpdate struct {
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Role     *string `json:"role"`
	IsActive *bool   `json:"is_active"`
	Password *string `json:"password"`
}

// UpdateUser changes a user's name, email, role, active flag or password.
func (s *Service) UpdateUser(ctx context.Context, actor *Actor, id int64, in UserUpdate) (*User, error) {
	return s.updateUser(ctx, actor, id, in, "user.updated")
}

// ChangeRole moves a user to role, "customer" or a role's slug.
func (s *Service) ChangeRole(ctx context.Context, actor *Actor, id int64, role string) (*User, error) {
	return s.updateUser(ctx, actor, id, UserUpdate{Role: &role}, "user.role_changed")
}

// DeactivateUser disables an account and ends its sessions, so the user is signed out at once
// and cannot sign in again. Accounts are never deleted: tickets and the audit log refer to them.
func (s *Service) DeactivateUser(ctx context.Context, actor *Actor, id int64) (*User, error) {
	inactive := false
	return s.updateUser(ctx, actor, id, UserUpdate{IsActive: &inactive}, "user.deactivated")
}

func (s *Service) updateUser(ctx context.Context, actor *Actor, id int64, in UserUpdate, action string) (*User, error) {
	if !actor.Can("user.manage") {
		return nil, apperr.Forbidden("You may not manage users.")
	}
	var v apperr.Validation
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkName(&v, *in.Name)
	}
	if in.Email != nil {
		*in.Email = strings.TrimSpace(*in.Email)
		checkEmail(&v, *in.Email)
	}
	if in.Role != nil {
		*in.Role = strings.TrimSpace(*in.Role)
		checkRole(&v, *in.Role)
	}
	if in.Password != nil {
		checkPassword(&v, *in.Password)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var hash string
	if in.Password != nil {
		var err error
		if hash, err = s.HashPassword(*in.Password); err != nil {
			return nil, err
		}
	}
	// The sessions kept in memory hold their users' rows, and a deactivation or a password
	// reset ends sessions.
	defer s.sessions.Clear()
	var u User
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Locks are always taken in this order: the new role, the active admins, the user.
		// Role changes lock the role before its users too, so no two changes wait on each other.
		if in.Role != nil {
			if err := s.lockRoleSlug(ctx, tx, *in.Role); err != nil {
				return err
			}
		}
		var admins []int64
		err := tx.NewRaw(`SELECT id FROM users WHERE role = ? AND is_active = TRUE ORDER BY id`+s.db.ForUpdate(), RoleAdmin).Scan(ctx, &admins)
		if err != nil {
			return fmt.Errorf("auth: lock admins: %w", err)
		}
		var found []User
		if err := tx.NewRaw(`SELECT * FROM users WHERE id = ?`+s.db.ForUpdate(), id).Scan(ctx, &found); err != nil {
			return fmt.Errorf("auth: load user %d: %w", id, err)
		}
		if len(found) == 0 {
			return apperr.NotFound("User")
		}
		u = found[0]
		prev := u
		if err := mayManage(ctx, tx, actor, u.Role); err != nil {
			return err
		}
		if in.Role != nil {
			if err := mayHandOut(ctx, tx, actor, *in.Role); err != nil {
				return err
			}
			u.Role = *in.Role
		}
		if in.Name != nil {
			u.Name = *in.Name
		}
		if in.Email != nil {
			u.Email = *in.Email
		}
		if in.IsActive != nil {
			u.IsActive = *in.IsActive
		}
		if in.Password != nil {
			u.PasswordHash = hash
		}
		deactivated := prev.IsActive && !u.IsActive
		if u.ID == actor.UserID {
			if u.Role != prev.Role {
				return apperr.Conflict("You cannot change your own role.")
			}
			if deactivated {
				return apperr.Conflict("You cannot deactivate yourself.")
			}
		}
		if prev.Role == RoleAdmin && prev.IsActive && (u.Role != RoleAdmin || !u.IsActive) && len(admins) <= 1 {
			return apperr.Conflict("The last active admin cannot be deactivated or demoted.")
		}
		if !strings.EqualFold(u.Email, prev.Email) {
			if err := emailFree(ctx, tx, u.Email, u.ID); err != nil {
				return err
			}
		}

		old, changed := map[string]any{}, map[string]any{}
		note := func(field string, was, is any) {
			if was != is {
				old[field], changed[field] = was, is
			}
		}
		note("name", prev.Name, u.Name)
		note("email", prev.Email, u.Email)
		note("role", prev.Role, u.Role)
		note("is_active", prev.IsActive, u.IsActive)
		if in.Password != nil {
			changed["password"] = "changed"
		}
		if len(changed) == 0 {
			return nil
		}
		now := s.clock.Now()
		u.UpdatedAt = now
		_, err = tx.NewUpdate().Model(&u).Column("name", "email", "role", "is_active", "password_hash", "updated_at").WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("auth: update user: %w", err)
		}
		// A deactivated user is signed out everywhere; so is one whose password someone else
		// reset, since the reset is how a stolen account is taken back.
		if deactivated || (in.Password != nil && u.ID != actor.UserID) {
			if err := deleteSessions(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, action, "user", u.ID, old, changed, now)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// lockRoleSlug checks that role is "customer" or an existing role and locks that role's row,
// so it cannot be deleted or renamed before the caller's transaction commits.
func (s *Service) lockRoleSlug(ctx context.Context, tx bun.Tx, role string) error {
	if role == RoleCustomer {
		return nil
	}
	var ids []int64
	if err := tx.NewRaw(`SELECT id FROM roles WHERE slug = ?`+s.db.ForUpdate(), role).Scan(ctx, &ids); err != nil {
		return fmt.Errorf("auth: lock role %q: %w", role, err)
	}
	if len(ids) == 0 {
		return apperr.Invalid("role", roleInvalid)
	}
	return nil
}

// mayHandOut refuses to let an actor give someone a role with permissions the actor lacks,
// so user managers cannot raise anyone, themselves included, above their own rights.
func mayHandOut(ctx context.Context, tx bun.IDB, actor *Actor, role string) error {
	ok, err := outranks(ctx, tx, actor, role)
	if err != nil || ok {
		return err
	}
	return apperr.Forbidden("You may not give a role with permissions you do not hold yourself.")
}

// mayManage refuses to let an actor change a user whose role has permissions the actor
// lacks: an agent who manages users cannot lock out or take over an admin.
func mayManage(ctx context.Context, tx bun.IDB, actor *Actor, role string) error {
	ok, err := outranks(ctx, tx, actor, role)
	if err != nil || ok {
		return err
	}
	return apperr.Forbidden("You may not manage a user whose role has permissions you do not hold.")
}

// outranks reports whether the actor holds every permission of role.
func outranks(ctx context.Context, tx bun.IDB, actor *Actor, role string) (bool, error) {
	switch {
	case actor.Can("*") || role == RoleCustomer:
		return true, nil
	case role == RoleAdmin:
		return holdsAll(actor, Permissions), nil
	}
	perms, err := rolePermissions(ctx, tx, role)
	if err != nil {
		return false, err
	}
	return holdsAll(actor, perms), nil
}

// emailFree fails with a validation error when another user (not id) has the email in any case.
func emailFree(ctx context.Context, tx bun.IDB, email string, id int64) error {
	var n int
	if err := tx.NewRaw(`SELECT count(*) FROM users WHERE lower(email) = lower(?) AND id <> ?`, email, id).Scan(ctx, &n); err != nil {
		return fmt.Errorf("auth: check email: %w", err)
	}
	if n > 0 {
		return apperr.Invalid("email", "The email has already been taken.")
	}
	return nil
}

const roleInvalid = "The selected role is invalid; use customer or an existing role's slug."

func checkName(v *apperr.Validation, name string) {
	switch {
	case name == "":
		v.Add("name", "The name field is required.")
	case utf8.RuneCountInString(name) > 255 || strings.ContainsRune(name, 0) || !utf8.ValidString(name):
		v.Add("name", "The name must be at most 255 valid characters.")
	}
}

func checkEmail(v *apperr.Validation, email string) {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 ||
		strings.ContainsRune(email, 0) || !utf8.ValidString(email) {
		v.Add("email", "The email must be a valid email address.")
	}
}

// checkRole checks the form of a role; whether it exists is checked under lock.
func checkRole(v *apperr.Validation, role string) {
	switch {
	case role == "":
		v.Add("role", "The role field is required.")
	case role != RoleCustomer && !slugPattern.MatchString(role):
		v.Add("role", roleInvalid)
	}
}

func checkPassword(v *apperr.Validation, password string) {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		v.Addf("password", "The password must be at least %d characters.", MinPasswordLength)
	} else if len(password) > 1024 {
		v.Add("password", "The password may not be greater than 1024 bytes.")
	}
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

// ListAgents returns one page of the active staff, by name: the people tickets can be
// assigned to. Whoever may view tickets sees who works them.
func (s *Service) ListAgents(ctx context.Context, actor *Actor, page, perPage int) (*UserPage, error) {
	if !actor.Can("ticket.view") {
		return nil, apperr.Forbidden("You may not view agents.")
	}
	page, perPage = max(page, 1), min(max(perPage, 1), 100)
	users := []User{}
	total, err := s.db.R.NewSelect().Model(&users).Where("role <> ? AND is_active = TRUE", RoleCustomer).
		OrderExpr("lower(name), id").Limit(int64(perPage)).Offset(int64((page - 1) * perPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: list agents: %w", err)
	}
	return &UserPage{Items: users, Total: int(total)}, nil
}
