package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

type bulkInput struct {
	TicketIDs []int64         `json:"ticket_ids"`
	Action    string          `json:"action"`
	Value     json.RawMessage `json:"value"`
}

// maxBulk bounds one bulk request.
const maxBulk = 500

// agentTicketBulk applies one action to many tickets, each in its own transaction, and
// reports which succeeded and why each other one failed.
func (s *Server) agentTicketBulk(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in bulkInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var v apperr.Validation
	if len(in.TicketIDs) == 0 {
		v.Add("ticket_ids", "The ticket_ids field must list at least one ticket.")
	} else if len(in.TicketIDs) > maxBulk {
		v.Addf("ticket_ids", "At most %d tickets may be changed at once.", maxBulk)
	}
	apply, err := s.bulkAction(r, a, in)
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	type failure struct {
		ID      int64  `json:"id"`
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	succeeded := []int64{}
	failed := []failure{}
	for _, id := range in.TicketIDs {
		if err := apply(id); err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) {
				s.Log.Error("escalated: bulk action", "ticket", id, "action", in.Action, "err", err)
				failed = append(failed, failure{ID: id, Status: 500, Message: "Server error."})
				continue
			}
			failed = append(failed, failure{ID: id, Status: statusOf(e), Message: e.Message})
			continue
		}
		succeeded = append(succeeded, id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"succeeded": succeeded, "failed": failed}})
	return nil
}

func (s *Server) bulkAction(r *http.Request, a *auth.Actor, in bulkInput) (func(id int64) error, error) {
	ctx := r.Context()
	valueAs := func(dst any) error {
		if len(in.Value) == 0 {
			return invalid("value", "The value field is required for this action.")
		}
		if err := json.Unmarshal(in.Value, dst); err != nil {
			return invalid("value", "The value field has the wrong type for this action.")
		}
		return nil
	}
	switch in.Action {
	case "assign":
		var agent *int64
		if err := valueAs(&agent); err != nil {
			return nil, err
		}
		return func(id int64) error { _, err := s.Tickets.Assign(ctx, a, id, agent); return err }, nil
	case "status":
		var st string
		if err := valueAs(&st); err != nil {
			return nil, err
		}
		return func(id int64) error { _, err := s.Tickets.ChangeStatus(ctx, a, id, st); return err }, nil
	case "priority":
		var p string
		if err := valueAs(&p); err != nil {
			return nil, err
		}
		// A bad priority is wrong for every ticket alike: refuse the request, not each ticket.
		if !oneOf(p, ticket.Priorities) {
			return nil, invalid("value", "The value must be one of: "+strings.Join(ticket.Priorities, ", ")+".")
		}
		return func(id int64) error { _, err := s.Tickets.ChangePriority(ctx, a, id, p); return err }, nil
	case "add_tags", "remove_tags":
		var tags []int64
		if err := valueAs(&tags); err != nil {
			return nil, err
		}
		if in.Action == "add_tags" {
			return func(id int64) error { _, err := s.Tickets.AddTags(ctx, a, id, tags); return err }, nil
		}
		return func(id int64) error { _, err := s.Tickets.RemoveTags(ctx, a, id, tags); return err }, nil
	case "":
		return nil, invalid("action", "The action field is required.")
	default:
		return nil, invalid("action", "The action must be one of: assign, status, priority, add_tags, remove_tags.")
	}
}
