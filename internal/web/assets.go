package web

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
)

// asset serves a file of the frontend's build. Vite names the files under assets/ by their
// content's hash, so a browser may keep them for good; anything else is checked each time.
// The manifest is the server's business and is not served.
func (s *Server) asset(w http.ResponseWriter, r *http.Request, _ *auth.Actor) error {
	name := r.PathValue("path")
	if !fs.ValidPath(name) || name == "." || strings.HasPrefix(name, ".vite/") {
		return apperr.NotFound("File")
	}
	f, err := s.assets.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return apperr.NotFound("File")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.IsDir() {
		return apperr.NotFound("File")
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		content = bytes.NewReader(b)
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, info.ModTime(), content)
	return nil
}
