package escalated

import "github.com/escalated-dev/escalated-go/internal/apperr"

// Error is what the desk's services refuse with: a message fit to show the person who asked,
// the kind of refusal, and for validation the messages of each field at fault. Find it with
// errors.As; any other error is a failure of the desk itself (the database, say).
type Error = apperr.Error

// ErrorKind classifies an Error, as the HTTP routes map it to a status.
type ErrorKind = apperr.Kind

// The kinds of Error.
const (
	ErrNotFound        ErrorKind = apperr.KindNotFound        // 404: no such object, or not one the user may see
	ErrForbidden       ErrorKind = apperr.KindForbidden       // 403: the user may not do this
	ErrConflict        ErrorKind = apperr.KindConflict        // 409: a status change the transitions refuse, say
	ErrValidation      ErrorKind = apperr.KindValidation      // 422: Fields names what is wrong
	ErrUnauthenticated ErrorKind = apperr.KindUnauthenticated // 401: nobody, or a deactivated user
)
