package escalated

import (
	"context"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Ticket is a ticket row.
type Ticket = ticket.Ticket

// Reply is a reply or internal note.
type Reply = ticket.Reply

// NewTicket is the input of Tickets.Create.
type NewTicket = ticket.CreateInput

// Tickets creates and works tickets from Go code, through the same write path as HTTP.
// Every method takes the id of the desk user who acts; 0 acts as the system.
type Tickets struct{ desk *Desk }

// Create opens a ticket. When the acting user is a customer, they are the requester.
func (t *Tickets) Create(ctx context.Context, actingUserID int64, in NewTicket) (*Ticket, error) {
	a, err := t.desk.actor(ctx, actingUserID)
	if err != nil {
		return nil, err
	}
	return t.desk.tickets.Create(ctx, a, in)
}

// Reply adds a public reply, or an internal note when internal is true, to the ticket with
// the given id or reference.
func (t *Tickets) Reply(ctx context.Context, actingUserID int64, ticketKey, body string, internal bool) (*Reply, error) {
	a, err := t.desk.actor(ctx, actingUserID)
	if err != nil {
		return nil, err
	}
	id, err := t.desk.tickets.ResolveID(ctx, ticketKey)
	if err != nil {
		return nil, err
	}
	return t.desk.tickets.Reply(ctx, a, id, ticket.ReplyInput{Body: body, IsInternalNote: internal})
}

// ChangeStatus moves a ticket through the transition table.
func (t *Tickets) ChangeStatus(ctx context.Context, actingUserID int64, ticketKey, status string) (*Ticket, error) {
	a, err := t.desk.actor(ctx, actingUserID)
	if err != nil {
		return nil, err
	}
	id, err := t.desk.tickets.ResolveID(ctx, ticketKey)
	if err != nil {
		return nil, err
	}
	return t.desk.tickets.ChangeStatus(ctx, a, id, status)
}

// User is a desk account.
type User = auth.User

// NewUser is the input of Users.Create.
type NewUser = auth.NewUser

// Users manages accounts from Go code.
type Users struct{ desk *Desk }

// Create makes an account as the system (used by the CLI and first-run set-up).
func (u *Users) Create(ctx context.Context, in NewUser) (*User, error) {
	return u.desk.auth.CreateUser(ctx, auth.System(), in)
}

// CountAdmins reports how many active admins exist.
func (u *Users) CountAdmins(ctx context.Context) (int, error) { return u.desk.auth.CountAdmins(ctx) }

// Role is a named set of permissions.
type Role = auth.Role

// NewRole is the input of Roles.Create.
type NewRole = auth.NewRole

// Roles manages custom roles from Go code.
type Roles struct{ desk *Desk }

// Create makes a custom role as the system.
func (r *Roles) Create(ctx context.Context, in NewRole) (*Role, error) {
	return r.desk.auth.CreateRole(ctx, auth.System(), in)
}

// APIToken is an API token as it is shown: never its hash, and its plaintext only once.
type APIToken = auth.APIToken

// NewAPIToken is the input of Tokens.Create.
type NewAPIToken struct {
	// UserEmail names the staff member the token acts as.
	UserEmail string
	Name      string
	// Abilities are permission names, or "*" for whatever the owner may do.
	Abilities []string
	// ExpiresAt is a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time; empty never expires.
	ExpiresAt string
}

// Tokens manages API tokens from Go code.
type Tokens struct{ desk *Desk }

// Create makes an API token as the system (used by the CLI) and returns it with its
// plaintext, which is not available again.
func (t *Tokens) Create(ctx context.Context, in NewAPIToken) (*APIToken, string, error) {
	u, err := t.desk.auth.UserByEmail(ctx, in.UserEmail)
	if err != nil {
		return nil, "", err
	}
	nt := auth.NewToken{Name: in.Name, Abilities: in.Abilities, UserID: &u.ID}
	if in.ExpiresAt != "" {
		nt.ExpiresAt = &in.ExpiresAt
	}
	return t.desk.auth.CreateToken(ctx, auth.System(), nt)
}
