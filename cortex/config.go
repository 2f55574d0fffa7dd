package cortex

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/httpapi"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultTimeout = 15 * time.Second
	DefaultWait    = 20 * time.Second
	DefaultPoll    = 10 * time.Second
	DefaultGiveUp  = time.Hour
	DefaultMaxTLP  = TLPAmber
	DefaultEnrich  = TLPAmber // both the TLP and the PAP of enrich's look-ups
)

// Config describes how drone reaches Cortex and which analyzers it runs.
type Config struct {
	// URL is Cortex's base URL, such as https://cortex.example.org:9001. It
	// may carry a path prefix. Empty (the default) leaves Cortex off.
	URL string `yaml:"url"`
	// APIKey is the API key of the Cortex user drone acts as (a user with
	// the analyze role). No default; required when URL is set.
	APIKey string `yaml:"api_key"`
	// VerifyTLS turns the verification of Cortex's certificate off when
	// false. Defaults to true.
	VerifyTLS *bool `yaml:"verify_tls"`
	// CAFile is a PEM file of CA certificates trusted besides the system's.
	// Defaults to none.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds each request other than waitreport, answer included.
	// Defaults to 15s.
	Timeout time.Duration `yaml:"timeout"`
	// Wait is how long one waitreport request lets Cortex hold the answer
	// while the analyzer works (its atMost). Keep it below queue.job_timeout.
	// Defaults to 20s.
	Wait time.Duration `yaml:"wait"`
	// Poll is how long a job whose analysis is still running sleeps before
	// asking again. Defaults to 10s.
	Poll time.Duration `yaml:"poll"`
	// GiveUp is how long after it was queued an analysis may still be
	// running before drone stops waiting for it (and records so on the
	// timeline). Defaults to 1h.
	GiveUp time.Duration `yaml:"give_up"`
	// Analyzers are the analyzers run on new observables. Defaults to none:
	// Cortex is reachable (check, enrich finds nothing) but analyses nothing.
	Analyzers []Analyzer `yaml:"analyzers"`
	// EnrichTLP is the TLP an indicator asked about with the enrich
	// command is given, since it has no incident: only analyzers whose
	// max_tlp admits it run. Defaults to AMBER.
	EnrichTLP string `yaml:"enrich_tlp"`
	// EnrichPAP is the PAP such an indicator is given. Defaults to AMBER:
	// analyzers that stay inside or query third parties run, never active
	// ones; GREEN lets the command run active analyzers too.
	EnrichPAP string `yaml:"enrich_pap"`
}

// Analyzer is one Cortex analyzer drone runs, and what it may be given.
type Analyzer struct {
	// Name is the analyzer's name in Cortex (AbuseIPDB_1_0), or its id.
	// Required.
	Name string `yaml:"name"`
	// DataTypes are Cortex data types (ip, domain, url, mail, hash,
	// filename, fqdn, registry, autonomous-system, other) of the
	// observables it runs on. Required.
	DataTypes []string `yaml:"data_types"`
	// Reach says whom the analyzer contacts about an indicator, which is
	// what PAP rules: internal (nothing outside the organisation: a local
	// MISP, a YARA scan), passive (a third-party service is asked about
	// it: VirusTotal, AbuseIPDB, DomainTools), or active (the indicator
	// itself is touched: a URL fetched, a host scanned, a sample
	// detonated online). Required: drone does not guess whether an
	// analyzer leaks.
	Reach Reach `yaml:"reach"`
	// MaxTLP is the most restricted TLP of data the analyzer may be given
	// (CLEAR, GREEN, AMBER, AMBER+STRICT, RED). Defaults to AMBER.
	MaxTLP string `yaml:"max_tlp"`
}

// Enabled reports whether Cortex is configured at all (URL is set).
func (c Config) Enabled() bool { return c.URL != "" }

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.VerifyTLS == nil {
		v := true
		c.VerifyTLS = &v
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&c.Timeout, DefaultTimeout)
	set(&c.Wait, DefaultWait)
	set(&c.Poll, DefaultPoll)
	set(&c.GiveUp, DefaultGiveUp)
	if c.EnrichTLP == "" {
		c.EnrichTLP = DefaultEnrich
	}
	if c.EnrichPAP == "" {
		c.EnrichPAP = DefaultEnrich
	}
	as := make([]Analyzer, len(c.Analyzers))
	for i, a := range c.Analyzers {
		if a.MaxTLP == "" {
			a.MaxTLP = DefaultMaxTLP
		}
		a.MaxTLP = canonical(a.MaxTLP)
		as[i] = a
	}
	c.Analyzers = as
	c.EnrichTLP, c.EnrichPAP = canonical(c.EnrichTLP), canonical(c.EnrichPAP)
	return c
}

// Validate returns every problem of an enabled configuration, joined; a
// disabled one (no URL) is valid.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("cortex."+format, args...)) }
	if err := httpapi.CheckURL(c.URL, "api_key"); err != nil {
		add("url: %v", err)
	}
	if c.APIKey == "" {
		add("api_key: required when cortex.url is set")
	}
	for name, d := range map[string]time.Duration{"timeout": c.Timeout, "wait": c.Wait, "poll": c.Poll, "give_up": c.GiveUp} {
		if d < 0 {
			add("%s: %v is negative", name, d)
		}
	}
	if c.CAFile != "" {
		if c.VerifyTLS != nil && !*c.VerifyTLS {
			add("ca_file: set while verify_tls is false; drop one of them")
		}
		if _, err := httpapi.LoadCA(c.CAFile); err != nil {
			add("ca_file: %v", err)
		}
	}
	if c.EnrichTLP != "" && tlpRank(c.EnrichTLP) < 0 {
		add("enrich_tlp: %q is not a TLP (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)", c.EnrichTLP)
	}
	if c.EnrichPAP != "" && papRank(c.EnrichPAP) < 0 {
		add("enrich_pap: %q is not a PAP (CLEAR, GREEN, AMBER, RED)", c.EnrichPAP)
	}
	errs = append(errs, checkAnalyzers(c.Analyzers)...)
	return errors.Join(errs...)
}

func checkAnalyzers(as []Analyzer) []error {
	var errs []error
	seen := map[string]bool{}
	for i, a := range as {
		at := fmt.Sprintf("cortex.analyzers[%d]", i)
		add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(at+format, args...)) }
		switch {
		case a.Name == "":
			add(".name: required (the analyzer's name in Cortex, such as AbuseIPDB_1_0, or its id)")
		case seen[a.Name]:
			add(".name: %s is listed twice", a.Name)
		}
		seen[a.Name] = true
		if len(a.DataTypes) == 0 {
			add(".data_types: required (Cortex data types such as ip, domain, url, hash)")
		}
		for _, t := range a.DataTypes {
			if !knownDataType(t) {
				add(".data_types: %q is not a data type drone sends (%s)", t, strings.Join(DataTypes(), ", "))
			}
		}
		if !a.Reach.valid() {
			add(".reach: %q must be internal, passive or active (whom the analyzer contacts; PAP rules on it)", a.Reach)
		}
		if a.MaxTLP != "" && tlpRank(a.MaxTLP) < 0 {
			add(".max_tlp: %q is not a TLP (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)", a.MaxTLP)
		}
	}
	return errs
}

// dataTypes maps drone's indicator types to Cortex's data types; a type
// missing here is never sent.
var dataTypes = map[ioc.Type]string{
	ioc.IPv4: "ip", ioc.IPv6: "ip", ioc.Domain: "domain", ioc.URL: "url", ioc.Email: "mail",
	ioc.MD5: "hash", ioc.SHA1: "hash", ioc.SHA256: "hash", ioc.SHA512: "hash",
	ioc.File: "filename", ioc.Registry: "registry", ioc.ASN: "autonomous-system",
	ioc.CVE: "other", ioc.Bitcoin: "other", ioc.Other: "other",
}

// DataType returns Cortex's data type of an indicator type, or "" when
// drone sends none of that type.
func DataType(t ioc.Type) string { return dataTypes[t] }

// DataTypes returns the Cortex data types drone sends, sorted.
func DataTypes() []string {
	seen := map[string]bool{"fqdn": true} // a domain is sent as domain and as fqdn
	for _, d := range dataTypes {
		seen[d] = true
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

func knownDataType(t string) bool { return slices.Contains(DataTypes(), t) }

// takes reports whether an analyzer configured for types takes an
// indicator of type t, and as which Cortex data type.
func (a Analyzer) takes(t ioc.Type) (string, bool) {
	dt := DataType(t)
	if dt == "" {
		return "", false
	}
	for _, want := range a.DataTypes {
		if want == dt {
			return dt, true
		}
		if want == "fqdn" && dt == "domain" {
			return "fqdn", true
		}
	}
	return "", false
}
