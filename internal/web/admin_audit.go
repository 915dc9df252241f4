package web

import (
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// adminAuditLogIndex lists the audit log, newest first, with the frontend's filter keys
// (shapes.md §7): user_id, action (exact, or a prefix ending in "." or "*"),
// auditable_type, date_from and date_to.
func (s *Server) adminAuditLogIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	logs, err := s.Audit.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, paginator(r, logs.Items, logs.Total, f.Page, f.PerPage))
	return nil
}

// auditFilter reads the audit log's filters and page from the query string.
func auditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return audit.Filter{}, err
	}
	var v apperr.Validation
	f := audit.Filter{
		UserID:       idParam(&v, q.Get("user_id"), "user_id"),
		Action:       q.Get("action"),
		ResourceType: q.Get("auditable_type"),
		From:         dateParam(&v, q.Get("date_from"), "date_from", false),
		To:           dateParam(&v, q.Get("date_to"), "date_to", true),
		Page:         page,
		PerPage:      perPage,
	}
	return f, v.Err()
}
