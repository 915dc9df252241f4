package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
)

type errorBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
	// AllowedTransitions lists the statuses a refused status change could go to.
	AllowedTransitions []string `json:"allowed_transitions,omitempty"`
}

var notFoundRoute = apperr.NotFound("Page")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// data renders one object as {"data": v}.
func data(w http.ResponseWriter, status int, v any) error {
	writeJSON(w, status, map[string]any{"data": v})
	return nil
}

// writeError renders err as JSON with its status (see classify).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.classify(w, r, err)
	writeJSON(w, status, body)
}

// classify maps an error to its status and body, and sets the headers that go with it
// (Retry-After). Anything but a known error is logged and becomes a 500 whose body says
// nothing about the cause.
func (s *Server) classify(w http.ResponseWriter, r *http.Request, err error) (int, errorBody) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, errorBody{Message: fmt.Sprintf("The request body may not be larger than %d bytes.", tooBig.Limit)}
	}
	var limited *tooManyRequests
	if errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(limited.seconds()))
		return http.StatusTooManyRequests, errorBody{Message: limited.message()}
	}
	if errors.Is(err, errCSRF) {
		return statusPageExpired, errorBody{Message: errCSRF.Error()}
	}
	var e *apperr.Error
	if !errors.As(err, &e) {
		s.Log.Error("escalated: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return http.StatusInternalServerError, errorBody{Message: "Server error."}
	}
	body := errorBody{Message: e.Message, Errors: e.Fields}
	if allowed, ok := e.Extra["allowed_transitions"].([]string); ok {
		body.AllowedTransitions = allowed
		body.Errors = map[string][]string{"status": {e.Message}}
	}
	return statusOf(e), body
}

// decode reads a JSON body into dst. Unknown fields, wrong types, bad JSON and trailing data
// are validation errors that name the field; an oversized body is a 413.
func decode(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return apperr.Invalid("body", "The request body must be JSON (Content-Type: application/json).")
	}
	var raw json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.Invalid("body", "The request body must hold exactly one JSON object.")
	}
	// null would decode into the zero value without complaint, and so read as {}.
	if raw[0] != '{' {
		return apperr.Invalid("body", "The request body must be a JSON object.")
	}
	return decodeObject(raw, dst)
}

// decodeOptional is decode for a body that may be left out: an empty body is {}.
func decodeOptional(r *http.Request, dst any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decode(r, dst)
}

// noFields reads the body of a route that acts on its path alone: it may be left out or be
// {}, and anything else is refused as decode refuses it, a field by its name, so a client
// never believes a field it sent was used.
func noFields(r *http.Request) error { return decodeOptional(r, &struct{}{}) }

// decodeObject decodes one JSON object into dst, refusing fields dst does not have and
// fields given twice.
func decodeObject(raw []byte, dst any) error {
	if field := repeatedField(raw); field != "" {
		return apperr.Invalid(field, fmt.Sprintf("The %s field is given more than once.", field))
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return jsonError(err)
	}
	return nil
}

// repeatedField names a field the JSON object raw gives twice, ignoring case as decoding
// does: decoding would keep the last value and silently drop the first. Only the object's own
// fields are checked; malformed JSON is left for decoding to refuse.
func repeatedField(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return ""
		}
		key := strings.ToLower(name)
		if seen[key] {
			return name
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return ""
		}
	}
	return ""
}

func jsonError(err error) error {
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return apperr.Invalid(field, fmt.Sprintf("The %s field must be of type %s.", field, jsonType(typeErr.Type.Kind().String())))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("body", "The request body is not valid JSON.")
	case errors.Is(err, io.EOF):
		return apperr.Invalid("body", "The request body is empty; send a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(field, fmt.Sprintf("The %s field is not accepted here.", field))
	default:
		return apperr.Invalid("body", "The request body could not be read as JSON.")
	}
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return kind
}

// statusOf is the HTTP status of a domain error.
func statusOf(e *apperr.Error) int {
	switch e.Kind {
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindUnauthenticated:
		return http.StatusUnauthorized
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindValidation:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}
