package tds

import (
	"strings"
	"unicode"
)

// norm reduces a name to lower-case letters and digits, so that "Mail Flow Logs",
// "mail_flow_logs" and "mail-flow-logs" compare equal. It is used for sensor and
// source names, aliases, surfaces, fields and threat names.
func norm(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b.WriteRune(r)
		case r < unicode.MaxASCII && 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r >= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
