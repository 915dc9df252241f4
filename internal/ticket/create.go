package ticket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/contact"
	"github.com/escalated-dev/escalated-go/internal/event"
)

// CreateInput is a new ticket.
type CreateInput struct {
	Subject      string  `json:"subject"`
	Description  string  `json:"description"`
	Priority     string  `json:"priority"`
	TicketType   string  `json:"ticket_type"`
	Channel      string  `json:"channel"`
	DepartmentID *int64  `json:"department_id"`
	TagIDs       []int64 `json:"tag_ids"`
	// RequesterID lets staff open a ticket on behalf of a customer; customers always
	// request for themselves.
	RequesterID *int64 `json:"requester_id"`
	// RequesterEmail, instead of RequesterID, lets staff open a ticket for someone by
	// address: the user with that email, else a contact (created, named RequesterName,
	// when there is none).
	RequesterEmail string `json:"requester_email"`
	RequesterName  string `json:"requester_name"`
	// Attachments are files already in storage, recorded on the ticket.
	Attachments []File `json:"-"`
	// Guest opens the ticket for someone without an account; the actor must be a guest
	// (auth.NewGuest), and a guest must give it.
	Guest *GuestRequester `json:"-"`
}

// GuestRequester is who asks for help through the guest form.
type GuestRequester struct {
	Name  string
	Email string
	// LinkCustomer also makes the active customer account with that email, if there is
	// one, the ticket's requester (guest_policy_mode guest_user). Staff accounts are never
	// linked, and no account is created.
	LinkCustomer bool
	// Stored runs in the transaction once the ticket is written; the guest package stores
	// the ticket's token there, so a guest ticket never exists without its link.
	Stored func(ctx context.Context, tx bun.Tx, t *Ticket) error
}

// Create opens a ticket. Its reference is the configured prefix and the zero-padded id, so
// two tickets can never share one.
func (s *Service) Create(ctx context.Context, actor *auth.Actor, in CreateInput) (*Ticket, error) {
	if actor.IsAgent() && !actor.Can("ticket.create") {
		return nil, apperr.Forbidden("You may not create tickets.")
	}
	if !actor.IsAgent() && !actor.IsCustomer() && !actor.IsGuest() {
		return nil, apperr.Unauthenticated()
	}
	if actor.IsGuest() != (in.Guest != nil) {
		return nil, apperr.Forbidden("Guest tickets are opened by guests, through the guest form.")
	}
	if actor.IsGuest() {
		// The guest acts as their contact once it is known; the caller's actor stays as it is.
		g := *actor
		actor = &g
	}
	cfg, err := s.setting(ctx)
	if err != nil {
		return nil, err
	}
	if in.Priority == "" {
		in.Priority = cfg.String("default_priority")
	}
	if in.TicketType == "" {
		in.TicketType = "question"
	}
	if in.Channel == "" {
		in.Channel = "web"
	}
	var v apperr.Validation
	v.CheckText("subject", in.Subject, true, maxSubject)
	v.CheckText("description", in.Description, true, maxBody)
	checkOneOf(&v, "priority", in.Priority, Priorities)
	checkOneOf(&v, "ticket_type", in.TicketType, Types)
	checkOneOf(&v, "channel", in.Channel, Channels)
	requester := actor.ActorID()
	if in.RequesterID != nil {
		if actor.IsCustomer() && *in.RequesterID != actor.UserID {
			v.Add("requester_id", "Customers open tickets for themselves.")
		}
		requester = in.RequesterID
	}
	email := strings.TrimSpace(in.RequesterEmail)
	if in.RequesterEmail != "" || in.RequesterName != "" {
		switch {
		case actor.IsCustomer():
			v.Add("requester_email", "Customers open tickets for themselves.")
		case in.RequesterID != nil:
			v.Add("requester_email", "Give requester_id or requester_email, not both.")
		case email == "":
			v.Add("requester_email", "The requester_email field is required when requester_name is given.")
		case !contact.ValidEmail(email):
			v.Add("requester_email", "The requester_email must be a valid email address.")
		}
		v.CheckText("requester_name", in.RequesterName, false, maxSubject)
	}
	var guestEmail string
	if in.Guest != nil {
		guestEmail = strings.TrimSpace(in.Guest.Email)
		v.CheckText("name", in.Guest.Name, true, maxSubject)
		switch {
		case guestEmail == "":
			v.Add("email", "The email field is required.")
		case !contact.ValidEmail(guestEmail):
			v.Add("email", "The email must be a valid email address.")
		}
		if in.RequesterID != nil || in.RequesterEmail != "" || in.RequesterName != "" || len(in.TagIDs) > 0 {
			return nil, apperr.Forbidden("Guests open tickets for themselves.")
		}
	}
	checkFiles(&v, in.Attachments)
	if err := v.Err(); err != nil {
		return nil, err
	}

	now := s.clock.Now()
	prefix := cfg.String("ticket_reference_prefix")
	fresh := func() (*Ticket, *change) {
		return &Ticket{
			Subject: strings.TrimSpace(in.Subject), Description: in.Description, Status: StatusOpen,
			Priority: in.Priority, TicketType: in.TicketType, Channel: in.Channel,
			RequesterID: requester, DepartmentID: in.DepartmentID, IsOpen: true,
			CreatedAt: now, UpdatedAt: now,
		}, &change{actor: actor, now: now, action: "ticket.created"}
	}
	t, c := fresh()
	// The acting user was just loaded, so a ticket they request for themselves needs no check
	// that the requester exists.
	checkRequester := in.RequesterID
	if checkRequester != nil && *checkRequester == actor.UserID {
		checkRequester = nil
	}
	// A plain ticket (the requester known, nothing to add to it, a department that exists) is
	// written in a batch with the creates that arrive with it.
	if checkRequester == nil && email == "" && in.Guest == nil && len(in.TagIDs) == 0 && len(in.Attachments) == 0 &&
		(in.DepartmentID == nil || s.knownDepartment(ctx, *in.DepartmentID)) {
		err := s.createBatched(ctx, t, c, prefix)
		if err == nil {
			s.publish(ctx, c)
			return t, nil
		}
		if !errors.Is(err, errCreateAlone) {
			return nil, err
		}
		t, c = fresh()
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkRefs(ctx, tx, in.DepartmentID, checkRequester, in.TagIDs); err != nil {
			return err
		}
		if email != "" {
			ref, err := contact.Requester(ctx, tx, email, in.RequesterName, now)
			if err != nil {
				return err
			}
			t.RequesterID, t.ContactID = ref.UserID, ref.ContactID
		}
		if in.Guest != nil {
			if err := guestRequester(ctx, tx, actor, t, in.Guest, guestEmail, now); err != nil {
				return err
			}
		}
		if err := s.trackSLA(ctx, tx, nil, t, now); err != nil {
			return err
		}
		id, err := s.db.NextID(ctx, tx, "tickets")
		if err != nil {
			return fmt.Errorf("ticket: insert: %w", err)
		}
		t.ID, t.Reference = id, reference(prefix, id)
		c.emit(event.TicketCreated, map[string]any{"channel": t.Channel})
		entry := createdEntry(t, c)
		// The ticket and its audit row with one prepared statement (one round trip on
		// PostgreSQL): creating tickets is the desk's hottest write.
		if err := s.db.InsertRows(ctx, tx, t, &entry); err != nil {
			return fmt.Errorf("ticket: insert: %w", err)
		}
		for _, tagID := range in.TagIDs {
			if _, err := tx.NewRaw(`INSERT INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, t.ID, tagID).Exec(ctx); err != nil {
				return fmt.Errorf("ticket: tag new ticket: %w", err)
			}
		}
		if _, err := attach(ctx, tx, t.ID, nil, in.Attachments, now); err != nil {
			return err
		}
		if in.Guest != nil && in.Guest.Stored != nil {
			if err := in.Guest.Stored(ctx, tx, t); err != nil {
				return err
			}
		}
		return s.runTxHooks(ctx, tx, t, c)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, c)
	return t, nil
}

// guestRequester makes the contact for the guest's email the ticket's requester, and the
// guest act as that contact. An unverified address never makes anyone's account the
// requester, except an active customer's under guest_user (LinkCustomer), which is also
// recorded on the contact.
func guestRequester(ctx context.Context, tx bun.Tx, actor *auth.Actor, t *Ticket, g *GuestRequester, email string, now time.Time) error {
	ct, err := contact.FindOrCreate(ctx, tx, email, g.Name, now)
	if err != nil {
		return err
	}
	t.ContactID, t.RequesterID = &ct.ID, nil
	actor.ContactID, actor.Name = ct.ID, ct.Name
	if !g.LinkCustomer {
		return nil
	}
	var users []int64
	err = tx.NewRaw(`SELECT id FROM users WHERE lower(email) = lower(?) AND role = ? AND is_active = TRUE`, email, auth.RoleCustomer).Scan(ctx, &users)
	if err != nil {
		return fmt.Errorf("ticket: find the guest's account: %w", err)
	}
	if len(users) == 0 {
		return nil
	}
	t.RequesterID = &users[0]
	if _, err := tx.NewRaw(`UPDATE contacts SET user_id = ?, updated_at = ? WHERE id = ? AND user_id IS NULL`, users[0], now, ct.ID).Exec(ctx); err != nil {
		return fmt.Errorf("ticket: link the guest's contact: %w", err)
	}
	return nil
}

// checkRefs turns references to rows that do not exist into validation errors, so a bad id
// is a 422 naming the field rather than a foreign-key failure.
func checkRefs(ctx context.Context, db bun.IDB, departmentID, userID *int64, tagIDs []int64) error {
	var v apperr.Validation
	check := func(table string, id int64, field, msg string) error {
		found, err := exists(ctx, db, table, id)
		if err == nil && !found {
			v.Add(field, msg)
		}
		return err
	}
	if departmentID != nil {
		if err := check("departments", *departmentID, "department_id", "The selected department_id is invalid."); err != nil {
			return err
		}
	}
	if userID != nil {
		if err := check("users", *userID, "requester_id", "The selected requester_id is invalid."); err != nil {
			return err
		}
	}
	for _, id := range tagIDs {
		if err := check("tags", id, "tag_ids", fmt.Sprintf("Tag %d does not exist.", id)); err != nil {
			return err
		}
	}
	return v.Err()
}

// exists reports whether table has a row with id. A failed look-up is an error, never "no".
func exists(ctx context.Context, db bun.IDB, table string, id int64) (bool, error) {
	var n int
	if err := db.NewRaw(`SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(ctx, &n); err != nil {
		return false, fmt.Errorf("ticket: look up %s %d: %w", table, id, err)
	}
	return n > 0, nil
}
