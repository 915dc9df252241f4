package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/db"
)

// Viewer is whoever asks to read the log; it needs the audit.view permission.
type Viewer interface {
	Can(permission string) bool
}

// Filter selects entries; every field that is set narrows the list.
type Filter struct {
	// UserID keeps the entries of one acting user.
	UserID *int64
	// Action is an action name such as "ticket.status_changed", or a prefix when it ends
	// in "." ("ticket.") or "*" ("ticket.*", "ticket.status*").
	Action string
	// ResourceType is the kind of object changed, e.g. "ticket" or "user".
	ResourceType string
	// From and To bound created_at, both inclusive.
	From, To *time.Time
	Page     int
	// PerPage is at most 100; zero means 25.
	PerPage int
}

// Row is one entry as the admin list shows it, with the acting user's name.
type Row struct {
	ID     int64    `json:"id"`
	UserID *int64   `json:"user_id"`
	User   *UserRef `json:"user"`
	// Contact is the contact a guest acted as (guest tickets); null otherwise.
	Contact      *UserRef        `json:"contact"`
	Action       string          `json:"action"`
	ResourceType string          `json:"auditable_type"`
	ResourceID   *int64          `json:"auditable_id"`
	OldValues    json.RawMessage `json:"old_values"`
	NewValues    json.RawMessage `json:"new_values"`
	IPAddress    string          `json:"ip_address"`
	CreatedAt    time.Time       `json:"created_at"`
}

// UserRef names the user who made a change; it is null for the desk's own work.
type UserRef struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Page is one page of entries and how many match in all.
type Page struct {
	Items []Row
	Total int
}

// Log reads the audit log.
type Log struct{ db *db.DB }

// NewLog returns the audit log reader over d.
func NewLog(d *db.DB) *Log { return &Log{db: d} }

const maxFilterText = 100

// List returns one page of entries, newest first. Every filter has an index that leads with
// it (migrations 0001 and 0007), so a page costs an index range, not a table scan.
func (l *Log) List(ctx context.Context, v Viewer, f Filter) (*Page, error) {
	if !v.Can("audit.view") {
		return nil, apperr.Forbidden("You may not view the audit log.")
	}
	f.Action, f.ResourceType = strings.TrimSpace(f.Action), strings.TrimSpace(f.ResourceType)
	var bad apperr.Validation
	checkText(&bad, "action", f.Action)
	checkText(&bad, "auditable_type", f.ResourceType)
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		bad.Add("date_to", "The date_to must not be before date_from.")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if f.PerPage <= 0 {
		f.PerPage = 25
	}
	f.Page, f.PerPage = max(f.Page, 1), min(f.PerPage, 100)

	where, args := l.where(f)
	var total int
	if err := l.db.R.NewRaw("SELECT count(*) FROM audit_logs a"+where, args...).Scan(ctx, &total); err != nil {
		return nil, fmt.Errorf("audit: count entries: %w", err)
	}
	var rows []struct {
		ID           int64     `bun:"id"`
		ActorID      *int64    `bun:"actor_id"`
		Action       string    `bun:"action"`
		ResourceType string    `bun:"resource_type"`
		ResourceID   *int64    `bun:"resource_id"`
		OldValues    string    `bun:"old_values"`
		NewValues    string    `bun:"new_values"`
		IPAddress    string    `bun:"ip_address"`
		CreatedAt    time.Time `bun:"created_at"`
		UserName     *string   `bun:"user_name"`
		UserEmail    *string   `bun:"user_email"`
		ContactID    *int64    `bun:"actor_contact_id"`
		ContactName  *string   `bun:"contact_name"`
		ContactEmail *string   `bun:"contact_email"`
	}
	err := l.db.R.NewRaw(`SELECT a.id, a.actor_id, a.action, a.resource_type, a.resource_id,
			a.old_values, a.new_values, a.ip_address, a.created_at, u.name AS user_name, u.email AS user_email,
			a.actor_contact_id, c.name AS contact_name, c.email AS contact_email
		FROM audit_logs a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN contacts c ON c.id = a.actor_contact_id`+where+`
		ORDER BY a.created_at DESC, a.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("audit: list entries: %w", err)
	}
	out := &Page{Items: make([]Row, 0, len(rows)), Total: total}
	for _, r := range rows {
		row := Row{
			ID: r.ID, UserID: r.ActorID, Action: r.Action, ResourceType: r.ResourceType, ResourceID: r.ResourceID,
			OldValues: json.RawMessage(r.OldValues), NewValues: json.RawMessage(r.NewValues),
			IPAddress: r.IPAddress, CreatedAt: r.CreatedAt.UTC(),
		}
		if r.ActorID != nil && r.UserName != nil {
			row.User = &UserRef{ID: *r.ActorID, Name: *r.UserName, Email: *r.UserEmail}
		}
		if r.ContactID != nil && r.ContactName != nil {
			row.Contact = &UserRef{ID: *r.ContactID, Name: *r.ContactName, Email: *r.ContactEmail}
		}
		out.Items = append(out.Items, row)
	}
	return out, nil
}

func checkText(v *apperr.Validation, field, s string) {
	if len(s) > maxFilterText || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		v.Add(field, fmt.Sprintf("The %s filter must be at most %d valid characters.", field, maxFilterText))
	}
}

// where builds the WHERE clause of f. A prefix is matched as the byte range [p, p+1) rather
// than with LIKE, so wildcards in the input mean nothing and the action index serves it on
// both databases.
func (l *Log) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	if f.UserID != nil {
		conds, args = append(conds, "a.actor_id = ?"), append(args, *f.UserID)
	}
	if f.Action != "" {
		action := l.db.Bytewise("a.action")
		prefix, isPrefix := strings.CutSuffix(f.Action, "*")
		if !isPrefix {
			isPrefix = strings.HasSuffix(f.Action, ".")
		}
		switch {
		case !isPrefix:
			conds, args = append(conds, action+" = ?"), append(args, f.Action)
		case prefix != "":
			conds, args = append(conds, action+" >= ?"), append(args, prefix)
			if end := prefixEnd(prefix); end != "" {
				conds, args = append(conds, action+" < ?"), append(args, end)
			}
		}
	}
	if f.ResourceType != "" {
		conds, args = append(conds, "a.resource_type = ?"), append(args, f.ResourceType)
	}
	if f.From != nil {
		conds, args = append(conds, "a.created_at >= ?"), append(args, f.From.UTC())
	}
	if f.To != nil {
		conds, args = append(conds, "a.created_at <= ?"), append(args, f.To.UTC())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// prefixEnd is a string above every string that starts with p and below every other string
// above p: p with its last character raised by one. UTF-8 sorts bytewise in code-point order,
// so this holds in byte order; raising characters rather than bytes keeps the bound valid
// UTF-8, which PostgreSQL insists on. It returns "" when there is no such string (p is all
// U+10FFFF), and then everything from p upwards matches.
func prefixEnd(p string) string {
	runes := []rune(p)
	for i := len(runes) - 1; i >= 0; i-- {
		next := runes[i] + 1
		if next == 0xD800 { // surrogates are not characters
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			return string(runes[:i]) + string(next)
		}
	}
	return ""
}
