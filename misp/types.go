package misp

import "github.com/ttp0/drone/drone/ioc"

// lookupTypes are the MISP attribute types a drone indicator type is
// searched under; a type with none is not looked up (ATT&CK techniques
// are galaxies in MISP, "other" has no meaning there).
var lookupTypes = map[ioc.Type][]string{
	ioc.IPv4:     {"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip"},
	ioc.IPv6:     {"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip"},
	ioc.CIDR:     {"ip-src", "ip-dst"},
	ioc.Domain:   {"domain", "hostname", "domain|ip"},
	ioc.URL:      {"url", "uri", "link"},
	ioc.Email:    {"email", "email-src", "email-dst", "email-reply-to"},
	ioc.MD5:      {"md5", "filename|md5"},
	ioc.SHA1:     {"sha1", "filename|sha1"},
	ioc.SHA256:   {"sha256", "filename|sha256"},
	ioc.SHA512:   {"sha512", "filename|sha512"},
	ioc.CVE:      {"vulnerability"},
	ioc.File:     {"filename"},
	ioc.Registry: {"regkey", "regkey|value"},
	ioc.ASN:      {"AS"},
	ioc.Bitcoin:  {"btc"},
	ioc.UserName: {"target-user", "github-username"},
}

// exportType is the MISP attribute type and category an indicator of a
// drone type is exported as; ok is false for a type MISP has no attribute
// for.
func exportType(t ioc.Type) (typ, category string, ok bool) {
	switch t {
	case ioc.IPv4, ioc.IPv6, ioc.CIDR:
		return "ip-dst", "Network activity", true
	case ioc.Domain:
		return "domain", "Network activity", true
	case ioc.URL:
		return "url", "Network activity", true
	case ioc.ASN:
		return "AS", "Network activity", true
	case ioc.Email:
		return "email-src", "Payload delivery", true
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return string(t), "Payload delivery", true
	case ioc.File:
		return "filename", "Payload delivery", true
	case ioc.CVE:
		return "vulnerability", "External analysis", true
	case ioc.Registry:
		return "regkey", "Persistence mechanism", true
	case ioc.Bitcoin:
		return "btc", "Financial fraud", true
	}
	return "", "", false
}

// threatLevels are MISP's threat_level_id names, 1 to 4.
var threatLevels = map[string]string{"1": "high", "2": "medium", "3": "low", "4": "undefined"}
