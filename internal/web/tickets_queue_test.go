package web_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// queue is a desk with five tickets that differ in every filtered attribute.
type queue struct {
	*sqlDesk
	me, other, admin *testdesk.Client
	t1, t2, t3       ticket
	t4, t5           ticket
	billing, vip     int64
	days             []time.Time // the creation time of each ticket, by index 1..5
}

// Subjects, chosen so that LIKE wildcards in a search must be taken literally.
const (
	s1 = "Printer 100% broken"
	s2 = "Login_error on portal"
	s3 = "Refund request"
	s4 = "Printer toner"
	s5 = "Another login issue"
)

func newQueue(t *testing.T, d *sqlDesk) *queue {
	q := &queue{sqlDesk: d, me: d.User("agent"), other: d.User("agent"), admin: d.User("admin"), days: make([]time.Time, 6)}
	c1, c2 := d.User("customer"), d.User("customer")
	create := func(i int, c *testdesk.Client, subject, priority, typ string) ticket {
		q.days[i] = d.Clock.Now()
		tk := openAs(q.admin, c, subject, map[string]any{"priority": priority, "ticket_type": typ})
		d.Clock.Advance(24 * time.Hour)
		return tk
	}
	q.t1 = create(1, c1, s1, "high", "problem")
	q.t2 = create(2, c2, s2, "low", "question")
	q.t3 = create(3, c1, s3, "urgent", "task")
	q.t4 = create(4, c2, s4, "medium", "incident")
	q.t5 = create(5, c1, s5, "critical", "question")

	billing, vip := d.department("Billing"), d.tag("vip")
	q.billing, q.vip = billing, vip
	q.admin.Do("POST", q.t1.path("/assign"), map[string]any{"agent_id": q.me.ID}).Want(200)
	q.admin.Do("POST", q.t3.path("/assign"), map[string]any{"agent_id": q.other.ID}).Want(200)
	for _, tk := range []ticket{q.t1, q.t4} {
		q.admin.Do("POST", tk.path("/department"), map[string]any{"department_id": billing}).Want(200)
	}
	for _, tk := range []ticket{q.t1, q.t3} {
		q.admin.Do("POST", tk.path("/tags"), map[string]any{"tag_ids": []int64{vip}}).Want(200)
	}
	move(q.admin, q.t2, "in_progress")
	move(q.admin, q.t3, "resolved")
	move(q.admin, q.t5, "waiting_on_customer")
	// Nothing in this branch breaches an SLA yet, so the flags are set directly. A breached
	// ticket that is solved no longer counts.
	d.exec(`UPDATE tickets SET sla_first_response_breached = TRUE WHERE id = ?`, q.t4.ID)
	d.exec(`UPDATE tickets SET sla_resolution_breached = TRUE WHERE id = ?`, q.t3.ID)
	return q
}

func TestQueueFilters(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		q := newQueue(t, d)
		billing, vip := q.billing, q.vip
		day := func(i int) string { return q.days[i].Format("2006-01-02") }
		cases := []struct {
			who   *testdesk.Client
			query string
			want  []string
		}{
			{q.me, "", []string{s1, s2, s3, s4, s5}},
			{q.me, "status=open", []string{s1, s4}},
			{q.me, "status=open,in_progress", []string{s1, s2, s4}},
			{q.me, "status=" + url.QueryEscape(" open , resolved ,"), []string{s1, s3, s4}},
			{q.me, "status=bogus", []string{}},
			{q.me, "priority=high,urgent", []string{s1, s3}},
			{q.me, "priority=critical", []string{s5}},
			{q.me, fmt.Sprintf("assigned_to=%d", q.me.ID), []string{s1}},
			{q.me, "assigned_to=me", []string{s1}},
			{q.other, "assigned_to=me", []string{s3}},
			{q.admin, "assigned_to=me", []string{}},
			{q.me, "assigned_to=unassigned", []string{s2, s4, s5}},
			{q.me, "assigned_to=none", []string{s2, s4, s5}},
			{q.me, "assigned_to=987654", []string{}},
			{q.me, "unassigned=true", []string{s2, s4, s5}},
			{q.me, "unassigned=1", []string{s2, s4, s5}},
			{q.me, "unassigned=false", []string{s1, s2, s3, s4, s5}},
			{q.me, fmt.Sprintf("department_id=%d", billing), []string{s1, s4}},
			{q.me, "department_id=999", []string{}},
			{q.me, fmt.Sprintf("tag=%d", vip), []string{s1, s3}},
			{q.me, "tag=999", []string{}},
			{q.me, "search=printer", []string{s1, s4}},
			{q.me, "search=PRINTER", []string{s1, s4}},
			{q.me, "search=" + url.QueryEscape("100%"), []string{s1}},
			{q.me, "search=" + url.QueryEscape("%"), []string{s1}},
			{q.me, "search=_", []string{s2}},
			{q.me, "search=Login_", []string{s2}},
			{q.me, "search=" + url.QueryEscape("login%"), []string{}},
			{q.me, "search=" + url.QueryEscape(`\`), []string{}},
			{q.me, "search=" + q.t3.Ref, []string{s3}},
			{q.me, "search=" + url.QueryEscape("  toner  "), []string{s4}},
			{q.me, "created_after=" + day(3), []string{s3, s4, s5}},
			{q.me, "created_before=" + day(2), []string{s1, s2}},
			{q.me, "created_after=" + day(2) + "&created_before=" + day(4), []string{s2, s3, s4}},
			{q.me, "created_after=" + url.QueryEscape(q.days[2].Add(time.Second).Format(time.RFC3339)), []string{s3, s4, s5}},
			{q.me, "created_before=" + url.QueryEscape(q.days[2].Format(time.RFC3339)), []string{s1, s2}},
			{q.me, "created_after=" + day(5) + "&created_before=" + day(1), []string{}},
			{q.me, "sla_breached=true", []string{s4}},
			{q.me, "sla_breached=false", []string{s1, s2, s3, s4, s5}},
			{q.me, "ticket_type=question", []string{s2, s5}},
			{q.me, "ticket_type=incident", []string{s4}},
			{q.me, "status=open&priority=medium", []string{s4}},
			{q.me, fmt.Sprintf("tag=%d&status=resolved&assigned_to=%d", vip, q.other.ID), []string{s3}},
			// Keys the desk does not know yet are ignored, as the frontend sends them all.
			{q.me, "snoozed=false&live_chat=1", []string{s1, s2, s3, s4, s5}},
			// Nobody follows anything here (canned_followers_test.go covers following).
			{q.me, "following=true", []string{}},
			{q.me, "following=false", []string{s1, s2, s3, s4, s5}},
		}
		for _, c := range cases {
			got, total := listSubjects(c.who.Do("GET", "/agent/tickets?sort=subject&direction=asc&"+c.query, nil))
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) || total != len(want) {
				t.Errorf("?%s: %q (total %d), want %q", c.query, got, total, want)
			}
		}
		for key, bad := range map[string]string{
			"priority": "high,soon", "assigned_to": "someone", "unassigned": "maybe", "department_id": "billing",
			"tag": "-1", "created_after": "yesterday", "created_before": "2026-02-30", "sla_breached": "yes please",
			"ticket_type": "bug", "search": strings.Repeat("x", 201), "page": "0", "per_page": "101",
		} {
			q.me.Do("GET", "/agent/tickets?"+key+"="+url.QueryEscape(bad), nil).Want(422).FieldError(key)
		}
	})
}

func TestQueueSort(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		q := newQueue(t, d)
		cases := map[string][]string{
			"sort=subject&direction=asc":    {s5, s2, s1, s4, s3},
			"sort=subject&direction=desc":   {s3, s4, s1, s2, s5},
			"sort=subject":                  {s3, s4, s1, s2, s5},
			"sort=subject&direction=ASC":    {s5, s2, s1, s4, s3},
			"sort=priority&direction=desc":  {s5, s3, s1, s4, s2},
			"sort=priority&direction=asc":   {s2, s4, s1, s3, s5},
			"sort=created_at&direction=asc": {s1, s2, s3, s4, s5},
			"sort=id":                       {s5, s4, s3, s2, s1},
			"sort=reference&direction=asc":  {s1, s2, s3, s4, s5},
			"sort=status&direction=asc":     {s2, s1, s4, s3, s5},
		}
		for query, want := range cases {
			if got, _ := listSubjects(q.me.Do("GET", "/agent/tickets?"+query, nil)); !slices.Equal(got, want) {
				t.Errorf("?%s: %q, want %q", query, got, want)
			}
		}

		// Without a sort key the queue is ordered by the last change, newest first, and the
		// direction alone turns it round.
		d.Clock.Advance(time.Hour)
		q.admin.Do("POST", q.t2.path("/priority"), map[string]any{"priority": "high"}).Want(200)
		d.Clock.Advance(time.Hour)
		q.admin.Do("POST", q.t4.path("/note"), map[string]any{"body": "touch"}).Want(201)
		newest, _ := listSubjects(q.me.Do("GET", "/agent/tickets", nil))
		if newest[0] != s4 || newest[1] != s2 {
			t.Fatalf("default order %q, want %s then %s first", newest, s4, s2)
		}
		oldest, _ := listSubjects(q.me.Do("GET", "/agent/tickets?direction=asc", nil))
		if want := slices.Clone(newest); !slices.Equal(oldest, func() []string { slices.Reverse(want); return want }()) {
			t.Fatalf("direction=asc %q, want the reverse of %q", oldest, newest)
		}
	})
}

func TestQueuePagination(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		q := newQueue(t, d)
		var seen []string
		for page := 1; page <= 3; page++ {
			body := q.me.Do("GET", fmt.Sprintf("/agent/tickets?sort=subject&direction=asc&per_page=2&page=%d", page), nil).Want(200).JSON()
			rows := body["data"].([]any)
			for _, r := range rows {
				seen = append(seen, r.(map[string]any)["subject"].(string))
			}
			if body["current_page"] != float64(page) || body["last_page"] != float64(3) || body["per_page"] != float64(2) ||
				body["total"] != float64(5) || body["from"] != float64(2*page-1) || body["to"] != float64(2*page-2+len(rows)) {
				t.Fatalf("page %d: %v", page, body)
			}
			links := body["links"].([]any)
			labels := []string{}
			for _, l := range links {
				labels = append(labels, l.(map[string]any)["label"].(string))
			}
			if want := []string{"&laquo; Previous", "1", "2", "3", "Next &raquo;"}; !slices.Equal(labels, want) {
				t.Fatalf("page %d: labels %q, want %q", page, labels, want)
			}
			prev, next := links[0].(map[string]any)["url"], links[len(links)-1].(map[string]any)["url"]
			if (page == 1) != (prev == nil) || (page == 3) != (next == nil) || (page == 3) != (body["next_page_url"] == nil) {
				t.Fatalf("page %d: previous %v next %v", page, prev, next)
			}
			if active := links[page].(map[string]any); active["active"] != true {
				t.Fatalf("page %d: link %v is not active", page, active)
			}
			if next != nil {
				u, err := url.Parse(next.(string))
				if err != nil || u.Path != "/support/agent/tickets" || u.Query().Get("page") != fmt.Sprint(page+1) ||
					u.Query().Get("per_page") != "2" || u.Query().Get("sort") != "subject" || u.Query().Get("direction") != "asc" {
					t.Fatalf("page %d: next url %v does not keep the query", page, next)
				}
			}
		}
		if want := []string{s5, s2, s1, s4, s3}; !slices.Equal(seen, want) {
			t.Fatalf("pages together %q, want %q", seen, want)
		}

		beyond := q.me.Do("GET", "/agent/tickets?per_page=2&page=9", nil).Want(200).JSON()
		if len(beyond["data"].([]any)) != 0 || beyond["from"] != nil || beyond["total"] != float64(5) {
			t.Fatalf("page past the end: %v", beyond)
		}
		empty := q.me.Do("GET", "/agent/tickets?status=bogus", nil).Want(200).JSON()
		if empty["last_page"] != float64(1) || empty["total"] != float64(0) || len(empty["data"].([]any)) != 0 {
			t.Fatalf("empty list: %v", empty)
		}

		// Hostile values in the query come back in the links only URL-encoded.
		r := q.me.Do("GET", "/agent/tickets?search="+url.QueryEscape(`<script>alert(1)</script>`), nil).Want(200)
		if strings.Contains(string(r.Body), "<script>") || strings.Contains(string(r.Body), `\u003cscript`) {
			t.Fatalf("the search comes back unencoded: %s", r.Body)
		}
	})
}

func TestDashboardCounts(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		q := newQueue(t, d)
		stats := func(c *testdesk.Client) map[string]any {
			return c.Do("GET", "/agent/tickets/dashboard", nil).Want(200).Data()["stats"].(map[string]any)
		}
		want := func(c *testdesk.Client, open, mine, unassigned, breached, resolvedToday int) {
			t.Helper()
			got := stats(c)
			exp := map[string]any{"open": float64(open), "my_assigned": float64(mine), "unassigned": float64(unassigned),
				"sla_breached": float64(breached), "resolved_today": float64(resolvedToday)}
			for k, v := range exp {
				if got[k] != v {
					t.Fatalf("stats %v, want %v", got, exp)
				}
			}
		}
		// t3 was resolved this morning, when the clock reached day five; t1 is resolved at noon.
		now := d.Clock.Now()
		d.Clock.Set(time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC))
		q.admin.Do("POST", q.t1.path("/status"), map[string]any{"status": "resolved"}).Want(200)
		want(q.me, 3, 0, 3, 1, 2)
		want(q.other, 3, 0, 3, 1, 2)

		q.admin.Do("POST", q.t2.path("/assign"), map[string]any{"agent_id": q.me.ID}).Want(200)
		want(q.me, 3, 1, 2, 1, 2)

		// Resolved just before midnight counts today, and not tomorrow.
		d.Clock.Set(time.Date(now.Year(), now.Month(), now.Day(), 23, 59, 0, 0, time.UTC))
		q.admin.Do("POST", q.t2.path("/status"), map[string]any{"status": "resolved"}).Want(200)
		want(q.me, 2, 0, 2, 1, 3)
		d.Clock.Advance(2 * time.Minute)
		want(q.me, 2, 0, 2, 1, 0)

		// Reopening takes a ticket out of the resolved count and back into the open one.
		q.admin.Do("POST", q.t2.path("/status"), map[string]any{"status": "reopened"}).Want(200)
		q.admin.Do("POST", q.t4.path("/status"), map[string]any{"status": "resolved"}).Want(200)
		want(q.me, 2, 1, 1, 0, 1)

		body := q.me.Do("GET", "/agent", nil).Want(200).Data()
		if recent := body["recentTickets"].([]any); len(recent) != 5 {
			t.Fatalf("recentTickets = %d rows", len(recent))
		}
		if perf := body["myPerformance"].(map[string]any); perf["resolved_this_week"] == nil {
			t.Fatalf("myPerformance = %v", perf)
		}
	})
}
