package ioc

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Internationalised names. Letters and digits of any script continue a
// token, and compatibility characters are folded (NFKC) when the token is
// refanged: full-width letters and dots ("ｅｖｉｌ．ｃｏｍ"), ligatures
// ("ﬂ"). A host name in native script ("пример.рус", "例子.中国") is
// checked and reported in its ASCII (punycode) form, the form resolvers,
// block lists and TheHive take; its raw text stays as written.

// idnRuneLen returns the length of the rune at s[j] when it may be part of
// an internationalised token (a letter, digit or mark of any script, an
// ideographic or full-width dot, a full-width ASCII character), else 0.
// It also says whether the rune is CJK, whose words are not separated by
// spaces.
func idnRuneLen(s string, j, to int) (n int, cjk bool) {
	r, n := utf8.DecodeRuneInString(s[j:to])
	switch {
	case r == utf8.RuneError:
		return 0, false
	case r >= 0xFF01 && r <= 0xFF5E, r == 0x3002, r == 0xFF61: // full-width ASCII, ideographic dots
		return n, false
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
		return n, unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
	}
	return 0, false
}

// appendFolded appends the NFKC form of the rune at s[j] to b, an
// ideographic full stop as '.', and the rune's offset to p for each byte;
// it returns the rune's length.
func appendFolded(b []byte, p []int, s string, j int) ([]byte, []int, int) {
	r, n := utf8.DecodeRuneInString(s[j:])
	if r == 0x3002 || r == 0xFF61 {
		return append(b, '.'), append(p, j), n
	}
	var buf [utf8.UTFMax]byte
	f := norm.NFKC.Append(nil, buf[:utf8.EncodeRune(buf[:], r)]...)
	for _, c := range f {
		b, p = append(b, c), append(p, j)
	}
	return b, p, n
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiHost returns the lower-case ASCII form of a host name: punycode for
// a name in native script, the name itself otherwise; or why it is not
// one.
func asciiHost(d string) (string, string) {
	if isASCII(d) {
		low := lowerASCII(d)
		if strings.Contains(low, "xn--") {
			if _, err := idna.Lookup.ToUnicode(low); err != nil {
				return "", "not a valid internationalised name (punycode)"
			}
		}
		return low, ""
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil || !isASCII(a) {
		return "", "not a valid internationalised name"
	}
	return a, ""
}
