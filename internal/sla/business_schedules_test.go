package sla_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/bizhours"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/testenv"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	db    *db.DB
	clock *clock.Fake
	auth  *auth.Service
	svc   *sla.Schedules
	admin *auth.Actor
	seq   int
}

// setUp opens a migrated, seeded database and signs in an admin acting from a known address.
func setUp(t *testing.T, url string) *env {
	t.Helper()
	c := clock.NewFake(start)
	d := testenv.OpenDB(t, url, c)
	e := &env{db: d, clock: c, svc: sla.NewSchedules(d, c)}
	e.auth = auth.NewService(d, c, testenv.FastArgon)
	e.admin = e.actor(t, "admin")
	return e
}

func (e *env) actor(t *testing.T, role string) *auth.Actor {
	t.Helper()
	e.seq++
	u, err := e.auth.CreateUser(context.Background(), auth.System(), auth.NewUser{
		Name: fmt.Sprintf("%s %d", role, e.seq), Email: fmt.Sprintf("%s%d@example.test", role, e.seq),
		Password: "correct horse battery", Role: role,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.auth.ActorForUser(context.Background(), u, "203.0.113.9")
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
		WHERE resource_type = 'business_schedule' ORDER BY id`).Scan(context.Background(), &rows)
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

func office() sla.ScheduleInput {
	return sla.ScheduleInput{
		Name:     ptr(" Office "),
		Timezone: ptr("America/New_York"),
		Schedule: &[]bizhours.Interval{
			{Day: 5, Start: "09:00", End: "17:00"},
			{Day: 1, Start: "13:00", End: "17:00"},
			{Day: 1, Start: "09:00", End: "12:00"},
		},
		Holidays: &[]sla.HolidayInput{{Date: "2026-12-25", Recurring: true, Name: "Christmas"}},
	}
}

func TestScheduleLifecycleIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()

		b, err := e.svc.Create(ctx, e.admin, office())
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "Office" || len(b.Schedule) != 3 || b.Schedule[0] != (bizhours.Interval{Day: 1, Start: "09:00", End: "12:00"}) ||
			len(b.Holidays) != 1 || b.Holidays[0].ID == 0 || !b.CreatedAt.Equal(start) {
			t.Fatalf("created %+v", b)
		}

		// The stored schedule computes: two business hours from Friday 16:00 before the clocks
		// spring forward end on Monday at 10:00 daylight time.
		calc, err := b.Calculator()
		if err != nil {
			t.Fatal(err)
		}
		due, err := calc.Add(time.Date(2026, 3, 6, 21, 0, 0, 0, time.UTC), 2*time.Hour)
		if err != nil || !due.Equal(time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC)) {
			t.Fatalf("due %s, %v", due, err)
		}

		e.clock.Advance(time.Minute)
		up, err := e.svc.Update(ctx, e.admin, b.ID, sla.ScheduleInput{Timezone: ptr("Europe/Dublin")})
		if err != nil {
			t.Fatal(err)
		}
		if up.Timezone != "Europe/Dublin" || up.Name != "Office" || len(up.Holidays) != 1 || up.Holidays[0].ID != b.Holidays[0].ID ||
			!up.UpdatedAt.Equal(start.Add(time.Minute)) {
			t.Fatalf("updated %+v", up)
		}
		// Sending what is already there, in another order, writes nothing, not even an audit row.
		same := office()
		same.Timezone = ptr("Europe/Dublin")
		slices.Reverse(*same.Schedule)
		e.clock.Advance(time.Minute)
		if again, err := e.svc.Update(ctx, e.admin, b.ID, same); err != nil || !again.UpdatedAt.Equal(up.UpdatedAt) {
			t.Fatalf("no-op update: %+v, %v", again, err)
		}

		if err := e.svc.Delete(ctx, e.admin, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Get(ctx, e.admin, b.ID); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("get after delete: %v", err)
		}
		var holidays int
		if err := e.db.R.NewRaw(`SELECT count(*) FROM business_holidays`).Scan(ctx, &holidays); err != nil || holidays != 0 {
			t.Fatalf("holidays left after delete: %d, %v", holidays, err)
		}

		rows := e.audits(t)
		var actions []string
		for _, r := range rows {
			actions = append(actions, r.Action)
			if r.ActorID == nil || *r.ActorID != *e.admin.ActorID() || r.IPAddress != "203.0.113.9" || r.ResourceID == nil || *r.ResourceID != b.ID {
				t.Fatalf("audit row %+v", r)
			}
		}
		want := "[business_schedule.created business_schedule.updated business_schedule.deleted]"
		if fmt.Sprint(actions) != want {
			t.Fatalf("audit actions %v, want %s", actions, want)
		}
		created := decodeJSON(t, rows[0].NewValues)
		if created["name"] != "Office" || created["timezone"] != "America/New_York" || len(created["schedule"].([]any)) != 3 ||
			len(created["holidays"].([]any)) != 1 {
			t.Fatalf("created audit %v", created)
		}
		old, changed := decodeJSON(t, rows[1].OldValues), decodeJSON(t, rows[1].NewValues)
		if len(changed) != 1 || changed["timezone"] != "Europe/Dublin" || old["timezone"] != "America/New_York" {
			t.Fatalf("update audit %v → %v", old, changed)
		}
		if deleted := decodeJSON(t, rows[2].OldValues); deleted["name"] != "Office" {
			t.Fatalf("delete audit %v", deleted)
		}
	})
}

func TestSchedulesCheckPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := setUp(t, url)
		ctx := context.Background()
		b, err := e.svc.Create(ctx, e.admin, office())
		if err != nil {
			t.Fatal(err)
		}
		agent := e.actor(t, "agent")
		if _, err := e.svc.List(ctx, agent); err != nil {
			t.Fatalf("agent list: %v", err)
		}
		if _, err := e.svc.Create(ctx, agent, office()); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("agent create: %v", err)
		}
		if _, err := e.svc.Update(ctx, agent, b.ID, sla.ScheduleInput{Name: ptr("Mine")}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("agent update: %v", err)
		}
		if err := e.svc.Delete(ctx, agent, b.ID); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("agent delete: %v", err)
		}
		light := e.actor(t, "light_agent")
		if _, err := e.svc.Get(ctx, light, b.ID); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("light agent get: %v", err)
		}
		if rows := e.audits(t); len(rows) != 1 {
			t.Fatalf("audit rows %d, want only the creation", len(rows))
		}
	})
}
