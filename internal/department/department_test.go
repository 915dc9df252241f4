package department_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/department"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	db      *db.DB
	clock   *clock.Fake
	auth    *auth.Service
	tickets *ticket.Service
	svc     *department.Service
	admin   *auth.Actor
	seq     int
}

// setUp opens a migrated, seeded database and signs in an admin acting from a known address.
func setUp(t *testing.T, url string) *env {
	t.Helper()
	c := clock.NewFake(start)
	d := testenv.OpenDB(t, url, c)
	e := &env{db: d, clock: c, auth: auth.NewService(d, c, testenv.FastArgon)}
	e.tickets = ticket.NewService(d, c, event.NewBus(slog.Default()), settings.NewStore(d, c, settings.Defaults()))
	e.svc = department.NewService(d, c)
	e.admin = e.actor(t, "admin")
	return e
}

func (e *env) user(t *testing.T, role string) *auth.User {
	t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(context.Background(), auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) actor(t *testing.T, role string) *auth.Actor {
	t.Helper()
	a, err := e.auth.ActorForUser(context.Background(), e.user(t, role), "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type auditRow struct {
	ActorID    *int64 `bun:"actor_id"`
	Action     string `bun:"action"`
	ResourceID *int64 `bun:"resource_id"`
	OldValues  string `bun:"old_values"`
	NewValues  string `bun:"new_values"`
	IPAddress  string `bun:"ip_address"`
}

func (e *env) audits(t *testing.T) []auditRow {
	t.Helper()
	var rows []auditRow
	err := e.db.R.NewRaw(`SELECT actor_id, action, resource_id, CAST(old_values AS TEXT) AS old_values,
		CAST(new_values AS TEXT) AS new_values, ip_address FROM audit_logs
		WHERE resource_type = 'department' ORDER BY id`).Scan(context.Background(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("audit values %q: %v", s, err)
	}
	return m
}

func ptr[T any](v T) *T { return &v }

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := err.(*apperr.Error)
	if !ok || e.Kind != apperr.KindValidation || len(e.Fields[field]) == 0 {
		t.Fatalf("err = %v, want a validation error on %s", err, field)
	}
}

func TestLifecycleIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		agent := e.user(t, "agent")

		d, err := e.svc.Create(ctx, e.admin, department.Input{Name: ptr("  Billing & Refunds "), AgentIDs: &[]int64{agent.ID, agent.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "Billing & Refunds" || d.Slug != "billing-refunds" || !d.IsActive || d.AgentsCount != 1 ||
			len(d.Agents) != 1 || d.Agents[0].ID != agent.ID || d.Agents[0].Name != agent.Name || !d.CreatedAt.Equal(start) {
			t.Fatalf("created %+v", d)
		}

		e.clock.Advance(time.Hour)
		d, err = e.svc.Update(ctx, e.admin, d.ID, department.Input{Description: ptr("Money matters"), AgentIDs: &[]int64{}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Description != "Money matters" || d.AgentsCount != 0 || d.Slug != "billing-refunds" || !d.UpdatedAt.Equal(start.Add(time.Hour)) {
			t.Fatalf("updated %+v", d)
		}
		// The same values again change nothing and write no audit row.
		if _, err := e.svc.Update(ctx, e.admin, d.ID, department.Input{Description: ptr("Money matters")}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(ctx, e.admin, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Get(ctx, e.admin, d.ID); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("Get after delete: %v, want not found", err)
		}

		rows := e.audits(t)
		var actions []string
		for _, r := range rows {
			actions = append(actions, r.Action)
			if r.ActorID == nil || *r.ActorID != e.admin.UserID || r.ResourceID == nil || *r.ResourceID != d.ID || r.IPAddress != "203.0.113.9" {
				t.Fatalf("audit row %+v", r)
			}
		}
		if want := []string{"department.created", "department.updated", "department.deleted"}; !slices.Equal(actions, want) {
			t.Fatalf("audit actions = %v, want %v", actions, want)
		}
		created := decodeJSON(t, rows[0].NewValues)
		if created["slug"] != "billing-refunds" || len(created["agent_ids"].([]any)) != 1 {
			t.Fatalf("created audit values %v", created)
		}
		old, new := decodeJSON(t, rows[1].OldValues), decodeJSON(t, rows[1].NewValues)
		if len(new) != 2 || new["description"] != "Money matters" || old["description"] != "" || len(new["agent_ids"].([]any)) != 0 {
			t.Fatalf("update audit old %v new %v", old, new)
		}
		if deleted := decodeJSON(t, rows[2].OldValues); deleted["name"] != "Billing & Refunds" {
			t.Fatalf("delete audit old values %v", deleted)
		}
	})
}

func TestDeleteLeavesTicketsWithoutDepartment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		d, err := e.svc.Create(ctx, e.admin, department.Input{Name: ptr("Support")})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := e.tickets.Create(ctx, e.admin, ticket.CreateInput{Subject: "Help", Description: "Please", DepartmentID: &d.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.Get(ctx, e.admin, d.ID); got.TicketsCount != 1 {
			t.Fatalf("tickets_count = %d, want 1", got.TicketsCount)
		}
		if err := e.svc.Delete(ctx, e.admin, d.ID); err != nil {
			t.Fatal(err)
		}
		detail, err := e.tickets.Get(ctx, e.admin, tk.ID)
		if err != nil {
			t.Fatalf("ticket after its department was deleted: %v", err)
		}
		if detail.DepartmentID != nil || detail.Department != nil {
			t.Fatalf("ticket keeps department %v %v", detail.DepartmentID, detail.Department)
		}
		rows := e.audits(t)
		if n := decodeJSON(t, rows[len(rows)-1].NewValues)["tickets_detached"]; n != 1.0 {
			t.Fatalf("tickets_detached = %v, want 1", n)
		}
	})
}

func TestRejectedInputWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		customer := e.user(t, "customer")
		inactive := e.user(t, "agent")
		if _, err := e.db.W.NewRaw(`UPDATE users SET is_active = FALSE WHERE id = ?`, inactive.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		existing, err := e.svc.Create(ctx, e.admin, department.Input{Name: ptr("Sales")})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			field string
			in    department.Input
		}{
			{"name", department.Input{}},
			{"name", department.Input{Name: ptr("   ")}},
			{"name", department.Input{Name: ptr("bad \xff utf-8")}},
			{"name", department.Input{Name: ptr("nul \x00 byte")}},
			{"description", department.Input{Name: ptr("Ok"), Description: ptr("nul \x00")}},
			{"slug", department.Input{Name: ptr("Ok"), Slug: ptr("Not A Slug")}},
			{"slug", department.Input{Name: ptr("SALES!")}},
			{"slug", department.Input{Name: ptr("Other"), Slug: ptr("sales")}},
			{"slug", department.Input{Name: ptr("???")}},
			{"agent_ids", department.Input{Name: ptr("Ok"), AgentIDs: &[]int64{customer.ID}}},
			{"agent_ids", department.Input{Name: ptr("Ok"), AgentIDs: &[]int64{inactive.ID}}},
			{"agent_ids", department.Input{Name: ptr("Ok"), AgentIDs: &[]int64{987654}}},
			{"agent_ids", department.Input{Name: ptr("Ok"), AgentIDs: &[]int64{-1}}},
		} {
			_, err := e.svc.Create(ctx, e.admin, c.in)
			wantField(t, err, c.field)
		}
		_, err = e.svc.Update(ctx, e.admin, existing.ID, department.Input{Name: ptr(""), AgentIDs: &[]int64{customer.ID}})
		wantField(t, err, "name")
		wantField(t, err, "agent_ids")

		list, err := e.svc.List(ctx, e.admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Name != "Sales" || list[0].AgentsCount != 0 {
			t.Fatalf("departments after rejected input: %+v", list)
		}
		if rows := e.audits(t); len(rows) != 1 {
			t.Fatalf("%d audit rows, want only the one create", len(rows))
		}
	})
}

func TestPermissionsAreCheckedInTheService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		d, err := e.svc.Create(ctx, e.admin, department.Input{Name: ptr("Support")})
		if err != nil {
			t.Fatal(err)
		}
		agent, customer := e.actor(t, "agent"), e.actor(t, "customer")
		if _, err := e.svc.List(ctx, agent); err != nil {
			t.Fatalf("agent lists departments: %v", err)
		}
		for _, a := range []*auth.Actor{agent, customer, nil} {
			if _, err := e.svc.Create(ctx, a, department.Input{Name: ptr("X")}); !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("Create by %v: %v, want forbidden", a, err)
			}
			if _, err := e.svc.Update(ctx, a, d.ID, department.Input{Name: ptr("X")}); !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("Update by %v: %v, want forbidden", a, err)
			}
			if err := e.svc.Delete(ctx, a, d.ID); !apperr.Is(err, apperr.KindForbidden) {
				t.Fatalf("Delete by %v: %v, want forbidden", a, err)
			}
		}
		if _, err := e.svc.Get(ctx, customer, d.ID); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("Get by customer: %v, want forbidden", err)
		}
	})
}

// Concurrent creates of one name all pass the slug check before any commits on PostgreSQL;
// the unique index must still turn every loser into the same 422.
func TestConcurrentDuplicatesAreValidationErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		errs := make(chan error, 8)
		for range cap(errs) {
			go func() {
				_, err := e.svc.Create(context.Background(), e.admin, department.Input{Name: ptr("Billing")})
				errs <- err
			}()
		}
		created := 0
		for range cap(errs) {
			if err := <-errs; err == nil {
				created++
			} else {
				wantField(t, err, "slug")
			}
		}
		if created != 1 {
			t.Fatalf("%d creates succeeded, want 1", created)
		}
	})
}
