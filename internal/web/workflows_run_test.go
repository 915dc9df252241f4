package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// eventually waits for cond, which the desk's jobs make true within about a second.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 20s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkflowsAreEventDriven asserts admin-surfaces/workflows-are-event-driven: workflows
// run on events (ticket.created and reply.created among them), take no time trigger, and
// are an admin surface.
func TestWorkflowsAreEventDriven(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		triaged := d.tag("triaged")
		created := map[string]any{
			"name": "Triage", "trigger": "ticket.created",
			"actions": []map[string]any{{"type": "add_tag", "value": triaged}},
		}
		replied := map[string]any{
			"name": "Note replies", "trigger": "reply.created",
			"conditions": map[string]any{"rules": []map[string]any{{"field": "reply_body", "operator": "contains", "value": "news"}}},
			"actions":    []map[string]any{{"type": "add_internal_note", "value": "The customer asked for news."}},
		}

		// accepts_time_trigger: false — no time trigger, no schedule beside the trigger.
		for _, trigger := range []string{"schedule", "time", "hourly", "daily", "cron", "every_minute", "sla.check"} {
			b := map[string]any{"name": "Timed", "trigger": trigger, "actions": created["actions"]}
			admin.Do("POST", "/admin/workflows", b).Want(422).FieldError("trigger")
		}
		for _, key := range []string{"schedule", "cron", "interval", "run_at", "every_minutes"} {
			b := map[string]any{"name": "Timed", "trigger": "ticket.created", "actions": created["actions"], key: "0 * * * *"}
			admin.Do("POST", "/admin/workflows", b).Want(422).FieldError(key)
		}
		// is_admin_surface: true — agents see workflows but do not make them.
		agent.Do("POST", "/admin/workflows", created).Want(403)
		agent.Do("GET", "/admin/workflows", nil).Want(200)
		first := idOf(admin.Do("POST", "/admin/workflows", created).Want(201))
		second := idOf(admin.Do("POST", "/admin/workflows", replied).Want(201))

		// triggered_by: events — the desk's background work runs them when they happen.
		d.RunJobs()
		tk := open(customer, "Where is my parcel?")
		eventually(t, "the ticket.created workflow", func() bool {
			return len(agent.Do("GET", tk.path(""), nil).Want(200).Data()["tags"].([]any)) == 1
		})
		customer.Do("POST", tk.own("/reply"), map[string]any{"body": "Any news?"}).Want(201)
		eventually(t, "the reply.created workflow", func() bool {
			return d.count(`SELECT count(*) FROM replies WHERE ticket_id = ? AND is_internal_note = TRUE`, tk.ID) == 1
		})
		if got := activityTypes(agent, tk); fmt.Sprint(got) != "[tag_added replied note_added]" {
			t.Fatalf("activities %v", got)
		}

		// Time alone runs nothing: a month passes with no events, and no workflow job waits.
		d.Clock.Advance(30 * 24 * time.Hour)
		signInAgain(admin) // a month idle ended the session
		if n := d.count(`SELECT count(*) FROM river_job WHERE kind LIKE 'workflows.%' AND state IN ('available', 'scheduled', 'retryable')`); n != 0 {
			t.Fatalf("%d workflow jobs wait", n)
		}
		for _, id := range []int64{first, second} {
			if got := admin.Do("GET", workflowPath(id)+"/logs", nil).Want(200).JSON()["total"]; got != 1.0 {
				t.Fatalf("workflow %d has %v runs", id, got)
			}
		}
	})
}

// TestWorkflowLogsArePaginated: every run of a workflow whose conditions held is in the run
// log, newest first, in the paginator shape, per workflow and for all of them; evaluations
// whose conditions did not hold write nothing.
func TestWorkflowLogsArePaginated(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, customer := d.User("admin"), d.User("customer")
		id := idOf(admin.Do("POST", "/admin/workflows", map[string]any{
			"name": "Urgent subjects", "trigger": "ticket.created",
			"conditions": map[string]any{"rules": []map[string]any{{"field": "subject", "operator": "contains", "value": "urgent"}}},
			"actions":    []map[string]any{{"type": "change_priority", "value": "urgent"}},
		}).Want(201))
		other := idOf(admin.Do("POST", "/admin/workflows", map[string]any{
			"name": "Replies", "trigger": "reply.created", "actions": []map[string]any{{"type": "change_priority", "value": "low"}},
		}).Want(201))
		d.RunJobs()
		var last ticket
		for i := range 27 {
			subject := fmt.Sprintf("Question %d", i)
			if i%3 == 0 {
				subject = fmt.Sprintf("Urgent question %d", i)
			}
			last = open(customer, subject)
		}
		customer.Do("POST", last.own("/reply"), map[string]any{"body": "Hello?"}).Want(201)
		// Nine urgent tickets and one reply are every run there will be: the other evaluations
		// write nothing, so the log is complete once these are in, whatever jobs are still
		// finishing (under the tests' fake clock River may rescue and retry those).
		eventually(t, "10 runs", func() bool { return d.count(`SELECT count(*) FROM workflow_runs`) == 10 })

		page := admin.Do("GET", workflowPath(id)+"/logs?per_page=5", nil).Want(200).JSON()
		rows := page["data"].([]any)
		if page["total"] != 9.0 || page["per_page"] != 5.0 || page["last_page"] != 2.0 || len(rows) != 5 {
			t.Fatalf("page 1: total %v, per_page %v, last_page %v, %d rows", page["total"], page["per_page"], page["last_page"], len(rows))
		}
		// Jobs run side by side, so runs are newest first by when they ran, not by ticket.
		previous := 1e9
		page2 := admin.Do("GET", workflowPath(id)+"/logs?per_page=5&page=2", nil).Want(200).JSON()
		for _, r := range append(rows, page2["data"].([]any)...) {
			run := r.(map[string]any)
			if run["id"].(float64) >= previous || run["workflow_id"] != float64(id) || run["event"] != "ticket.created" ||
				run["ticket_reference"] == "" || run["finished_at"] == nil || run["matched"] != true ||
				run["status"] != "completed" || len(run["actions"].([]any)) != 1 {
				t.Fatalf("run %v after id %v", run, previous)
			}
			previous = run["id"].(float64)
		}
		if n := len(page2["data"].([]any)); n != 4 {
			t.Fatalf("page 2 has %d rows", n)
		}
		if got := admin.Do("GET", "/admin/workflows/logs", nil).Want(200).JSON(); got["total"] != 10.0 {
			t.Fatalf("all logs: %v", got["total"])
		}
		if got := admin.Do("GET", fmt.Sprintf("/admin/workflows/logs?workflow=%d&per_page=5", other), nil).Want(200).JSON(); got["total"] != 1.0 {
			t.Fatalf("logs of the other workflow: %v", got["total"])
		}
	})
}

// TestDeskClosesResolvedTicketsByItself: nobody runs anything; once the desk runs, tickets
// resolved for longer than auto_close_resolved_after_days are closed.
func TestDeskClosesResolvedTicketsByItself(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, agent, customer := d.User("admin"), d.User("agent"), d.User("customer")
		admin.Do("POST", "/admin/settings", map[string]any{"auto_close_resolved_after_days": 2}).Want(200)
		old, recent := open(customer, "Solved long ago"), open(customer, "Solved today")
		move(agent, old, "resolved")
		d.Clock.Advance(3 * 24 * time.Hour)
		move(agent, recent, "resolved")

		d.RunJobs()
		eventually(t, "auto-close", func() bool {
			return agent.Do("GET", old.path(""), nil).Want(200).Data()["status"] == "closed"
		})
		if got := agent.Do("GET", recent.path(""), nil).Want(200).Data()["status"]; got != "resolved" {
			t.Fatalf("the recently resolved ticket is %v", got)
		}
		if got := activityTypes(agent, old); fmt.Sprint(got) != "[resolved closed]" {
			t.Fatalf("activities %v", got)
		}
	})
}

// TestWorkflowSendsASignedWebhook: the desk wires send_webhook to the webhook service. An
// admin saves a workflow that posts to a receiver on loopback (allow-listed), with a secret
// that is never shown again; a new ticket runs it, the receiver gets the message signed both
// ways with that secret, and the workflow's run log says it was delivered. A URL the SSRF
// guard refuses, or a missing secret, is a 422 naming the field.
func TestWorkflowSendsASignedWebhook(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		r := newHookReceiver(t)
		secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		r.setSecret(secret)
		admin, customer := d.User("admin"), d.User("customer")
		hook := func(value map[string]any) map[string]any {
			return map[string]any{"name": "Tell the CRM", "trigger": "ticket.created",
				"actions": []map[string]any{{"type": "send_webhook", "value": value}}}
		}
		admin.Do("POST", "/admin/workflows", hook(map[string]any{"url": r.URL + "/in", "secret": secret})).Want(422).FieldError("actions.0.value.url")
		admin.Do("POST", "/admin/settings", map[string]any{"webhook_allowed_hosts": []string{r.hostPort()}}).Want(200)
		admin.Do("POST", "/admin/workflows", hook(map[string]any{"url": r.URL + "/in"})).Want(422).FieldError("actions.0.value.secret")
		created := admin.Do("POST", "/admin/workflows", hook(map[string]any{"url": r.URL + "/in", "secret": secret})).Want(201)
		id := idOf(created)
		for _, body := range []string{string(created.Body), string(admin.Do("GET", workflowPath(id), nil).Want(200).Body)} {
			if strings.Contains(body, "secret") || !strings.Contains(body, r.URL+"/in") {
				t.Fatalf("workflow shown as %s", body)
			}
		}

		d.RunJobs()
		tk := open(customer, "Tell them")
		got, body := r.await(t, "ticket.created", 0)
		if !got.EscalatedOK || !got.StandardOK {
			t.Fatalf("signatures: escalated %v, standard %v", got.EscalatedOK, got.StandardOK)
		}
		payload := body["payload"].(map[string]any)
		if payload["ticket"].(map[string]any)["reference"] != tk.Ref || payload["workflow"].(map[string]any)["id"] != float64(id) {
			t.Fatalf("payload %v", payload)
		}
		eventually(t, "the outcome in the run log", func() bool {
			rows := admin.Do("GET", workflowPath(id)+"/logs", nil).Want(200).JSON()["data"].([]any)
			if len(rows) != 1 {
				return false
			}
			a := rows[0].(map[string]any)["actions"].([]any)[0].(map[string]any)
			return a["status"] == "applied" && strings.HasPrefix(a["message"].(string), "Delivered")
		})
	})
}
