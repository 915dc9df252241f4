package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/storage"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// Ticket and reply forms come as JSON or, when they carry files, as multipart/form-data:
// text fields by their JSON names, files as attachments[] (also attachments, or
// attachments[0], attachments[1]… as Inertia numbers them).

// multipartMemory is how much of an upload is held in memory while the form is read; the rest
// waits in temporary files until it is stored.
const multipartMemory = 1 << 20

// uploadSlack is what a multipart body may hold besides its files: text fields and framing.
const uploadSlack = 1 << 20

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// bodyLimit is the most bytes a request body may have: MaxBodyBytes for JSON, and for an
// upload every allowed file at its largest plus the slack.
func (s *Server) bodyLimit(r *http.Request) (int64, error) {
	if !isMultipart(r) {
		return s.MaxBodyBytes, nil
	}
	cfg, err := s.Settings.All(r.Context())
	if err != nil {
		return 0, err
	}
	files := int64(cfg.Int("max_attachments_per_reply")) * int64(cfg.Int("max_attachment_size_kb")) * 1024
	return max(s.MaxBodyBytes, files+uploadSlack), nil
}

// readForm decodes a JSON or multipart body into dst and stores the files a multipart body
// carries. The caller hands the files to the ticket service and, when that fails, to
// discard, so no stored file outlives a refused request.
func (s *Server) readForm(r *http.Request, dst any) ([]ticket.File, error) {
	if !isMultipart(r) {
		return nil, decode(r, dst)
	}
	if err := r.ParseMultipartForm(multipartMemory); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, tooBig
		case errors.Is(err, multipart.ErrMessageTooLarge):
			return nil, invalid("body", "The form has too many parts or too much text.")
		}
		return nil, invalid("body", "The request body is not valid multipart/form-data.")
	}
	form := r.MultipartForm
	defer form.RemoveAll()
	uploads, err := formLists(form.File)
	if err != nil {
		return nil, err
	}
	values, err := formLists(form.Value)
	if err != nil {
		return nil, err
	}
	for name := range uploads {
		if name != "attachments" {
			return nil, invalid(name, "The "+name+" field does not take files.")
		}
	}
	// A browser sends an empty file input as a text part with an empty value.
	for _, v := range values["attachments"] {
		if v != "" {
			return nil, invalid("attachments", "The attachments field must hold files.")
		}
	}
	delete(values, "attachments")
	if err := decodeValues(values, dst); err != nil {
		return nil, err
	}
	if err := s.checkUploads(r.Context(), uploads["attachments"]); err != nil {
		return nil, err
	}
	return s.storeUploads(r.Context(), uploads["attachments"])
}

// checkUploads applies the attachment settings, naming the first file that breaks them.
func (s *Server) checkUploads(ctx context.Context, files []*multipart.FileHeader) error {
	cfg, err := s.Settings.All(ctx)
	if err != nil {
		return err
	}
	maxCount, maxKB := cfg.Int("max_attachments_per_reply"), cfg.Int("max_attachment_size_kb")
	var v apperr.Validation
	if len(files) > maxCount {
		field := fmt.Sprintf("attachments.%d", maxCount)
		v.Addf(field, "Too many attachments: at most %d files may be attached at once.", maxCount)
	}
	for i, f := range files {
		if f.Size > int64(maxKB)*1024 {
			field := fmt.Sprintf("attachments.%d", i)
			v.Addf(field, "The file %s may not be greater than %d kilobytes.", field, maxKB)
		}
	}
	return v.Err()
}

// storeUploads writes each file to storage under a new key. Its type is sniffed from its
// first bytes; what the client claimed is not believed.
func (s *Server) storeUploads(ctx context.Context, uploads []*multipart.FileHeader) ([]ticket.File, error) {
	files := make([]ticket.File, 0, len(uploads))
	for _, fh := range uploads {
		f, err := s.storeUpload(ctx, fh)
		if err != nil {
			s.discard(ctx, files)
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func (s *Server) storeUpload(ctx context.Context, fh *multipart.FileHeader) (ticket.File, error) {
	src, err := fh.Open()
	if err != nil {
		return ticket.File{}, fmt.Errorf("web: open upload: %w", err)
	}
	defer src.Close()
	head := make([]byte, 512) // all http.DetectContentType looks at
	n, err := io.ReadFull(src, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return ticket.File{}, fmt.Errorf("web: read upload: %w", err)
	}
	head = head[:n]
	key := storage.NewKey()
	size, err := s.Storage.Put(ctx, key, io.MultiReader(bytes.NewReader(head), src))
	if err != nil {
		return ticket.File{}, err
	}
	return ticket.File{Filename: fh.Filename, MimeType: http.DetectContentType(head), Size: size, StorageKey: key}, nil
}

// discard removes stored files whose ticket change did not happen. It goes on when the
// client has hung up, which is one way the change fails.
func (s *Server) discard(ctx context.Context, files []ticket.File) {
	ctx = context.WithoutCancel(ctx)
	for _, f := range files {
		if err := s.Storage.Delete(ctx, f.StorageKey); err != nil {
			s.Log.Error("escalated: remove an unused upload", "key", f.StorageKey, "err", err)
		}
	}
}

// formLists groups a form's entries by field name. "tags" and "tags[]" name the field tags;
// "tags[0]", "tags[1]"… do too and come after them in index order.
func formLists[T any](m map[string][]T) (map[string][]T, error) {
	type entry struct {
		key   string
		index int // -1 when the key has none
	}
	byName := map[string][]entry{}
	for key := range m {
		name, index := key, -1
		if i := strings.IndexByte(key, '['); i >= 0 {
			inner, ok := strings.CutSuffix(key[i+1:], "]")
			n, err := strconv.Atoi(inner)
			switch {
			case !ok || i == 0:
				return nil, invalid(key, "The "+key+" field is not accepted here.")
			case inner == "":
			case err != nil || n < 0 || inner != strconv.Itoa(n):
				return nil, invalid(key, "The "+key+" field is not accepted here.")
			default:
				index = n
			}
			name = key[:i]
		}
		byName[name] = append(byName[name], entry{key, index})
	}
	out := make(map[string][]T, len(byName))
	for name, entries := range byName {
		slices.SortFunc(entries, func(a, b entry) int {
			if a.index != b.index {
				return a.index - b.index
			}
			return strings.Compare(a.key, b.key)
		})
		for _, e := range entries {
			out[name] = append(out[name], m[e.key]...)
		}
	}
	return out, nil
}

// decodeValues fills dst, a pointer to a struct with JSON tags, from form text fields,
// converting each to its field's type, then decodes it exactly as a JSON body would be, so a
// form and a JSON body are refused for the same reasons with the same messages.
func decodeValues(values map[string][]string, dst any) error {
	fields := map[string]reflect.Type{}
	t := reflect.TypeOf(dst).Elem()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	obj := map[string]any{}
	for name, vals := range values {
		typ, ok := fields[name]
		if !ok {
			return invalid(name, "The "+name+" field is not accepted here.")
		}
		v, err := formValue(name, typ, vals)
		if err != nil {
			return err
		}
		if v != nil {
			obj[name] = v
		}
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("web: encode form: %w", err)
	}
	return decodeObject(raw, dst)
}

// formValue converts a field's text values to its type; nil leaves the field unset, which is
// what an empty value of a number or a yes/no means in a form.
func formValue(name string, typ reflect.Type, vals []string) (any, error) {
	if typ.Kind() == reflect.Slice {
		list := []any{}
		for _, s := range vals {
			v, err := formScalar(name, typ.Elem(), s)
			if err != nil {
				return nil, err
			}
			if v != nil {
				list = append(list, v)
			}
		}
		return list, nil
	}
	if len(vals) != 1 {
		return nil, invalid(name, "The "+name+" field must be a single value.")
	}
	return formScalar(name, typ, vals[0])
}

func formScalar(name string, typ reflect.Type, s string) (any, error) {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.String:
		return s, nil
	case reflect.Int, reflect.Int32, reflect.Int64:
		if s == "" {
			return nil, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, invalid(name, "The "+name+" field must be of type number.")
		}
		return n, nil
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "":
			return nil, nil
		case "1", "true", "on", "yes":
			return true, nil
		case "0", "false", "off", "no":
			return false, nil
		}
		return nil, invalid(name, "The "+name+" field must be of type boolean.")
	}
	return nil, invalid(name, "The "+name+" field cannot be sent in a form.")
}
