// Package contact keeps the people who ask for help without an account: a contact is an
// email address and a name. Tickets opened by staff on someone's behalf, guest tickets and
// inbound mail all find their requester through Requester.
package contact

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Contact is a row of the contacts table.
type Contact struct {
	bun.BaseModel `bun:"table:contacts"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	Name      string    `bun:"name" json:"name"`
	Email     string    `bun:"email" json:"email"`
	UserID    *int64    `bun:"user_id" json:"user_id"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// ValidEmail reports whether s is one bare email address (no display name, no angle
// brackets, at most 254 bytes).
func ValidEmail(s string) bool {
	if len(s) > 254 || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// Ref names a ticket's requester: a desk user or, for someone without an account, a contact.
// Exactly one of the two is set.
type Ref struct {
	UserID    *int64
	ContactID *int64
}

// Requester finds who email belongs to, in the caller's transaction: the user with that
// address in any case, else the contact with it, else a new contact named name. The email
// must have passed ValidEmail.
func Requester(ctx context.Context, tx bun.IDB, email, name string, now time.Time) (Ref, error) {
	var users []int64
	if err := tx.NewRaw(`SELECT id FROM users WHERE lower(email) = lower(?)`, email).Scan(ctx, &users); err != nil {
		return Ref{}, fmt.Errorf("contact: find user: %w", err)
	}
	if len(users) > 0 {
		return Ref{UserID: &users[0]}, nil
	}
	c, err := FindOrCreate(ctx, tx, email, name, now)
	if err != nil {
		return Ref{}, err
	}
	return Ref{ContactID: &c.ID}, nil
}

// FindOrCreate returns the contact whose email matches in any case, creating it when there
// is none. An existing contact keeps its name. Two transactions creating the same address at
// once end with one row: the unique index on lower(email) makes the second insert do nothing,
// and its select then sees the first's row.
func FindOrCreate(ctx context.Context, tx bun.IDB, email, name string, now time.Time) (*Contact, error) {
	_, err := tx.NewRaw(`INSERT INTO contacts (name, email, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		strings.TrimSpace(name), email, now, now).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("contact: insert: %w", err)
	}
	c := &Contact{}
	if err := tx.NewSelect().Model(c).Where("lower(email) = lower(?)", email).Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("contact: load: %w", err)
	}
	return c, nil
}
