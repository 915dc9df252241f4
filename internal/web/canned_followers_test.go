package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

const cannedPath = "/admin/canned-responses"

func cannedTitles(c *testdesk.Client) []string {
	out := []string{}
	for _, row := range c.Do("GET", cannedPath, nil).Want(200).JSON()["data"].([]any) {
		out = append(out, row.(map[string]any)["title"].(string))
	}
	return out
}

func idsOf(list any) []int64 {
	out := []int64{}
	for _, row := range list.([]any) {
		out = append(out, int64(row.(map[string]any)["id"].(float64)))
	}
	return out
}

func TestFollowingATicketOverHTTP(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, light, customer := d.User("admin"), d.User("agent"), d.User("light_agent"), d.User("customer")
		d.Role("blind", "reply.create", "macro.view")
		blind := d.User("blind")
		tk := open(customer, "Keep me posted")
		other := open(customer, "Not followed")

		// An empty body and {} both toggle; the answer is the new state.
		st := agent.Do("POST", tk.path("/follow"), nil).Want(200).Data()
		if st["is_following"] != true || st["followers_count"] != 1.0 {
			t.Fatalf("follow = %v", st)
		}
		if st := light.Do("POST", tk.path("/follow"), map[string]any{}).Want(200).Data(); st["is_following"] != true || st["followers_count"] != 2.0 {
			t.Fatalf("light agent's follow = %v", st)
		}
		if st := agent.Do("POST", tk.path("/follow"), map[string]any{}).Want(200).Data(); st["is_following"] != false || st["followers_count"] != 1.0 {
			t.Fatalf("unfollow = %v", st)
		}
		// The admin route is the same toggle.
		if st := admin.Do("POST", "/admin/tickets/"+tk.Ref+"/follow", nil).Want(200).Data(); st["is_following"] != true || st["followers_count"] != 2.0 {
			t.Fatalf("admin follow = %v", st)
		}

		// Customers and staff who may not see tickets are refused; the requester too.
		customer.Do("POST", tk.path("/follow"), nil).Want(403)
		customer.Do("POST", "/admin/tickets/"+tk.Ref+"/follow", nil).Want(403)
		blind.Do("POST", tk.path("/follow"), nil).Want(403)
		agent.Do("POST", "/agent/tickets/ESC-99999/follow", nil).Want(404)
		d.Anonymous().Do("POST", tk.path("/follow"), nil).Want(401)

		// Hostile bodies: nothing but nothing or {} is taken.
		huge := `{"x": "` + strings.Repeat("a", 1<<20) + `"}`
		for body, field := range map[string]string{`{"is_admin": true}`: "is_admin", `[]`: "body", `null`: "body", `"x"`: "body", `{`: "body", `{} {}`: "body"} {
			agent.Do("POST", tk.path("/follow"), body).Want(422).FieldError(field)
		}
		agent.Do("POST", tk.path("/follow"), huge).Want(413)

		// Staff see the followers on the ticket; the timeline does not mention them.
		detail := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		var names []string
		for _, f := range detail["followers"].([]any) {
			names = append(names, f.(map[string]any)["name"].(string))
		}
		if !slices.Equal(names, []string{admin.Name, light.Name}) {
			t.Fatalf("followers %v", names)
		}
		if got := activityTypes(agent, tk); len(got) != 0 {
			t.Fatalf("following wrote timeline entries %v", got)
		}
		if _, ok := customer.Do("GET", tk.own(""), nil).Want(200).Data()["followers"]; ok {
			t.Fatal("the requester sees who follows their ticket")
		}
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE resource_type = 'ticket' AND resource_id = ? AND action IN ('ticket.followed', 'ticket.unfollowed')`, tk.ID); n != 4 {
			t.Fatalf("%d follow audit entries, want 4", n)
		}

		// The queue's following filter: the tickets the viewer follows.
		if got, total := listSubjects(light.Do("GET", "/agent/tickets?following=true", nil)); total != 1 || got[0] != "Keep me posted" {
			t.Fatalf("light follows %v", got)
		}
		if _, total := listSubjects(agent.Do("GET", "/agent/tickets?following=1", nil)); total != 0 {
			t.Fatalf("agent follows %d", total)
		}
		if _, total := listSubjects(agent.Do("GET", "/agent/tickets?following=false", nil)); total != 2 {
			t.Fatalf("following=false lists %d", total)
		}
		agent.Do("GET", "/agent/tickets?following=maybe", nil).Want(422).FieldError("following")

		// In the browser the button posts and lands back on the ticket with its new state.
		agent.Header.Set("Referer", d.Server.URL+"/support"+other.path(""))
		p := agent.Follow(agent.Inertia("POST", other.path("/follow"), map[string]any{}).Want(302, 303)).Page()
		if p.Component != "Escalated/Agent/TicketShow" || flash(p, "success") != "You are following this ticket." ||
			p.Props["is_following"] != true || p.Props["followers_count"] != 1.0 {
			t.Fatalf("after follow: %s flash %v following %v count %v", p.Component, p.Props["flash"], p.Props["is_following"], p.Props["followers_count"])
		}
		p = agent.Follow(agent.Inertia("POST", other.path("/follow"), map[string]any{}).Want(302, 303)).Page()
		if flash(p, "success") != "You are no longer following this ticket." || p.Props["is_following"] != false || p.Props["followers_count"] != 0.0 {
			t.Fatalf("after unfollow: flash %v following %v", p.Props["flash"], p.Props["is_following"])
		}
	})
}

func TestTicketShowCarriesWhatTheAgentMayUse(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, alice, bob, light, customer := d.User("admin"), d.User("agent"), d.User("agent"), d.User("light_agent"), d.User("customer")
		tk := open(customer, "Props")
		shared := idOf(admin.Do("POST", cannedPath, map[string]any{"title": "Thanks", "body": "Thanks for writing.", "is_shared": true}).Want(201))
		mine := idOf(alice.Do("POST", cannedPath, map[string]any{"title": "Alice's", "body": "Hi from Alice."}).Want(201))
		idOf(bob.Do("POST", cannedPath, map[string]any{"title": "Bob's", "body": "Hi from Bob."}).Want(201))
		macro := idOf(admin.Do("POST", "/admin/macros", map[string]any{"name": "Note it", "is_shared": true, "actions": []map[string]any{{"type": "note", "value": "Noted."}}}).Want(201))
		bob.Do("POST", tk.path("/follow"), nil).Want(200)

		p := alice.Inertia("GET", tk.path(""), nil).Want(200).Page()
		for _, key := range []string{"ticket", "departments", "tags", "agents", "macros", "cannedResponses", "customActions", "followers_count", "is_following"} {
			if _, ok := p.Props[key]; !ok {
				t.Errorf("Agent/TicketShow has no %q prop", key)
			}
		}
		if got := idsOf(p.Props["cannedResponses"]); !slices.Equal(got, []int64{mine, shared}) {
			t.Errorf("alice's canned responses %v, want [%d %d]", got, mine, shared)
		}
		if got := idsOf(p.Props["macros"]); !slices.Equal(got, []int64{macro}) {
			t.Errorf("macros %v", got)
		}
		var agents []string
		for _, a := range p.Props["agents"].([]any) {
			a := a.(map[string]any)
			if len(a) != 2 || a["id"] == nil {
				t.Errorf("agent option %v is not {id, name}", a)
			}
			agents = append(agents, a["name"].(string))
		}
		// Active staff, by name; never the customer.
		if want := []string{admin.Name, alice.Name, bob.Name, light.Name}; !slices.Equal(agents, want) {
			t.Errorf("agents %v, want %v", agents, want)
		}
		if p.Props["is_following"] != false || p.Props["followers_count"] != 1.0 || len(p.Props["customActions"].([]any)) != 0 {
			t.Errorf("follow props %v %v, custom actions %v", p.Props["is_following"], p.Props["followers_count"], p.Props["customActions"])
		}
		if f := p.Props["ticket"].(map[string]any)["followers"].([]any); len(f) != 1 || f[0].(map[string]any)["name"] != bob.Name {
			t.Errorf("ticket.followers %v", f)
		}

		// A light agent uses shared canned responses and macros but assigns nobody.
		lp := light.Inertia("GET", tk.path(""), nil).Want(200).Page()
		if got := idsOf(lp.Props["cannedResponses"]); !slices.Equal(got, []int64{shared}) {
			t.Errorf("light agent's canned responses %v", got)
		}
		if len(lp.Props["agents"].([]any)) != 0 {
			t.Errorf("light agent is offered assignees %v", lp.Props["agents"])
		}
		// Staff without macro.view get empty lists, not a refusal.
		d.Role("no-macros", "ticket.view", "ticket.assign")
		plain := d.User("no-macros")
		pp := plain.Inertia("GET", tk.path(""), nil).Want(200).Page()
		if len(pp.Props["cannedResponses"].([]any)) != 0 || len(pp.Props["macros"].([]any)) != 0 || len(pp.Props["agents"].([]any)) == 0 {
			t.Errorf("no-macros props: canned %v macros %v agents %v", pp.Props["cannedResponses"], pp.Props["macros"], pp.Props["agents"])
		}
	})
}

func TestCannedResponsesOverHTTP(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, alice, bob, light, customer := d.User("admin"), d.User("agent"), d.User("agent"), d.User("light_agent"), d.User("customer")
		d.Role("no-macro", "ticket.view", "reply.create")
		noMacro := d.User("no-macro")

		res := alice.Do("POST", cannedPath, map[string]any{"title": " Refund ", "body": "We refunded you.", "category": "Billing"}).Want(201)
		created := res.Data()
		id := idOf(res)
		if created["title"] != "Refund" || created["category"] != "Billing" || created["is_shared"] != false ||
			created["created_by"] != float64(alice.ID) || created["creator"].(map[string]any)["name"] != alice.Name {
			t.Fatalf("created %v", created)
		}
		one := fmt.Sprint(cannedPath, "/", id)
		alice.Do("POST", cannedPath, map[string]any{"title": "Shared", "body": "x", "is_shared": true}).Want(403)
		light.Do("POST", cannedPath, map[string]any{"title": "Light", "body": "x"}).Want(403)
		customer.Do("GET", cannedPath, nil).Want(403)
		customer.Do("POST", cannedPath, map[string]any{"title": "x", "body": "y"}).Want(403)
		noMacro.Do("GET", cannedPath, nil).Want(403)
		d.Anonymous().Do("GET", cannedPath, nil).Want(401)

		// Someone else's personal response is not there.
		bob.Do("GET", one, nil).Want(404)
		bob.Do("PUT", one, map[string]any{"title": "Mine"}).Want(404)
		bob.Do("DELETE", one, nil).Want(404)
		if got := cannedTitles(light); len(got) != 0 {
			t.Fatalf("light agent sees %v", got)
		}
		alice.Do("GET", one, nil).Want(200)
		if got := alice.Do("PATCH", one, map[string]any{"body": "Refunded in full."}).Want(200).Data(); got["title"] != "Refund" || got["body"] != "Refunded in full." {
			t.Fatalf("patched %v", got)
		}
		admin.Do("PUT", one, map[string]any{"is_shared": true}).Want(200)
		if got := cannedTitles(bob); !slices.Equal(got, []string{"Refund"}) {
			t.Fatalf("bob sees %v", got)
		}
		alice.Do("DELETE", one, nil).Want(403)

		// Hostile input: every refusal names its field, and nothing is written.
		before := d.count(`SELECT count(*) FROM audit_logs`)
		huge := `{"title": "x", "body": "` + strings.Repeat("a", 1<<20) + `"}`
		for _, c := range []struct {
			method, path string
			body         any
			field        string
		}{
			{"POST", cannedPath, `{"title": "x", "body": "y", "is_admin": true}`, "is_admin"},
			{"POST", cannedPath, `{"title": "x", "body": "y", "created_by": 1}`, "created_by"},
			{"POST", cannedPath, map[string]any{"title": 42, "body": "y"}, "title"},
			{"POST", cannedPath, map[string]any{"title": "x", "body": []string{"y"}}, "body"},
			{"POST", cannedPath, map[string]any{"title": "x", "body": "y", "is_shared": "yes"}, "is_shared"},
			{"POST", cannedPath, map[string]any{"title": "x", "body": "y", "category": 3}, "category"},
			{"POST", cannedPath, map[string]any{"body": "y"}, "title"},
			{"POST", cannedPath, map[string]any{"title": "x"}, "body"},
			{"POST", cannedPath, map[string]any{"title": strings.Repeat("t", 256), "body": "y"}, "title"},
			{"POST", cannedPath, map[string]any{"title": "x", "body": "a\x00b"}, "body"},
			{"POST", cannedPath, `null`, "body"},
			{"POST", cannedPath, `[]`, "body"},
			{"POST", cannedPath, `{"title": `, "body"},
			{"PUT", one, map[string]any{"title": ""}, "title"},
			{"PATCH", one, `{"id": 7}`, "id"},
		} {
			admin.Do(c.method, c.path, c.body).Want(422).FieldError(c.field)
		}
		admin.Do("POST", cannedPath, huge).Want(413)
		admin.Do("GET", cannedPath+"/abc", nil).Want(404)
		admin.Do("GET", cannedPath+"/999999", nil).Want(404)
		if after := d.count(`SELECT count(*) FROM audit_logs`); after != before {
			t.Fatalf("refused input wrote %d audit entries", after-before)
		}

		// Markup in a title or body is stored as written and never sent as markup.
		xssTitle, xssBody := `<script>alert(1)</script>`, `<img src=x onerror=alert(document.cookie)>`
		xid := idOf(admin.Do("POST", cannedPath, map[string]any{"title": xssTitle, "body": xssBody, "is_shared": true}).Want(201))
		raw := admin.Do("GET", fmt.Sprint(cannedPath, "/", xid), nil).Want(200)
		if got := raw.Data(); got["title"] != xssTitle || got["body"] != xssBody {
			t.Fatalf("stored %v", got)
		}
		for name, body := range map[string][]byte{
			"JSON":         raw.Body,
			"API":          d.Bearer(tokenFor(t, admin, "*")).Do("GET", "/api/v1/canned-responses", nil).Want(200).Body,
			"Inertia page": admin.Inertia("GET", cannedPath, nil).Want(200).Body,
			"HTML page":    htmlPage(t, d.Desk, admin, cannedPath),
			"ticket page":  htmlPage(t, d.Desk, admin, open(customer, "XSS").path("")),
		} {
			for _, bad := range []string{"<script>alert", "<img src=x"} {
				if strings.Contains(string(body), bad) {
					t.Errorf("%s answers %q unescaped", name, bad)
				}
			}
		}

		// The admin page: its responses prop, and form posts that land back on it.
		p := admin.Inertia("GET", cannedPath, nil).Want(200).Page()
		if p.Component != "Escalated/Admin/CannedResponses/Index" || len(p.Props["responses"].([]any)) != 2 {
			t.Fatalf("page %s responses %v", p.Component, p.Props["responses"])
		}
		p = admin.Follow(admin.Inertia("POST", cannedPath, map[string]any{"title": "Hello", "body": "Hello!", "is_shared": true}).Want(302, 303)).Page()
		if p.Component != "Escalated/Admin/CannedResponses/Index" || flash(p, "success") != "Canned response created." || len(p.Props["responses"].([]any)) != 3 {
			t.Fatalf("after create: %s %v", p.Component, p.Props["flash"])
		}
		p = admin.Follow(admin.Inertia("POST", cannedPath, map[string]any{"title": "", "body": "Hello!"}).Want(302, 303)).Page()
		if errs := p.Props["errors"].(map[string]any); errs["title"] == nil {
			t.Fatalf("after a bad create: errors %v", errs)
		}
		p = admin.Follow(admin.Inertia("DELETE", fmt.Sprint(cannedPath, "/", xid), nil).Want(302, 303)).Page()
		if flash(p, "success") != "Canned response deleted." || len(p.Props["responses"].([]any)) != 2 {
			t.Fatalf("after delete: %v", p.Props["flash"])
		}

		var actions []string
		if err := d.db.R.NewRaw(`SELECT action FROM audit_logs WHERE resource_type = 'canned_response' ORDER BY id`).Scan(t.Context(), &actions); err != nil {
			t.Fatal(err)
		}
		want := []string{"canned_response.created", "canned_response.updated", "canned_response.updated", "canned_response.created", "canned_response.created", "canned_response.deleted"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

// htmlPage is a browser's first visit, signed in as c: the HTML shell with the page object
// inside it.
func htmlPage(t *testing.T, d *testdesk.Desk, c *testdesk.Client, path string) []byte {
	t.Helper()
	b := newBrowser(t, d)
	b.do("POST", "/login", nil, map[string]any{"email": c.Email, "password": testdesk.Password})
	res, body := b.do("GET", path, map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s as a browser: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return body
}

// TestAPIMacrosCannedResponsesAndFollow: the API's macro list and apply, canned responses
// and follow, each answer checked against openapi.json, for each kind of token.
func TestAPIMacrosCannedResponsesAndFollow(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, light, customer := d.User("admin"), d.User("agent"), d.User("light_agent"), d.User("customer")
		tk := open(customer, "Over the API")
		c := bearer(t, d.Desk, tokenFor(t, admin, "*"))

		note := idOf(admin.Do("POST", "/admin/macros", map[string]any{"name": "Note it", "is_shared": true,
			"actions": []map[string]any{{"type": "note", "value": "Noted."}, {"type": "priority", "value": "high"}}}).Want(201))
		reply := idOf(admin.Do("POST", "/admin/macros", map[string]any{"name": "Answer", "is_shared": true,
			"actions": []map[string]any{{"type": "reply", "value": "Answered."}}}).Want(201))
		private := idOf(agent.Do("POST", "/admin/macros", map[string]any{"name": "Agent's own", "actions": []map[string]any{{"type": "status", "value": "in_progress"}}}).Want(201))
		admin.Do("POST", cannedPath, map[string]any{"title": "B shared", "body": "b", "is_shared": true}).Want(201)
		admin.Do("POST", cannedPath, map[string]any{"title": "A shared", "body": "a", "is_shared": true, "category": ""}).Want(201)
		agent.Do("POST", cannedPath, map[string]any{"title": "Agent's", "body": "mine"}).Want(201)

		macros := c.Do("GET", "/macros", nil).Want(200).JSON()
		if got := names(macros["data"]); strings.Join(got, ",") != "Agent's own,Answer,Note it" || macros["meta"].(map[string]any)["total"] != 3.0 {
			t.Fatalf("admin's macros %v", macros)
		}
		list := c.Do("GET", "/canned-responses?per_page=1&page=2", nil).Want(200).JSON()
		if rows := list["data"].([]any); len(rows) != 1 || rows[0].(map[string]any)["title"] != "Agent's" || list["meta"].(map[string]any)["total"] != 3.0 {
			t.Fatalf("page 2 of canned responses %v", list)
		}

		// An agent's token lists shared ones and the agent's own.
		ac := bearer(t, d.Desk, tokenFor(t, agent, "*"))
		if got := names(ac.Do("GET", "/macros", nil).Want(200).JSON()["data"]); strings.Join(got, ",") != "Agent's own,Answer,Note it" {
			t.Fatalf("agent's macros %v", got)
		}
		lc := bearer(t, d.Desk, tokenFor(t, light, "*"))
		if got := names(lc.Do("GET", "/macros", nil).Want(200).JSON()["data"]); strings.Join(got, ",") != "Answer,Note it" {
			t.Fatalf("light agent's macros %v", got)
		}
		if n := len(lc.Do("GET", "/canned-responses", nil).Want(200).JSON()["data"].([]any)); n != 2 {
			t.Fatalf("light agent sees %d canned responses", n)
		}

		// Applying a macro makes all its changes; a light agent may apply one that only notes,
		// not one that replies; someone else's personal macro is not there.
		got := c.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": note}).Want(200).Data()
		if got["priority"] != "high" {
			t.Fatalf("after macro %v", got)
		}
		lc.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": reply}).Want(403)
		lc.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": private}).Want(404)
		noteOnly := idOf(admin.Do("POST", "/admin/macros", map[string]any{"name": "Just a note", "is_shared": true,
			"actions": []map[string]any{{"type": "note", "value": "Seen."}}}).Want(201))
		lc.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": note}).Want(403)
		lc.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": noteOnly}).Want(200)
		if got := activityTypes(admin, tk); !slices.Equal(got, []string{"note_added", "priority_changed", "note_added"}) {
			t.Fatalf("timeline %v", got)
		}

		// Following toggles; the ticket shows its followers.
		if st := lc.Do("POST", "/tickets/"+tk.Ref+"/follow", nil).Want(200).Data(); st["is_following"] != true || st["followers_count"] != 1.0 {
			t.Fatalf("follow %v", st)
		}
		if st := c.Do("POST", "/tickets/"+fmt.Sprint(tk.ID)+"/follow", map[string]any{}).Want(200).Data(); st["is_following"] != true || st["followers_count"] != 2.0 {
			t.Fatalf("admin follow %v", st)
		}
		if n := len(c.Do("GET", "/tickets/"+tk.Ref, nil).Want(200).Data()["followers"].([]any)); n != 2 {
			t.Fatalf("%d followers shown", n)
		}
		if rows := lc.Do("GET", "/tickets?following=true", nil).Want(200).JSON()["data"].([]any); len(rows) != 1 {
			t.Fatalf("light agent follows %d tickets", len(rows))
		}
		if st := lc.Do("POST", "/tickets/"+tk.Ref+"/follow", nil).Want(200).Data(); st["is_following"] != false || st["followers_count"] != 1.0 {
			t.Fatalf("unfollow %v", st)
		}

		// A token's abilities bound it: ticket.view alone follows but neither lists nor applies.
		viewer := bearer(t, d.Desk, tokenFor(t, agent, "ticket.view"))
		viewer.Do("POST", "/tickets/"+tk.Ref+"/follow", nil).Want(200)
		viewer.Do("GET", "/macros", nil).Want(403)
		viewer.Do("GET", "/canned-responses", nil).Want(403)
		viewer.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": note}).Want(403)
		macroOnly := bearer(t, d.Desk, tokenFor(t, agent, "macro.view"))
		macroOnly.Do("GET", "/macros", nil).Want(200)
		macroOnly.Do("POST", "/tickets/"+tk.Ref+"/follow", nil).Want(403)
		macroOnly.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": note}).Want(403)

		// Hostile input names its field and changes nothing.
		before := activityTypes(admin, tk)
		huge := `{"macro_id": 1, "x": "` + strings.Repeat("a", 1<<20) + `"}`
		for _, cl := range []struct {
			path  string
			body  any
			field string
		}{
			{"/macro", map[string]any{}, "macro_id"},
			{"/macro", map[string]any{"macro_id": "1"}, "macro_id"},
			{"/macro", map[string]any{"macro_id": 1.5}, "macro_id"},
			{"/macro", map[string]any{"macro_id": note, "force": true}, "force"},
			{"/macro", `null`, "body"},
			{"/follow", map[string]any{"user_id": admin.ID}, "user_id"},
			{"/follow", `[]`, "body"},
		} {
			c.Do("POST", "/tickets/"+tk.Ref+cl.path, cl.body).Want(422).FieldError(cl.field)
		}
		c.Do("POST", "/tickets/"+tk.Ref+"/macro", huge).Want(413)
		c.Do("POST", "/tickets/"+tk.Ref+"/follow", huge).Want(413)
		c.Do("POST", "/tickets/"+tk.Ref+"/macro", map[string]any{"macro_id": 999999}).Want(404)
		for _, key := range []string{"ESC-99999", "0", "%00", strings.Repeat("9", 41)} {
			c.Do("POST", "/tickets/"+key+"/macro", map[string]any{"macro_id": note}).Want(404)
			c.Do("POST", "/tickets/"+key+"/follow", nil).Want(404)
		}
		for path, field := range map[string]string{"/macros?page=0": "page", "/canned-responses?per_page=101": "per_page", "/tickets?following=maybe": "following"} {
			c.Do("GET", path, nil).Want(422).FieldError(field)
		}
		if got := activityTypes(admin, tk); !slices.Equal(got, before) {
			t.Fatalf("hostile input changed the ticket: %v", got)
		}
	})
}
