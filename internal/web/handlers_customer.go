package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// The customer routes show the signed-in person's own requests, whatever their role.

type customerTicketInput struct {
	Subject      string `json:"subject"`
	Description  string `json:"description"`
	Priority     string `json:"priority"`
	TicketType   string `json:"ticket_type"`
	DepartmentID *int64 `json:"department_id"`
}

func (s *Server) customerTicketIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	f, err := ticketFilter(r, a)
	if err != nil {
		return err
	}
	f.RequesterID = &a.UserID
	page, err := s.Tickets.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, page.Items, page.Total, page.Page, page.PerPage))
	return nil
}

func (s *Server) customerTicketStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	var in customerTicketInput
	files, err := s.readForm(r, &in)
	if err != nil {
		return err
	}
	t, err := s.Tickets.Create(r.Context(), a, ticket.CreateInput{
		Subject: in.Subject, Description: in.Description, Priority: in.Priority,
		TicketType: in.TicketType, DepartmentID: in.DepartmentID, RequesterID: &a.UserID,
		Attachments: files,
	})
	if err != nil {
		s.discard(r.Context(), files)
		return err
	}
	return data(w, http.StatusCreated, t)
}

// ownTicket resolves {ticket} and checks that the signed-in person requested it.
func (s *Server) ownTicket(r *http.Request, a *auth.Actor) (int64, error) {
	id, err := s.ticketID(r)
	if err != nil {
		return 0, err
	}
	if !s.Tickets.IsRequester(r.Context(), id, a.UserID) {
		return 0, apperr.NotFound("Ticket")
	}
	return id, nil
}

func (s *Server) customerTicketShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ownTicket(r, a)
	if err != nil {
		return err
	}
	d, err := s.Tickets.GetForRequester(r.Context(), a, id)
	if err != nil {
		return err
	}
	s.linkDetail(d)
	return data(w, http.StatusOK, d)
}

type replyBody struct {
	Body string `json:"body"`
}

func (s *Server) customerTicketReply(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := s.ownTicket(r, a)
	if err != nil {
		return err
	}
	var in replyBody
	files, err := s.readForm(r, &in)
	if err != nil {
		return err
	}
	reply, err := s.Tickets.Reply(r.Context(), a, id, ticket.ReplyInput{Body: in.Body, Attachments: files})
	if err != nil {
		s.discard(r.Context(), files)
		return err
	}
	s.linkAttachments(reply.Attachments)
	return data(w, http.StatusCreated, reply)
}

func (s *Server) customerTicketClose(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return s.customerStatus(w, r, a, ticket.StatusClosed)
}

func (s *Server) customerTicketReopen(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return s.customerStatus(w, r, a, ticket.StatusReopened)
}

func (s *Server) customerStatus(w http.ResponseWriter, r *http.Request, a *auth.Actor, status string) error {
	id, err := s.ownTicket(r, a)
	if err != nil {
		return err
	}
	if err := noFields(r); err != nil {
		return err
	}
	t, err := s.Tickets.ChangeStatusAsRequester(r.Context(), a, id, status)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, t)
}
