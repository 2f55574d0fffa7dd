package misp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ttp0/drone/httpapi"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultRate         = 5.0
	DefaultTimeout      = 10 * time.Second
	DefaultCacheTTL     = time.Hour
	DefaultExportMaxTLP = "AMBER"
	DefaultExportMaxPAP = "AMBER"
)

// Config describes how drone reaches MISP and what it may send there.
type Config struct {
	// URL is MISP's base URL, such as https://misp.example.org. Empty (the
	// default) leaves MISP disabled.
	URL string `yaml:"url"`
	// Key is the automation key of the MISP user drone acts as, sent in
	// the Authorization header. No default; required when URL is set.
	Key string `yaml:"key"`
	// VerifyTLS turns the verification of MISP's certificate off when
	// false. Defaults to true.
	VerifyTLS *bool `yaml:"verify_tls"`
	// CAFile is a PEM file of CA certificates trusted besides the system's.
	// Defaults to none.
	CAFile string `yaml:"ca_file"`
	// Timeout bounds each request, response body included. Defaults to 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Rate limits requests per second on the client side; 0 turns the
	// limit off. Defaults to 5.
	Rate *float64 `yaml:"rate"`
	// CacheTTL is how long a look-up's answer is reused before MISP is
	// asked again; 0 keeps the default, a negative value turns the cache
	// off. Defaults to 1h.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// Sightings adds a sighting to MISP for each attribute an incident's
	// indicator matched, once per incident and attribute. Defaults to false.
	Sightings bool `yaml:"sightings"`
	// LookupInternal looks the organisation's own values (private
	// addresses, its domains) up too. Defaults to false: they stay in drone.
	LookupInternal bool `yaml:"lookup_internal"`
	// Export says when an incident may become a MISP event.
	Export ExportConfig `yaml:"export"`
}

// ExportConfig says which incidents may be exported as MISP events, and how.
type ExportConfig struct {
	// MaxTLP is the highest incident TLP that may be exported; an
	// incident or indicator above it never reaches MISP. RED is refused
	// whatever this says unless AllowRed is set. Defaults to AMBER.
	MaxTLP string `yaml:"max_tlp"`
	// MaxPAP is the highest incident PAP that may be exported. Defaults to
	// AMBER: a PAP:RED incident stays in drone.
	MaxPAP string `yaml:"max_pap"`
	// AllowRed lets MaxTLP be RED. Defaults to false.
	AllowRed bool `yaml:"allow_red"`
	// Distribution is the MISP distribution of exported events: 0 your
	// organisation only, 1 this community, 2 connected communities, 3 all.
	// Defaults to 0.
	Distribution int `yaml:"distribution"`
	// OnClose exports every incident whose TLP and PAP allow it when it
	// is closed. Defaults to false: only drone misp export INC-n does.
	OnClose bool `yaml:"on_close"`
	// Tags are added to every exported event besides its TLP and drone's
	// own tags. Defaults to none.
	Tags []string `yaml:"tags"`
}

// Enabled reports whether MISP is configured at all (URL is set).
func (c Config) Enabled() bool { return c.URL != "" }

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.VerifyTLS == nil {
		v := true
		c.VerifyTLS = &v
	}
	if c.Rate == nil {
		r := DefaultRate
		c.Rate = &r
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.Export.MaxTLP == "" {
		c.Export.MaxTLP = DefaultExportMaxTLP
	}
	if c.Export.MaxPAP == "" {
		c.Export.MaxPAP = DefaultExportMaxPAP
	}
	c.Export.MaxTLP = level(c.Export.MaxTLP, "TLP:")
	c.Export.MaxPAP = level(c.Export.MaxPAP, "PAP:")
	return c
}

// level canonicalises a TLP or PAP name: "amber", "tlp:amber" give AMBER,
// TLP 1.0's WHITE gives CLEAR.
func level(s, prefix string) string {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), prefix)
	if s == "WHITE" {
		return "CLEAR"
	}
	return s
}

// Validate returns every problem of an enabled configuration, joined; a
// disabled one (no URL) is valid.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("misp."+format, args...)) }
	if err := httpapi.CheckURL(c.URL, "key"); err != nil {
		add("url: %v", err)
	}
	if c.Key == "" {
		add("key: required when misp.url is set")
	}
	if c.Rate != nil && (*c.Rate < 0 || math.IsNaN(*c.Rate) || math.IsInf(*c.Rate, 0)) {
		add("rate: %v is not a number of requests per second >= 0", *c.Rate)
	}
	if c.Timeout < 0 {
		add("timeout: %v is negative", c.Timeout)
	}
	if c.CAFile != "" {
		if c.VerifyTLS != nil && !*c.VerifyTLS {
			add("ca_file: set while verify_tls is false; drop one of them")
		}
		if _, err := httpapi.LoadCA(c.CAFile); err != nil {
			add("ca_file: %v", err)
		}
	}
	d := c.WithDefaults().Export
	if tlpRank(d.MaxTLP) < 0 {
		add("export.max_tlp: %q is not a TLP (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)", c.Export.MaxTLP)
	} else if d.MaxTLP == "RED" && !d.AllowRed {
		add("export.max_tlp: RED incidents must not leave drone; set export.allow_red: true if they really may")
	}
	if papRank(d.MaxPAP) < 0 {
		add("export.max_pap: %q is not a PAP (CLEAR, GREEN, AMBER, RED)", c.Export.MaxPAP)
	}
	if d.Distribution < 0 || d.Distribution > 3 {
		add("export.distribution: %d is not 0 (organisation), 1 (community), 2 (connected) or 3 (all)", d.Distribution)
	}
	return errors.Join(errs...)
}

var (
	tlpOrder = []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"}
	papOrder = []string{"CLEAR", "GREEN", "AMBER", "RED"}
)

// tlpRank is a TLP's place from CLEAR (0) to RED (4), -1 when unknown.
func tlpRank(s string) int { return rank(tlpOrder, level(s, "TLP:")) }

// papRank is a PAP's place from CLEAR (0) to RED (3), -1 when unknown.
func papRank(s string) int { return rank(papOrder, level(s, "PAP:")) }

func rank(order []string, s string) int {
	for i, v := range order {
		if v == s {
			return i
		}
	}
	return -1
}
