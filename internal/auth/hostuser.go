package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// HostUser is a user of an embedding application, as its identity resolver reports them.
type HostUser struct {
	ExternalID string
	Name       string
	Email      string
	// Role is "customer", "agent", "light_agent", "admin" or a custom role's slug.
	Role string
}

// errEmailTaken refuses a host user whose email address belongs to a desk account another
// host user already has: taking it over would make two people one.
var errEmailTaken = apperr.Conflict("Your email address belongs to another person's helpdesk account; ask an administrator.")

// SyncHostUser finds or creates the desk user that mirrors a host application's user and
// keeps name, email and role in step with the host's answer.
//
//   - A host user without an email address gets a stand-in of its own (standInEmail), since
//     every desk user's address is unique.
//   - A desk account with the host user's email and no host user yet (one made by `escalated
//     user create`, say) is taken over. One that already belongs to another host user is not:
//     that is a 409, and nothing changes.
//   - A write to an existing user drops the sessions kept in memory, since they hold their
//     users' rows. Creating a new user leaves them kept: no session can belong to a user who
//     did not exist.
func (s *Service) SyncHostUser(ctx context.Context, h HostUser) (*User, error) {
	if h.ExternalID == "" {
		return nil, fmt.Errorf("auth: the identity resolver returned a user without ExternalID")
	}
	if h.Role == "" {
		h.Role = RoleCustomer
	}
	if h.Email = strings.TrimSpace(h.Email); h.Email == "" {
		h.Email = standInEmail(h.ExternalID)
	}
	var u User
	err := s.db.R.NewSelect().Model(&u).Where("external_id = ?", h.ExternalID).Scan(ctx)
	switch {
	case err == nil:
		if u.Name == h.Name && strings.EqualFold(u.Email, h.Email) && u.Role == h.Role {
			return &u, nil
		}
		u.Name, u.Email, u.Role, u.UpdatedAt = h.Name, h.Email, h.Role, s.clock.Now()
		_, err = s.db.W.NewUpdate().Model(&u).Column("name", "email", "role", "updated_at").WherePK().Exec(ctx)
		s.sessions.Clear()
		if db.IsUniqueViolation(err) {
			return nil, errEmailTaken
		}
		if err != nil {
			return nil, fmt.Errorf("auth: update host user: %w", err)
		}
		return &u, nil
	case errors.Is(err, sql.ErrNoRows):
		now := s.clock.Now()
		ext := h.ExternalID
		u = User{Name: h.Name, Email: h.Email, Role: h.Role, ExternalID: &ext, IsActive: true, CreatedAt: now, UpdatedAt: now}
		res, err := s.db.W.NewInsert().Model(&u).On("CONFLICT (lower(email)) DO NOTHING").Returning("*").Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("auth: create host user: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return &u, nil
		}
		// A desk account with this email and no host user yet is taken over. (One that is this
		// host user's already was made by a first request running alongside this one.)
		var taken []User
		err = s.db.W.NewRaw(`UPDATE users SET external_id = ?, name = ?, role = ?, updated_at = ?
			WHERE lower(email) = lower(?) AND (external_id IS NULL OR external_id = ?) RETURNING *`,
			ext, h.Name, h.Role, now, h.Email, ext).Scan(ctx, &taken)
		s.sessions.Clear()
		if err != nil {
			return nil, fmt.Errorf("auth: take over desk account for host user: %w", err)
		}
		if len(taken) == 0 {
			return nil, errEmailTaken
		}
		return &taken[0], nil
	default:
		return nil, fmt.Errorf("auth: find host user: %w", err)
	}
}

// standInEmail is the address of a host user the host gave none: unique to the external id,
// and under .invalid, a domain reserved never to resolve, so no mail is ever sent to it.
func standInEmail(externalID string) string {
	sum := sha256.Sum256([]byte(externalID))
	return "host-user-" + hex.EncodeToString(sum[:12]) + "@host.invalid"
}
