package web

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// attachmentDownload sends a stored file to someone who may see it (see
// ticket.Service.Attachment), always as a download: a browser must never render an upload
// as a page of the desk's origin.
func (s *Server) attachmentDownload(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "attachment", "Attachment")
	if err != nil {
		return err
	}
	att, err := s.Tickets.Attachment(r.Context(), a, id)
	if err != nil {
		return err
	}
	return s.sendAttachment(w, r, att)
}

// sendAttachment sends a stored file as a download.
func (s *Server) sendAttachment(w http.ResponseWriter, r *http.Request, att *ticket.Attachment) error {
	file, err := s.Storage.Open(r.Context(), att.StorageKey)
	if errors.Is(err, fs.ErrNotExist) {
		s.Log.Error("escalated: attachment file is missing", "attachment", att.ID, "key", att.StorageKey)
		return apperr.NotFound("Attachment")
	}
	if err != nil {
		return err
	}
	defer file.Close()
	h := w.Header()
	h.Set("Content-Type", servedType(att.MimeType))
	h.Set("Content-Disposition", contentDisposition(att.OriginalFilename))
	h.Set("Content-Length", strconv.FormatInt(att.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, file); err != nil {
		// The status is sent; a client that hangs up mid-file is not an error worth a 500.
		s.Log.Debug("escalated: attachment download cut short", "attachment", att.ID, "err", err)
	}
	return nil
}

// servedType is the Content-Type a stored type is sent with. Types a browser would run as a
// document (HTML, XML and SVG, which can carry scripts) go out as opaque bytes.
func servedType(stored string) string {
	mt, _, err := mime.ParseMediaType(stored)
	if err != nil {
		return "application/octet-stream"
	}
	for _, active := range []string{"html", "xml", "svg", "javascript", "ecmascript"} {
		if strings.Contains(mt, active) {
			return "application/octet-stream"
		}
	}
	return stored
}

// contentDisposition names the download: filename* carries the exact name (RFC 6266 and
// 8187), filename a plain-ASCII stand-in for clients that know only that.
func contentDisposition(name string) string {
	var fallback, exact strings.Builder
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' {
			r = '_'
		}
		fallback.WriteRune(r)
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			exact.WriteByte(b)
		} else {
			fmt.Fprintf(&exact, "%%%02X", b)
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + exact.String()
}

// isAttrChar reports whether b may appear unencoded in an RFC 8187 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// attachmentURL is where an attachment is downloaded (the route escalated.attachments.download).
func (s *Server) attachmentURL(id int64) string {
	return fmt.Sprintf("%s/attachments/%d/download", s.Prefix, id)
}

// linkAttachments fills in each attachment's url, which the frontend follows.
func (s *Server) linkAttachments(list []ticket.Attachment) {
	for i := range list {
		list[i].URL = s.attachmentURL(list[i].ID)
	}
}

// linkDetail fills in the url of every attachment of a ticket and of its replies.
func (s *Server) linkDetail(d *ticket.Detail) {
	s.linkAttachments(d.Attachments)
	for i := range d.Replies {
		s.linkAttachments(d.Replies[i].Attachments)
	}
}
