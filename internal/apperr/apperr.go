// Package apperr holds the typed errors that domain packages return and the HTTP layer maps
// to status codes: not found 404, forbidden 403, conflict 409, validation 422.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind classifies an error for the boundary.
type Kind int

const (
	KindNotFound Kind = iota + 1
	KindForbidden
	KindConflict
	KindValidation
	KindUnauthenticated
)

// Error is a domain error whose message is safe to show to the client.
type Error struct {
	Kind    Kind
	Message string
	// Fields maps a field name to its messages, for validation errors.
	Fields map[string][]string
	// Extra carries structured details such as the allowed transitions of a refused one.
	Extra map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(e.Fields[k], ", "))
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// NotFound reports that what was asked for does not exist or may not be seen.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Message: what + " not found."}
}

// Forbidden reports that the actor may see the object but not do this to it.
func Forbidden(msg string) *Error { return &Error{Kind: KindForbidden, Message: msg} }

// Unauthenticated reports that nobody is signed in.
func Unauthenticated() *Error {
	return &Error{Kind: KindUnauthenticated, Message: "Unauthenticated."}
}

// Conflict reports a change the current state does not allow.
func Conflict(msg string) *Error { return &Error{Kind: KindConflict, Message: msg} }

// Invalid reports a single field's problem.
func Invalid(field, msg string) *Error {
	return &Error{Kind: KindValidation, Message: msg, Fields: map[string][]string{field: {msg}}}
}

// Validation collects per-field problems; Err returns nil when there are none.
type Validation struct {
	fields map[string][]string
	first  string
}

// Add records msg against field.
func (v *Validation) Add(field, msg string) {
	if v.fields == nil {
		v.fields = map[string][]string{}
		v.first = msg
	}
	v.fields[field] = append(v.fields[field], msg)
}

// Addf records a formatted message against field.
func (v *Validation) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Has reports whether field already has a problem.
func (v *Validation) Has(field string) bool { return len(v.fields[field]) > 0 }

// ValidText reports whether s is text the databases store: valid UTF-8 without NUL bytes
// (PostgreSQL refuses NUL in text and in JSON alike).
func ValidText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// CheckText validates a text field: valid UTF-8 without NUL bytes, within max characters
// and, when required, not blank.
func (v *Validation) CheckText(field, value string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(value) == "":
		v.Addf(field, "The %s field is required.", field)
	case !ValidText(value):
		v.Addf(field, "The %s field contains invalid characters.", field)
	case utf8.RuneCountInString(value) > max:
		v.Addf(field, "The %s field may not be greater than %d characters.", field, max)
	}
}

// Err returns the collected problems as one validation error, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := v.first
	if n := len(v.fields); n > 1 {
		msg = fmt.Sprintf("%s (and %d more errors)", v.first, n-1)
	}
	return &Error{Kind: KindValidation, Message: msg, Fields: v.fields}
}

// Is reports whether err is a domain error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
