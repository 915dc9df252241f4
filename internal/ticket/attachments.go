package ticket

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// File is an uploaded file that is already in storage under StorageKey. Create and Reply
// record it with the ticket or reply in the same transaction; the caller removes it from
// storage when they fail.
type File struct {
	Filename   string // as the client sent it; the service cleans it
	MimeType   string
	Size       int64
	StorageKey string
}

// maxFilename is the most characters of an original filename kept.
const maxFilename = 255

// cleanFilename makes a client's filename safe to show and to put in a header: no directory
// part (with either slash), no control or invisible formatting characters (a right-to-left
// override can disguise an extension), valid UTF-8, at most maxFilename characters with the
// extension kept. The name is only ever shown; files are stored under generated keys.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." || name == "/" {
		return "attachment"
	}
	if utf8.RuneCountInString(name) > maxFilename {
		ext := []rune(path.Ext(name))
		if len(ext) > 16 {
			ext = nil
		}
		stem := []rune(strings.TrimSuffix(name, string(ext)))
		name = string(stem[:maxFilename-len(ext)]) + string(ext)
	}
	return name
}

// checkFiles refuses files a caller built wrongly; the HTTP layer never sends such.
func checkFiles(v *apperr.Validation, files []File) {
	for i, f := range files {
		field := fmt.Sprintf("attachments.%d", i)
		if f.StorageKey == "" || f.MimeType == "" || f.Size < 0 {
			v.Addf(field, "The %s file is incomplete.", field)
		}
	}
}

// attach records files on the ticket, on one of its replies when replyID is set.
func attach(ctx context.Context, tx bun.Tx, ticketID int64, replyID *int64, files []File, now time.Time) ([]Attachment, error) {
	out := make([]Attachment, len(files))
	if len(files) == 0 {
		return out, nil
	}
	for i, f := range files {
		out[i] = Attachment{
			TicketID: ticketID, ReplyID: replyID, OriginalFilename: cleanFilename(f.Filename),
			MimeType: f.MimeType, Size: f.Size, StorageKey: f.StorageKey, CreatedAt: now,
		}
	}
	if _, err := tx.NewInsert().Model(&out).Exec(ctx); err != nil {
		return nil, fmt.Errorf("ticket: insert attachments: %w", err)
	}
	return out, nil
}

// Attachment returns an attachment the actor may download. Staff who may view tickets get
// any; the ticket's requester (or the guest its token opens it to) gets those on the ticket itself and on public replies, never
// those on internal notes. Anything else is not found.
func (s *Service) Attachment(ctx context.Context, actor *auth.Actor, id int64) (*Attachment, error) {
	q := s.db.R.NewSelect().TableExpr("attachments AS a").ColumnExpr("a.*").
		Join("JOIN tickets AS t ON t.id = a.ticket_id").
		Join("LEFT JOIN replies AS r ON r.id = a.reply_id").
		Where("a.id = ?", id)
	if !actor.IsAgent() || !actor.Can("ticket.view") {
		if actor == nil {
			return nil, apperr.NotFound("Attachment")
		}
		if actor.IsGuest() {
			// A guest's token opens one ticket.
			q = q.Where("t.id = ?", actor.GuestTicketID)
		} else {
			q = q.Where("t.requester_id = ?", actor.UserID)
		}
		q = q.Where("(a.reply_id IS NULL OR r.is_internal_note = FALSE)")
	}
	var found []Attachment
	if err := q.Scan(ctx, &found); err != nil {
		return nil, fmt.Errorf("ticket: load attachment %d: %w", id, err)
	}
	if len(found) == 0 {
		return nil, apperr.NotFound("Attachment")
	}
	return &found[0], nil
}
