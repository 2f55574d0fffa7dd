package ioc

import "strings"

// markerAt recognises a bracketed defang marker at s[j] ("[.]", "(dot)",
// "{.}", "[:]", "[://]", "[@]", "(at)", "[/]") or a backslash-escaped dot
// or slash, and returns its length and what it stands for.
func markerAt(s string, j, to int) (int, string) {
	c := s[j]
	if c == '\\' {
		if j+1 < to && (s[j+1] == '.' || s[j+1] == '/') {
			return 2, s[j+1 : j+2]
		}
		return 0, ""
	}
	var closer byte
	switch c {
	case '[':
		closer = ']'
	case '(':
		closer = ')'
	case '{':
		closer = '}'
	default:
		return 0, ""
	}
	for k := j + 1; k < to && k <= j+5; k++ {
		if s[k] == closer {
			if out := markerMeaning(s[j+1:k], c); out != "" {
				return k + 1 - j, out
			}
			return 0, ""
		}
	}
	return 0, ""
}

func markerMeaning(in string, open byte) string {
	switch {
	case in == "." || strings.EqualFold(in, "dot"):
		return "."
	case in == "@" || strings.EqualFold(in, "at"):
		return "@"
	case open == '[' && (in == ":" || in == "/" || in == "://"):
		return in
	}
	return ""
}

// colonSlashLen returns the length of a "://", plain or defanged
// ("[://]", "[:]//", ":[//]", ":[/][/]", and JSON's ":\/\/"), at s[j].
func colonSlashLen(s string, j, to int) int {
	if j+2 >= to || !(s[j] == ':' && (s[j+1] == '/' || s[j+1] == '[' || s[j+1] == '\\') || s[j] == '[' && s[j+1] == ':') {
		return 0 // the common case: a time, a port, a bracket
	}
	r := s[j:to]
	n := 0
	switch {
	case strings.HasPrefix(r, "[://]"):
		return 5
	case strings.HasPrefix(r, "[:]"):
		n = 3
	case r[0] == ':':
		n = 1
	default:
		return 0
	}
	r = r[n:]
	for _, sl := range [...]string{"//", "[//]", "[/][/]", `\/\/`} {
		if strings.HasPrefix(r, sl) {
			return n + len(sl)
		}
	}
	return 0
}

// bracketScheme returns the length of a bracketed scheme ("[https]" or
// "[hxxp]") at s[j] when "://" (in any form) follows it.
func bracketScheme(s string, j, to int) int {
	if s[j] != '[' {
		return 0
	}
	k := j + 1
	for k < to && k-j <= 9 && isLetter(s[k]) {
		k++
	}
	if k-j < 3 || k >= to || s[k] != ']' || k+1 >= to || colonSlashLen(s, k+1, to) == 0 {
		return 0
	}
	return k + 1 - j
}

// joinLen recognises a defanged dot or at written between words (" dot ",
// " at ", " [dot] ", " (at) ", " [.] "...) at the space s[j], followed by a
// letter or digit. plain is true for the bare words, which need care: they
// are also English.
func joinLen(s string, j, to int) (n int, out string, plain bool) {
	r := s[j+1 : to]
	switch {
	case len(r) > 4 && strings.EqualFold(r[:3], "dot") && r[3] == ' ':
		n, out, plain = 5, ".", true
	case len(r) > 3 && strings.EqualFold(r[:2], "at") && r[2] == ' ':
		n, out, plain = 4, "@", true
	case len(r) > 3 && (r[0] == '[' || r[0] == '(' || r[0] == '{'):
		m, o := markerAt(s, j+1, to)
		if m == 0 || (o != "." && o != "@") || j+1+m >= to {
			return 0, "", false
		}
		n, out = m+1, o    // " [.]tld"
		if s[j+n] == ' ' { // " [.] tld"
			n++
		}
	default:
		return 0, "", false
	}
	if j+n >= to || !isAlnum(s[j+n]) {
		return 0, "", false
	}
	return n, out, plain
}

// isFangChar reports whether c replaces a 't' in a defanged scheme
// (hxxp, hqqp, h__p, h**p), in either case.
func isFangChar(c byte) bool {
	return c == 'x' || c == 'X' || c == 'q' || c == 'Q' || c == '_' || c == '*' || c == 't' || c == 'T'
}

// fangedScheme reports whether the letters just before j (the scheme of a
// URL whose token starts at start) are a defanged scheme.
func fangedScheme(s string, start, j int) bool {
	k := j
	for k > start && j-k < 8 && (isLetter(s[k-1]) || isFangChar(s[k-1])) {
		k--
	}
	_, ok := fangScheme(s[k:j])
	return ok
}

// fangedSchemeLen returns the length of a scheme defanged with bytes that
// cannot continue a token ("h**p", "h**ps") at s[j] when "://" follows.
func fangedSchemeLen(s string, j, to int) int {
	if to-j < 5 || s[j]|0x20 != 'h' || !isFangChar(s[j+1]) {
		return 0
	}
	n := 2
	for n < 5 && j+n < to && isFangChar(s[j+n]) && s[j+n]|0x20 != 'p' {
		n++
	}
	if j+n >= to || s[j+n]|0x20 != 'p' {
		return 0
	}
	n++
	if j+n < to && s[j+n]|0x20 == 's' {
		n++
	}
	if _, ok := fangScheme(s[j : j+n]); !ok || j+n >= to || colonSlashLen(s, j+n, to) == 0 {
		return 0
	}
	return n
}

// fangScheme returns the scheme that a defanged one stands for: "h", two
// or three letters or marks in place of "tt" (x, q, _, *, any case; not
// "tt" itself), "p", maybe "s" (hxxp, hXXXps, hqqp, h__ps -> http(s));
// fxp, f_p -> ftp; sfxp -> sftp. w is the whole scheme.
func fangScheme(w string) (string, bool) {
	n := len(w)
	secure := n > 0 && w[n-1]|0x20 == 's'
	if secure {
		n--
	}
	switch {
	case n >= 4 && n <= 5 && w[0]|0x20 == 'h' && w[n-1]|0x20 == 'p':
		plain := true
		for i := 1; i < n-1; i++ {
			if !isFangChar(w[i]) {
				return "", false
			}
			plain = plain && w[i]|0x20 == 't'
		}
		if plain && n == 4 {
			return "", false // http itself
		}
		if secure {
			return "https", true
		}
		return "http", true
	case n == 3 && w[0]|0x20 == 'f' && (w[1]|0x20 == 'x' || w[1] == '_') && w[2]|0x20 == 'p':
		if secure {
			return "ftps", true
		}
		return "ftp", true
	case !secure && len(w) == 4 && w[0]|0x20 == 's' && w[1]|0x20 == 'f' && (w[2]|0x20 == 'x' || w[2] == '_') && w[3]|0x20 == 'p':
		return "sftp", true
	}
	return "", false
}

// fangSchemeEnd refangs the scheme ending b, whose bytes' raw offsets are
// p; it reports whether it changed anything.
func fangSchemeEnd(b []byte, p []int) ([]byte, []int, bool) {
	k := len(b)
	for k > 0 && len(b)-k < 8 && (isLetter(b[k-1]) || isFangChar(b[k-1])) {
		k--
	}
	repl, ok := fangScheme(string(b[k:]))
	if !ok {
		return b, p, false
	}
	var at [8]int
	old := copy(at[:], p[k:])
	b, p = b[:k], p[:k]
	for i := 0; i < len(repl); i++ {
		b, p = append(b, repl[i]), append(p, at[min(i, old-1)])
	}
	return b, p, true
}

// Refang undoes the defanged forms seen in reports, and their mixtures
// ("hxxp", "hXXps", "[https]://", "[.]", "(.)", "{.}", "[dot]", " dot ",
// "[:]", "[://]", "[@]", "(at)", " at ", "[/]", "\."). The bare words " dot "
// and " at " are refanged only where the result is a valid domain or e-mail
// address and the word on their left is not ordinary prose, so "meet at
// noon" stays as it is.
func Refang(s string) string {
	sc := scanner{e: &zero, s: s, refangOnly: true}
	sc.run(0, len(s))
	if sc.last == 0 {
		return s
	}
	sc.out.WriteString(s[sc.last:])
	return sc.out.String()
}

// Defang returns the safe form of a value for messages: dots as "[.]", "@"
// as "[@]", IPv6 colons as "[:]", and schemes as "hxxp", "hxxps" or "fxp"
// (other schemes get "[://]"). Only the host of a URL is defanged. Extract
// and Refang give the value back.
func Defang(t Type, v string) string {
	switch t {
	case IPv4, Domain, File:
		return strings.ReplaceAll(v, ".", "[.]")
	case IPv6, CIDR:
		return strings.ReplaceAll(strings.ReplaceAll(v, ".", "[.]"), ":", "[:]")
	case Email:
		i := strings.LastIndexByte(v, '@')
		if i < 0 {
			return v
		}
		return v[:i] + "[@]" + strings.ReplaceAll(v[i+1:], ".", "[.]")
	case URL:
		return defangURL(v)
	}
	return v
}

func defangURL(v string) string {
	i := strings.Index(v, "://")
	if i < 0 {
		return v
	}
	scheme, rest := v[:i], v[i+3:]
	he := strings.IndexAny(rest, "/?#")
	if he < 0 {
		he = len(rest)
	}
	hs := strings.LastIndexByte(rest[:he], '@') + 1
	host := rest[hs:he]
	if !strings.HasPrefix(host, "[") {
		host = strings.ReplaceAll(host, ".", "[.]")
	}
	sep := "://"
	switch strings.ToLower(scheme) {
	case "http":
		scheme = "hxxp"
	case "https":
		scheme = "hxxps"
	case "ftp":
		scheme = "fxp"
	case "ftps":
		scheme = "fxps"
	case "sftp":
		scheme = "sfxp"
	default:
		sep = "[://]"
	}
	return scheme + sep + rest[:hs] + host + rest[he:]
}
