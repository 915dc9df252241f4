package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/notification"
)

// notificationIndex lists the caller's own notifications, newest first; ?unread=true keeps
// the unread ones.
func (s *Server) notificationIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	f, err := notificationFilter(r)
	if err != nil {
		return err
	}
	p, err := s.Notifications.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, p.Items, p.Total, f.Page, f.PerPage))
	return nil
}

func (s *Server) notificationsPage(r *http.Request, a *auth.Actor) (map[string]any, error) {
	f, err := notificationFilter(r)
	if err != nil {
		return nil, err
	}
	p, err := s.Notifications.List(r.Context(), a, f)
	if err != nil {
		return nil, err
	}
	unread, err := s.Notifications.Unread(r.Context(), a)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"notifications": paginator(r, p.Items, p.Total, f.Page, f.PerPage),
		"filters":       map[string]any{"unread": f.UnreadOnly},
		"unread_count":  unread,
	}, nil
}

func notificationFilter(r *http.Request) (notification.Filter, error) {
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return notification.Filter{}, err
	}
	var v apperr.Validation
	unread, _ := boolParam(&v, q.Get("unread"), "unread")
	return notification.Filter{UnreadOnly: unread, Page: page, PerPage: perPage}, v.Err()
}

func (s *Server) notificationRead(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "notification", "Notification")
	if err != nil {
		return err
	}
	if err := noFields(r); err != nil {
		return err
	}
	n, err := s.Notifications.MarkRead(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, n)
}

func (s *Server) notificationReadAll(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	if err := noFields(r); err != nil {
		return err
	}
	n, err := s.Notifications.MarkAllRead(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, map[string]any{"marked": n})
}
