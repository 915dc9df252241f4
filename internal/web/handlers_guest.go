package web

import (
	"fmt"
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/guest"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// The guest routes are public: the token in the path is the guest's only credential, and
// whoever is signed in plays no part. Every one of them is a 404 while guest tickets are off.

type guestTicketInput struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Subject      string `json:"subject"`
	Description  string `json:"description"`
	Priority     string `json:"priority"`
	DepartmentID *int64 `json:"department_id"`
}

// guestURL is the magic link of a token, below the desk's prefix.
func (s *Server) guestURL(token string) string { return s.Prefix + "/guest/" + token }

// guestsOn answers 404 while guest tickets are turned off, before a body is read.
func (s *Server) guestsOn(r *http.Request) error {
	_, on, err := s.Guests.Policy(r.Context())
	if err != nil {
		return err
	}
	if !on {
		return notFoundRoute
	}
	return nil
}

// guestTicketStore opens a guest ticket. The answer carries the token and the magic link
// once: only their hash is kept. Email is not sent yet, so this answer (and the page the
// form goes on to) is the only place the guest gets the link.
func (s *Server) guestTicketStore(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	if err := s.guestsOn(r); err != nil {
		return err
	}
	var in guestTicketInput
	files, err := s.readForm(r, &in)
	if err != nil {
		return err
	}
	created, err := s.Guests.Create(r.Context(), s.clientIP(r), guest.CreateInput{
		Name: in.Name, Email: in.Email, Subject: in.Subject, Description: in.Description,
		Priority: in.Priority, DepartmentID: in.DepartmentID, Attachments: files,
	})
	if err != nil {
		s.discard(r.Context(), files)
		return err
	}
	return data(w, http.StatusCreated, map[string]any{
		"ticket":    created.Ticket,
		"token":     created.Token,
		"guest_url": s.guestURL(created.Token),
	})
}

// guestTicket is the ticket a guest's token opens, as its requester sees it, with its
// attachments linked through the token.
func (s *Server) guestTicket(r *http.Request) (customerTicket, error) {
	token := r.PathValue("token")
	d, err := s.Guests.Show(r.Context(), token, s.clientIP(r))
	if err != nil {
		return customerTicket{}, err
	}
	link := func(list []ticket.Attachment) {
		for i := range list {
			list[i].URL = fmt.Sprintf("%s/attachments/%d", s.guestURL(token), list[i].ID)
		}
	}
	link(d.Attachments)
	for i := range d.Replies {
		link(d.Replies[i].Attachments)
	}
	return customerTicket{Detail: d}, nil
}

func (s *Server) guestTicketShow(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	t, err := s.guestTicket(r)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, t)
}

func (s *Server) guestTicketReply(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	token := r.PathValue("token")
	// The token is checked before a file is stored.
	if _, err := s.Guests.Open(r.Context(), token, s.clientIP(r)); err != nil {
		return err
	}
	var in replyBody
	files, err := s.readForm(r, &in)
	if err != nil {
		return err
	}
	reply, err := s.Guests.Reply(r.Context(), token, s.clientIP(r), in.Body, files)
	if err != nil {
		s.discard(r.Context(), files)
		return err
	}
	for i := range reply.Attachments {
		reply.Attachments[i].URL = fmt.Sprintf("%s/attachments/%d", s.guestURL(token), reply.Attachments[i].ID)
	}
	return data(w, http.StatusCreated, reply)
}

func (s *Server) guestAttachmentDownload(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	id, err := pathID(r, "guest_attachment", "Attachment")
	if err != nil {
		return err
	}
	att, err := s.Guests.Attachment(r.Context(), r.PathValue("token"), s.clientIP(r), id)
	if err != nil {
		return err
	}
	return s.sendAttachment(w, r, att)
}

// guestCreatePage is the guest form. There is no look-up of lost links and no email
// verification yet (both need outgoing mail), so lookup_url and verification_url are null
// and the page shows neither.
func (s *Server) guestCreatePage(r *http.Request, _ *auth.Actor) (map[string]any, error) {
	if err := s.guestsOn(r); err != nil {
		return nil, err
	}
	departments, err := s.departmentOptions(r.Context(), true)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"departments":      departments,
		"priorities":       ticket.Priorities,
		"lookup_url":       nil,
		"verification_url": nil,
	}, nil
}

// guestShowPage is the guest's ticket. guest_url is the page's own magic link, shown so the
// guest can keep it; prompt_signup (guest_policy_mode prompt_signup) has the page offer an
// account.
func (s *Server) guestShowPage(r *http.Request, _ *auth.Actor) (map[string]any, error) {
	t, err := s.guestTicket(r)
	if err != nil {
		return nil, err
	}
	mode, _, err := s.Guests.Policy(r.Context())
	if err != nil {
		return nil, err
	}
	token := r.PathValue("token")
	return map[string]any{
		"ticket":        t,
		"token":         token,
		"guest_url":     s.guestURL(token),
		"prompt_signup": mode == guest.PolicyPromptSignup,
	}, nil
}
