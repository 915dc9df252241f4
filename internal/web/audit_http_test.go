package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// auditActions lists the actions of an audit-log page, in order, and its total.
func auditActions(t *testing.T, r *testdesk.Response) ([]string, int) {
	t.Helper()
	body := r.Want(200).JSON()
	out := []string{}
	for _, row := range body["data"].([]any) {
		out = append(out, row.(map[string]any)["action"].(string))
	}
	return out, int(body["total"].(float64))
}

func TestAuditLogListsChangesNewestFirstWithFilters(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin, boss := d.User("admin"), d.User("admin")
		base, _ := auditActions(t, admin.Do("GET", "/admin/audit-logs?per_page=100", nil))

		d.Clock.Advance(24 * time.Hour)
		admin.Do("POST", "/admin/tags", map[string]any{"name": "Billing"}).Want(201)
		d.Clock.Advance(time.Hour)
		dept := admin.Do("POST", "/admin/departments", map[string]any{"name": "Sales"}).Want(201).Data()
		d.Clock.Advance(24 * time.Hour)
		boss.Do("PUT", fmt.Sprintf("/admin/departments/%v", dept["id"]), map[string]any{"name": "Sales EU"}).Want(200)
		boss.Do("POST", "/admin/settings", map[string]any{"csat_scale": 3}).Want(200)

		got, total := auditActions(t, admin.Do("GET", "/admin/audit-logs?per_page=4", nil))
		if want := "settings.updated department.updated department.created tag.created"; strings.Join(got, " ") != want || total != len(base)+4 {
			t.Fatalf("newest first = %v (total %d), want %s (total %d)", got, total, want, len(base)+4)
		}
		// The frontend's URI answers the same.
		same, _ := auditActions(t, admin.Do("GET", "/admin/audit-log?per_page=4", nil))
		if strings.Join(same, " ") != strings.Join(got, " ") {
			t.Fatalf("/admin/audit-log = %v, /admin/audit-logs = %v", same, got)
		}

		day1 := testdesk.Start.Add(24 * time.Hour).Format("2006-01-02")
		day2 := testdesk.Start.Add(49 * time.Hour).Format("2006-01-02")
		cases := map[string]string{
			"user_id=" + fmt.Sprint(boss.ID):                      "settings.updated department.updated",
			"action=department.":                                  "department.updated department.created",
			"action=department.*":                                 "department.updated department.created",
			"action=tag.created":                                  "tag.created",
			"auditable_type=department":                           "department.updated department.created",
			"date_from=" + day1 + "&date_to=" + day1:              "department.created tag.created",
			"date_from=" + day2:                                   "settings.updated department.updated",
			"user_id=" + fmt.Sprint(admin.ID) + "&action=tag.":    "tag.created",
			"auditable_type=department&date_from=" + day2:         "department.updated",
			"action=" + url.QueryEscape("department.%"):           "",
			"action=" + url.QueryEscape("' OR 1=1 --"):            "",
			"auditable_type=" + url.QueryEscape("x'; DROP TABLE"): "",
			"user_id=999999":                                      "",
			// Keys the list does not know are ignored, as the frontend sends its whole state.
			"action=tag.created&search=whatever": "tag.created",
		}
		for query, want := range cases {
			got, total := auditActions(t, admin.Do("GET", "/admin/audit-logs?"+query, nil))
			if strings.Join(got, " ") != want || total != len(got) {
				t.Errorf("?%s = %v (total %d), want %q", query, got, total, want)
			}
		}

		// A row names its actor and carries the frontend's keys.
		body := admin.Do("GET", "/admin/audit-log?action=department.updated", nil).Want(200).JSON()
		row := body["data"].([]any)[0].(map[string]any)
		user, _ := row["user"].(map[string]any)
		if user == nil || user["name"] != boss.Name || row["user_id"] != float64(boss.ID) ||
			row["auditable_type"] != "department" || row["auditable_id"] != dept["id"] || row["ip_address"] != "127.0.0.1" {
			t.Fatalf("row = %v", row)
		}
		if old := row["old_values"].(map[string]any); old["name"] != "Sales" {
			t.Fatalf("old_values = %v", row["old_values"])
		}
		if row["new_values"].(map[string]any)["name"] != "Sales EU" {
			t.Fatalf("new_values = %v", row["new_values"])
		}
		for _, k := range []string{"current_page", "last_page", "per_page", "links", "next_page_url"} {
			if _, ok := body[k]; !ok {
				t.Fatalf("paginator lacks %s: %v", k, body)
			}
		}
	})
}

func TestAuditLogNeedsAuditView(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		d.Anonymous().Do("GET", "/admin/audit-logs", nil).Want(401)
		d.User("customer").Do("GET", "/admin/audit-logs", nil).Want(403)
		d.User("agent").Do("GET", "/admin/audit-log", nil).Want(403)
		d.User(d.Role("settings-only", "settings.view", "settings.manage")).Do("GET", "/admin/audit-logs", nil).Want(403)
		d.User(d.Role("auditor", "audit.view")).Do("GET", "/admin/audit-logs", nil).Want(200)
	})
}

func TestAuditLogHostileFilters(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		bad := map[string]string{
			"user_id=abc":                                "user_id",
			"user_id=-4":                                 "user_id",
			"user_id=0":                                  "user_id",
			"user_id=99999999999999999999999":            "user_id",
			"date_from=yesterday":                        "date_from",
			"date_to=2026-13-45":                         "date_to",
			"date_from=2026-03-05&date_to=2026-03-01":    "date_to",
			"action=" + strings.Repeat("a", 101):         "action",
			"action=%00":                                 "action",
			"action=%ff%fe":                              "action",
			"auditable_type=" + strings.Repeat("t", 500): "auditable_type",
			"page=0":       "page",
			"page=x":       "page",
			"per_page=101": "per_page",
			"per_page=-1":  "per_page",
			"date_from=2026-03-01T10:00:00&date_to=tomorrow": "date_from",
			// Years 1 to 9999 only: year 0 was a 500 on PostgreSQL, which has none, and year
			// 10000 sorts before 2026 in SQLite's text.
			"date_from=0000-01-01":              "date_from",
			"date_to=0000-12-31T23:00:00Z":      "date_to",
			"date_to=9999-12-31T23:00:00-05:00": "date_to",
		}
		for query, field := range bad {
			admin.Do("GET", "/admin/audit-logs?"+query, nil).Want(422).FieldError(field)
		}
		// A page past the end is empty, not an error.
		got, total := auditActions(t, admin.Do("GET", "/admin/audit-logs?page=999", nil))
		if len(got) != 0 || total == 0 {
			t.Fatalf("page 999 = %v of %d", got, total)
		}
	})
}

// TestAuditLogRecordsTheForwardedClient checks the client address the audit log records
// behind a trusted proxy, and that nobody else can choose it with a header.
func TestAuditLogRecordsTheForwardedClient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		cfg := testdesk.Config(url)
		cfg.TrustedProxies = []string{"127.0.0.0/8", "10.0.0.0/8"}
		d := testdesk.NewConfig(t, cfg)
		admin := d.User("admin")
		// The client wrote the first entry; our proxies (127.0.0.1 and 10.1.2.3) the rest.
		admin.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.1.2.3")
		admin.Do("POST", "/admin/tags", map[string]any{"name": "Forwarded"}).Want(201)
		rows := admin.Do("GET", "/admin/audit-logs?action=tag.created", nil).Want(200).JSON()["data"].([]any)
		if ip := rows[0].(map[string]any)["ip_address"]; ip != "203.0.113.9" {
			t.Fatalf("recorded %v, want the right-most untrusted hop 203.0.113.9", ip)
		}

		plain := testdesk.New(t, dbtest.SQLiteURL(t))
		other := plain.User("admin")
		other.Header.Set("X-Forwarded-For", "203.0.113.9")
		other.Do("POST", "/admin/tags", map[string]any{"name": "Spoofed"}).Want(201)
		rows = other.Do("GET", "/admin/audit-logs?action=tag.created", nil).Want(200).JSON()["data"].([]any)
		if ip := rows[0].(map[string]any)["ip_address"]; ip != "127.0.0.1" {
			t.Fatalf("recorded %v without trusted proxies, want the peer 127.0.0.1", ip)
		}
	})
}
