package web

import (
	"net/http"
	"time"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

type snoozeBody struct {
	Until           *string `json:"until"`
	DurationMinutes *int    `json:"duration_minutes"`
}

// ticketSnooze serves the agent and admin snooze routes: {"until": RFC 3339 time} or
// {"duration_minutes": n}.
func (s *Server) ticketSnooze(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in snoozeBody) (*ticket.Ticket, error) {
		var until *time.Time
		if in.Until != nil {
			t, err := time.Parse(time.RFC3339, *in.Until)
			if err != nil {
				return nil, invalid("until", "The until field must be a time in RFC 3339 form, such as 2026-03-02T15:04:05Z.")
			}
			until = &t
		}
		return s.Tickets.Snooze(r.Context(), a, id, ticket.SnoozeInput{Until: until, DurationMinutes: in.DurationMinutes})
	})
}

func (s *Server) ticketUnsnooze(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ticketID(r)
	if err != nil {
		return err
	}
	if err := noFields(r); err != nil {
		return err
	}
	t, err := s.Tickets.Unsnooze(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, t)
}
