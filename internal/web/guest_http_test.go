package web_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	escalated "github.com/escalated-dev/escalated-go"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// guestTicket is what a test keeps of a guest ticket it opened.
type guestTicket struct {
	ID    int64
	Ref   string
	Token string
}

func (g guestTicket) path(suffix string) string { return "/guest/" + g.Token + suffix }

// openGuest has c (anyone, usually nobody signed in) open a guest ticket over JSON.
func openGuest(t *testing.T, c *testdesk.Client, email, subject string) guestTicket {
	t.Helper()
	data := c.Do("POST", "/guest", map[string]any{"name": "Dana Okafor", "email": email, "subject": subject, "description": "About " + subject}).Want(201).Data()
	tk := data["ticket"].(map[string]any)
	g := guestTicket{ID: int64(tk["id"].(float64)), Ref: tk["reference"].(string), Token: data["token"].(string)}
	if len(g.Token) != 64 || data["guest_url"] != "/support/guest/"+g.Token {
		t.Fatalf("token %q guest_url %v", g.Token, data["guest_url"])
	}
	return g
}

// otherToken is a well-formed token that opens nothing.
var otherToken = strings.Repeat("Q", 64)

// A guest opens a ticket with JSON, reads it through the link (public replies only),
// answers, and staff see it in the queue with the contact as requester.
func TestGuestTicketJSON(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		agent := d.User("agent")
		guest := d.Anonymous()
		g := openGuest(t, guest, "dana@example.org", "Printer jam")
		if got := d.Events.Names(g.ID); len(got) != 1 || got[0] != "TicketCreated" {
			t.Fatalf("events %v", got)
		}
		// Only the hash is stored.
		if n := d.count(`SELECT count(*) FROM guest_tokens WHERE token_hash = ?`, g.Token); n != 0 {
			t.Fatal("the token is stored in clear")
		}

		// Staff: in the queue and on the detail page, requester from the contact.
		list := agent.Do("GET", "/agent/tickets", nil).Want(200).JSON()["data"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["requester_email"] != "dana@example.org" || list[0].(map[string]any)["requester_name"] != "Dana Okafor" {
			t.Fatalf("queue %v", list)
		}
		staffTk := ticket{ID: g.ID, Ref: g.Ref}
		agent.Do("POST", staffTk.path("/reply"), map[string]any{"body": "Try turning it off and on."}).Want(201)
		agent.Do("POST", staffTk.path("/note"), map[string]any{"body": "Internal: this customer again"}).Want(201)
		move(agent, staffTk, "waiting_on_customer")

		show := guest.Do("GET", g.path(""), nil).Want(200).Data()
		replies := show["replies"].([]any)
		if show["reference"] != g.Ref || len(replies) != 1 || strings.Contains(fmt.Sprint(show), "Internal:") {
			t.Fatalf("guest sees %v", show)
		}
		if _, ok := show["activities"]; ok && len(show["activities"].([]any)) != 0 {
			t.Fatalf("guest sees the timeline: %v", show["activities"])
		}

		reply := guest.Do("POST", g.path("/reply"), map[string]any{"body": "Did that, still jammed."}).Want(201).Data()
		if reply["author"].(map[string]any)["name"] != "Dana Okafor" {
			t.Fatalf("reply %v", reply)
		}
		detail := agent.Do("GET", staffTk.path(""), nil).Want(200).Data()
		if detail["status"] != "waiting_on_agent" || detail["requester_ticket_count"] != 1.0 {
			t.Fatalf("status %v, requester_ticket_count %v after the guest's reply", detail["status"], detail["requester_ticket_count"])
		}
		// The contact's tickets are counted like an account's.
		openGuest(t, guest, "dana@example.org", "Toner")
		if got := agent.Do("GET", staffTk.path(""), nil).Want(200).Data()["requester_ticket_count"]; got != 2.0 {
			t.Fatalf("requester_ticket_count %v with two tickets from the contact", got)
		}
		last := detail["replies"].([]any)[2].(map[string]any)
		if last["body"] != "Did that, still jammed." || last["author"].(map[string]any)["name"] != "Dana Okafor" {
			t.Fatalf("staff see %v", last)
		}
		if got := d.Events.Names(g.ID); !slices.Contains(got, "ReplyCreated") {
			t.Fatalf("events %v", got)
		}
		// The audit log names the contact and the guest's address.
		if n := d.count(`SELECT count(*) FROM audit_logs a JOIN contacts c ON c.id = a.actor_contact_id
			WHERE a.action = 'ticket.replied' AND a.actor_id IS NULL AND c.email = 'dana@example.org' AND a.ip_address = '127.0.0.1'`); n != 1 {
			t.Fatalf("%d audit rows for the guest's reply", n)
		}

		// A guest cannot slip in an internal note, nor reach the staff or customer routes.
		guest.Do("POST", g.path("/reply"), map[string]any{"body": "x", "is_internal_note": true}).Want(422)
		guest.Do("GET", staffTk.path(""), nil).Want(401)
		guest.Do("GET", staffTk.own(""), nil).Want(401)
	})
}

// The Inertia form: the post answers 303 to the ticket's link, whose page shows the ticket
// with its token; a reply goes back to the page. Validation errors come back as props.errors.
func TestGuestTicketInertia(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		b := d.Anonymous()
		form := b.Inertia("GET", "/guest/create", nil).Want(200).Page()
		if form.Component != "Escalated/Guest/Create" || form.Props["lookup_url"] != nil || form.Props["verification_url"] != nil {
			t.Fatalf("form %+v", form)
		}
		if p, _ := form.Props["priorities"].([]any); len(p) != 5 {
			t.Fatalf("priorities %v", form.Props["priorities"])
		}

		bad := b.Inertia("POST", "/guest", map[string]any{"name": "Dana", "subject": "Jam", "description": "x"}).Want(303)
		page := b.Follow(bad).Page()
		if errs := page.Props["errors"].(map[string]any); errs["email"] == nil {
			t.Fatalf("errors %v", errs)
		}

		res := b.Inertia("POST", "/guest", map[string]any{"name": "Dana", "email": "dana@example.org", "subject": "Jam", "description": "x", "priority": "high"}).Want(303)
		loc := res.Header.Get("Location")
		token := strings.TrimPrefix(loc, "/support/guest/")
		if len(token) != 64 {
			t.Fatalf("redirect to %q", loc)
		}
		show := b.Follow(res).Page()
		tk := show.Props["ticket"].(map[string]any)
		if show.Component != "Escalated/Guest/Show" || show.Props["token"] != token || tk["subject"] != "Jam" || tk["priority"] != "high" ||
			show.Props["guest_url"] != loc || show.Props["prompt_signup"] != false {
			t.Fatalf("show %+v", show)
		}
		if f := show.Props["flash"].(map[string]any); !strings.HasPrefix(fmt.Sprint(f["success"]), "Ticket created.") {
			t.Fatalf("flash %v", f)
		}

		b.Header.Set("Referer", d.Server.URL+loc)
		back := b.Inertia("POST", "/guest/"+token+"/reply", map[string]any{"body": "More detail"}).Want(303)
		if back.Header.Get("Location") != loc {
			t.Fatalf("reply went to %q", back.Header.Get("Location"))
		}
		if replies := b.Follow(back).Page().Props["ticket"].(map[string]any)["replies"].([]any); len(replies) != 1 {
			t.Fatalf("replies %v", replies)
		}

		// prompt_signup has the page offer an account.
		admin := d.User("admin")
		admin.Do("POST", "/admin/settings", map[string]any{"guest_policy_mode": "prompt_signup"}).Want(200)
		if p := b.Inertia("GET", "/guest/"+token, nil).Want(200).Page(); p.Props["prompt_signup"] != true {
			t.Fatalf("prompt_signup %v", p.Props["prompt_signup"])
		}
	})
}

// Tokens: a wrong, malformed or other guest's token reaches nothing, and the setting turns
// every guest route off.
func TestGuestTokensAndSetting(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		mine := openGuest(t, d.Anonymous(), "dana@example.org", "Mine")
		theirs := openGuest(t, d.Anonymous(), "lee@example.org", "Theirs")
		c := d.Anonymous()
		for _, bad := range []string{otherToken, "short", strings.Repeat("a", 65), mine.Token[:63] + "-", strings.ToLower(mine.Token[:32]) + strings.ToUpper(mine.Token[32:]) + "x", "%00" + mine.Token[3:]} {
			if bad == mine.Token {
				continue
			}
			c.Do("GET", "/guest/"+bad, nil).Want(404)
			c.Do("POST", "/guest/"+bad+"/reply", map[string]any{"body": "hi"}).Want(404)
			c.Inertia("GET", "/guest/"+bad, nil).Want(404)
		}
		// Each token opens its own ticket only.
		if got := c.Do("GET", theirs.path(""), nil).Want(200).Data(); got["subject"] != "Theirs" {
			t.Fatalf("their token opened %v", got["subject"])
		}
		if got := c.Do("GET", mine.path(""), nil).Want(200).Data(); got["subject"] != "Mine" {
			t.Fatalf("my token opened %v", got["subject"])
		}
		// A guest's token opens no attachment of another ticket.
		cust := d.User("customer")
		tk := open(cust, "Customer's")
		att := post(cust, tk.own("/reply"), [][2]string{{"body", "file"}}, upload{name: "a.txt", content: "secret"}).Want(201).Data()
		attID := attachmentsOf(att["attachments"])[0]["id"]
		c.Do("GET", fmt.Sprintf("%s/attachments/%v", mine.path(""), attID), nil).Want(404)

		admin := d.User("admin")
		admin.Do("POST", "/admin/settings", map[string]any{"guest_tickets_enabled": false}).Want(200)
		c.Do("GET", "/guest/create", nil).Want(404)
		c.Inertia("GET", "/guest/create", nil).Want(404)
		c.Do("POST", "/guest", map[string]any{"name": "A", "email": "a@example.org", "subject": "s", "description": "d"}).Want(404)
		c.Do("GET", mine.path(""), nil).Want(404)
		c.Do("POST", mine.path("/reply"), map[string]any{"body": "hi"}).Want(404)
		admin.Do("POST", "/admin/settings", map[string]any{"guest_policy_mode": "nonsense"}).Want(422)
	})
}

// Hostile input: unknown fields, wrong types, oversize values, markup, a bad department.
func TestGuestHostileInput(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		c := d.Anonymous()
		base := func(extra map[string]any) map[string]any {
			b := map[string]any{"name": "Dana", "email": "dana@example.org", "subject": "s", "description": "d"}
			for k, v := range extra {
				if v == nil {
					delete(b, k)
				} else {
					b[k] = v
				}
			}
			return b
		}
		for field, body := range map[string]map[string]any{
			"email":         base(map[string]any{"email": nil}),
			"name":          base(map[string]any{"name": ""}),
			"subject":       base(map[string]any{"subject": strings.Repeat("s", 300)}),
			"priority":      base(map[string]any{"priority": "whenever"}),
			"department_id": base(map[string]any{"department_id": 9999}),
			"ticket_type":   base(map[string]any{"ticket_type": "task"}),
			"requester_id":  base(map[string]any{"requester_id": 1}),
			"tag_ids":       base(map[string]any{"tag_ids": []int{1}}),
			"name ":         base(map[string]any{"name": 42}),
		} {
			if res := c.Do("POST", "/guest", body).Want(422); res.FieldError(strings.TrimSpace(field)) == "" {
				t.Errorf("%s: %s", field, res.Body)
			}
		}
		inactive := d.department("Closed shop")
		d.exec(`UPDATE departments SET is_active = FALSE WHERE id = ?`, inactive)
		c.Do("POST", "/guest", base(map[string]any{"department_id": inactive})).Want(422)
		c.Do("POST", "/guest", "[]").Want(422)
		c.Do("POST", "/guest", strings.Repeat(`{"a":`, 10)).Want(422)
		c.Send("POST", "/guest", "text/plain", []byte("name=x")).Want(422)
		huge := base(map[string]any{"description": strings.Repeat("x", 2<<20)})
		c.Do("POST", "/guest", huge).Want(413)
		if n := d.count(`SELECT count(*) FROM tickets`); n != 0 {
			t.Fatalf("%d tickets after refused input", n)
		}

		// Markup is stored as text and never comes back executable.
		xss := `<script>alert(1)</script><img src=x onerror=alert(2)>`
		sales := d.department("Sales")
		g := c.Do("POST", "/guest", base(map[string]any{"name": xss, "subject": xss, "description": xss, "department_id": sales})).Want(201)
		if strings.Contains(string(g.Body), "<script>") {
			t.Fatalf("JSON carries raw markup: %s", g.Body)
		}
		token := g.Data()["token"].(string)
		req, _ := http.NewRequest("GET", d.Server.URL+"/support/guest/"+token, nil)
		req.Header.Set("Accept", "text/html")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || strings.Contains(string(html), "<script>alert") || strings.Contains(string(html), "<img src=x") {
			t.Fatalf("HTML page %d carries raw markup", res.StatusCode)
		}
		page := c.Inertia("GET", "/guest/"+token, nil).Want(200)
		if strings.Contains(string(page.Body), "<script>") {
			t.Fatalf("page object carries raw markup")
		}
		if tk := page.Page().Props["ticket"].(map[string]any); tk["subject"] != xss || tk["department"].(map[string]any)["name"] != "Sales" {
			t.Fatalf("ticket %v", tk)
		}
		c.Do("POST", "/guest/"+token+"/reply", map[string]any{"body": ""}).Want(422)
		c.Do("POST", "/guest/"+token+"/reply", map[string]any{"body": "x", "extra": 1}).Want(422)
		c.Do("POST", "/guest/"+token+"/reply", map[string]any{"body": 5}).Want(422)
	})
}

// Guests attach files on create and reply, and download the ticket's public files through
// the token, never a note's.
func TestGuestAttachments(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		c := d.Anonymous()
		res := post(c, "/guest", [][2]string{{"name", "Dana"}, {"email", "dana@example.org"}, {"subject", "Screenshot"}, {"description", "See file"}},
			upload{name: "shot.txt", content: "pixels"}).Want(201).Data()
		token := res["token"].(string)
		tk := ticket{ID: int64(res["ticket"].(map[string]any)["id"].(float64)), Ref: res["ticket"].(map[string]any)["reference"].(string)}
		agent := d.User("agent")
		post(agent, tk.path("/note"), [][2]string{{"body", "internal file"}}, upload{name: "note.txt", content: "internal"}).Want(201)
		show := c.Do("GET", "/guest/"+token, nil).Want(200).Data()
		files := show["attachments"].([]any)
		if len(files) != 1 {
			t.Fatalf("guest sees files %v", files)
		}
		url := files[0].(map[string]any)["url"].(string)
		if !strings.HasPrefix(url, "/support/guest/"+token+"/attachments/") {
			t.Fatalf("url %q", url)
		}
		got := c.Do("GET", strings.TrimPrefix(url, "/support"), nil).Want(200)
		if string(got.Body) != "pixels" || !strings.HasPrefix(got.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("download %q %v", got.Body, got.Header)
		}
		// The note's file is not the guest's, even by number.
		detail := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		for _, a := range detail["attachments"].([]any) {
			id := a.(map[string]any)["id"]
			if a.(map[string]any)["reply_id"] != nil {
				c.Do("GET", fmt.Sprintf("/guest/%s/attachments/%v", token, id), nil).Want(404)
			}
		}
		reply := post(c, "/guest/"+token+"/reply", [][2]string{{"body", "another"}}, upload{name: "b.txt", content: "more"}).Want(201).Data()
		if u := attachmentsOf(reply["attachments"])[0]["url"].(string); !strings.HasPrefix(u, "/support/guest/"+token+"/attachments/") {
			t.Fatalf("reply file url %q", u)
		}
	})
}

// Opening tickets and looking tokens up are limited per address; failed look-ups count.
func TestGuestRateLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := limitedDesk(t, url, escalated.RateLimits{PerMinute: -1, Login: -1, TwoFactor: -1, GuestCreate: 2, GuestLookup: 3}, "127.0.0.1/32")
		c := from(d, "198.51.100.1")
		body := map[string]any{"name": "Dana", "email": "dana@example.org", "subject": "s", "description": "d"}
		token := c.Do("POST", "/guest", body).Want(201).Data()["token"].(string)
		c.Do("POST", "/guest", map[string]any{"name": "Dana"}).Want(422) // refused ones count too
		wantLimited(t, c.Do("POST", "/guest", body), 30)
		c2 := from(d, "198.51.100.2")
		c2.Do("POST", "/guest", body).Want(201)

		// Three guesses from one address, then even the right token waits.
		for range 3 {
			c.Do("GET", "/guest/"+otherToken, nil).Want(404)
		}
		wantLimited(t, c.Do("GET", "/guest/"+token, nil), 20)
		wantLimited(t, c.Do("POST", "/guest/"+token+"/reply", map[string]any{"body": "hi"}), 20)
		c2.Do("GET", "/guest/"+token, nil).Want(200)
		d.Clock.Advance(20 * time.Second)
		c.Do("GET", "/guest/"+token, nil).Want(200)
		// The form itself counts against the general limit only.
		for range 5 {
			c.Do("GET", "/guest/create", nil).Want(200)
		}
	})
}

// Webhooks fire for a guest's ticket and reply as for anyone's.
func TestGuestWebhooks(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		d.RunJobs()
		r := newHookReceiver(t)
		admin := d.User("admin")
		admin.Do("POST", "/admin/settings", map[string]any{"webhook_allowed_hosts": []string{r.hostPort()}}).Want(200)
		created := admin.Do("POST", "/admin/webhooks", hookBody(r.URL+"/h", "ticket.created", "reply.created")).Want(201).Data()
		r.setSecret(created["secret"].(string))
		g := openGuest(t, d.Anonymous(), "dana@example.org", "Hook me")
		_, body := r.await(t, "ticket.created", 0)
		if tk := body["payload"].(map[string]any)["ticket"].(map[string]any); tk["reference"] != g.Ref {
			t.Fatalf("payload %v", body["payload"])
		}
		d.Anonymous().Do("POST", g.path("/reply"), map[string]any{"body": "hello"}).Want(201)
		r.await(t, "reply.created", 0)
	})
}

// The guest forms are cookie routes: cross-origin posts are refused, and once a session has
// rendered a page its posts must carry its CSRF token, as /login's do.
func TestGuestFormsAreProtected(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		body := map[string]any{"name": "Dana", "email": "dana@example.org", "subject": "s", "description": "d"}
		c := d.Anonymous()
		c.Header.Set("Origin", "https://evil.example")
		c.Do("POST", "/guest", body).Want(403)
		c.Header = http.Header{}
		c.Inertia("GET", "/guest/create", nil).Want(200)
		c.Header.Set("X-XSRF-TOKEN", "forged")
		c.Do("POST", "/guest", body).Want(419)
		c.Header = http.Header{}
		g := c.Do("POST", "/guest", body).Want(201).Data()
		token := g["token"].(string)
		c.Header.Set("X-XSRF-TOKEN", "forged")
		c.Do("POST", "/guest/"+token+"/reply", map[string]any{"body": "hi"}).Want(419)
		c.Header = http.Header{}
		c.Header.Set("Sec-Fetch-Site", "cross-site")
		c.Do("POST", "/guest/"+token+"/reply", map[string]any{"body": "hi"}).Want(403)
	})
}

// Embedded in a host (its own identity resolver), the desk has no sign-in of its own, so no
// `login` route: the guest pages still render, and work for someone the host has signed in
// as they do for nobody.
func TestGuestPagesEmbedded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		var signedIn atomic.Bool
		d := testdesk.New(t, url, escalated.WithIdentityResolver(func(r *http.Request) (*escalated.HostUser, error) {
			if !signedIn.Load() {
				return nil, nil
			}
			return &escalated.HostUser{ExternalID: "h1", Name: "Host Customer", Email: "host@example.org"}, nil
		}))
		c := d.Anonymous()
		p := c.Inertia("GET", "/guest/create", nil).Want(200).Page()
		z := ziggyOf(t, p)
		if _, ok := z.Routes["login"]; ok {
			t.Fatal("an embedded desk lists a login route")
		}
		if _, ok := z.Routes["escalated.guest.tickets.store"]; !ok {
			t.Fatal("no guest store route in ziggy")
		}
		g := openGuest(t, c, "dana@example.org", "Embedded")
		c.Inertia("GET", g.path(""), nil).Want(200)
		signedIn.Store(true)
		// Being someone in the host changes nothing about a guest's link.
		c.Do("GET", g.path(""), nil).Want(200)
		c.Do("POST", g.path("/reply"), map[string]any{"body": "from a host user"}).Want(201)
	})
}
