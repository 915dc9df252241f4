// Package slug turns display names into the URL-safe keys that departments and tags are
// unique by.
package slug

import (
	"strings"
	"unicode"
)

// Make lower-cases s and joins its runs of letters and digits with single hyphens, so
// "Billing & Refunds" becomes "billing-refunds". Letters of every script are kept, so a name
// written without Latin letters still gets a slug. It returns "" when s has no letter or digit.
func Make(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(s) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = b.Len() > 0
			continue
		}
		if gap {
			b.WriteByte('-')
			gap = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Valid reports whether s is already a slug: not empty and unchanged by Make.
func Valid(s string) bool { return s != "" && Make(s) == s }
