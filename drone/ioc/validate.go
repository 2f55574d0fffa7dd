package ioc

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Validate checks a value typed by an analyst ("this is a hash") and
// returns its normal form, or an error naming why it is not one. The
// input-only types IP and Hash accept any address family or hash length.
// It knows no organisation: see (*Extractor).Validate.
func Validate(t Type, value string) (string, error) { return zero.Validate(t, value) }

// Validate is like the package's Validate, and also accepts the
// organisation's own domains, whose suffix may not be public (corp.local).
func (e *Extractor) Validate(t Type, value string) (string, error) {
	if e == nil {
		e = &zero
	}
	v := strings.TrimSpace(value)
	if v == "" {
		return "", errors.New("empty value")
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		return "", fmt.Errorf("%q holds control characters", value)
	}
	switch t {
	case UserName:
		return checkUserName(v)
	case Other:
		if len(v) > 4096 {
			return "", errors.New("longer than 4096 bytes")
		}
		return v, nil
	case Registry:
		if n, ok := normRegistry(v); ok {
			return n, nil
		}
		return "", fmt.Errorf("%q is not a registry key: it must start with a hive (HKLM\\, HKCU\\, HKEY_USERS\\...)", value)
	}
	norm, reason := e.validateRefanged(t, Refang(v))
	if reason != "" {
		return "", fmt.Errorf("%q is not a valid %s: %s", value, typeName(t), reason)
	}
	return norm, nil
}

// Resolve is Validate that also tells the exact type: for the input-only
// IP and Hash, the family or hash the value turned out to be (IPv4, SHA1...);
// for the other types, t itself.
func Resolve(t Type, value string) (Type, string, error) {
	v, err := Validate(t, value)
	if err != nil {
		return "", "", err
	}
	switch t {
	case IP:
		if strings.IndexByte(v, ':') >= 0 {
			return IPv6, v, nil
		}
		return IPv4, v, nil
	case Hash:
		return hashType(v), v, nil
	}
	return t, v, nil
}

// validateRefanged checks a refanged, trimmed value for one type.
func (e *Extractor) validateRefanged(t Type, v string) (string, string) {
	switch t {
	case IP:
		if strings.IndexByte(v, ':') >= 0 {
			return e.validateRefanged(IPv6, v)
		}
		return checkIPv4(v)
	case IPv4:
		return checkIPv4(v)
	case IPv6:
		n, typ, r := checkIP6(v)
		if r == "" && typ != IPv6 {
			r = "a network, not an address"
		}
		return n, r
	case CIDR:
		return checkCIDR(v)
	case Domain:
		d, r := asciiHost(strings.TrimSuffix(v, "."))
		if r == "" {
			r = e.checkDomain(d)
		}
		if r != "" {
			return "", r
		}
		return d, ""
	case URL:
		return e.validateURL(v)
	case Email:
		at := strings.LastIndexByte(v, '@')
		if at < 0 {
			return "", "no '@'"
		}
		if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
			v, at = v[7:], at-7
		}
		return e.checkEmail(v, at)
	case MD5, SHA1, SHA256, SHA512, Hash:
		return validateHash(t, v)
	case CVE:
		if n := cveLen(v); n == len(v) {
			return strings.ToUpper(v), ""
		}
		return "", "a CVE id reads CVE-YYYY-NNNN"
	case Technique:
		if n, ok := parseTechnique(strings.ToUpper(v[:1]) + v[1:]); ok {
			return n, ""
		}
		return "", "an ATT&CK technique reads T1234 or T1234.001"
	case File:
		return checkFileName(v)
	case ASN:
		d := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(v), "AS"), "N"))
		if n, ok := asnValue(d); ok {
			return n, ""
		}
		return "", "an autonomous system reads AS13335 (1 to 4294967295)"
	case Bitcoin:
		n, r, ok := checkBitcoin(v)
		if !ok {
			return "", "not a base58 (1..., 3...) or bech32 (bc1...) address"
		}
		return n, r
	}
	return "", "unknown type " + string(t)
}

func checkCIDR(v string) (string, string) {
	if strings.IndexByte(v, ':') >= 0 {
		n, typ, r := checkIP6(v)
		if r == "" && typ != CIDR {
			r = "an address, not a network (add /prefix)"
		}
		return n, r
	}
	if strings.IndexByte(v, '/') < 0 {
		return "", "an address, not a network (add /prefix)"
	}
	return checkCIDR4(v)
}

// validateURL accepts a URL with or without its scheme (analysts paste
// "evil.com/login"); without one it gets http://.
func (e *Extractor) validateURL(v string) (string, string) {
	if !strings.Contains(v, "://") {
		if strings.ContainsAny(v, " \t") {
			return "", "a URL holds no spaces"
		}
		v = "http://" + v
	}
	i := strings.Index(v, "://")
	if i == 0 || strings.Trim(v[:i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") != "" {
		return "", "the scheme before :// is not valid"
	}
	if strings.ContainsAny(v, " \t\"<>`") {
		return "", "a URL holds no spaces, quotes or angle brackets"
	}
	n, _, r := e.checkURL(v)
	return n, r
}

func validateHash(t Type, v string) (string, string) {
	typ, n, r := checkHash(v)
	if r != "" {
		return "", r
	}
	if t != Hash && typ != t {
		return "", fmt.Sprintf("%d hex characters is a %s length, not a %s one", len(v), typeName(typ), typeName(t))
	}
	return n, ""
}

// checkFileName accepts any file name; a full path gives its base name.
func checkFileName(v string) (string, string) {
	if i := strings.LastIndexAny(v, `/\`); i >= 0 {
		v = v[i+1:]
	}
	switch {
	case v == "" || v == "." || v == "..":
		return "", "no file name"
	case strings.ContainsAny(v, `<>:"|?*`):
		return "", `a file name holds none of < > : " | ? *`
	case len(v) > 255:
		return "", "longer than 255 characters"
	}
	return v, ""
}

// checkUserName accepts the forms of an LDAP / Active Directory account:
// sAMAccountName, DOMAIN\user, user@realm (UPN), or a distinguished name.
// The first three are case-insensitive and lower-cased.
func checkUserName(v string) (string, error) {
	if strings.Contains(v, "=") {
		for rdn := range strings.SplitSeq(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(rdn), "=")
			if !ok || k == "" || val == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
				return "", fmt.Errorf("%q is not a distinguished name (CN=...,DC=...)", v)
			}
		}
		return v, nil
	}
	user := v
	if d, u, ok := strings.Cut(v, `\`); ok {
		if !validAccountPart(d) {
			return "", fmt.Errorf("%q: domain part %q is not valid", v, d)
		}
		user = u
	} else if u, realm, ok := strings.Cut(v, "@"); ok {
		if labelsReason(strings.ToLower(realm)) != "" {
			return "", fmt.Errorf("%q: realm %q is not a valid name", v, realm)
		}
		user = u
	}
	if !validAccountPart(user) {
		return "", fmt.Errorf("%q is not a user name: 1 to 64 characters, none of \" / \\ [ ] : ; | = , + * ? < > @ or spaces", v)
	}
	return strings.ToLower(v), nil
}

func validAccountPart(s string) bool {
	return s != "" && len(s) <= 64 && !strings.ContainsAny(s, "\"/\\[]:;|=,+*?<>@ \t") && strings.Trim(s, ".") != ""
}

// typeName is how a type reads in a message.
func typeName(t Type) string {
	switch t {
	case IPv4:
		return "IPv4 address"
	case IPv6:
		return "IPv6 address"
	case IP:
		return "IP address"
	case CIDR:
		return "CIDR network"
	case Email:
		return "e-mail address"
	case MD5:
		return "MD5"
	case SHA1:
		return "SHA-1"
	case SHA256:
		return "SHA-256"
	case SHA512:
		return "SHA-512"
	case CVE:
		return "CVE id"
	case Technique:
		return "ATT&CK technique"
	case Registry:
		return "registry key"
	case File:
		return "file name"
	case ASN:
		return "autonomous system number"
	case Bitcoin:
		return "bitcoin address"
	case UserName:
		return "user name"
	}
	return string(t)
}

// Guess types a single value: the one indicator Extract finds in it, or an
// error saying why there is none (or more than one).
func Guess(v string) (Type, string, error) {
	res := zero.Extract(strings.TrimSpace(v))
	switch len(res.Indicators) {
	case 1:
		return res.Indicators[0].Type, res.Indicators[0].Value, nil
	case 0:
		if len(res.Rejected) > 0 {
			return "", "", fmt.Errorf("%q is not an indicator: %s", res.Rejected[0].Raw, res.Rejected[0].Reason)
		}
		return "", "", fmt.Errorf("%q is not a recognised indicator", v)
	}
	return "", "", fmt.Errorf("%q holds %d indicators, not one", v, len(res.Indicators))
}

// joinedValid reports whether a refanged token built across " dot " or
// " at " is a name worth the join: a valid e-mail address or domain with a
// public suffix, possibly followed by a path or port.
func (e *Extractor) joinedValid(r string, ipOK bool) bool {
	end := 0
	for end < len(r) && (class[r[end]]&clsLocal != 0 || r[end] == '@') {
		end++
	}
	r = strings.Trim(r[:end], ".-_")
	low := lowerASCII(r)
	if at := strings.IndexByte(low, '@'); at >= 0 {
		_, reason := e.checkEmail(low, at)
		return reason == "" && strings.Count(low, "@") == 1
	}
	ext := low[strings.LastIndexByte(low, '.')+1:]
	if isDottedNumber(low) {
		_, reason := checkIPv4(low)
		return ipOK && reason == ""
	}
	_, notIP := netip.ParseAddr(low)
	return notIP != nil && !riskyExt[ext] && e.checkDomain(low) == ""
}
