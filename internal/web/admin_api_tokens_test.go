package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

func TestAdminAPITokens(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		agent := d.User("agent")

		created := admin.Do("POST", "/admin/api-tokens", map[string]any{
			"name": " Deploy bot ", "abilities": []string{"ticket.view", "reply.create", "ticket.view"},
			"user_id": agent.ID, "expires_at": "2027-01-01",
		}).Want(201).Data()
		plain := created["token"].(string)
		if !hexToken.MatchString(plain) || created["name"] != "Deploy bot" || created["user_id"] != float64(agent.ID) ||
			fmt.Sprint(created["abilities"]) != "[ticket.view reply.create]" || created["expires_at"] != "2027-01-01T00:00:00Z" ||
			created["last_used_at"] != nil || created["user"].(map[string]any)["email"] != agent.Email {
			t.Fatalf("created = %v", created)
		}
		sum := sha256.Sum256([]byte(plain))
		hash := hex.EncodeToString(sum[:])
		if n := d.count(`SELECT count(*) FROM api_tokens WHERE token_hash = ?`, hash); n != 1 {
			t.Fatalf("the stored hash is not the SHA-256 of the token (%d rows)", n)
		}
		if n := d.count(`SELECT count(*) FROM api_tokens WHERE token_hash = ?`, plain); n != 0 {
			t.Fatal("the token is stored in clear")
		}
		mine := tokenFor(t, admin, "*")
		agentOwn := tokenFor(t, agent, "ticket.view")

		// Lists show neither a token nor its hash; agents see their own, api_token.view all.
		all := admin.Do("GET", "/admin/api-tokens", nil).Want(200)
		for _, secret := range []string{plain, hash, mine, agentOwn, "token_hash"} {
			if strings.Contains(string(all.Body), secret) {
				t.Fatalf("the token list holds a secret: %s", all.Body)
			}
		}
		if page := all.JSON(); page["total"] != 3.0 || len(page["data"].([]any)) != 3 {
			t.Fatalf("admin's list = %v", page)
		}
		own := agent.Do("GET", "/admin/api-tokens", nil).Want(200).JSON()
		if own["total"] != 2.0 {
			t.Fatalf("agent's list = %v", own)
		}
		for _, row := range own["data"].([]any) {
			if row.(map[string]any)["user_id"] != float64(agent.ID) {
				t.Fatalf("agent sees someone else's token: %v", row)
			}
			if _, ok := row.(map[string]any)["token"]; ok {
				t.Fatalf("list row holds a token: %v", row)
			}
		}
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE action = 'api_token.created' AND actor_id = ?`, admin.ID); n != 2 {
			t.Fatalf("api_token.created audit entries by admin = %d", n)
		}
		if strings.Contains(auditValues(d, "api_token.created"), plain) {
			t.Fatal("the audit log holds a token")
		}

		// Revoking: an agent cannot even see an admin's token; an admin revokes anyone's.
		adminTokenID := d.count(`SELECT id FROM api_tokens WHERE user_id = ?`, admin.ID)
		agent.Do("DELETE", fmt.Sprint("/admin/api-tokens/", adminTokenID), nil).Want(404)
		agentTokenID := int64(created["id"].(float64))
		admin.Do("DELETE", fmt.Sprint("/admin/api-tokens/", agentTokenID), nil).Want(204)
		admin.Do("DELETE", fmt.Sprint("/admin/api-tokens/", agentTokenID), nil).Want(404)
		bearer(t, d.Desk, plain).Do("GET", "/tickets", nil).Want(401)
		if n := d.count(`SELECT count(*) FROM audit_logs WHERE action = 'api_token.revoked' AND resource_id = ?`, agentTokenID); n != 1 {
			t.Fatalf("api_token.revoked audit entries = %d", n)
		}
		ownID := d.count(`SELECT id FROM api_tokens WHERE user_id = ?`, agent.ID)
		agent.Do("DELETE", fmt.Sprint("/admin/api-tokens/", ownID), nil).Want(204)
		bearer(t, d.Desk, agentOwn).Do("GET", "/tickets", nil).Want(401)
		for _, id := range []string{"0", "-1", "abc", "99999999999999999999"} {
			admin.Do("DELETE", "/admin/api-tokens/"+id, nil).Want(404)
		}
	})
}

func auditValues(d *sqlDesk, action string) string {
	var values []string
	if err := d.db.R.NewRaw(`SELECT new_values FROM audit_logs WHERE action = ?`, action).Scan(d.t.Context(), &values); err != nil {
		d.t.Fatal(err)
	}
	return strings.Join(values, "\n")
}

// TestAPITokenRights: nobody hands out more through a token than the owner, or they
// themselves, may do.
func TestAPITokenRights(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")
		other := d.User("agent")
		customer := d.User("customer")
		post := func(c *testdesk.Client, body map[string]any) *testdesk.Response {
			return c.Do("POST", "/admin/api-tokens", body)
		}

		if msg := post(agent, map[string]any{"name": "x", "abilities": []string{"ticket.view", "ticket.fly", "*", "TICKET.VIEW"}}).Want(422).FieldError("abilities.1"); !strings.Contains(msg, "ticket.fly") {
			t.Fatalf("abilities.1 = %q", msg)
		}
		post(agent, map[string]any{"name": "x", "abilities": []string{"ticket.view", "ticket.fly", "*", "TICKET.VIEW"}}).Want(422).FieldError("abilities.3")
		// The agent role lacks ticket.delete and api_token.manage.
		if msg := post(agent, map[string]any{"name": "x", "abilities": []string{"ticket.view", "ticket.delete"}}).Want(422).FieldError("abilities.1"); !strings.Contains(msg, "ticket.delete") {
			t.Fatalf("abilities.1 = %q", msg)
		}
		post(admin, map[string]any{"name": "x", "abilities": []string{"settings.manage"}, "user_id": agent.ID}).Want(422).FieldError("abilities.0")
		post(agent, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": other.ID}).Want(403)
		post(agent, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": admin.ID}).Want(403)
		post(agent, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": 999999}).Want(403)
		post(customer, map[string]any{"name": "x", "abilities": []string{"*"}}).Want(403)

		// api_token.manage reaches only people whose rights the manager holds.
		d.Role("token-keeper", "ticket.view", "api_token.view", "api_token.manage")
		keeper := d.User("token-keeper")
		post(keeper, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": admin.ID}).Want(403)
		post(keeper, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": agent.ID}).Want(403)
		d.Role("viewer", "ticket.view")
		viewer := d.User("viewer")
		post(keeper, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": viewer.ID}).Want(201)
		post(keeper, map[string]any{"name": "x", "abilities": []string{"ticket.view"}, "user_id": customer.ID}).Want(422).FieldError("user_id")

		for field, body := range map[string]map[string]any{
			"name":       {"abilities": []string{"*"}},
			"abilities":  {"name": "x"},
			"expires_at": {"name": "x", "abilities": []string{"*"}, "expires_at": "next tuesday"},
			"user_id":    {"name": "x", "abilities": []string{"*"}, "user_id": 999999},
		} {
			post(admin, body).Want(422).FieldError(field)
		}
		post(admin, map[string]any{"name": "x", "abilities": []string{}}).Want(422).FieldError("abilities")
		post(admin, map[string]any{"name": strings.Repeat("n", 101), "abilities": []string{"*"}}).Want(422).FieldError("name")
		post(admin, map[string]any{"name": "x", "abilities": make([]string, 101)}).Want(422).FieldError("abilities")
		post(admin, map[string]any{"name": "x", "abilities": []string{"*"}, "expires_at": testdesk.Start.Format(time.RFC3339)}).Want(422).FieldError("expires_at")
		post(admin, map[string]any{"name": "x", "abilities": []string{"*"}, "expires_at": "2026-03-02"}).Want(422).FieldError("expires_at")
		post(admin, map[string]any{"name": "x", "abilities": "*"}).Want(422).FieldError("abilities")
		post(admin, map[string]any{"name": "x", "abilities": []string{"*"}, "user_id": "1"}).Want(422).FieldError("user_id")
		post(admin, map[string]any{"name": "x", "abilities": []string{"*"}, "token": "mine"}).Want(422).FieldError("token")
		admin.Do("POST", "/admin/api-tokens", `{"name": "x", "abilities": ["*"]`).Want(422).FieldError("body")

		// An agent's own token, the default owner.
		own := post(agent, map[string]any{"name": "mine", "abilities": []string{"ticket.view"}, "expires_at": nil}).Want(201).Data()
		if own["user_id"] != float64(agent.ID) || own["expires_at"] != nil {
			t.Fatalf("own = %v", own)
		}
	})
}

// TestAPITokenLastUsed: last_used_at is kept to within a minute without a write per request.
func TestAPITokenLastUsed(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin := d.User("admin")
		id, tok := createToken(t, admin, map[string]any{"name": "x", "abilities": []string{"ticket.view"}})
		c := bearer(t, d.Desk, tok)
		lastUsed := func() string {
			for _, row := range admin.Do("GET", "/admin/api-tokens", nil).Want(200).JSON()["data"].([]any) {
				if row := row.(map[string]any); row["id"] == float64(id) {
					s, _ := row["last_used_at"].(string)
					return s
				}
			}
			t.Fatal("token not listed")
			return ""
		}
		if lastUsed() != "" {
			t.Fatal("an unused token has a last_used_at")
		}
		c.Do("GET", "/tickets", nil).Want(200)
		first := testdesk.Start.Format(time.RFC3339)
		if got := lastUsed(); got != first {
			t.Fatalf("last_used_at = %q, want %q", got, first)
		}
		d.Clock.Advance(59 * time.Second)
		c.Do("GET", "/tickets", nil).Want(200)
		if got := lastUsed(); got != first {
			t.Fatalf("last_used_at written again within the minute: %q", got)
		}
		d.Clock.Advance(time.Second)
		c.Do("GET", "/tickets", nil).Want(200)
		if got, want := lastUsed(), testdesk.Start.Add(time.Minute).Format(time.RFC3339); got != want {
			t.Fatalf("last_used_at = %q, want %q", got, want)
		}
	})
}
