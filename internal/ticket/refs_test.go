package ticket_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db/dbtest"
	"github.com/escalated-dev/escalated-go/internal/testenv"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// A department, requester or tag that does not exist is a field at fault; a look-up that
// failed is an error of its own, never passed off as a bad id.
func TestReferenceChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		d := testenv.OpenDB(t, url, clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)))
		missing := int64(999)
		err := ticket.CheckRefs(context.Background(), d.R, &missing, &missing, []int64{missing})
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != apperr.KindValidation || len(e.Fields) != 3 ||
			e.Fields["department_id"] == nil || e.Fields["requester_id"] == nil || e.Fields["tag_ids"] == nil {
			t.Fatalf("missing rows: %v; want department_id, requester_id and tag_ids at fault", err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = ticket.CheckRefs(ctx, d.R, &missing, nil, nil)
		if err == nil || apperr.Is(err, apperr.KindValidation) || !errors.Is(err, context.Canceled) {
			t.Fatalf("failed look-up: %v; want the cancellation, not a field at fault", err)
		}
	})
}
