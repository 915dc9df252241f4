package notification_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/notification"
	"github.com/escalated-dev/escalated-go/internal/testenv"
)

// A rule names an agent, a customer, a deactivated agent and the same agent twice: only the
// active staff member is told, once. They read it, mark it read; nobody else can.
func TestInbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		e := testenv.New(t, url)
		svc := notification.NewService(e.DB, e.Clock)
		ada, bo, cy := e.User("agent"), e.User("customer"), e.User("agent")
		if _, err := e.Auth.DeactivateUser(e.Ctx, auth.System(), cy.UserID); err != nil {
			t.Fatal(err)
		}
		note := func(n string) notification.Note {
			return notification.Note{Type: notification.TypeEscalation, Data: map[string]any{"rule_name": n}}
		}
		var sent int
		err := e.DB.InTx(e.Ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			sent, err = notification.ToStaff(ctx, tx, []int64{ada.UserID, bo.UserID, cy.UserID, ada.UserID}, note("first"), e.Clock.Now())
			return err
		})
		if err != nil || sent != 1 {
			t.Fatalf("ToStaff: %d sent, %v; want 1 (the active agent, once)", sent, err)
		}
		e.Clock.Advance(time.Minute)
		if err := notification.Send(e.Ctx, e.DB.W, []int64{ada.UserID, bo.UserID}, note("second"), e.Clock.Now()); err != nil {
			t.Fatal(err)
		}

		page, err := svc.List(e.Ctx, ada, notification.Filter{Page: 1, PerPage: 25})
		if err != nil || page.Total != 2 || page.Items[0].Data["rule_name"] != "second" || page.Items[1].Data["rule_name"] != "first" {
			t.Fatalf("ada's inbox: %+v, %v; want second then first", page, err)
		}
		if n, _ := svc.Unread(e.Ctx, ada); n != 2 {
			t.Fatalf("%d unread, want 2", n)
		}

		// Someone else's notification does not exist for you.
		var bosID int64
		if err := e.DB.R.NewRaw(`SELECT id FROM notifications WHERE user_id = ?`, bo.UserID).Scan(e.Ctx, &bosID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.MarkRead(e.Ctx, ada, bosID); !isNotFound(err) {
			t.Fatalf("marking another's notification: %v, want not found", err)
		}
		if n, _ := svc.Unread(e.Ctx, bo); n != 1 {
			t.Fatalf("bo has %d unread after ada's attempt, want 1", n)
		}

		e.Clock.Advance(time.Minute)
		first := page.Items[1]
		read, err := svc.MarkRead(e.Ctx, ada, first.ID)
		if err != nil || read.ReadAt == nil || !read.ReadAt.Equal(e.Clock.Now()) {
			t.Fatalf("mark read: %+v, %v", read, err)
		}
		// Again: still read, at the first time.
		e.Clock.Advance(time.Minute)
		again, err := svc.MarkRead(e.Ctx, ada, first.ID)
		if err != nil || !again.ReadAt.Equal(*read.ReadAt) {
			t.Fatalf("mark read twice: %+v, %v; want the first read time kept", again, err)
		}
		unread, err := svc.List(e.Ctx, ada, notification.Filter{UnreadOnly: true, Page: 1, PerPage: 25})
		if err != nil || unread.Total != 1 || unread.Items[0].ID == first.ID {
			t.Fatalf("unread only: %+v, %v", unread, err)
		}

		if n, err := svc.MarkAllRead(e.Ctx, ada); err != nil || n != 1 {
			t.Fatalf("mark all read: %d, %v; want 1", n, err)
		}
		if n, _ := svc.Unread(e.Ctx, ada); n != 0 {
			t.Fatalf("%d unread after mark all, want 0", n)
		}
		if n, _ := svc.Unread(e.Ctx, bo); n != 1 {
			t.Fatalf("mark all read reached bo: %d unread, want 1", n)
		}
	})
}

func isNotFound(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Kind == apperr.KindNotFound
}
