package ticket

import (
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
)

// Text limits. Subjects are one line; bodies may be long but not unbounded.
const (
	maxSubject = 255
	maxBody    = 65535
	maxStatus  = 64
)

func checkOneOf(v *apperr.Validation, field, value string, allowed []string) {
	if value != "" && !isOneOf(value, allowed) {
		v.Addf(field, "The selected %s is invalid; use one of: %s.", field, strings.Join(allowed, ", "))
	}
}
