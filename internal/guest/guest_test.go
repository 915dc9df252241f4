package guest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/guest"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

type env struct {
	t        *testing.T
	ctx      context.Context
	db       *db.DB
	clock    *clock.Fake
	tickets  *ticket.Service
	guests   *guest.Service
	auth     *auth.Service
	settings *settings.Store
	events   *recorder
}

type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) record(_ context.Context, e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Name)
	}
	return out
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url)) })
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		if err := auth.Seed(ctx, tx, clk.Now()); err != nil {
			return err
		}
		return ticket.Seed(ctx, tx, clk.Now())
	}})
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	rec := &recorder{}
	bus := event.NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
	bus.Subscribe(rec.record)
	st := settings.NewStore(d, clk, settings.Defaults())
	tickets := ticket.NewService(d, clk, bus, st)
	return &env{
		t: t, ctx: ctx, db: d, clock: clk, tickets: tickets, settings: st, events: rec,
		guests: guest.NewService(d, clk, tickets, st),
		auth:   auth.NewService(d, clk, &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}),
	}
}

func (e *env) set(key string, v any) {
	e.t.Helper()
	b, _ := json.Marshal(v)
	if _, err := e.settings.Update(e.ctx, auth.System(), map[string]json.RawMessage{key: b}); err != nil {
		e.t.Fatalf("set %s: %v", key, err)
	}
}

func (e *env) user(role, email string) *auth.Actor {
	e.t.Helper()
	u, err := e.auth.CreateUser(e.ctx, auth.System(), auth.NewUser{Name: role, Email: email, Password: "correct horse battery", Role: role})
	if err != nil {
		e.t.Fatalf("create %s: %v", role, err)
	}
	a, err := e.auth.Actor(e.ctx, u.ID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) create(email string) *guest.Created {
	e.t.Helper()
	c, err := e.guests.Create(e.ctx, "203.0.113.9", guest.CreateInput{Name: "Dana Okafor", Email: email, Subject: "printer jam", Description: "It jams."})
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return c
}

func wantKind(t *testing.T, err error, kind apperr.Kind) {
	t.Helper()
	if !apperr.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
}

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		tok, err := guest.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !guest.ValidToken(tok) || seen[tok] {
			t.Fatalf("token %q: valid %v, seen %v", tok, guest.ValidToken(tok), seen[tok])
		}
		seen[tok] = true
	}
	for _, bad := range []string{"", strings.Repeat("a", 63), strings.Repeat("a", 65), strings.Repeat("a", 63) + "-", strings.Repeat("é", 32)} {
		if guest.ValidToken(bad) {
			t.Errorf("ValidToken(%q) = true", bad)
		}
	}
	if h := guest.HashToken(strings.Repeat("a", 64)); len(h) != 64 || h == strings.Repeat("a", 64) {
		t.Fatalf("hash %q", h)
	}
}

// The unassigned policy (conformance guest-policy/unassigned): the requester is a contact,
// no account is made, and only the token's hash is stored.
func TestCreateUnassigned(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create("dana@example.org")
		tk := c.Ticket
		if tk.RequesterID != nil || tk.ContactID == nil || tk.Channel != "web" || tk.Status != "open" || c.Policy != guest.PolicyUnassigned {
			t.Fatalf("ticket %+v policy %q", tk, c.Policy)
		}
		var users int
		e.db.R.NewRaw(`SELECT count(*) FROM users`).Scan(e.ctx, &users)
		if users != 0 {
			t.Fatalf("%d users created", users)
		}
		var contact struct {
			Name  string `bun:"name"`
			Email string `bun:"email"`
		}
		e.db.R.NewRaw(`SELECT name, email FROM contacts WHERE id = ?`, *tk.ContactID).Scan(e.ctx, &contact)
		if contact.Name != "Dana Okafor" || contact.Email != "dana@example.org" {
			t.Fatalf("contact %+v", contact)
		}
		var stored []string
		e.db.R.NewRaw(`SELECT token_hash FROM guest_tokens WHERE ticket_id = ?`, tk.ID).Scan(e.ctx, &stored)
		if len(stored) != 1 || stored[0] != guest.HashToken(c.Token) || strings.Contains(stored[0], c.Token) {
			t.Fatalf("stored %q for token %q", stored, c.Token)
		}
		if got := e.events.names(); len(got) != 1 || got[0] != event.TicketCreated {
			t.Fatalf("events %v", got)
		}
		// The audit row names the contact and the address.
		var audit struct {
			ActorID        *int64 `bun:"actor_id"`
			ActorContactID *int64 `bun:"actor_contact_id"`
			IP             string `bun:"ip_address"`
		}
		e.db.R.NewRaw(`SELECT actor_id, actor_contact_id, ip_address FROM audit_logs WHERE action = 'ticket.created' AND resource_id = ?`, tk.ID).Scan(e.ctx, &audit)
		if audit.ActorID != nil || audit.ActorContactID == nil || *audit.ActorContactID != *tk.ContactID || audit.IP != "203.0.113.9" {
			t.Fatalf("audit %+v", audit)
		}
		// A user with that email is still not made the requester of an unverified request.
		e.user("customer", "kim@example.org")
		if c := e.create("KIM@example.org"); c.Ticket.RequesterID != nil {
			t.Fatalf("unassigned linked the account: %+v", c.Ticket)
		}
	})
}

// The mode is read from the settings (conformance guest-policy/mode-is-read-from-settings):
// guest_user links an active customer account with the email, never a staff one.
func TestCreateGuestUserLinksCustomers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.set("guest_policy_mode", "guest_user")
		cust := e.user("customer", "kim@example.org")
		agent := e.user("agent", "agent@example.org")
		c := e.create("Kim@Example.org")
		if c.Policy != guest.PolicyGuestUser || c.Ticket.RequesterID == nil || *c.Ticket.RequesterID != cust.UserID || c.Ticket.ContactID == nil {
			t.Fatalf("ticket %+v policy %q", c.Ticket, c.Policy)
		}
		var linked *int64
		e.db.R.NewRaw(`SELECT user_id FROM contacts WHERE id = ?`, *c.Ticket.ContactID).Scan(e.ctx, &linked)
		if linked == nil || *linked != cust.UserID {
			t.Fatalf("contact user_id %v", linked)
		}
		// The customer sees it in their own list.
		list, err := e.tickets.List(e.ctx, cust, ticket.Filter{RequesterID: &cust.UserID})
		if err != nil || list.Total != 1 {
			t.Fatalf("customer's list: %v %v", list, err)
		}
		if c := e.create("agent@example.org"); c.Ticket.RequesterID != nil {
			t.Fatalf("a staff account (%d) became a guest ticket's requester", agent.UserID)
		}
		if c := e.create("nobody@example.org"); c.Ticket.RequesterID != nil {
			t.Fatalf("requester %v", *c.Ticket.RequesterID)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		_, err := e.guests.Create(e.ctx, "", guest.CreateInput{Subject: "x", Description: "y"})
		wantKind(t, err, apperr.KindValidation)
		fields := err.(*apperr.Error).Fields
		if fields["email"] == nil || fields["name"] == nil {
			t.Fatalf("fields %v", fields)
		}
		_, err = e.guests.Create(e.ctx, "", guest.CreateInput{Name: "A", Email: "Dana <d@example.org>", Subject: "x", Description: "y", Priority: "whenever"})
		wantKind(t, err, apperr.KindValidation)
		if f := err.(*apperr.Error).Fields; f["email"] == nil || f["priority"] == nil {
			t.Fatalf("fields %v", f)
		}
		// A department must exist and be active.
		var inactive int64
		e.db.R.NewRaw(`INSERT INTO departments (name, slug, is_active, created_at, updated_at) VALUES ('Old', 'old', FALSE, ?, ?) RETURNING id`, e.clock.Now(), e.clock.Now()).Scan(e.ctx, &inactive)
		for _, id := range []int64{inactive, 999} {
			_, err = e.guests.Create(e.ctx, "", guest.CreateInput{Name: "A", Email: "a@example.org", Subject: "x", Description: "y", DepartmentID: &id})
			wantKind(t, err, apperr.KindValidation)
			if f := err.(*apperr.Error).Fields; f["department_id"] == nil {
				t.Fatalf("department %d: fields %v", id, f)
			}
		}
		var n int
		e.db.R.NewRaw(`SELECT count(*) FROM tickets`).Scan(e.ctx, &n)
		if n != 0 {
			t.Fatalf("%d tickets after refusals", n)
		}
		// A guest actor cannot open a ticket other than through the guest form, nor anyone
		// else a guest ticket.
		_, err = e.tickets.Create(e.ctx, auth.NewGuest(""), ticket.CreateInput{Subject: "x", Description: "y"})
		wantKind(t, err, apperr.KindForbidden)
		_, err = e.tickets.Create(e.ctx, auth.System(), ticket.CreateInput{Subject: "x", Description: "y", Guest: &ticket.GuestRequester{Name: "A", Email: "a@example.org"}})
		wantKind(t, err, apperr.KindForbidden)
	})
}

func TestOffMeansNotFound(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create("dana@example.org")
		e.set("guest_tickets_enabled", false)
		_, err := e.guests.Create(e.ctx, "", guest.CreateInput{Name: "A", Email: "a@example.org", Subject: "x", Description: "y"})
		wantKind(t, err, apperr.KindNotFound)
		_, err = e.guests.Show(e.ctx, c.Token, "")
		wantKind(t, err, apperr.KindNotFound)
		_, err = e.guests.Reply(e.ctx, c.Token, "", "hello", nil)
		wantKind(t, err, apperr.KindNotFound)
		e.set("guest_tickets_enabled", true)
		if _, err := e.guests.Show(e.ctx, c.Token, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// A token opens its own ticket and nothing else; the guest sees public replies only, and
// their reply is a customer's reply.
func TestShowAndReply(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		mine, theirs := e.create("dana@example.org"), e.create("lee@example.org")
		agent := e.user("agent", "agent@example.org")
		id := mine.Ticket.ID
		if _, err := e.tickets.Reply(e.ctx, agent, id, ticket.ReplyInput{Body: "Public answer"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tickets.Reply(e.ctx, agent, id, ticket.ReplyInput{Body: "Secret note", IsInternalNote: true}); err != nil {
			t.Fatal(err)
		}
		d, err := e.guests.Show(e.ctx, mine.Token, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != id || len(d.Replies) != 1 || d.Replies[0].Body != "Public answer" || len(d.Activities) != 0 {
			t.Fatalf("detail %d replies %+v activities %d", d.ID, d.Replies, len(d.Activities))
		}
		if d2, _ := e.guests.Show(e.ctx, theirs.Token, ""); d2 == nil || d2.ID != theirs.Ticket.ID {
			t.Fatalf("the other token opened %v", d2)
		}
		for _, bad := range []string{"", "nope", strings.Repeat("a", 64), mine.Token[:63], mine.Token + "a", guest.HashToken(mine.Token), strings.ToLower(mine.Token) + "\x00"} {
			if bad == mine.Token {
				continue
			}
			_, err := e.guests.Show(e.ctx, bad, "")
			wantKind(t, err, apperr.KindNotFound)
		}

		// waiting_on_customer goes back to the agents; the reply is the contact's.
		if _, err := e.tickets.ChangeStatus(e.ctx, agent, id, ticket.StatusWaitingOnCustomer); err != nil {
			t.Fatal(err)
		}
		r, err := e.guests.Reply(e.ctx, mine.Token, "198.51.100.7", "Thanks, still broken", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.AuthorID != nil || r.ContactID == nil || *r.ContactID != *mine.Ticket.ContactID || r.Author.Name != "Dana Okafor" {
			t.Fatalf("reply %+v author %+v", r, r.Author)
		}
		staff, err := e.tickets.Get(e.ctx, agent, id)
		if err != nil {
			t.Fatal(err)
		}
		if staff.Status != ticket.StatusWaitingOnAgent || staff.FirstResponseAt == nil {
			t.Fatalf("status %s first response %v", staff.Status, staff.FirstResponseAt)
		}
		last := staff.Replies[len(staff.Replies)-1]
		if last.Author == nil || last.Author.Name != "Dana Okafor" {
			t.Fatalf("staff see the reply by %+v", last.Author)
		}
		var causer *ticket.Person
		for _, a := range staff.Activities {
			if a.Type == "replied" && a.CauserID == nil {
				causer = a.Causer
			}
		}
		if causer == nil || causer.Name != "Dana Okafor" {
			t.Fatalf("timeline causer %+v", causer)
		}
		var audit struct {
			ActorContactID *int64 `bun:"actor_contact_id"`
			IP             string `bun:"ip_address"`
		}
		e.db.R.NewRaw(`SELECT actor_contact_id, ip_address FROM audit_logs WHERE action = 'ticket.replied' AND resource_id = ? ORDER BY id DESC LIMIT 1`, id).Scan(e.ctx, &audit)
		if audit.ActorContactID == nil || *audit.ActorContactID != *mine.Ticket.ContactID || audit.IP != "198.51.100.7" {
			t.Fatalf("audit %+v", audit)
		}

		// A snoozed ticket wakes; a closed one reopens, as for a customer.
		if _, err := e.tickets.Snooze(e.ctx, agent, id, ticket.SnoozeInput{Until: ptr(e.clock.Now().Add(48 * time.Hour))}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.guests.Reply(e.ctx, mine.Token, "", "Any news?", nil); err != nil {
			t.Fatal(err)
		}
		if d, _ := e.tickets.Get(e.ctx, agent, id); d.SnoozedUntil != nil {
			t.Fatalf("still snoozed until %v", d.SnoozedUntil)
		}
		if _, err := e.tickets.ChangeStatus(e.ctx, agent, id, ticket.StatusClosed); err != nil {
			t.Fatal(err)
		}
		if _, err := e.guests.Reply(e.ctx, mine.Token, "", "It broke again", nil); err != nil {
			t.Fatal(err)
		}
		if d, _ := e.tickets.Get(e.ctx, agent, id); d.Status != ticket.StatusReopened {
			t.Fatalf("status after a reply to a closed ticket: %s", d.Status)
		}

		// A guest cannot add an internal note, and a guest actor bound to one ticket cannot
		// touch another.
		a, err := e.guests.Open(e.ctx, mine.Token, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.tickets.Reply(e.ctx, a, id, ticket.ReplyInput{Body: "x", IsInternalNote: true})
		wantKind(t, err, apperr.KindForbidden)
		_, err = e.tickets.Reply(e.ctx, a, theirs.Ticket.ID, ticket.ReplyInput{Body: "x"})
		wantKind(t, err, apperr.KindNotFound)
		_, err = e.tickets.ChangeStatus(e.ctx, a, id, ticket.StatusResolved)
		wantKind(t, err, apperr.KindForbidden)
		if a.IsAgent() || a.IsCustomer() || a.Can("ticket.view") {
			t.Fatalf("a guest has rights: %+v", a)
		}
	})
}

func ptr[T any](v T) *T { return &v }
