package ticket_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

func newService(t *testing.T, url string) (*ticket.Service, *db.DB) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		if err := auth.Seed(ctx, tx, c.Now()); err != nil {
			return err
		}
		return ticket.Seed(ctx, tx, c.Now())
	}})
	if err != nil {
		t.Fatal(err)
	}
	return ticket.NewService(d, c, event.NewBus(slog.Default()), settings.NewStore(d, c, settings.Defaults())), d
}

func wantKind(t *testing.T, err error, k apperr.Kind, field string) *apperr.Error {
	t.Helper()
	e, ok := err.(*apperr.Error)
	if !ok || e.Kind != k {
		t.Fatalf("err = %v, want kind %d", err, k)
	}
	if field != "" && len(e.Fields[field]) == 0 {
		t.Fatalf("err = %v, want a message for %s", err, field)
	}
	return e
}

func isOpen(t *testing.T, d *db.DB, ticketID int64) bool {
	t.Helper()
	var open bool
	if err := d.R.NewRaw(`SELECT is_open FROM tickets WHERE id = ?`, ticketID).Scan(context.Background(), &open); err != nil {
		t.Fatal(err)
	}
	return open
}

func auditCount(t *testing.T, d *db.DB, action string) int {
	t.Helper()
	var n int
	if err := d.R.NewRaw(`SELECT count(*) FROM audit_logs WHERE action = ?`, action).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCustomStatusLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s, d := newService(t, url)
		ctx := context.Background()
		admin := auth.System()
		viewer := &auth.Actor{UserID: 0, Role: "auditor", Permissions: map[string]bool{"settings.view": true}}

		list, err := s.ListStatuses(ctx, viewer)
		if err != nil || len(list) != 8 || list[0].Slug != ticket.StatusOpen || !list[0].IsSystem {
			t.Fatalf("ListStatuses = %v, %v", list, err)
		}
		_, err = s.CreateStatus(ctx, viewer, ticket.NewStatus{Slug: "parked", Name: "Parked", Category: "on_hold"})
		wantKind(t, err, apperr.KindForbidden, "")

		parked, err := s.CreateStatus(ctx, admin, ticket.NewStatus{Slug: "parked", Name: " Parked ", Category: "on_hold", Color: "#aabbcc"})
		if err != nil {
			t.Fatal(err)
		}
		if parked.Position != 8 || parked.Name != "Parked" || parked.IsSystem {
			t.Fatalf("created %+v, want position 8 after the built-ins", parked)
		}
		_, err = s.CreateStatus(ctx, admin, ticket.NewStatus{Slug: "parked", Name: "Again", Category: "open"})
		wantKind(t, err, apperr.KindValidation, "slug")
		_, err = s.CreateStatus(ctx, admin, ticket.NewStatus{Slug: "Bad-Slug", Name: strings.Repeat("x", 61), Category: "later", Color: "red"})
		e := wantKind(t, err, apperr.KindValidation, "slug")
		for _, f := range []string{"name", "category", "color"} {
			if len(e.Fields[f]) == 0 {
				t.Errorf("no error for %s in %v", f, e)
			}
		}

		table, err := s.Transitions(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		table[ticket.StatusOpen] = append(table[ticket.StatusOpen], "parked")
		table["parked"] = []string{ticket.StatusOpen, ticket.StatusOpen}
		if _, err := s.ReplaceTransitions(ctx, admin, table); err != nil {
			t.Fatal(err)
		}
		tk, err := s.Create(ctx, admin, ticket.CreateInput{Subject: "Broken", Description: "It is."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ChangeStatus(ctx, admin, tk.ID, "parked"); err != nil {
			t.Fatal(err)
		}
		if !isOpen(t, d, tk.ID) {
			t.Fatal("a ticket in an on_hold status is not open")
		}

		// Moving the status to the solved category closes the tickets in it, and back.
		solved := "solved"
		if _, err := s.UpdateStatus(ctx, admin, "parked", ticket.StatusChanges{Category: &solved}); err != nil {
			t.Fatal(err)
		}
		if isOpen(t, d, tk.ID) {
			t.Fatal("is_open did not follow the status's new category")
		}
		var newValues string
		if err := d.R.NewRaw(`SELECT new_values FROM audit_logs WHERE action = 'status.updated'`).Scan(ctx, &newValues); err != nil {
			t.Fatal(err)
		}
		var audited map[string]any
		json.Unmarshal([]byte(newValues), &audited)
		if audited["category"] != "solved" || audited["tickets_updated"] != float64(1) {
			t.Fatalf("audit new values = %s", newValues)
		}
		onHold := "on_hold"
		if _, err := s.UpdateStatus(ctx, admin, "parked", ticket.StatusChanges{Category: &onHold}); err != nil {
			t.Fatal(err)
		}
		if !isOpen(t, d, tk.ID) {
			t.Fatal("is_open did not follow the category back")
		}

		// Built-in statuses keep their category but may be renamed and moved.
		pending, name, pos := "pending", "Fresh", 20
		_, err = s.UpdateStatus(ctx, admin, ticket.StatusOpen, ticket.StatusChanges{Category: &pending})
		wantKind(t, err, apperr.KindValidation, "category")
		open, err := s.UpdateStatus(ctx, admin, ticket.StatusOpen, ticket.StatusChanges{Name: &name, Position: &pos})
		if err != nil || open.Name != "Fresh" || open.Position != 20 || open.Category != "open" {
			t.Fatalf("rename built-in = %+v, %v", open, err)
		}
		before := auditCount(t, d, "status.updated")
		if _, err := s.UpdateStatus(ctx, admin, ticket.StatusOpen, ticket.StatusChanges{Name: &name}); err != nil {
			t.Fatal(err)
		}
		if auditCount(t, d, "status.updated") != before {
			t.Fatal("an edit that changed nothing was audited")
		}
		_, err = s.UpdateStatus(ctx, admin, "nope", ticket.StatusChanges{Name: &name})
		wantKind(t, err, apperr.KindNotFound, "")

		// A status in use, and a built-in one, cannot be deleted.
		err = s.DeleteStatus(ctx, admin, "parked")
		if e := wantKind(t, err, apperr.KindConflict, ""); !strings.Contains(e.Message, "1 ticket is") {
			t.Fatalf("conflict message %q does not count the tickets", e.Message)
		}
		wantKind(t, s.DeleteStatus(ctx, admin, ticket.StatusClosed), apperr.KindConflict, "")
		wantKind(t, s.DeleteStatus(ctx, admin, "nope"), apperr.KindNotFound, "")

		if _, err := s.ChangeStatus(ctx, admin, tk.ID, ticket.StatusOpen); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteStatus(ctx, admin, "parked"); err != nil {
			t.Fatal(err)
		}
		table, err = s.Transitions(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := table["parked"]; ok || slices.Contains(table[ticket.StatusOpen], "parked") {
			t.Fatalf("the deleted status's transitions remain: %v", table)
		}
		if n := auditCount(t, d, "status.deleted"); n != 1 {
			t.Fatalf("status.deleted audited %d times", n)
		}
	})
}

func TestReplaceTransitionsValidates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s, d := newService(t, url)
		ctx := context.Background()
		admin := auth.System()
		original, err := s.Transitions(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(original) != 8 || !slices.Equal(original[ticket.StatusClosed], []string{ticket.StatusReopened}) {
			t.Fatalf("seeded table = %v", original)
		}

		bad := []struct {
			table map[string][]string
			field string
		}{
			{nil, "transitions"},
			{map[string][]string{"open": {"open"}}, "transitions.open"},
			{map[string][]string{"open": {"closed", "nowhere"}}, "transitions.open"},
			{map[string][]string{"nowhere": {"open"}}, "transitions.nowhere"},
			{map[string][]string{"open\x00": {"closed"}}, "transitions"},
			{map[string][]string{strings.Repeat("a", 100): {"closed"}}, "transitions"},
			{map[string][]string{"open": {"Closed!"}}, "transitions.open"},
		}
		for _, c := range bad {
			_, err := s.ReplaceTransitions(ctx, admin, c.table)
			wantKind(t, err, apperr.KindValidation, c.field)
		}
		_, err = s.ReplaceTransitions(ctx, &auth.Actor{Role: "agent", Permissions: map[string]bool{"settings.view": true}}, map[string][]string{})
		wantKind(t, err, apperr.KindForbidden, "")
		if n := auditCount(t, d, "status_transitions.replaced"); n != 0 {
			t.Fatalf("refused replacements were audited %d times", n)
		}
		if now, _ := s.Transitions(ctx, admin); !equalTables(now, original) {
			t.Fatalf("a refused replacement changed the table: %v", now)
		}

		got, err := s.ReplaceTransitions(ctx, admin, map[string][]string{
			"open": {"closed", "resolved", "closed"}, "closed": nil,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"open": {"resolved", "closed"}}
		for slug := range original {
			if want[slug] == nil {
				want[slug] = []string{}
			}
		}
		if !equalTables(got, want) {
			t.Fatalf("replaced table = %v, want %v", got, want)
		}
		var oldValues, newValues string
		err = d.R.NewRaw(`SELECT old_values, new_values FROM audit_logs WHERE action = 'status_transitions.replaced'`).Scan(ctx, &oldValues, &newValues)
		if err != nil {
			t.Fatal(err)
		}
		var oldAudit, newAudit map[string]map[string][]string
		json.Unmarshal([]byte(oldValues), &oldAudit)
		json.Unmarshal([]byte(newValues), &newAudit)
		if !equalTables(oldAudit["transitions"], original) || !equalTables(newAudit["transitions"], want) {
			t.Fatalf("audit old %s new %s", oldValues, newValues)
		}
	})
}

func equalTables(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// A ticket moving into a status while an admin changes that status's category ends with the
// is_open of the new category, whichever commits first. Without the key-share lock that
// moveStatus takes on the status, PostgreSQL lost about half of these races.
func TestCategoryChangeRacesStatusMove(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s, d := newService(t, url)
		ctx := context.Background()
		admin := auth.System()
		open := "open"
		for i := range 20 {
			slug := fmt.Sprintf("parked_%d", i)
			if _, err := s.CreateStatus(ctx, admin, ticket.NewStatus{Slug: slug, Name: "Parked", Category: "solved"}); err != nil {
				t.Fatal(err)
			}
			table, err := s.Transitions(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			table[ticket.StatusOpen] = append(table[ticket.StatusOpen], slug)
			if _, err := s.ReplaceTransitions(ctx, admin, table); err != nil {
				t.Fatal(err)
			}
			tk, err := s.Create(ctx, admin, ticket.CreateInput{Subject: "Race", Description: "Go."})
			if err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, 2)
			go func() { _, err := s.ChangeStatus(ctx, admin, tk.ID, slug); errs <- err }()
			go func() { _, err := s.UpdateStatus(ctx, admin, slug, ticket.StatusChanges{Category: &open}); errs <- err }()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if !isOpen(t, d, tk.ID) {
				t.Fatalf("round %d: the ticket in %s (now category open) is not open", i, slug)
			}
		}
	})
}
