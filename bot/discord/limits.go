package discord

import (
	"strings"
	"unicode/utf8"
)

// Discord's limits on what a message, an embed and a modal may hold
// (REFERENCE §4 and Discord's documentation). Lengths are counted in UTF-16
// code units, as Discord's JavaScript-born limits are: never fewer than the
// characters, so a text within them is within Discord's.
const (
	maxContent       = 2000
	maxEmbeds        = 10
	maxEmbedTitle    = 256
	maxEmbedDesc     = 4096
	maxEmbedFields   = 25
	maxFieldName     = 256
	maxFieldValue    = 1024
	maxFooter        = 2048
	maxAuthor        = 256
	maxEmbedTotal    = 6000
	maxModalTitle    = 45
	maxModalInputs   = 5
	maxInputLabel    = 45
	maxInputValue    = 4000
	maxPlaceholder   = 100
	maxCustomID      = 100
	maxChoices       = 25
	maxChoiceName    = 100
	maxButtonLabel   = 80
	maxChannelName   = 100
	maxChannelTopic  = 1024
	maxOptionDesc    = 100
	maxCommandOption = 6000
)

// textLen is a text's length as Discord counts it (UTF-16 code units).
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// clip shortens s to at most max UTF-16 units, ending with an ellipsis when
// it cut something, and never inside a character.
func clip(s string, max int) string {
	if textLen(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max-1 {
			return strings.TrimRightFunc(s[:i], isSpace) + "…"
		}
		n += w
	}
	return s
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }

// validUTF8 replaces invalid bytes, which Discord refuses, with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
