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
		if m == 0 || (o != "." && o != "@") || j+1+m >= to || s[j+1+m] != ' ' {
			return 0, "", false
		}
		n, out = m+2, o
	default:
		return 0, "", false
	}
	if j+n >= to || !isAlnum(s[j+n]) {
		return 0, "", false
	}
	return n, out, plain
}

// isFangChar reports whether c replaces a 't' in a defanged scheme
// (hxxp, h__p, h**p).
func isFangChar(c byte) bool { return c == 'x' || c == 'X' || c == '_' || c == '*' }

// fangedScheme reports whether the letters just before j (the scheme of a
// URL whose token starts at start) are a defanged scheme.
func fangedScheme(s string, start, j int) bool {
	k := j
	for k > start && j-k < 8 && (isLetter(s[k-1]) || isFangChar(s[k-1])) {
		k--
	}
	var a [8]byte
	return fangScheme(append(a[:0], s[k:j]...))
}

// fangedSchemeLen returns the length of a scheme defanged with bytes that
// cannot continue a token ("h**p", "h**ps") at s[j] when "://" follows.
func fangedSchemeLen(s string, j, to int) int {
	if to-j < 5 || s[j]|0x20 != 'h' || !isFangChar(s[j+1]) || !isFangChar(s[j+2]) || s[j+3]|0x20 != 'p' {
		return 0
	}
	n := 4
	if s[j+n]|0x20 == 's' {
		n++
	}
	if j+n >= to || colonSlashLen(s, j+n, to) == 0 {
		return 0
	}
	return n
}

// fangScheme rewrites in place a defanged scheme ending b (hxxp -> http,
// fxp -> ftp, sfxp -> sftp); it reports whether it changed anything.
func fangScheme(b []byte) bool {
	k := len(b)
	for k > 0 && (isLetter(b[k-1]) || isFangChar(b[k-1])) {
		k--
	}
	w := b[k:]
	switch {
	case len(w) >= 4 && w[0]|0x20 == 'h' && isFangChar(w[1]) && isFangChar(w[2]) && w[3]|0x20 == 'p':
		w[1], w[2] = 't', 't'
	case len(w) >= 3 && w[0]|0x20 == 'f' && (w[1]|0x20 == 'x' || w[1] == '_') && w[2]|0x20 == 'p':
		w[1] = 't'
	case len(w) >= 4 && w[0]|0x20 == 's' && w[1]|0x20 == 'f' && (w[2]|0x20 == 'x' || w[2] == '_') && w[3]|0x20 == 'p':
		w[2] = 't'
	default:
		return false
	}
	return true
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
