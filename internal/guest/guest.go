// Package guest is guest tickets: someone without an account opens a ticket through the
// public form and follows it through a magic link. The link's token is 64 letters and digits
// from crypto/rand (about 381 bits), shown once and stored only as its SHA-256; a lookup
// hashes the token and finds its row through the unique index, so nothing compares secrets
// byte by byte. Every change goes through the ticket service, with the guest acting as the
// contact their email belongs to.
package guest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Policy modes (setting guest_policy_mode).
const (
	// PolicyUnassigned: the requester is the guest's contact, never an account.
	PolicyUnassigned = "unassigned"
	// PolicyGuestUser: also the active customer account with the guest's email, if any.
	PolicyGuestUser = "guest_user"
	// PolicyPromptSignup: as unassigned, and the guest's page offers to create an account.
	PolicyPromptSignup = "prompt_signup"
)

// TokenLength is the length of a guest token.
const TokenLength = 64

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Service opens and serves guest tickets.
type Service struct {
	db       *db.DB
	clock    clock.Clock
	tickets  *ticket.Service
	settings *settings.Store
}

// NewService returns the guest ticket service over the ticket service.
func NewService(d *db.DB, c clock.Clock, tickets *ticket.Service, st *settings.Store) *Service {
	return &Service{db: d, clock: c, tickets: tickets, settings: st}
}

// CreateInput is what the guest form sends.
type CreateInput struct {
	Name         string
	Email        string
	Subject      string
	Description  string
	Priority     string // optional; one of ticket.Priorities
	DepartmentID *int64 // optional; an active department
	Attachments  []ticket.File
}

// Created is a new guest ticket and its token, which is never shown again.
type Created struct {
	Ticket *ticket.Ticket
	Token  string
	// Policy is the guest_policy_mode the ticket was opened under.
	Policy string
}

// Policy returns the guest_policy_mode in force, and whether guest tickets are on at all.
func (s *Service) Policy(ctx context.Context) (mode string, enabled bool, err error) {
	cfg, err := s.settings.All(ctx)
	if err != nil {
		return "", false, err
	}
	return cfg.String("guest_policy_mode"), cfg.Bool("guest_tickets_enabled"), nil
}

// errOff is what every guest operation answers while guest tickets are turned off: nothing
// is there.
var errOff = apperr.NotFound("Page")

// Create opens a ticket for a guest acting from the client address ip, and returns it with
// its token.
func (s *Service) Create(ctx context.Context, ip string, in CreateInput) (*Created, error) {
	mode, on, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, errOff
	}
	if in.DepartmentID != nil {
		if err := s.checkDepartment(ctx, *in.DepartmentID); err != nil {
			return nil, err
		}
	}
	token, err := NewToken()
	if err != nil {
		return nil, err
	}
	hash := HashToken(token)
	now := s.clock.Now()
	guest := &ticket.GuestRequester{
		Name: in.Name, Email: in.Email, LinkCustomer: mode == PolicyGuestUser,
		Stored: func(ctx context.Context, tx bun.Tx, t *ticket.Ticket) error {
			_, err := tx.NewRaw(`INSERT INTO guest_tokens (ticket_id, contact_id, token_hash, created_at) VALUES (?, ?, ?, ?)`,
				t.ID, t.ContactID, hash, now).Exec(ctx)
			if err != nil {
				return fmt.Errorf("guest: store token: %w", err)
			}
			return nil
		},
	}
	t, err := s.tickets.Create(ctx, auth.NewGuest(ip), ticket.CreateInput{
		Subject: in.Subject, Description: in.Description, Priority: in.Priority,
		Channel: "web", DepartmentID: in.DepartmentID, Attachments: in.Attachments, Guest: guest,
	})
	if err != nil {
		return nil, err
	}
	return &Created{Ticket: t, Token: token, Policy: mode}, nil
}

// checkDepartment refuses a department a guest may not file in: one that does not exist or
// is not active.
func (s *Service) checkDepartment(ctx context.Context, id int64) error {
	var n int
	if err := s.db.R.NewRaw(`SELECT count(*) FROM departments WHERE id = ? AND is_active = TRUE`, id).Scan(ctx, &n); err != nil {
		return fmt.Errorf("guest: department: %w", err)
	}
	if n == 0 {
		return apperr.Invalid("department_id", "The selected department_id is invalid.")
	}
	return nil
}

// Open finds the ticket a token opens and returns the guest acting through it, from the
// client address ip. A token of the wrong shape, an unknown one, or any token while guest
// tickets are off, is not found.
func (s *Service) Open(ctx context.Context, token, ip string) (*auth.Actor, error) {
	_, on, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	if !on || !ValidToken(token) {
		return nil, errOff
	}
	var row struct {
		TicketID  int64          `bun:"ticket_id"`
		ContactID sql.NullInt64  `bun:"contact_id"`
		Name      sql.NullString `bun:"name"`
		Email     sql.NullString `bun:"email"`
	}
	err = s.db.R.NewRaw(`SELECT g.ticket_id, g.contact_id, c.name, c.email FROM guest_tokens g
		LEFT JOIN contacts c ON c.id = g.contact_id WHERE g.token_hash = ?`, HashToken(token)).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("Ticket")
	}
	if err != nil {
		return nil, fmt.Errorf("guest: look up token: %w", err)
	}
	a := auth.NewGuest(ip)
	a.GuestTicketID = row.TicketID
	a.ContactID = row.ContactID.Int64
	if row.Name.Valid {
		a.Name, a.Email = row.Name.String, row.Email.String
	}
	return a, nil
}

// Show is the ticket a token opens, as its requester sees it: public replies only.
func (s *Service) Show(ctx context.Context, token, ip string) (*ticket.Detail, error) {
	a, err := s.Open(ctx, token, ip)
	if err != nil {
		return nil, err
	}
	return s.tickets.GetForRequester(ctx, a, a.GuestTicketID)
}

// Reply answers the ticket a token opens, as its requester would: through the ticket
// service, so the reply wakes a snoozed ticket, hands a ticket waiting on the customer back
// to the agents and reopens a solved one (reopen_on_customer_reply) exactly as a customer's.
func (s *Service) Reply(ctx context.Context, token, ip, body string, files []ticket.File) (*ticket.Reply, error) {
	a, err := s.Open(ctx, token, ip)
	if err != nil {
		return nil, err
	}
	return s.tickets.Reply(ctx, a, a.GuestTicketID, ticket.ReplyInput{Body: body, Attachments: files})
}

// Attachment is a file of the ticket a token opens, when the guest may see it.
func (s *Service) Attachment(ctx context.Context, token, ip string, id int64) (*ticket.Attachment, error) {
	a, err := s.Open(ctx, token, ip)
	if err != nil {
		return nil, err
	}
	return s.tickets.Attachment(ctx, a, id)
}

// NewToken returns a fresh guest token: 64 characters drawn uniformly from [A-Za-z0-9] with
// crypto/rand (bytes past the largest multiple of 62 are drawn again, so no letter is more
// likely than another).
func NewToken() (string, error) {
	var b strings.Builder
	buf := make([]byte, 96)
	for b.Len() < TokenLength {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("guest: random token: %w", err)
		}
		for _, x := range buf {
			if x < 248 && b.Len() < TokenLength { // 248 = 4 × 62
				b.WriteByte(tokenAlphabet[x%62])
			}
		}
	}
	return b.String(), nil
}

// ValidToken reports whether s has the shape of a guest token.
func ValidToken(s string) bool {
	if len(s) != TokenLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// HashToken is what is stored of a token: its SHA-256 in lowercase hex.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
