package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
)

// who acts and reads in these tests; the real actor type lives in auth, which imports this
// package.
type who struct {
	id    int64
	ip    string
	perms map[string]bool
}

func (w who) ActorID() *int64 {
	if w.id == 0 {
		return nil
	}
	return &w.id
}
func (w who) ClientIP() string     { return w.ip }
func (w who) Can(perm string) bool { return w.perms[perm] }

var (
	start   = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	auditor = who{perms: map[string]bool{"audit.view": true}}
)

func open(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return d
}

func addUser(t *testing.T, d *db.DB, name string) who {
	t.Helper()
	var id int64
	err := d.W.NewRaw(`INSERT INTO users (name, email, role, created_at, updated_at) VALUES (?, ?, 'admin', ?, ?) RETURNING id`,
		name, strings.ToLower(name)+"@example.test", start, start).Scan(context.Background(), &id)
	if err != nil {
		t.Fatal(err)
	}
	return who{id: id, ip: "198.51.100.1"}
}

func record(t *testing.T, d *db.DB, w who, action, typ string, id int64, at time.Time, new map[string]any) {
	t.Helper()
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return Record(ctx, tx, w, action, typ, id, nil, new, at)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// actions lists the actions of a page, in order.
func actions(p *Page) []string {
	out := make([]string, len(p.Items))
	for i, r := range p.Items {
		out[i] = r.Action
	}
	return out
}

func TestListFiltersNewestFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := open(t, url)
		ada, bob := addUser(t, d, "Ada"), addUser(t, d, "Bob")
		system := who{}
		record(t, d, ada, "ticket.created", "ticket", 1, start, map[string]any{"subject": "Printer"})
		record(t, d, bob, "ticket.status_changed", "ticket", 1, start.Add(time.Hour), nil)
		record(t, d, ada, "user.created", "user", 9, start.Add(2*time.Hour), map[string]any{"password": "hunter22"})
		record(t, d, system, "ticket.escalated", "ticket", 1, start.Add(24*time.Hour), nil)
		// Same instant as the row before: the later row comes first.
		record(t, d, bob, "tag.created", "tag", 3, start.Add(24*time.Hour), nil)
		record(t, d, bob, "ticketing.odd", "ticket", 2, start.Add(25*time.Hour), nil)
		l := NewLog(d)
		ctx := context.Background()
		list := func(f Filter) []string {
			t.Helper()
			p, err := l.List(ctx, auditor, f)
			if err != nil {
				t.Fatalf("List(%+v): %v", f, err)
			}
			return actions(p)
		}
		day := func(offset time.Duration) *time.Time { x := start.Add(offset); return &x }
		cases := []struct {
			name string
			f    Filter
			want string
		}{
			{"all", Filter{}, "ticketing.odd tag.created ticket.escalated user.created ticket.status_changed ticket.created"},
			{"user", Filter{UserID: &ada.id}, "user.created ticket.created"},
			{"unknown user", Filter{UserID: ptr(int64(999))}, ""},
			{"exact action", Filter{Action: "ticket.created"}, "ticket.created"},
			{"prefix with dot", Filter{Action: "ticket."}, "ticket.escalated ticket.status_changed ticket.created"},
			{"prefix with star", Filter{Action: "ticket.*"}, "ticket.escalated ticket.status_changed ticket.created"},
			{"bare prefix", Filter{Action: "ticket*"}, "ticketing.odd ticket.escalated ticket.status_changed ticket.created"},
			{"star alone", Filter{Action: "*"}, "ticketing.odd tag.created ticket.escalated user.created ticket.status_changed ticket.created"},
			{"no partial exact match", Filter{Action: "ticket"}, ""},
			{"type", Filter{ResourceType: "user"}, "user.created"},
			{"from", Filter{From: day(24 * time.Hour)}, "ticketing.odd tag.created ticket.escalated"},
			{"to, inclusive", Filter{To: day(time.Hour)}, "ticket.status_changed ticket.created"},
			{"range", Filter{From: day(time.Hour), To: day(2 * time.Hour)}, "user.created ticket.status_changed"},
			{"everything at once", Filter{UserID: &bob.id, Action: "ticket.", ResourceType: "ticket", From: day(0), To: day(48 * time.Hour)}, "ticket.status_changed"},
			// LIKE wildcards in the input are plain characters.
			{"percent", Filter{Action: "ticket.%"}, ""},
			{"underscore", Filter{Action: "user_created"}, ""},
			{"underscore prefix", Filter{Action: "user_*"}, ""},
			{"SQL", Filter{Action: "x' OR '1'='1", ResourceType: "'; DROP TABLE audit_logs; --"}, ""},
			// Prefix bounds stay valid UTF-8, which PostgreSQL insists on.
			{"multibyte prefix", Filter{Action: "tïcket.*"}, ""},
			{"last code point", Filter{Action: "\U0010FFFF*"}, ""},
			{"two-byte edge", Filter{Action: "\u00bf*"}, ""},
		}
		for _, c := range cases {
			if got := strings.Join(list(c.f), " "); got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}

		p, err := l.List(ctx, auditor, Filter{PerPage: 2, Page: 2})
		if err != nil || p.Total != 6 || strings.Join(actions(p), " ") != "ticket.escalated user.created" {
			t.Fatalf("page 2 of 2 = %v (total %d), %v", actions(p), p.Total, err)
		}

		// Rows name their actor; the desk's own work has none; secrets stay redacted.
		p, _ = l.List(ctx, auditor, Filter{})
		for _, r := range p.Items {
			switch r.Action {
			case "ticket.escalated":
				if r.User != nil || r.UserID != nil {
					t.Errorf("system row has user %+v", r.User)
				}
			case "user.created":
				if r.User == nil || r.User.Name != "Ada" || r.User.ID != ada.id || r.IPAddress != "198.51.100.1" {
					t.Errorf("user.created row user = %+v, ip %q", r.User, r.IPAddress)
				}
				var nv map[string]any
				if err := json.Unmarshal(r.NewValues, &nv); err != nil || nv["password"] != "[redacted]" {
					t.Errorf("new_values = %s, %v", r.NewValues, err)
				}
				if r.ResourceType != "user" || r.ResourceID == nil || *r.ResourceID != 9 {
					t.Errorf("resource = %s %v", r.ResourceType, r.ResourceID)
				}
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestListRefusesBadFiltersAndStrangers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := open(t, url)
		l := NewLog(d)
		ctx := context.Background()
		if _, err := l.List(ctx, who{perms: map[string]bool{"ticket.view": true}}, Filter{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("without audit.view: %v", err)
		}
		later, earlier := start.Add(time.Hour), start
		for field, f := range map[string]Filter{
			"action":         {Action: strings.Repeat("a", 101)},
			"auditable_type": {ResourceType: "ticket\x00"},
			"date_to":        {From: &later, To: &earlier},
		} {
			_, err := l.List(ctx, auditor, f)
			var e *apperr.Error
			if !apperr.Is(err, apperr.KindValidation) || !asError(err, &e) || len(e.Fields[field]) == 0 {
				t.Errorf("%+v: %v, want a validation error on %s", f, err, field)
			}
		}
		if _, err := l.List(ctx, auditor, Filter{Action: "\xff\xfe"}); !apperr.Is(err, apperr.KindValidation) {
			t.Errorf("invalid UTF-8 action: %v", err)
		}
	})
}

func asError(err error, e **apperr.Error) bool {
	x, ok := err.(*apperr.Error)
	*e = x
	return ok
}

// TestListQueriesUseIndexes checks the query plans: every filter the list offers is served by
// an index, not by reading the whole table.
func TestListQueriesUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := open(t, url)
		ada := addUser(t, d, "Ada")
		for i := range 300 {
			record(t, d, ada, fmt.Sprintf("kind%d.changed", i%30), fmt.Sprintf("type%d", i%20), int64(i), start.Add(time.Duration(i)*time.Minute), nil)
		}
		l := NewLog(d)
		from, to := start.Add(time.Hour), start.Add(2*time.Hour)
		cases := map[string]struct {
			f     Filter
			index string
		}{
			"none":         {Filter{}, "audit_logs_created_idx"},
			"user":         {Filter{UserID: &ada.id}, "audit_logs_actor_idx"},
			"exact action": {Filter{Action: "kind3.changed"}, "audit_logs_action_idx"},
			"prefix":       {Filter{Action: "kind3."}, "audit_logs_action_idx"},
			"type":         {Filter{ResourceType: "type7"}, "audit_logs_type_idx"},
			"dates":        {Filter{From: &from, To: &to}, "audit_logs_created_idx"},
		}
		for name, c := range cases {
			where, args := l.where(c.f)
			for _, q := range []string{
				"SELECT count(*) FROM audit_logs a" + where,
				"SELECT a.id FROM audit_logs a LEFT JOIN users u ON u.id = a.actor_id" + where + " ORDER BY a.created_at DESC, a.id DESC LIMIT 25",
			} {
				plan := explain(t, d, q, args)
				if d.Dialect == db.SQLite && !strings.Contains(plan, c.index) {
					t.Errorf("%s: plan of %s\n%s\ndoes not use %s", name, q, plan, c.index)
				}
				if strings.Contains(plan, "Seq Scan on audit_logs") || strings.Contains(plan, "SCAN a\n") {
					t.Errorf("%s: plan of %s reads the whole table:\n%s", name, q, plan)
				}
			}
		}
	})
}

// explain returns the plan of query. On PostgreSQL sequential scans are priced out, so a
// plan that still has one found no index to use; a table this small would otherwise be read
// whole whatever indexes it has.
func explain(t *testing.T, d *db.DB, query string, args []any) string {
	t.Helper()
	var lines []string
	err := d.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		if d.Dialect == db.SQLite {
			var plan []struct {
				ID      int    `bun:"id"`
				Parent  int    `bun:"parent"`
				NotUsed int    `bun:"notused"`
				Detail  string `bun:"detail"`
			}
			if err := tx.NewRaw("EXPLAIN QUERY PLAN "+query, args...).Scan(ctx, &plan); err != nil {
				return err
			}
			for _, p := range plan {
				lines = append(lines, p.Detail)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, "ANALYZE audit_logs"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		return tx.NewRaw("EXPLAIN "+query, args...).Scan(ctx, &lines)
	})
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	return strings.Join(lines, "\n") + "\n"
}
