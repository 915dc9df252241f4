package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/cache"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// User is a person with an account: a customer, an agent or an admin.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	Name         string    `bun:"name" json:"name"`
	Email        string    `bun:"email" json:"email"`
	PasswordHash string    `bun:"password_hash" json:"-"`
	Role         string    `bun:"role" json:"role"`
	ExternalID   *string   `bun:"external_id" json:"external_id,omitempty"`
	IsActive     bool      `bun:"is_active" json:"is_active"`
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at" json:"updated_at"`
}

// Service authenticates users and turns them into actors.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	params *argon2id.Params
	hashes *passwordWork

	prepare   sync.Mutex
	tokenStmt atomic.Pointer[sql.Stmt] // see tokenLookup

	// rolePerms holds each role's permission slugs (cache.TTL; role changes through this
	// service invalidate it), so a signed-in request reads only its user row, and a token
	// request only its token and owner.
	rolePerms cache.Loaded[map[string][]string]
	// sessions holds the sessions the SessionStore found, each with its user's row, by token
	// hash. Every change to users through this service clears it once made, so it shows on
	// the very next request.
	sessions cache.Keyed[string, keptSession]
}

// NewService returns the auth service. params sets the password hashing cost; nil means
// argon2id's recommended defaults.
func NewService(d *db.DB, c clock.Clock, params *argon2id.Params) *Service {
	if params == nil {
		params = argon2id.DefaultParams
	}
	return &Service{db: d, clock: c, params: params, hashes: newPasswordWork(runtime.GOMAXPROCS(0))}
}

// HashPassword hashes a password with argon2id.
func (s *Service) HashPassword(password string) (string, error) {
	h, err := s.hashes.create(password, s.params)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return h, nil
}

// dummyHash is compared against when the email is unknown, so a missing account costs the
// same time as a wrong password.
const dummyHash = "$argon2id$v=19$m=65536,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"

// Authenticate checks an email and password and returns the active user they belong to.
func (s *Service) Authenticate(ctx context.Context, email, password string) (*User, error) {
	var u User
	err := sql.ErrNoRows
	// No stored email holds a NUL byte, and the databases refuse one in a query.
	if !strings.ContainsRune(email, 0) {
		err = s.db.R.NewSelect().Model(&u).Where("lower(email) = lower(?)", strings.TrimSpace(email)).Scan(ctx)
	}
	if errors.Is(err, sql.ErrNoRows) {
		s.hashes.compare(password, dummyHash)
		return nil, apperr.Invalid("email", "These credentials do not match our records.")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: find user: %w", err)
	}
	ok, err := s.hashes.compare(password, u.PasswordHash)
	if err != nil || !ok || !u.IsActive {
		return nil, apperr.Invalid("email", "These credentials do not match our records.")
	}
	return &u, nil
}

// User returns one user by id.
func (s *Service) User(ctx context.Context, id int64) (*User, error) {
	var u User
	err := s.db.R.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("User")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load user %d: %w", id, err)
	}
	return &u, nil
}

// UserByEmail returns the user with the email, in any case.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = strings.TrimSpace(email)
	var users []User
	if email != "" && !strings.ContainsRune(email, 0) {
		if err := s.db.R.NewRaw(`SELECT * FROM users WHERE lower(email) = lower(?)`, email).Scan(ctx, &users); err != nil {
			return nil, fmt.Errorf("auth: find user by email: %w", err)
		}
	}
	if len(users) == 0 {
		return nil, apperr.NotFound("User")
	}
	return &users[0], nil
}

// Actor loads the user with their role's permissions. An inactive or missing user is an
// unauthenticated error. One prepared query for the user (so a deactivation or role change
// counts at once, from any process; a request with a session uses the row kept with it
// instead, see SessionActor), the permissions of custom and staff roles from memory (a change
// to a role's permissions made by another process counts within cache.TTL).
func (s *Service) Actor(ctx context.Context, userID int64, ip string) (*Actor, error) {
	var (
		name, email, role string
		active            bool
	)
	err := s.db.QueryRowRead(ctx, `SELECT name, email, role, is_active FROM users WHERE id = ?`,
		[]any{userID}, &name, &email, &role, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Unauthenticated()
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load user %d: %w", userID, err)
	}
	return s.actorOf(ctx, userID, name, email, role, active, ip)
}

// actorOf builds the actor of a user row: an inactive user is an unauthenticated error.
func (s *Service) actorOf(ctx context.Context, userID int64, name, email, role string, active bool, ip string) (*Actor, error) {
	if !active {
		return nil, apperr.Unauthenticated()
	}
	a := &Actor{UserID: userID, Name: name, Email: email, Role: role, IP: ip, Permissions: map[string]bool{}}
	switch role {
	case RoleAdmin:
		a.Permissions["*"] = true
	case RoleCustomer:
	default:
		all, err := s.rolePerms.Get(ctx, s.clock.Now(), s.loadRolePermissions)
		if err != nil {
			return nil, err
		}
		for _, p := range all[role] {
			a.Permissions[p] = true
		}
	}
	return a, nil
}

// loadRolePermissions reads every role's permission slugs.
func (s *Service) loadRolePermissions(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		Role string `bun:"role"`
		Perm string `bun:"perm"`
	}
	err := s.db.R.NewRaw(`SELECT r.slug AS role, p.slug AS perm FROM roles r
		JOIN role_permissions rp ON rp.role_id = r.id JOIN permissions p ON p.id = rp.permission_id`).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("auth: role permissions: %w", err)
	}
	m := map[string][]string{}
	for _, r := range rows {
		m[r.Role] = append(m[r.Role], r.Perm)
	}
	return m, nil
}

// ActorForUser builds the actor of a loaded user, as a session's would be: a deactivated
// user is unauthenticated, and the role's permissions come from memory (rolePerms).
func (s *Service) ActorForUser(ctx context.Context, u *User, ip string) (*Actor, error) {
	return s.actorOf(ctx, u.ID, u.Name, u.Email, u.Role, u.IsActive, ip)
}

func rolePermissions(ctx context.Context, idb bun.IDB, role string) ([]string, error) {
	var perms []string
	err := idb.NewRaw(`SELECT p.slug FROM role_permissions rp
		JOIN roles r ON r.id = rp.role_id JOIN permissions p ON p.id = rp.permission_id
		WHERE r.slug = ? ORDER BY p.slug`, role).Scan(ctx, &perms)
	if err != nil {
		return nil, fmt.Errorf("auth: permissions of role %q: %w", role, err)
	}
	return perms, nil
}
