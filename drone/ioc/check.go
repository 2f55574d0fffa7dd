package ioc

import (
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// The checks below take a refanged candidate and return its normal form,
// or a reason an analyst understands. Extract and Validate share them.

// checkIPv4 checks a dotted-quad; octets with leading zeros are read as
// decimal (firewalls pad them: 010.000.000.001).
func checkIPv4(p string) (string, string) {
	var oct [4]byte
	n, start, canonical := 0, 0, true
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '.' {
			if !isDigit(p[i]) {
				return "", "not an IPv4 address"
			}
			continue
		}
		part := p[start:i]
		switch {
		case n == 4:
			return "", "dotted number with more than 4 parts (version or OID), not an IP"
		case part == "":
			return "", "empty octet, not an IP"
		case len(part) > 3:
			return "", "octet " + part + " out of range: version number, not an IP"
		}
		v, _ := strconv.Atoi(part)
		if v > 255 {
			return "", "octet " + part + " out of range, not an IP"
		}
		if len(part) > 1 && part[0] == '0' {
			canonical = false
		}
		oct[n] = byte(v)
		n++
		start = i + 1
	}
	if n != 4 {
		return "", "an IPv4 address has 4 octets"
	}
	if canonical {
		return p, ""
	}
	return netip.AddrFrom4(oct).String(), ""
}

// checkIP6 checks an IPv6 address or network.
func checkIP6(p string) (string, Type, string) {
	if strings.IndexByte(p, '/') >= 0 {
		pf, err := netip.ParsePrefix(p)
		if err != nil || !pf.Addr().Is6() {
			return "", "", "not a valid IPv6 network"
		}
		return pf.String(), CIDR, ""
	}
	a, err := netip.ParseAddr(p)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", "", "not a valid IPv6 address"
	}
	return a.String(), IPv6, ""
}

// checkCIDR4 checks an IPv4 network, keeping the address as written.
func checkCIDR4(p string) (string, string) {
	i := strings.IndexByte(p, '/')
	ip, reason := checkIPv4(p[:i])
	if reason != "" {
		return "", reason
	}
	bits, err := strconv.Atoi(p[i+1:])
	if err != nil || bits > 32 || len(p)-i > 3 {
		return "", "prefix length out of range (0-32)"
	}
	if ip == p[:i] && strconv.Itoa(bits) == p[i+1:] {
		return p, ""
	}
	return ip + "/" + strconv.Itoa(bits), ""
}

// checkDomain checks a lower-case host name against the public suffix list;
// the organisation's own names need no public suffix.
func (e *Extractor) checkDomain(d string) string {
	if r := labelsReason(d); r != "" {
		return r
	}
	if e.org.isInternalName(d) {
		return ""
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	ps, icann := publicsuffix.PublicSuffix(d)
	switch {
	case !icann && !strings.Contains(ps, "."): // the default "*" rule: unknown TLD
		return "." + tld + " is not a public suffix"
	case icann && ps == d:
		return d + " is a public suffix, not a domain"
	}
	return ""
}

// labelsReason checks the syntax of a host name.
func labelsReason(d string) string {
	if len(d) > 253 {
		return "longer than 253 characters"
	}
	if strings.IndexByte(d, '.') < 0 {
		return "a single label has no public suffix"
	}
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			if c := d[i]; !(class[c]&clsAlnum != 0 && !('A' <= c && c <= 'Z') || c == '-') {
				return "'" + string(c) + "' is not allowed in a host name"
			}
			continue
		}
		switch l := d[start:i]; {
		case l == "":
			return "empty label"
		case len(l) > 63:
			return "label longer than 63 characters"
		case l[0] == '-' || l[len(l)-1] == '-':
			return "label starting or ending with '-'"
		}
		start = i + 1
	}
	if allDigits(d[strings.LastIndexByte(d, '.')+1:]) {
		return "numeric last label"
	}
	return ""
}

// checkEmailLocal checks the local part of an address and returns it in
// lower case.
func (e *Extractor) checkEmailLocal(local string) (string, string) {
	switch {
	case local == "" || len(local) > 64:
		return "", "e-mail local part must be 1 to 64 characters"
	case local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return "", "e-mail local part with misplaced dots"
	}
	return lowerASCII(local), ""
}

// checkEmail checks an address (its '@' at index at) and returns it in
// lower case.
func (e *Extractor) checkEmail(addr string, at int) (string, string) {
	if _, r := e.checkEmailLocal(addr[:at]); r != "" {
		return "", r
	}
	host := addr[at+1:]
	if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' { // user@[192.0.2.1]
		host = host[1 : len(host)-1]
	}
	if isDottedNumber(host) { // user@192.0.2.1, as analysts write it
		ip, r := checkIPv4(host)
		if r != "" {
			return "", "e-mail host: " + r
		}
		return lowerASCII(addr[:at+1]) + ip, ""
	}
	d, r := asciiHost(addr[at+1:])
	if r == "" {
		r = e.checkDomain(d)
	}
	if r != "" {
		return "", "e-mail domain is not valid: " + r
	}
	return lowerASCII(addr[:at+1]) + d, ""
}

// checkURL checks a URL (scheme already refanged) and returns its normal
// form: scheme and host in lower case, "&amp;" unescaped, the rest as is.
func (e *Extractor) checkURL(u string) (norm, host, reason string) {
	i := strings.Index(u, "://")
	scheme, rest := u[:i], u[i+3:]
	ae := authorityEnd(rest)
	auth := rest[:ae]
	hs := strings.LastIndexByte(auth, '@') + 1
	host, port, reason := e.urlHostPort(auth[hs:])
	if reason != "" {
		return "", "", reason
	}
	if port != "" && !validPort(port[1:]) {
		return "", "", "URL with an invalid port"
	}
	norm = u
	if f, ok := fangScheme(scheme); ok { // a second URL of a token: "a://x,hxxp://y"
		scheme = f
		norm = ""
	}
	if norm == "" || lowerASCII(scheme) != scheme || host+port != auth[hs:] || strings.Contains(rest[ae:], "&amp;") {
		path := rest[ae:]
		for strings.Contains(path, "&amp;") {
			path = strings.ReplaceAll(path, "&amp;", "&")
		}
		norm = lowerASCII(scheme) + "://" + auth[:hs] + host + port + path
	}
	if needsRefang(norm) {
		return "", "", "URL still defanged after refanging"
	}
	return norm, host, ""
}

// urlHostPort splits and checks the host[:port] of a URL.
func (e *Extractor) urlHostPort(hp string) (host, port, reason string) {
	if strings.HasPrefix(hp, "[") {
		j := strings.IndexByte(hp, ']')
		if j < 0 {
			return "", "", "URL with an unclosed IPv6 literal"
		}
		a, err := netip.ParseAddr(hp[1:j])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", "URL host is not a valid IPv6 address"
		}
		return "[" + a.String() + "]", hp[j+1:], ""
	}
	host = hp
	if j := strings.IndexByte(hp, ':'); j >= 0 {
		host, port = hp[:j], hp[j:]
	}
	switch {
	case host == "":
		return "", "", "URL without a host"
	case isDottedNumber(host):
		v, r := checkIPv4(host)
		if r != "" {
			return "", "", "URL host: " + r
		}
		return v, port, ""
	}
	low, r := asciiHost(host)
	if r == "" {
		r = e.checkDomain(low)
	}
	if r != "" {
		return "", "", "URL host is not a domain: " + r
	}
	return low, port, ""
}

// authorityEnd returns where the authority of a URL (after "://") ends.
func authorityEnd(rest string) int {
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '/' || c == '?' || c == '#' {
			return i
		}
	}
	return len(rest)
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && len(p) <= 5 && n <= 65535 && p[0] != '+'
}

// needsRefang reports whether refanging v would change it.
func needsRefang(v string) bool {
	for j := 0; j < len(v); j++ {
		switch v[j] {
		case '[', '(', '{', '\\':
			if n, _ := markerAt(v, j, len(v)); n > 0 {
				return true
			}
		case ':':
			if n := colonSlashLen(v, j, len(v)); n > 3 {
				return true
			}
		}
	}
	return false
}

// hashType is the hash type of a hex string of that length, or "".
func hashType(p string) Type {
	switch len(p) {
	case 32:
		return MD5
	case 40:
		return SHA1
	case 64:
		return SHA256
	case 128:
		return SHA512
	}
	return ""
}

// checkHash checks a standalone hex run.
func checkHash(p string) (Type, string, string) {
	digits, letters, upper := false, false, false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case isDigit(c):
			digits = true
		case 'a' <= c && c <= 'f':
			letters = true
		case 'A' <= c && c <= 'F':
			letters, upper = true, true
		default:
			return "", "", "not hexadecimal"
		}
	}
	typ := hashType(p)
	switch {
	case typ == "":
		return "", "", "hex run of " + strconv.Itoa(len(p)) + " chars, not an MD5/SHA-1/SHA-256/SHA-512 length"
	case !letters:
		return "", "", "decimal number, not a hash"
	case !digits:
		return "", "", "letters only, not a hash"
	case upper:
		return typ, strings.ToLower(p), ""
	}
	return typ, p, ""
}

// embeddedHashRun returns the length of a hash-long hex run inside a word.
func embeddedHashRun(p string) int {
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && class[p[j]]&clsHex != 0 {
			j++
		}
		if hashType(p[i:j]) != "" && !allDigits(p[i:j]) {
			return j - i
		}
		i = j + 1
	}
	return 0
}

// cveLen returns the length of the CVE id at the start of p, or 0.
func cveLen(p string) int {
	if len(p) < 13 || !strings.EqualFold(p[:4], "cve-") || p[8] != '-' || !allDigits(p[4:8]) {
		return 0
	}
	if y, _ := strconv.Atoi(p[4:8]); y < 1999 || y > 2099 {
		return 0
	}
	n := 9
	for n < len(p) && isDigit(p[n]) {
		n++
	}
	if n-9 < 4 || n-9 > 7 || n < len(p) && p[n] != '-' {
		return 0
	}
	return n
}

// parseTechnique reads an ATT&CK technique id (T1566, T1566.001, and the
// Sigma tag form attack.t1566.001).
func parseTechnique(p string) (string, bool) {
	q := p
	if len(q) > 7 && strings.EqualFold(q[:7], "attack.") {
		q = q[7:]
		if q[0] == 't' {
			q = "T" + q[1:]
		}
	}
	// Enterprise techniques are T1xxx, ICS ones T08xx.
	if len(q) != 5 && len(q) != 9 || q[0] != 'T' || !allDigits(q[1:5]) || q[1] != '1' && q[1:3] != "08" {
		return "", false
	}
	if len(q) == 9 && (q[5] != '.' || !allDigits(q[6:])) {
		return "", false
	}
	return q, true
}

// asnValue reads the number of an autonomous system.
func asnValue(digits string) (string, bool) {
	if digits == "" || len(digits) > 10 || !allDigits(digits) {
		return "", false
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || n == 0 {
		return "", false
	}
	return "AS" + strconv.FormatUint(n, 10), true
}

var hives = []struct{ long, short string }{
	{"HKEY_LOCAL_MACHINE", "HKLM"}, {"HKEY_CURRENT_USER", "HKCU"}, {"HKEY_CLASSES_ROOT", "HKCR"},
	{"HKEY_USERS", "HKU"}, {"HKEY_CURRENT_CONFIG", "HKCC"},
}

// hiveLen returns the length of a registry hive name and its separator
// ("HKLM\", "HKEY_CURRENT_USER\", PowerShell's "HKCU:\") at s[j], or 0.
func hiveLen(s string, j, to int) int {
	if to-j < 4 || s[j]|0x20 != 'h' || s[j+1]|0x20 != 'k' {
		return 0
	}
	for _, h := range hives {
		for _, name := range [2]string{h.long, h.short} {
			n := j + len(name)
			if n >= to || !strings.EqualFold(s[j:n], name) {
				continue
			}
			if s[n] == ':' && n+1 < to && s[n+1] == '\\' {
				n++
			}
			if s[n] != '\\' {
				continue
			}
			for n < to && s[n] == '\\' { // JSON doubles them
				n++
			}
			if n < to && s[n] != ' ' {
				return n - j
			}
		}
	}
	return 0
}

// normRegistry returns the normal form of a registry key: the short hive
// name in capitals, single backslashes, no trailing backslash.
func normRegistry(p string) (string, bool) {
	n := hiveLen(p, 0, len(p))
	if n == 0 {
		return "", false
	}
	var short string
	for _, h := range hives {
		if strings.EqualFold(strings.TrimRight(p[:n], ":\\"), h.long) || strings.EqualFold(strings.TrimRight(p[:n], ":\\"), h.short) {
			short = h.short
		}
	}
	rest := strings.Trim(p[n:], "\\")
	for strings.Contains(rest, `\\`) {
		rest = strings.ReplaceAll(rest, `\\`, `\`)
	}
	if rest == "" {
		return "", false
	}
	return short + `\` + rest, true
}

// isFileName reports whether p (letters, digits, '.', '-', '_') has a
// base name before its extension.
func isFileName(p string) bool {
	base := p[:strings.LastIndexByte(p, '.')]
	return strings.Trim(base, ".-_") != ""
}

// lowerASCII lower-cases ASCII letters, allocating only when it must.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if class[s[i]]&clsHex == 0 {
			return false
		}
	}
	return s != ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}

// isDottedNumber reports whether s is digits and dots, with a dot.
func isDottedNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dot = true
		} else if !isDigit(s[i]) {
			return false
		}
	}
	return dot
}

// inSet looks a short word up in a set of lower-case words without
// allocating.
func inSet(set map[string]bool, w string) bool {
	var buf [24]byte
	if len(w) > len(buf) {
		return false
	}
	b := buf[:len(w)]
	for i := 0; i < len(w); i++ {
		b[i] = w[i] | 0x20*byte(btoi('A' <= w[i] && w[i] <= 'Z'))
	}
	return set[string(b)]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
