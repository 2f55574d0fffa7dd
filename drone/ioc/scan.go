package ioc

import "strings"

// Byte classes, looked up once per byte in the hot loop.
const (
	clsAlnum uint8 = 1 << iota
	clsTok         // may continue a candidate token: alnum and . - _ @ : / \ +
	clsURL         // may continue a URL
	clsHex
	clsLocal // e-mail local part: alnum and . _ + -
	clsHost  // host name: alnum and . -
	clsReg   // registry key path
	clsSpace
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
			t[c] |= clsAlnum | clsTok | clsURL | clsLocal | clsHost | clsReg
		case b > 0x20 && b < 0x7f && !strings.ContainsRune("\"<>\\^`|", rune(b)):
			t[c] |= clsURL
		}
		if strings.ContainsRune("0123456789abcdefABCDEF", rune(b)) && b != 0 {
			t[c] |= clsHex
		}
		if strings.ContainsRune(".-_@:/\\+", rune(b)) && b != 0 {
			t[c] |= clsTok
		}
		if strings.ContainsRune("._+-", rune(b)) && b != 0 {
			t[c] |= clsLocal
		}
		if strings.ContainsRune(".-", rune(b)) && b != 0 {
			t[c] |= clsHost
		}
		if strings.ContainsRune("_-.\\{}()$~!#&'@+%[]", rune(b)) && b != 0 {
			t[c] |= clsReg
		}
		if strings.ContainsRune(" \t\n\r\f\v", rune(b)) && b != 0 {
			t[c] |= clsSpace
		}
	}
	return t
}()

func isAlnum(c byte) bool  { return class[c]&clsAlnum != 0 }
func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// scanner is the state of one Extract (or Refang) call.
type scanner struct {
	e    *Extractor
	s    string
	res  Result
	seen seenIndex // what res holds, for reporting each value once

	// The token being classified: t is its refanged text. Unless mapped, t
	// is s[tb:tb+len(t)]; if mapped, pos[i] is the offset in s of t[i], and
	// pos[len(t)] the end of the token, so raw text maps back exactly. buf
	// and pos are reused from token to token.
	t      string
	tb     int
	mapped bool
	tokURL bool // t holds a "://" (once refanged)
	pos    []int
	buf    []byte

	// afterProduct is set while classifying the part after "Product/" in a
	// path-like token (a user agent's Chrome/120.0.0.0), where a dotted
	// number is a version.
	afterProduct bool
	// lastURL and lastHost are the last URL classified, so that the label of
	// a chat link can be recognised as an echo of its target.
	lastURL, lastHost string

	// refangOnly makes the scanner copy the text with tokens refanged
	// instead of classifying them (Refang).
	refangOnly bool
	out        strings.Builder
	last       int
}

// run scans s[from:to]: each alphanumeric run starts a token; the few
// punctuation bytes that can open markup or a defanged form get a look.
func (sc *scanner) run(from, to int) {
	s := sc.s
	for i := from; i < to; {
		c := s[i]
		if class[c]&clsAlnum != 0 {
			i = sc.token(i, to)
			continue
		}
		if c >= 0x80 {
			if n, _ := idnRuneLen(s, i, to); n > 0 {
				i = sc.token(i, to)
				continue
			}
		}
		switch c {
		case '<':
			if !sc.refangOnly {
				i = sc.slack(i, to)
				continue
			}
		case '[':
			i = sc.bracket(i, to)
			continue
		case '(':
			if labelBracket(s, i, i, to, false) > 0 { // "(portal).net"
				i = sc.token(i, to)
				continue
			}
		case ':':
			if i+1 < to && s[i+1] == ':' { // "::1"
				i = sc.token(i, to)
				continue
			}
		case '%':
			// Percent-encoding ("%2F%2Fevil.com"): the two hex digits are
			// not the start of a word.
			if i+2 < to && class[s[i+1]]&clsHex != 0 && class[s[i+2]]&clsHex != 0 {
				i += 3
				continue
			}
		}
		i++
	}
}

// bracket handles a '[' outside a token: a bracketed scheme ("[https]://"),
// a defanged IPv6 starting with "[:][:]", or a Markdown link.
func (sc *scanner) bracket(i, to int) int {
	s := sc.s
	if bracketScheme(s, i, to) > 0 {
		return sc.token(i, to)
	}
	if n, out := markerAt(s, i, to); n > 0 && out == ":" && i+n < to && (s[i+n] == ':' || s[i+n] == '[') {
		return sc.token(i, to)
	}
	if !sc.refangOnly {
		if j := sc.markdown(i, to); j > 0 {
			return j
		}
	}
	if labelBracket(s, i, i, to, false) > 0 { // "[portal].net"
		return sc.token(i, to)
	}
	return i + 1
}

// token finds the extent of the candidate starting at start, refangs it and
// classifies it. It returns where scanning goes on.
func (sc *scanner) token(start, to int) int {
	s := sc.s
	if s[start]|0x20 == 'h' && hiveLen(s, start, to) > 0 {
		return sc.registryToken(start, to)
	}
	end, marked, sep, url := sc.extent(start, to)
	if sc.refangOnly {
		if marked {
			sc.out.WriteString(s[sc.last:start])
			sc.refangInto(start, end)
			sc.out.Write(sc.buf)
			sc.last = end
		}
		return end
	}
	// Most words of prose stop here: no punctuation, no defanging, too short
	// for a hash or an address, no CVE/ATT&CK/ASN prefix.
	if !sep && !marked && end-start < 25 && !shortTrigger(s[start:end]) {
		return end
	}
	// No indicator but a URL is this long; capping the rest keeps the
	// splitting of pathological tokens ("a@a@a@...") linear.
	if end-start > maxToken && !sc.isURL(start, end) {
		return end
	}
	sc.load(start, end, marked)
	// A URL token holds "://" after refanging, but a join can have cut it off.
	sc.tokURL = url && strings.Contains(sc.t, "://")
	sc.classify(0, len(sc.t))
	return end
}

// maxToken is the longest token classified, unless it holds a URL.
const maxToken = 1024

// isURL reports whether s[start:end] holds a "://", plain or defanged,
// near its start.
func (sc *scanner) isURL(start, end int) bool {
	p := sc.s[start:min(end, start+64)]
	return strings.Contains(p, "//") || strings.Contains(p, `\/\/`)
}

// extent returns the end of the token at start, whether it holds defanged
// forms, whether it holds any byte other than letters and digits, and
// whether it holds a URL.
func (sc *scanner) extent(start, to int) (end int, marked, sep, url bool) {
	s := sc.s[:to] // so that the compiler drops bounds checks against len(s)
	j := start
	if c := s[j]; c == '[' || c|0x20 == 'h' { // "[https]://", "h**p://"
		if n := bracketScheme(s, j, to) + fangedSchemeLen(s, j, to); n > 0 {
			j += n
			marked = true
		}
	}
	var joins [8]int
	nj := 0
	for j < to {
		for j < len(s) && class[s[j]]&clsAlnum != 0 { // the bulk of every token
			j++
		}
		if j >= to {
			break
		}
		c := s[j]
		cl := class[c]
		if c >= 0x80 {
			n, cjk := idnRuneLen(s, j, to)
			if n == 0 || cjk && j > start && isAlnum(s[j-1]) { // "访问evil.com": no space in CJK text
				break
			}
			marked, sep = true, true
			j += n
			if cjk && j < to && isAlnum(s[j]) {
				break
			}
			continue
		}
		if (c == ':' || c == '[') && !url {
			if n := colonSlashLen(s, j, to); n > 0 && j > start && (isLetter(s[j-1]) || s[j-1] == ']' && s[start] == '[') {
				url, sep = true, true
				if n != 3 || s[j] != ':' || fangedScheme(s, start, j) {
					marked = true
				}
				j += n
				if sp := spacedHost(s, j, to); sp > 0 { // "hxxps:// host[.]tld"
					j += sp
					marked = true
				}
				continue
			}
		}
		if c == '[' || c == '(' || c == '{' || c == '\\' {
			if n, out := markerAt(s, j, to); n > 0 {
				marked, sep = true, true
				j += n + markerSpace(s, j+n, to, out)
				continue
			}
			if n := labelBracket(s, start, j, to, url); n > 0 { // "shop.[co].uk", "(portal).net"
				marked, sep = true, true
				j += n
				continue
			}
		}
		if c == '[' && j > start && s[j-1] == '@' {
			if n := ipLiteralLen(s, j, to); n > 0 { // user@[192.0.2.1]
				sep = true
				j += n
				continue
			}
		}
		if url && c == ']' && j+1 < to && s[j+1] == '(' { // Markdown "[label](url)" after a URL
			break
		}
		if cl&clsTok != 0 || url && cl&clsURL != 0 {
			sep = true
			j++
			continue
		}
		if c == ' ' && j+1 < to && joinStart[s[j+1]] && !url && nj < len(joins) && isAlnum(s[j-1]) {
			if n, _, _ := joinLen(s, j, to); n > 0 {
				joins[nj] = j
				nj++
				marked, sep = true, true
				j += n
				continue
			}
		}
		break
	}
	end = j
	// A " dot " or " at " join stands only if the joined text is a valid
	// name: otherwise fall back to the text before the last join.
	for nj > 0 && !sc.joinOK(start, end, joins[:nj]) {
		nj--
		end = joins[nj]
	}
	return end, marked, sep, url
}

// markerSpace returns 1 when a defanged dot or at ending at j is followed
// by a space and then a letter or digit ("host[.] tld"), else 0.
func markerSpace(s string, j, to int, out string) int {
	if (out == "." || out == "@") && j+1 < to && s[j] == ' ' && isAlnum(s[j+1]) {
		return 1
	}
	return 0
}

// labelBracket returns the length of a host label in brackets or
// parentheses at s[j] ("shop.[co].uk", "(portal).net"), a defang that hides
// a whole label: a dot must touch it on one side and a letter or digit
// follow that dot or precede it. In a URL (inURL), only the host has them.
func labelBracket(s string, start, j, to int, inURL bool) int {
	var closer byte
	switch s[j] {
	case '[':
		closer = ']'
	case '(':
		closer = ')'
	default:
		return 0
	}
	if i := strings.Index(s[start:j], "//"); inURL && i >= 0 && strings.ContainsAny(s[start+i+2:j], "/?#") {
		return 0
	}
	k := j + 1
	for k < to && k-j <= 64 && (isAlnum(s[k]) || s[k] == '-') {
		k++
	}
	if k == j+1 || k >= to || s[k] != closer || s[j+1] == '-' || s[k-1] == '-' || allDigits(s[j+1:k]) {
		return 0
	}
	before := j-1 >= start && s[j-1] == '.' && j-2 >= start && isAlnum(s[j-2])
	after := k+2 < to && s[k+1] == '.' && isAlnum(s[k+2])
	if !before && !after {
		return 0
	}
	return k + 1 - j
}

// spacedHost returns the length of the one or two spaces between a "://"
// ending at j and a host starting with a letter or digit, or 0.
func spacedHost(s string, j, to int) int {
	n := 0
	for n < 2 && j+n < to && s[j+n] == ' ' {
		n++
	}
	if n == 0 || j+n >= to || !isAlnum(s[j+n]) {
		return 0
	}
	return n
}

// joinStart are the bytes that can follow the space of a join.
var joinStart = [256]bool{'d': true, 'D': true, 'a': true, 'A': true, '[': true, '(': true, '{': true}

// shortTrigger reports whether a plain word may be a CVE, an ATT&CK id or
// an ASN, the only indicators short words without punctuation can be.
func shortTrigger(w string) bool {
	return len(w) == 5 && w[0] == 'T' && (w[1] == '1' || w[1] == '0') || len(w) >= 2 && w[0] == 'A' && w[1] == 'S'
}

// load makes s[start:end] the current token, refanged if it needs to be.
func (sc *scanner) load(start, end int, marked bool) {
	if !marked {
		sc.t, sc.tb, sc.mapped = sc.s[start:end], start, false
		return
	}
	sc.refangInto(start, end)
	sc.t, sc.mapped = string(sc.buf), true
}

// refangInto writes the refanged form of s[start:end] into sc.buf and the
// raw offset of each of its bytes into sc.pos.
func (sc *scanner) refangInto(start, end int) {
	s := sc.s
	b, p := sc.buf[:0], sc.pos[:0]
	j := start
	if n := bracketScheme(s, j, end); n > 0 {
		for k := j + 1; k < j+n-1; k++ {
			b, p = append(b, s[k]), append(p, j)
		}
		j += n
	}
	schemeDone := false
	for j < end {
		c := s[j]
		if c == ':' || c == '[' {
			if n := colonSlashLen(s, j, end); n > 0 {
				// Only the URL's own scheme is defanged; a URL in its query
				// string is left as written.
				if !schemeDone && len(b) > 0 && isLetter(b[len(b)-1]) {
					b, p, _ = fangSchemeEnd(b, p)
					schemeDone = true
					b, p = appendAt(b, p, "://", j)
					j += n
					for k := 0; k < 2 && j < end && s[j] == ' '; k++ { // "hxxps:// host"
						j++
					}
					continue
				}
				b, p = appendAt(b, p, "://", j)
				j += n
				continue
			}
		}
		if c == '[' || c == '(' || c == '{' || c == '\\' {
			if n, out := markerAt(s, j, end); n > 0 {
				b, p = appendAt(b, p, out, j)
				j += n + markerSpace(s, j+n, end, out)
				continue
			}
			if n := labelBracket(s, start, j, end, schemeDone); n > 0 {
				for k := j + 1; k < j+n-1; k++ {
					b, p = append(b, s[k]), append(p, k-btoi(k == j+1)) // raw from the bracket
				}
				j += n
				continue
			}
		}
		if c == ' ' {
			if n, out, _ := joinLen(s, j, end); n > 0 {
				b, p = appendAt(b, p, out, j)
				j += n
				continue
			}
		}
		if c >= 0x80 {
			var n int
			b, p, n = appendFolded(b, p, s, j)
			j += n
			continue
		}
		b, p = append(b, c), append(p, j)
		j++
	}
	sc.buf, sc.pos = b, append(p, end)
}

func appendAt(b []byte, p []int, out string, at int) ([]byte, []int) {
	for i := 0; i < len(out); i++ {
		b, p = append(b, out[i]), append(p, at)
	}
	return b, p
}

// rawOff is the offset in s of byte i of the current token.
func (sc *scanner) rawOff(i int) int {
	if !sc.mapped {
		return sc.tb + i
	}
	return sc.pos[i]
}

// joinOK decides whether the space-defanged joins of s[start:end] stand:
// the words left of a plain " dot " or " at " must not be prose, a plain
// " at " needs a plain " dot " after it, and the result must be a valid
// domain or e-mail address with a public suffix.
func (sc *scanner) joinOK(start, end int, joins []int) bool {
	s := sc.s
	for k, j := range joins {
		_, out, plain := joinLen(s, j, end)
		if !plain {
			continue
		}
		w := s[start:j]
		if i := strings.LastIndexAny(w, ". "); i >= 0 && out == "." {
			w = w[i+1:]
		}
		if isStopWord(w) {
			return false
		}
		if out == "@" && !plainDotAfter(s, joins[k+1:], end) {
			return false
		}
	}
	sc.refangInto(start, end)
	// "10(.)20[.]30 dot 40": a join completes an address only where the
	// text before it is already defanged.
	defanged := strings.ContainsAny(s[start:joins[0]], "[({")
	return sc.e.joinedValid(string(sc.buf), defanged)
}

// plainDotAfter reports whether one of joins is a plain " dot ": a plain
// " at " stands only in that consistent style ("bob at evil dot com").
func plainDotAfter(s string, joins []int, end int) bool {
	for _, j := range joins {
		if _, out, plain := joinLen(s, j, end); plain && out == "." {
			return true
		}
	}
	return false
}

// registryToken reads a Windows registry key. Keys may hold spaces
// ("Windows NT"): a space continues the key when the next word goes on with
// a backslash, as a path segment does.
func (sc *scanner) registryToken(start, to int) int {
	s := sc.s
	j := start + hiveLen(s, start, to)
	for j < to {
		c := s[j]
		if class[c]&clsReg != 0 {
			j++
			continue
		}
		if c == ' ' && regContinues(s, j+1, to) {
			j++
			continue
		}
		break
	}
	if sc.refangOnly || j-start > maxToken {
		return j
	}
	end := trimRegistry(s, start, j)
	v, ok := normRegistry(s[start:end])
	if ok {
		sc.t, sc.tb, sc.mapped = s[start:end], start, false
		sc.emit(Registry, v, 0, end-start)
	}
	return j
}

// regContinues reports whether the words at k go on with a further
// segment of a registry path: within a few capitalised words ("Image File
// Execution Options\sethc.exe") comes a backslash followed by more path.
func regContinues(s string, k, to int) bool {
	for range 4 {
		if k >= to || !(isDigit(s[k]) || 'A' <= s[k] && s[k] <= 'Z') || hiveLen(s, k, to) > 0 {
			return false
		}
		j := k
		for ; j < to && class[s[j]]&clsReg != 0; j++ {
			if s[j] == '\\' && j+1 < to && s[j+1] != '\\' && class[s[j+1]]&clsReg != 0 && !strings.ContainsRune(".,;:!?'\")]}", rune(s[j+1])) {
				return true
			}
		}
		if j >= to || s[j] != ' ' {
			return false
		}
		k = j + 1
	}
	return false
}

// trimRegistry drops trailing punctuation and backslashes from a registry
// key, and any space-joined segment that loses its backslash doing so.
func trimRegistry(s string, start, end int) int {
	for {
		for end > start {
			c := s[end-1]
			if c == '\\' || strings.IndexByte(".,;:!?'", c) >= 0 || isUnbalancedCloser(s[start:end]) {
				end--
				continue
			}
			break
		}
		sp := strings.LastIndexByte(s[start:end], ' ')
		if sp < 0 || regContinues(s, start+sp+1, end) {
			return end
		}
		end = start + sp
	}
}

// isUnbalancedCloser reports whether v ends with a closing bracket that has
// no opening one in v.
func isUnbalancedCloser(v string) bool {
	var open byte
	switch v[len(v)-1] {
	case ')':
		open = '('
	case ']':
		open = '['
	case '}':
		open = '{'
	default:
		return false
	}
	return strings.Count(v, string(open)) < strings.Count(v, v[len(v)-1:])
}
