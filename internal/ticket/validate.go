package ticket

import (
	"strings"
	"unicode/utf8"

	"github.com/escalated-dev/escalated-go/internal/apperr"
)

// Text limits. Subjects are one line; bodies may be long but not unbounded.
const (
	maxSubject = 255
	maxBody    = 65535
	maxStatus  = 64
)

// checkText validates a required or optional text field: valid UTF-8, no NUL bytes, within
// max characters, and (when required) not blank.
func checkText(v *apperr.Validation, field, value string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(value) == "":
		v.Addf(field, "The %s field is required.", field)
	case !utf8.ValidString(value) || strings.ContainsRune(value, 0):
		v.Addf(field, "The %s field contains invalid characters.", field)
	case utf8.RuneCountInString(value) > max:
		v.Addf(field, "The %s field may not be greater than %d characters.", field, max)
	}
}

func checkOneOf(v *apperr.Validation, field, value string, allowed []string) {
	if value != "" && !isOneOf(value, allowed) {
		v.Addf(field, "The selected %s is invalid; use one of: %s.", field, strings.Join(allowed, ", "))
	}
}
