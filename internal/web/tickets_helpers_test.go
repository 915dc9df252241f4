package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// sqlDesk is a desk plus a second connection to its database, for the rows no endpoint of
// this branch creates (tags, departments, SLA breach flags) and for checking what was stored.
type sqlDesk struct {
	*testdesk.Desk
	t  *testing.T
	db *db.DB
}

// eachWithSQL runs fn against a fresh desk on SQLite and on PostgreSQL.
func eachWithSQL(t *testing.T, fn func(t *testing.T, d *sqlDesk)) {
	dbtest.Each(t, func(t *testing.T, url string) {
		desk := testdesk.New(t, url)
		conn, err := db.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("second connection: %v", err)
		}
		t.Cleanup(func() { conn.Close() })
		fn(t, &sqlDesk{Desk: desk, t: t, db: conn})
	})
}

func (d *sqlDesk) exec(query string, args ...any) {
	d.t.Helper()
	if _, err := d.db.W.NewRaw(query, args...).Exec(context.Background()); err != nil {
		d.t.Fatalf("exec %s: %v", query, err)
	}
}

func (d *sqlDesk) count(query string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.db.R.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		d.t.Fatalf("count %s: %v", query, err)
	}
	return n
}

func (d *sqlDesk) insert(query string, args ...any) int64 {
	d.t.Helper()
	var id int64
	if err := d.db.W.NewRaw(query+" RETURNING id", args...).Scan(context.Background(), &id); err != nil {
		d.t.Fatalf("insert %s: %v", query, err)
	}
	return id
}

func (d *sqlDesk) tag(name string) int64 {
	now := d.Clock.Now()
	return d.insert(`INSERT INTO tags (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, now, now)
}

func (d *sqlDesk) department(name string) int64 {
	now := d.Clock.Now()
	return d.insert(`INSERT INTO departments (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, name, now, now)
}

// ticket is what a test needs of a ticket it opened.
type ticket struct {
	ID  int64
	Ref string
}

func (tk ticket) path(suffix string) string { return "/agent/tickets/" + tk.Ref + suffix }
func (tk ticket) own(suffix string) string  { return "/tickets/" + tk.Ref + suffix }

// open has the customer open a ticket with the given subject.
func open(c *testdesk.Client, subject string) ticket {
	data := c.Do("POST", "/tickets", map[string]any{"subject": subject, "description": "About " + subject}).Want(201).Data()
	return ticket{ID: int64(data["id"].(float64)), Ref: data["reference"].(string)}
}

// openAs has staff open a ticket with extra fields for the requester.
func openAs(staff *testdesk.Client, requester *testdesk.Client, subject string, extra map[string]any) ticket {
	body := map[string]any{"subject": subject, "description": "About " + subject, "requester_id": requester.ID}
	for k, v := range extra {
		body[k] = v
	}
	data := staff.Do("POST", "/agent/tickets", body).Want(201).Data()
	return ticket{ID: int64(data["id"].(float64)), Ref: data["reference"].(string)}
}

// move walks the ticket through the given statuses as staff.
func move(staff *testdesk.Client, tk ticket, statuses ...string) {
	for _, s := range statuses {
		staff.Do("POST", tk.path("/status"), map[string]any{"status": s}).Want(200)
	}
}

// activityTypes lists the timeline of a ticket as staff see it.
func activityTypes(staff *testdesk.Client, tk ticket) []string {
	var types []string
	for _, a := range staff.Do("GET", tk.path(""), nil).Want(200).Data()["activities"].([]any) {
		types = append(types, a.(map[string]any)["type"].(string))
	}
	return types
}

// listSubjects returns the subjects of a list response, in order, and its total.
func listSubjects(r *testdesk.Response) ([]string, int) {
	body := r.Want(200).JSON()
	out := []string{}
	for _, row := range body["data"].([]any) {
		out = append(out, row.(map[string]any)["subject"].(string))
	}
	return out, int(body["total"].(float64))
}

func idPath(id int64) string { return fmt.Sprintf("/agent/tickets/%d", id) }
