package ioc

import (
	"net/url"
	"strconv"
	"strings"
)

// classify types t[a:b], a piece of the current (refanged) token, and
// splits it where it holds several candidates ("src:10.0.0.1",
// "C:\Users\x\evil.exe", "evil.com/gate.php").
func (sc *scanner) classify(a, b int) {
	t := sc.t
	if sc.tokURL {
		if k := strings.Index(t[a:b], "://"); k >= 0 {
			sc.url(a, b, a+k)
			return
		}
	}
	a, b = trimPiece(t, a, b)
	if b-a < 2 {
		return
	}
	p := t[a:b]
	var has punct // which punctuation the piece holds, found in one pass
	for i := 0; i < len(p); i++ {
		has |= punctBits[p[i]]
	}
	switch {
	case hiveLen(p, 0, len(p)) > 0:
		if v, ok := normRegistry(p); ok {
			sc.emit(Registry, v, a, b)
		}
	case has&(pDot|pColon|pSlash) != 0 && sc.avName(a, b):
	case has&pColon != 0 && sc.ipv6(a, b):
	case has&(pSlash|pBackslash) != 0:
		if !sc.cidr4(a, b) {
			sc.splitPath(a, b)
		}
	case has&pColon != 0:
		sc.split(a, b, ':')
	case has&pAt != 0:
		sc.email(a, b)
	case has&pPlus != 0:
		if riskyExt[lowerASCII(p[strings.LastIndexByte(p, '.')+1:])] { // notepad++.exe
			sc.name(a, b)
		} else {
			sc.split(a, b, '+')
		}
	case has&pDot != 0:
		sc.dotted(a, b)
	default:
		sc.word(a, b)
	}
}

// punct is a set of the punctuation bytes that steer classify.
type punct uint8

const (
	pDot punct = 1 << iota
	pColon
	pSlash
	pBackslash
	pAt
	pPlus
)

var punctBits = [256]punct{'.': pDot, ':': pColon, '/': pSlash, '\\': pBackslash, '@': pAt, '+': pPlus}

// trimPiece drops the punctuation around a piece, keeping the "::" of an
// IPv6 address.
func trimPiece(t string, a, b int) (int, int) {
	// The edge bytes are the token bytes that are not letters or digits.
	for a < b && class[t[a]]&(clsTok|clsAlnum) == clsTok && !(t[a] == ':' && a+1 < b && t[a+1] == ':') {
		a++
	}
	for b > a && class[t[b-1]]&(clsTok|clsAlnum) == clsTok && !(t[b-1] == ':' && b-2 >= a && t[b-2] == ':') {
		b--
	}
	return a, b
}

// split classifies the parts of t[a:b] between the bytes sep.
func (sc *scanner) split(a, b int, sep byte) {
	i := a
	for j := a; j <= b; j++ {
		if j == b || sc.t[j] == sep {
			if j > i {
				sc.classify(i, j)
			}
			i = j + 1
		}
	}
}

// splitPath classifies the segments of a path: a schemeless URL's host,
// a file at the end, and a user agent's Product/version pairs.
func (sc *scanner) splitPath(a, b int) {
	t := sc.t
	i, product := a, false
	for j := a; j <= b; j++ {
		if j < b && t[j] != '/' && t[j] != '\\' {
			continue
		}
		if j > i {
			sc.afterProduct = product
			sc.classify(i, j)
			sc.afterProduct = false
			product = j < b && t[j] == '/' && allLetters(t[i:j]) && ('A' <= t[i] && t[i] <= 'Z' || inSet(productWords, t[i:j]))
		} else {
			product = false
		}
		i = j + 1
	}
}

// url handles a piece holding "://" at k.
func (sc *scanner) url(a, b, k int) {
	t := sc.t
	ss := k
	for ss > a && k-ss < 32 && isAlnum(t[ss-1]) {
		ss--
	}
	for ss < k && !isLetter(t[ss]) {
		ss++
	}
	if ss == k { // "://" with no scheme
		sc.classify(a, k)
		sc.classify(k+3, b)
		return
	}
	if ss > a {
		sc.classify(a, ss)
	}
	if c := listedURL(t, k+3, b); c > 0 { // "https://a.example/x,https://b.example/y"
		sc.classify(ss, c)
		sc.classify(c+1, b)
		return
	}
	end := trimURL(t, ss, b)
	if u := t[ss:end]; sc.seenBefore(seenKey{URL, u}) { // already normal and seen
		sc.lastURL, sc.lastHost = u, urlHost(u)
		return
	}
	norm, host, reason := sc.e.checkURL(t[ss:end])
	sc.lastURL, sc.lastHost = norm, host
	if reason != "" {
		sc.reject(ss, end, reason)
		return
	}
	sc.emit(URL, norm, ss, end)
	sc.innerURLs(k+3, end)
}

// listedURL returns the index of the comma that joins another URL to the
// one whose "://" ends at from ("...x,https://b.example/y"), or 0.
func listedURL(t string, from, b int) int {
	for i := from; i < b; {
		k := strings.Index(t[i:b], "://")
		if k < 0 {
			return 0
		}
		k += i
		ss := k
		for ss > i && isLetter(t[ss-1]) {
			ss--
		}
		if ss < k && ss > from && t[ss-1] == ',' {
			return ss - 1
		}
		i = k + 3
	}
	return 0
}

// innerURLs reports the URLs nested in the path or query of a URL, t[from:end]
// after its "://": a redirect's target ("?url=https://evil.example/x"),
// plain or percent-encoded ("https%3A%2F%2Fevil.example%2Fx"). An inner URL
// ends at the next '&'. Only the first maxInner are looked at, which keeps
// a hostile URL of nested URLs linear.
func (sc *scanner) innerURLs(from, end int) {
	t := sc.t
	for i, n := from, 0; i < end && n < maxInner; n++ {
		k, n := strings.Index(t[i:end], "://"), 3
		if enc := indexFold(t[i:end], "%3a%2f%2f"); enc >= 0 && (k < 0 || enc < k) {
			k, n = enc, 9
		}
		if k < 0 {
			return
		}
		k += i
		ss := k
		for ss > i && isLetter(t[ss-1]) {
			ss--
		}
		if ss == k || ss == from || strings.IndexByte("=/?&", t[ss-1]) < 0 {
			i = k + n
			continue
		}
		ie := k + n + strings.IndexByte(t[k+n:end], '&')
		if ie < k+n {
			ie = end
		}
		inner := t[ss:ie]
		if n == 9 {
			if u, err := url.QueryUnescape(inner); err == nil {
				inner = u
			}
		}
		inner = inner[:trimURL(inner, 0, len(inner))]
		if strings.Contains(inner, "://") && printableASCII(inner) {
			if norm, _, reason := sc.e.checkURL(inner); reason == "" {
				sc.emit(URL, norm, ss, ie)
			}
		}
		i = k + n
	}
}

// maxInner is how many URLs nested in one URL are looked at.
const maxInner = 4

// indexFold is strings.Index ignoring ASCII case, for a sep whose first
// byte has no case ("%3a%2f%2f").
func indexFold(s, sep string) int {
	for i := 0; ; i++ {
		k := strings.IndexByte(s[i:], sep[0])
		if k < 0 || i+k+len(sep) > len(s) {
			return -1
		}
		i += k
		if strings.EqualFold(s[i:i+len(sep)], sep) {
			return i
		}
	}
}

// printableASCII reports whether s holds only printable ASCII, no space.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || strings.IndexByte("\"<>\\^`|{}", s[i]) >= 0 {
			return false
		}
	}
	return true
}

// trimURL drops what ends a URL in prose but is not part of it: trailing
// punctuation and quotes, closing brackets without an opening one inside
// the URL, and an HTML-escaped '>' or quote.
func trimURL(t string, ss, b int) int {
	var opens, closes [3]int
	for i := ss; i < b; i++ {
		switch t[i] {
		case '(':
			opens[0]++
		case '[':
			opens[1]++
		case '{':
			opens[2]++
		case ')':
			closes[0]++
		case ']':
			closes[1]++
		case '}':
			closes[2]++
		}
	}
	for b > ss {
		k := -1
		switch t[b-1] {
		case '.', ',', ';', ':', '!', '?', '*', '_', '~', '\'':
			b--
			continue
		case ')':
			k = 0
		case ']':
			k = 1
		case '}':
			k = 2
		}
		if k >= 0 && closes[k] > opens[k] {
			closes[k]--
			b--
			continue
		}
		if strings.HasSuffix(t[ss:b], "&gt") || strings.HasSuffix(t[ss:b], "&quot") {
			b = ss + strings.LastIndexByte(t[ss:b], '&')
			continue
		}
		return b
	}
	return b
}

// email handles a piece holding '@': the address, and what is around it.
func (sc *scanner) email(a, b int) {
	t := sc.t
	at := a + strings.IndexByte(t[a:b], '@')
	ls := at
	for ls > a && class[t[ls-1]]&clsLocal != 0 {
		ls--
	}
	for ls < at && t[ls] == '.' {
		ls++
	}
	de, literal := at+1, false
	if n := ipLiteralLen(t, at+1, b); n > 0 { // user@[192.0.2.1]
		de, literal = at+1+n, true
	}
	for de < b && (class[t[de]]&clsHost != 0 || t[de] >= 0x80) {
		de++
	}
	for de > at+1 && (t[de-1] == '.' || t[de-1] == '-') {
		de--
	}
	if ls > a {
		sc.classify(a, ls)
	}
	switch {
	case ls == at:
		sc.classify(at+1, de)
	case literal || de > at+1 && isDottedNumber(t[at+1:de]): // user@10.0.0.5: the address matters too
		hs, he := at+1, de
		if literal {
			hs, he = at+2, de-1
		}
		if ip, reason := checkIPv4(t[hs:he]); reason == "" && ls < at && !sc.remoteLogin(ls, de) {
			if v, reason := sc.e.checkEmailLocal(t[ls:at]); reason == "" {
				sc.emit(Email, v+"@"+ip, ls, de)
			}
		}
		sc.classify(hs, he)
	case de > at+1:
		v, reason := sc.e.checkEmail(t[ls:de], at-ls)
		if reason != "" {
			sc.reject(ls, de, reason)
		} else {
			sc.emit(Email, v, ls, de)
		}
	}
	if de < b {
		sc.classify(de, b)
	}
}

// ipLiteralLen returns the length of an e-mail address's IPv4 literal
// ("[192.0.2.1]") at t[i], or 0.
func ipLiteralLen(t string, i, b int) int {
	if i >= b || t[i] != '[' {
		return 0
	}
	k := strings.IndexByte(t[i:min(b, i+17)], ']')
	if k < 8 || !isDottedNumber(t[i+1:i+k]) {
		return 0
	}
	return k + 1
}

// remoteLogin reports whether user@address at t[ls:de] is a remote login
// rather than an e-mail address: after ssh, scp, sftp, rsync or telnet, or
// followed by ':' (scp's user@host:/path).
func (sc *scanner) remoteLogin(ls, de int) bool {
	if de < len(sc.t) && sc.t[de] == ':' {
		return true
	}
	s, k := sc.s, sc.rawOff(ls)
	for k > 0 && s[k-1] == ' ' {
		k--
	}
	e := k
	for k > 0 && e-k < 8 && isLetter(s[k-1]) {
		k--
	}
	return inSet(loginWords, s[k:e])
}

var loginWords = set(`ssh scp sftp rsync telnet mosh putty plink`)

// ipv6 handles a piece that may be an IPv6 address or network; it reports
// whether it did. Times (12:30:45) and MAC addresses are left to split.
func (sc *scanner) ipv6(a, b int) bool {
	p := sc.t[a:b]
	colons, digit, slash := 0, false, -1
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == ':':
			colons++
		case isDigit(c):
			digit = true
		case class[c]&clsHex != 0 || c == '.':
		case c == '/' && slash < 0:
			slash = i
		default:
			return false
		}
	}
	if colons < 2 || !digit || !(colons >= 7 || strings.Contains(p, "::")) || macLike(p) {
		return false
	}
	v, typ, reason := checkIP6(p)
	if reason == "" && !strings.ContainsAny(v, "0123456789") {
		// Its normal form (abcd::ef, ::) would not be taken for an address.
		reason = "IPv6 address without digits, too like a word"
	}
	if reason != "" {
		sc.reject(a, b, reason)
	} else {
		sc.emit(typ, v, a, b)
	}
	return true
}

// macLike reports whether p is colon-separated pairs of hex digits, as MAC
// addresses and iptables' MAC= fields are.
func macLike(p string) bool {
	for g := range strings.SplitSeq(p, ":") {
		if len(g) != 2 {
			return false
		}
	}
	return true
}

// cidr4 handles an IPv4 network ("10.0.0.0/8"); it reports whether it did.
func (sc *scanner) cidr4(a, b int) bool {
	p := sc.t[a:b]
	i := strings.IndexByte(p, '/')
	if i < 0 || !isDottedNumber(p[:i]) || i+1 == len(p) || len(p)-i > 3 || !allDigits(p[i+1:]) {
		return false
	}
	v, reason := checkCIDR4(p)
	if reason != "" {
		return false
	}
	sc.emit(CIDR, v, a, b)
	return true
}

// dotted handles a piece of letters, digits, '.', '-' and '_' with a dot.
func (sc *scanner) dotted(a, b int) {
	p := sc.t[a:b]
	switch {
	case isDottedNumber(p):
		sc.dottedNumber(a, b)
		return
	case (p[0] == 'v' || p[0] == 'V') && isDottedNumber(p[1:]) && strings.Count(p, ".") >= 3:
		sc.reject(a, b, "version number, not an IP")
		return
	}
	if v, ok := parseTechnique(p); ok {
		sc.emit(Technique, v, a, b)
		return
	}
	if strings.IndexByte(p, '-') >= 0 && strings.Trim(p, "0123456789.-") == "" { // 10.0.0.1-10.0.0.9
		sc.split(a, b, '-')
		return
	}
	if i := strings.IndexByte(p, '.'); hashType(p[:i]) != "" { // <sha256>.exe
		sc.word(a, a+i)
	}
	sc.name(a, b)
}

// dottedNumber handles digits and dots: an IPv4 address, a version, an OID.
func (sc *scanner) dottedNumber(a, b int) {
	p := sc.t[a:b]
	n := strings.Count(p, ".") + 1
	if n < 4 || strings.Contains(p, "..") || p[0] == '.' || p[len(p)-1] == '.' {
		return
	}
	if n > 4 {
		sc.reject(a, b, "dotted number with "+strconv.Itoa(n)+" parts (version or OID), not an IP")
		return
	}
	v, reason := checkIPv4(p)
	switch {
	case reason != "":
		sc.reject(a, b, reason)
	case sc.afterProduct || sc.versionBefore(a):
		sc.reject(a, b, "version number, not an IP")
	default:
		sc.emit(IPv4, v, a, b)
	}
}

// versionBefore reports whether the word before t[a] names a version
// ("version 1.2.3.4", "build=10.0.0.1").
func (sc *scanner) versionBefore(a int) bool {
	s, k := sc.s, sc.rawOff(a)
	for range 2 { // "version 1.2.3.4", "upgrade to 10.4.2.1"
		e := k
		for k > 0 && e-k < 3 && strings.IndexByte(" \t:=#", s[k-1]) >= 0 {
			k--
		}
		if k == e {
			return false
		}
		e = k
		for k > 0 && e-k < 12 && isLetter(s[k-1]) {
			k--
		}
		if k == e || k > 0 && isAlnum(s[k-1]) {
			return false
		}
		if inSet(versionWords, s[k:e]) {
			return true
		}
	}
	return false
}

// name handles a dotted word with letters: a file name with a risky
// extension, or a domain, or a rejection saying which it is not.
func (sc *scanner) name(a, b int) {
	p := sc.t[a:b]
	low := lowerASCII(p)
	ext := low[strings.LastIndexByte(low, '.')+1:]
	switch {
	case (ext == "js" || ext == "net") && techNames[low]:
		sc.reject(a, b, "software name, not a domain")
		return
	case strings.Count(low, ".") >= 2 && javaRoots[low[:strings.IndexByte(low, '.')]]:
		sc.reject(a, b, "Java package or class name (reverse DNS), not a domain")
		return
	}
	// .zip, .sh, .py, .one and .cab are TLDs too: name.zip is a file,
	// www.name.zip a domain.
	dots := strings.Count(low, ".")
	if riskyExt[ext] && (!suffixExt[ext] || dots == 1) {
		if isFileName(p) {
			sc.emit(File, p, a, b)
		}
		return
	}
	if !isASCII(low) { // пример.рус: checked and reported as punycode
		ascii, reason := asciiHost(low)
		if reason != "" {
			sc.reject(a, b, "not a domain: "+reason)
			return
		}
		low = ascii
	}
	if sc.seenBefore(seenKey{Domain, low}) {
		return
	}
	reason := sc.e.checkDomain(low)
	twoLabels := dots == 1
	switch {
	case reason == "" && (codeLike(p) || twoLabels && codeSuffixes[ext]):
		sc.reject(a, b, "code identifier, not a domain")
	case reason == "" && twoLabels && inSet(identRoots, low[:strings.IndexByte(low, '.')]): // user.id, config.name
		sc.reject(a, b, "code identifier, not a domain: "+low[:strings.IndexByte(low, '.')]+" is a variable, ."+ext+" its field")
	case reason == "" && twoLabels && fileExt[ext]: // README.md, Main.java
		sc.reject(a, b, "file name, not a domain: ."+ext+" is a file extension")
	case reason == "":
		if ra := sc.rawOff(a); cutBefore(sc.s, ra) < ra { // "--evil.example", "_x.evil.example"
			k := cutBefore(sc.s, ra)
			sc.rejectAt(k, sc.rawOff(b), "host name cut after "+strconv.Quote(sc.s[k:ra])+" (no host name starts with '-' or '_'): "+low+" taken")
		}
		sc.emit(Domain, low, a, b)
	case !reportable(low):
	case fileExt[ext]:
		sc.reject(a, b, "file name, not a domain: "+reason)
	case sc.cutName(a, b, reason):
	default:
		sc.reject(a, b, "not a domain: "+reason)
	}
}

// cutName handles a dotted word whose host name starts after a separator
// that cannot be part of one ("CONFIG_evil.example", "www.-x.evil.example"):
// it rejects the whole saying what was cut, and takes the longest valid
// name after the cut; it reports whether there was one.
func (sc *scanner) cutName(a, b int, reason string) bool {
	p := sc.t[a:b]
	c := strings.LastIndexByte(p, '_') + 1
	for i := c; i < len(p); {
		j := strings.IndexByte(p[i:], '.')
		if j < 0 {
			break
		}
		if l := p[i : i+j]; l != "" && (l[0] == '-' || l[len(l)-1] == '-') {
			c = i + j + 1
		}
		i += j + 1
	}
	if c == 0 || c >= len(p) || strings.IndexByte(p[c:], '.') < 0 || sc.e.checkDomain(lowerASCII(p[c:])) != "" {
		return false
	}
	sc.reject(a, b, "host name cut after "+strconv.Quote(p[:c])+" ("+reason+"): "+lowerASCII(p[c:])+" taken")
	sc.name(a+c, b)
	return true
}

// cutBefore returns where the run of '-' and '_' just before t[a] starts,
// when that run opens its word; a when there is none.
func cutBefore(t string, a int) int {
	k := a
	for k > 0 && (t[k-1] == '-' || t[k-1] == '_') {
		k--
	}
	if k < a && k > 0 && (isAlnum(t[k-1]) || t[k-1] == '.' || t[k-1] >= 0x80) {
		return a
	}
	return k
}

// reportable reports whether a rejected dotted word is worth telling the
// analyst about: abbreviations such as "e.g" and "U.S" are not.
func reportable(low string) bool {
	tld := low[strings.LastIndexByte(low, '.')+1:]
	first := low[:strings.IndexByte(low, '.')]
	return len(tld) >= 2 && len(first) >= 2 && strings.Trim(tld, "0123456789") != ""
}

// codeLike reports whether a dotted name reads as code: an upper-case
// last label after labels in lower case (System.IO), or a capitalised one
// (WScript.Shell, Main.Run). Domains are written in lower or upper case.
func codeLike(p string) bool {
	tld := p[strings.LastIndexByte(p, '.')+1:]
	switch {
	case len(tld) < 2 || tld[0] < 'A' || tld[0] > 'Z':
		return false
	case strings.ToUpper(tld) == tld:
		return strings.ToUpper(p) != p
	}
	return true
}

// word handles a piece of letters, digits, '-' and '_' without a dot.
func (sc *scanner) word(a, b int) {
	p := sc.t[a:b]
	if !isASCII(p) { // a word in another script
		return
	}
	if len(p) >= 4 && strings.EqualFold(p[:4], "cve-") {
		sc.cve(a, b)
		return
	}
	if strings.IndexByte(p, '-') >= 0 {
		sc.split(a, b, '-')
		return
	}
	if v, ok := parseTechnique(p); ok {
		sc.emit(Technique, v, a, b)
		return
	}
	if p[0] == 'A' && len(p) >= 2 && p[1] == 'S' && sc.asn(a, b) {
		return
	}
	if len(p) >= 25 {
		sc.longWord(a, b)
	}
}

func (sc *scanner) cve(a, b int) {
	p := sc.t[a:b]
	n := cveLen(p)
	if n == 0 {
		if len(p) > 8 {
			sc.reject(a, b, "malformed CVE id (CVE-YYYY-NNNN)")
		}
		return
	}
	sc.emit(CVE, strings.ToUpper(p[:n]), a, a+n)
}

// asn handles "AS13335", "ASN13335" and "AS 13335"; it reports whether
// the word was one.
func (sc *scanner) asn(a, b int) bool {
	p := sc.t[a:b]
	digits := strings.TrimPrefix(strings.TrimPrefix(p, "AS"), "N")
	ra, rb := sc.rawOff(a), sc.rawOff(b)
	if digits == "" && !sc.mapped && b == len(sc.t) { // "AS 13335"
		s := sc.s
		k := rb + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if rb < len(s) && s[rb] == ' ' && k > rb+1 && (k == len(s) || !isAlnum(s[k]) && s[k] != '.') {
			digits, rb = s[rb+1:k], k
		}
	}
	v, ok := asnValue(digits)
	if ok {
		sc.emitAt(ASN, v, ra, rb)
	}
	return ok
}

// longWord handles a word of 25 characters or more: a hash, a bitcoin
// address, or a hex run inside a longer word.
func (sc *scanner) longWord(a, b int) {
	p := sc.t[a:b]
	if allHex(p) {
		typ, v, reason := checkHash(p)
		if reason != "" {
			sc.reject(a, b, reason)
		} else {
			sc.emit(typ, v, a, b)
		}
		return
	}
	if v, reason, ok := checkBitcoin(p); ok {
		if reason != "" {
			sc.reject(a, b, reason)
		} else {
			sc.emit(Bitcoin, v, a, b)
		}
		return
	}
	if n := embeddedHashRun(p); n > 0 {
		sc.reject(a, b, "hex run of "+strconv.Itoa(n)+" chars inside a longer word")
	}
}

// avName rejects anti-virus signature names (Trojan.Win32.Emotet,
// HEUR:Trojan.Script.Generic, Win32/Agent.ABC) that read as domains,
// keeping any CVE id inside them; it reports whether the piece was one.
func (sc *scanner) avName(a, b int) bool {
	p := sc.t[a:b]
	if !isAVName(p) {
		return false
	}
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j] != '.' && p[j] != ':' && p[j] != '/' {
			j++
		}
		if n := cveLen(p[i:j]); n > 0 && j-i == n {
			sc.emit(CVE, strings.ToUpper(p[i:j]), a+i, a+j)
		}
		i = j + 1
	}
	sc.reject(a, b, "anti-virus signature name, not a domain")
	return true
}

// emit records an indicator found at t[a:b].
func (sc *scanner) emit(typ Type, v string, a, b int) {
	sc.emitAt(typ, v, sc.rawOff(a), sc.rawOff(b))
}

// emitAt records an indicator whose raw text is s[ra:rb], once per
// (type, value); allow-listed values become rejections.
func (sc *scanner) emitAt(typ Type, v string, ra, rb int) {
	if sc.seenBefore(seenKey{typ, v}) {
		return
	}
	g := &sc.e.org
	if g.allowed(typ, v) {
		if !sc.seenBefore(seenKey{"", sc.s[ra:rb]}) {
			sc.res.Rejected = append(sc.res.Rejected, Rejected{Raw: sc.s[ra:rb], Offset: ra,
				Reason: "allow-listed: known benign " + string(typ)})
			sc.record(true)
		}
		return
	}
	if sc.res.Indicators == nil {
		// About one indicator per 64 bytes in logs; growing by doubling
		// from there costs fewer copies than from one.
		sc.res.Indicators = make([]Indicator, 0, min(max(len(sc.s)/64, 8), 1024))
	}
	sc.res.Indicators = append(sc.res.Indicators, Indicator{Type: typ, Value: v, Raw: sc.s[ra:rb],
		Offset: ra, Internal: g.internal(typ, v)})
	sc.record(false)
}

// reject records a candidate at t[a:b] that is not an indicator, once per
// raw text.
func (sc *scanner) reject(a, b int, reason string) {
	sc.rejectAt(sc.rawOff(a), sc.rawOff(b), reason)
}

// rejectAt records a candidate whose raw text is s[ra:rb] that is not an
// indicator, once per raw text.
func (sc *scanner) rejectAt(ra, rb int, reason string) {
	if sc.seenBefore(seenKey{"", sc.s[ra:rb]}) {
		return
	}
	sc.res.Rejected = append(sc.res.Rejected, Rejected{Raw: sc.s[ra:rb], Offset: ra, Reason: reason})
	sc.record(true)
}
