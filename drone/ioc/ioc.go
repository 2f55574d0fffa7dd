// Package ioc finds indicators of compromise in free text: it refangs defanged
// forms, types and validates each candidate, normalises it, de-duplicates the
// result and explains every candidate it rejects.
//
// Extraction is one pass over the bytes: cheap triggers (dots, '@', ':',
// slashes, long alphanumeric runs, defang brackets) delimit candidate tokens,
// and each token is refanged and validated in place. No regular expression
// is involved, and the text is never copied whole: only a token holding a
// defanged form is rewritten, into a buffer reused from token to token.
package ioc

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"
)

// Type is the kind of an indicator.
type Type string

// The indicator types drone knows.
const (
	IPv4      Type = "ipv4"
	IPv6      Type = "ipv6"
	CIDR      Type = "cidr"
	Domain    Type = "domain"
	URL       Type = "url"
	Email     Type = "email"
	MD5       Type = "md5"
	SHA1      Type = "sha1"
	SHA256    Type = "sha256"
	SHA512    Type = "sha512"
	CVE       Type = "cve"
	Technique Type = "attack-technique"
	Registry  Type = "registry"
	File      Type = "filename"
	ASN       Type = "asn"
	Bitcoin   Type = "bitcoin"
	UserName  Type = "user"
	Other     Type = "other"
)

// Input-only types: an analyst who says "this is an IP" or "this is a hash"
// need not know which family or length. Validate accepts any address (IP) or
// any MD5/SHA-1/SHA-256/SHA-512 (Hash) for them; Extract never returns them,
// and they are not in Types.
const (
	IP   Type = "ip"
	Hash Type = "hash"
)

// Types lists every type in the order drone presents them (the original
// MiniShell's order first: addresses, names, URLs, hashes, users, mail).
var Types = []Type{IPv4, IPv6, CIDR, Domain, URL, MD5, SHA1, SHA256, SHA512, UserName, Email,
	CVE, Technique, Registry, File, ASN, Bitcoin, Other}

// HiveDataType is the TheHive dataType an indicator of this type is sent as.
func (t Type) HiveDataType() string {
	switch t {
	case IPv4, IPv6, CIDR, IP:
		return "ip"
	case Domain:
		return "domain"
	case URL:
		return "url"
	case Email:
		return "mail"
	case MD5, SHA1, SHA256, SHA512, Hash:
		return "hash"
	case Registry:
		return "registry"
	case File:
		return "filename"
	case ASN:
		return "autonomous-system"
	default:
		return "other"
	}
}

// ParseType reads a type name, accepting common aliases ("fqdn", "mail",
// "sha-256"...). The ambiguous "ip" and "hash" return the input-only types IP
// and Hash, which Validate resolves by the value's form and length.
func ParseType(s string) (Type, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	for _, t := range Types {
		if string(t) == k {
			return t, nil
		}
	}
	if t, ok := aliases[k]; ok {
		return t, nil
	}
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown indicator type %q (allowed: ip, hash, %s)", s, strings.Join(names, ", "))
}

var aliases = map[string]Type{
	"ip": IP, "address": IP, "ipv4 address": IPv4, "ipv6 address": IPv6, "ip4": IPv4, "ip6": IPv6,
	"net": CIDR, "network": CIDR, "subnet": CIDR,
	"fqdn": Domain, "hostname": Domain, "host": Domain,
	"uri": URL, "link": URL,
	"mail": Email, "e-mail": Email, "sender": Email, "recipient": Email,
	"hash": Hash, "md-5": MD5, "sha-1": SHA1, "sha-256": SHA256, "sha-512": SHA512,
	"cve-id": CVE, "vulnerability": CVE,
	"technique": Technique, "attack": Technique, "att&ck": Technique, "mitre": Technique, "ttp": Technique,
	"regkey": Registry, "registry key": Registry,
	"file": File, "file name": File, "attachment": File,
	"autonomous-system": ASN, "as": ASN, "autonomous system": ASN,
	"btc": Bitcoin, "wallet": Bitcoin,
	"username": UserName, "user name": UserName, "ldap": UserName, "ldap user": UserName, "account": UserName,
	"comment": Other, "note": Other,
}

// Indicator is one indicator found in text.
type Indicator struct {
	Type     Type   `json:"type"`
	Value    string `json:"value"`    // normalised: refanged, lower-cased where case does not matter, host names in punycode
	Raw      string `json:"raw"`      // as written in the text
	Offset   int    `json:"offset"`   // byte offset of Raw in the text
	Internal bool   `json:"internal"` // private or the organisation's own
}

// HiveDataType is the TheHive dataType for this indicator: like its Type's,
// except that a domain with a sub-domain (www.example.co.uk) is an "fqdn".
func (i Indicator) HiveDataType() string {
	if i.Type == Domain {
		if reg, err := publicsuffix.EffectiveTLDPlusOne(i.Value); err == nil && reg != i.Value {
			return "fqdn"
		}
	}
	return i.Type.HiveDataType()
}

// Rejected is a candidate that looked like an indicator but is not one.
type Rejected struct {
	Raw    string `json:"raw"`
	Offset int    `json:"offset"`
	Reason string `json:"reason"` // for an analyst: "version number, not an IP"
}

// Result is what Extract found.
type Result struct {
	Indicators []Indicator `json:"indicators"`
	Rejected   []Rejected  `json:"rejected"`
}

// Options tune an Extractor to an organisation.
type Options struct {
	// InternalDomains are the organisation's own domains; they and their
	// sub-domains are marked internal, and are accepted even when their
	// suffix is not public (corp.local).
	InternalDomains []string
	// InternalNets are the organisation's own networks, marked internal
	// besides RFC 1918, loopback and link-local addresses.
	InternalNets []netip.Prefix
	// Allow lists known-benign values that are dropped (with a rejection
	// saying so), such as the organisation's mail provider. A domain also
	// allows its sub-domains and the e-mail addresses and URLs under it; a
	// CIDR allows the addresses inside it. Defanged entries are refanged.
	Allow []string
}

// Extractor extracts indicators. Its zero value is ready to use with no
// organisation-specific options; it is safe for concurrent use.
type Extractor struct {
	org org
}

// New returns an Extractor for the given options.
func New(opts Options) *Extractor { return &Extractor{org: newOrg(opts)} }

// zero is the Extractor behind the package-level functions.
var zero Extractor

// Extract returns the indicators in text, in the order they appear and
// de-duplicated by (type, value), and the candidates it rejected.
func (e *Extractor) Extract(text string) Result {
	if e == nil {
		e = &zero
	}
	sc := scanners.Get().(*scanner)
	*sc = scanner{e: e, s: text, buf: sc.buf[:0], pos: sc.pos[:0]}
	sc.run(0, len(text))
	res := sc.res
	if cap(sc.buf) <= maxPooledBuf {
		*sc = scanner{buf: sc.buf, pos: sc.pos} // keep the buffers, not the text
		scanners.Put(sc)
	}
	return res
}

// maxPooledBuf bounds the token buffer a pooled scanner keeps: one giant
// URL must not hold its memory for good.
const maxPooledBuf = 64 << 10

// scanners keeps scanners' token buffers from one extraction to the next,
// which saves about a third of an extraction's allocations.
var scanners = sync.Pool{New: func() any { return new(scanner) }}
