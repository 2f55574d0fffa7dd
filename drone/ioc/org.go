package ioc

import (
	"net/netip"
	"strings"
)

// org is Options prepared once for fast look-ups: lower-cased, refanged,
// split into names, prefixes and exact values.
type org struct {
	internalDomains []string
	internalNets    []netip.Prefix
	allowExact      map[string]bool
	allowDomains    []string
	allowNets       []netip.Prefix
}

func newOrg(o Options) org {
	var g org
	for _, d := range o.InternalDomains {
		if d = normName(d); d != "" {
			g.internalDomains = append(g.internalDomains, d)
		}
	}
	g.internalNets = append(g.internalNets, o.InternalNets...)
	for _, a := range o.Allow {
		g.addAllow(a)
	}
	return g
}

func (g *org) addAllow(a string) {
	a = strings.TrimSpace(Refang(a))
	if a == "" {
		return
	}
	if g.allowExact == nil {
		g.allowExact = map[string]bool{}
	}
	g.allowExact[a] = true
	g.allowExact[strings.ToLower(a)] = true
	if p, err := netip.ParsePrefix(a); err == nil {
		g.allowNets = append(g.allowNets, p.Masked())
		return
	}
	if ad, err := netip.ParseAddr(a); err == nil {
		g.allowNets = append(g.allowNets, netip.PrefixFrom(ad, ad.BitLen()))
		return
	}
	if !strings.ContainsAny(a, "/@:\\ ") && strings.Contains(a, ".") {
		g.allowDomains = append(g.allowDomains, normName(a))
	}
}

// normName lower-cases a domain name and drops the dots around it.
func normName(d string) string {
	return strings.Trim(strings.ToLower(strings.TrimSpace(Refang(d))), ".")
}

// under reports whether host is name or one of its sub-domains.
func under(host, name string) bool {
	return host == name || (len(host) > len(name) && strings.HasSuffix(host, name) && host[len(host)-len(name)-1] == '.')
}

func underAny(host string, names []string) bool {
	for _, n := range names {
		if under(host, n) {
			return true
		}
	}
	return false
}

// isInternalName reports whether a lower-case host name is the organisation's.
func (g *org) isInternalName(host string) bool { return underAny(host, g.internalDomains) }

// internal reports whether an indicator is private or the organisation's.
func (g *org) internal(t Type, v string) bool {
	switch t {
	case IPv4:
		a, ok := parseIPv4(v)
		return ok && g.internalAddr(a)
	case IPv6:
		a, err := netip.ParseAddr(v)
		return err == nil && g.internalAddr(a)
	case CIDR:
		p, err := netip.ParsePrefix(v)
		return err == nil && g.internalAddr(p.Masked().Addr())
	case Domain:
		return g.isInternalName(v)
	case Email:
		return g.isInternalName(v[strings.LastIndexByte(v, '@')+1:])
	case URL:
		h := urlHost(v)
		if a, ok := hostAddr(h); ok {
			return g.internalAddr(a)
		}
		return g.isInternalName(h)
	}
	return false
}

// hostAddr parses the host of a URL when it is an address ("1.2.3.4",
// "[2001:db8::1]"), without trying names.
func hostAddr(h string) (netip.Addr, bool) {
	if strings.HasPrefix(h, "[") {
		a, err := netip.ParseAddr(strings.Trim(h, "[]"))
		return a, err == nil
	}
	if isDottedNumber(h) {
		return parseIPv4(h)
	}
	return netip.Addr{}, false
}

// parseIPv4 parses a canonical dotted quad without the error values of
// netip.ParseAddr, for the hot path.
func parseIPv4(v string) (netip.Addr, bool) {
	var b [4]byte
	n, x := 0, 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			if n == 4 || x > 255 {
				return netip.Addr{}, false
			}
			b[n], n, x = byte(x), n+1, 0
			continue
		}
		if !isDigit(v[i]) {
			return netip.Addr{}, false
		}
		x = 10*x + int(v[i]-'0')
		if x > 255 {
			return netip.Addr{}, false
		}
	}
	return netip.AddrFrom4(b), n == 4
}

func (g *org) internalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range g.internalNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allowed reports whether an indicator is allow-listed.
func (g *org) allowed(t Type, v string) bool {
	if g.allowExact == nil {
		return false
	}
	if g.allowExact[v] {
		return true
	}
	switch t {
	case IPv4, IPv6:
		a, err := netip.ParseAddr(v)
		return err == nil && g.allowedAddr(a)
	case Domain:
		return underAny(v, g.allowDomains)
	case Email:
		return underAny(v[strings.LastIndexByte(v, '@')+1:], g.allowDomains)
	case URL:
		h := urlHost(v)
		if a, ok := hostAddr(h); ok {
			return g.allowedAddr(a)
		}
		return underAny(h, g.allowDomains)
	}
	return false
}

func (g *org) allowedAddr(a netip.Addr) bool {
	for _, p := range g.allowNets {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// urlHost returns the host of a normalised URL (lower-case, without port;
// an IPv6 literal keeps its brackets).
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	a := u[i+3:]
	a = a[:authorityEnd(a)]
	if j := strings.LastIndexByte(a, '@'); j >= 0 {
		a = a[j+1:]
	}
	if strings.HasPrefix(a, "[") {
		if j := strings.IndexByte(a, ']'); j >= 0 {
			return a[:j+1]
		}
		return a
	}
	if j := strings.IndexByte(a, ':'); j >= 0 {
		a = a[:j]
	}
	return a
}
