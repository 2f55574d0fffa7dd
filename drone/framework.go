package drone

import (
	"fmt"
	"strconv"
	"strings"
)

// Framework is the organisation's DRONE framework: the lists every incident is
// described with. Its zero value is empty; DefaultFramework returns the
// original's lists.
type Framework struct {
	Categories    []Category `yaml:"categories" json:"categories"`
	Severities    []Choice   `yaml:"severities" json:"severities"`
	Tiers         []Choice   `yaml:"tiers" json:"tiers"`
	TLP           []string   `yaml:"tlp" json:"tlp"`
	PAP           []string   `yaml:"pap" json:"pap"`
	Zones         []string   `yaml:"-" json:"zones"`          // top-level "zones" in the file
	BusinessUnits []string   `yaml:"-" json:"business_units"` // top-level "business_units"
}

// Category is an incident category with its sub-contexts.
type Category struct {
	Code        string   `yaml:"code" json:"code"`
	Name        string   `yaml:"name" json:"name"`
	SubContexts []string `yaml:"subcontexts" json:"subcontexts"`
}

// Choice is a coded value with a display name: a severity (code "3", name
// "HIGH") or a tier (code "T2", name "Infrastructure Devices").
type Choice struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// DefaultFramework returns the framework of the original DRONE: the U.S. CERT
// categories extended to ten, four severities, three tiers, TLP 2.0 and PAP.
// Zones and business units are the organisation's own and start empty, but
// for the business unit VARIOUS that the original always added.
func DefaultFramework() Framework {
	cat := func(code, name string, subs ...string) Category {
		return Category{Code: code, Name: name, SubContexts: subs}
	}
	return Framework{
		Categories: []Category{
			cat("CAT0", "Simulation", "PENTEST", "TTOP - TableTop", "Adversary Emulation"),
			cat("CAT1", "Intrusion", "Malware Aftermath", "Exploit Aftermath", "Theft", "Vendor Compromise",
				"Account Compromise", "Insider Threat Aftermath", "Phishing"),
			cat("CAT2", "Dos/DDoS", "Volumetric", "Reflective", "Amplified", "Backscatter"),
			cat("CAT3", "Malware", "Dropper", "Downloader", "RootKit", "Exploit", "WebShell", "PUP-Riskware",
				"Ransomware", "Virus", "Worm", "Trojan/RAT", "C2 Callbacks"),
			cat("CAT4", "Violation", "Unsafe Security Protection Status", "Unsafe Patching Status",
				"Unsafe Web Browsing", "Unsafe Privilege Use", "Unsafe Configuration Status",
				"Unauthorized Data Handling", "Unauthorized Security Changes", "Unauthorized Rogue System",
				"Unauthorized Copyright Access", "Unauthorized Privilege Use"),
			cat("CAT5", "Probing", "User Enumeration", "Port Enumeration", "Attempted WebApp Probing",
				"Attempted Email Phishing", "Attempted CVE Exploitation", "Attempted SQL Injection",
				"Attempted XSS Injection", "Attempted UDP/TCP/IP Protocol Abuse"),
			cat("CAT6", "Unknown", "Abnormal Outage", "Abnormal Server Activity", "Abnormal UDP/TCP/IP Connections",
				"Abnormal User Report", "Abnormal User Password Resets", "Abnormal Data Transfer Volume(s)",
				"Abnormal System Reboot(s)"),
			cat("CAT7", "Countermeasure", "Endpoint", "Firewall", "Proxy", "SIEM", "O365/Email",
				"IDS - Intrusion Detection", "IPS - Intrusion Prevention", "WAF - Web Application Firewall",
				"IDM - Identity Management Provider", "GPO - Group Policy Objects", "Vulnerability Port Scan",
				"Authenticated Vulnerability Scan", "Enhanced Security Logging"),
			cat("CAT8", "Forensics", "Forensics - Malware Code", "Forensics - E-Discovery",
				"Forensics - Insider Threat", "Forensics - Fraudulent Threat", "ThreatIntel - Adversary Synthesis",
				"ThreatIntel - Industry Synthesis", "ThreatIntel - APT Synthesis", "ThreatIntel - KillChain Synthesis"),
			cat("CAT9", "False Positive", "Approved Activity", "Bad IoC/IoA", "Explained Anomaly", "User Error"),
		},
		Severities: []Choice{{"1", "LOW"}, {"2", "MEDIUM"}, {"3", "HIGH"}, {"4", "CRITICAL"}},
		Tiers: []Choice{{"T1", "User Devices"}, {"T2", "Infrastructure Devices"},
			{"T3", "Critical Devices"}},
		TLP:           []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"},
		PAP:           []string{"CLEAR", "GREEN", "AMBER", "RED"},
		BusinessUnits: []string{"VARIOUS"},
	}
}

// Category returns the category whose code or name matches s, ignoring case.
func (f *Framework) Category(s string) (*Category, error) {
	for i := range f.Categories {
		c := &f.Categories[i]
		if strings.EqualFold(c.Code, s) || strings.EqualFold(c.Name, s) {
			return c, nil
		}
	}
	names := make([]string, len(f.Categories))
	for i, c := range f.Categories {
		names[i] = c.Code + " (" + c.Name + ")"
	}
	return nil, invalidChoice("category", s, names)
}

// SubContext returns the sub-context of c that matches s, ignoring case. A
// sub-context may also be named by a unique prefix ("ttop" for "TTOP - TableTop").
func (c *Category) SubContext(s string) (string, error) {
	if v, ok := matchName(c.SubContexts, s); ok {
		return v, nil
	}
	return "", invalidChoice("sub-context of "+c.Code, s, c.SubContexts)
}

// Severity returns the severity whose code or name matches s ("3", "high").
func (f *Framework) Severity(s string) (Choice, error) {
	return findChoice("severity", f.Severities, s)
}

// SeverityName returns the name of severity level n, or its number as text.
func (f *Framework) SeverityName(n int) string {
	for _, c := range f.Severities {
		if c.Code == strconv.Itoa(n) {
			return c.Name
		}
	}
	return strconv.Itoa(n)
}

// Tier returns the tier whose code or name matches s ("t2", "Critical Devices").
func (f *Framework) Tier(s string) (Choice, error) { return findChoice("tier", f.Tiers, s) }

// Zone returns the configured zone matching s, ignoring case.
func (f *Framework) Zone(s string) (string, error) { return findName("zone", f.Zones, s) }

// BusinessUnit returns the configured business unit matching s, ignoring case.
func (f *Framework) BusinessUnit(s string) (string, error) {
	return findName("business unit", f.BusinessUnits, s)
}

// TLPLevel returns the canonical TLP name matching s ("amber" gives "AMBER";
// "WHITE", TLP 1.0's name for CLEAR, is accepted).
func (f *Framework) TLPLevel(s string) (string, error) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "TLP:")
	if s == "WHITE" {
		s = "CLEAR"
	}
	return findName("TLP", f.TLP, s)
}

// PAPLevel returns the canonical PAP name matching s.
func (f *Framework) PAPLevel(s string) (string, error) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "PAP:")
	if s == "WHITE" {
		s = "CLEAR"
	}
	return findName("PAP", f.PAP, s)
}

// TLPRank returns the position of a TLP name in the framework's order (CLEAR
// is 0), or -1 when unknown. Higher is more restricted.
func (f *Framework) TLPRank(tlp string) int {
	for i, t := range f.TLP {
		if strings.EqualFold(t, tlp) {
			return i
		}
	}
	return -1
}

func findChoice(what string, cs []Choice, s string) (Choice, error) {
	for _, c := range cs {
		if strings.EqualFold(c.Code, s) || strings.EqualFold(c.Name, s) {
			return c, nil
		}
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Code + " (" + c.Name + ")"
	}
	return Choice{}, invalidChoice(what, s, names)
}

func findName(what string, names []string, s string) (string, error) {
	if v, ok := matchName(names, s); ok {
		return v, nil
	}
	return "", invalidChoice(what, s, names)
}

// matchName matches s against names ignoring case, then as a unique prefix.
func matchName(names []string, s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	var found string
	for _, n := range names {
		if len(n) >= len(s) && strings.EqualFold(n[:len(s)], s) {
			if found != "" {
				return "", false
			}
			found = n
		}
	}
	return found, found != ""
}

func invalidChoice(what, got string, allowed []string) *Error {
	if len(allowed) == 0 {
		return Errorf(EINVALID, "no %s is configured, so %q cannot be used", what, got)
	}
	if got == "" {
		return Errorf(EINVALID, "a %s is required; allowed: %s", what, strings.Join(allowed, ", "))
	}
	return Errorf(EINVALID, "unknown %s %q; allowed: %s", what, got, strings.Join(allowed, ", "))
}

// Check reports every inconsistency of the framework: empty lists, duplicate
// codes or names, severities outside 1-4. Each problem carries its path in
// the configuration file ("framework.zones[2]"), so that the loader can name
// the line.
func (f *Framework) Check() []Problem {
	var p []Problem
	add := func(path, format string, args ...any) {
		p = append(p, Problem{Path: "framework." + path, Message: fmt.Sprintf(format, args...)})
	}
	if len(f.Categories) == 0 {
		add("categories", "at least one category is required")
	}
	seen := map[string]bool{}
	for i, c := range f.Categories {
		if c.Code == "" || c.Name == "" {
			add(fmt.Sprintf("categories[%d]", i), "a category needs both a code and a name")
		}
		if k := strings.ToUpper(c.Code); seen[k] {
			add(fmt.Sprintf("categories[%d].code", i), "duplicate category %q", c.Code)
		}
		seen[strings.ToUpper(c.Code)] = true
		p = append(p, duplicates(fmt.Sprintf("framework.categories[%d].subcontexts", i), "sub-context", c.SubContexts)...)
	}
	if len(f.Severities) == 0 {
		add("severities", "at least one severity is required")
	}
	for i, s := range f.Severities {
		if n, err := strconv.Atoi(s.Code); err != nil || n < 1 || n > 4 {
			add(fmt.Sprintf("severities[%d].code", i), "severity code %q must be a level from 1 to 4", s.Code)
		}
	}
	if len(f.TLP) == 0 {
		add("tlp", "at least one TLP level is required")
	}
	p = append(p, duplicates("framework.tiers", "tier", choiceCodes(f.Tiers))...)
	p = append(p, duplicates("framework.tlp", "TLP level", f.TLP)...)
	p = append(p, duplicates("framework.pap", "PAP level", f.PAP)...)
	p = append(p, duplicates("zones", "zone", f.Zones)...)
	p = append(p, duplicates("business_units", "business unit", f.BusinessUnits)...)
	return p
}

func choiceCodes(cs []Choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

// duplicates reports empty and repeated names of a list, compared ignoring case.
func duplicates(path, what string, names []string) []Problem {
	var p []Problem
	seen := map[string]bool{}
	for i, n := range names {
		k := strings.ToUpper(strings.TrimSpace(n))
		at := fmt.Sprintf("%s[%d]", path, i)
		if k == "" {
			p = append(p, Problem{Path: at, Message: "empty " + what})
		} else if seen[k] {
			p = append(p, Problem{Path: at, Message: fmt.Sprintf("duplicate %s %q", what, n)})
		}
		seen[k] = true
	}
	return p
}
