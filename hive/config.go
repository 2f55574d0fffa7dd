package hive

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ttp0/drone/httpapi"
)

// API versions a Client can speak.
const (
	// APIv1 is TheHive 5's API under /api/v1.
	APIv1 = "v1"
	// APIv0 is TheHive 4's legacy API under /api (TheHive 3 compatible).
	APIv0 = "v0"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultRate    = 10.0
	DefaultTimeout = 15 * time.Second
)

// The drone field names that Config.CustomFields maps to TheHive custom fields.
const (
	FieldZone         = "zone"
	FieldBusinessUnit = "business_unit"
	FieldTier         = "tier"
)

// Config describes how drone reaches TheHive.
type Config struct {
	// URL is TheHive's base URL, such as https://thehive.example.org. It may
	// carry a path prefix. Empty (the default) leaves TheHive disabled.
	URL string `yaml:"url"`
	// APIKey is the API key of the TheHive user drone acts as. No default;
	// required when URL is set.
	APIKey string `yaml:"api_key"`
	// Organisation is sent as X-Organisation. Defaults to empty: the user's
	// default organisation.
	Organisation string `yaml:"organisation"`
	// API is "v1" for TheHive 5 or "v0" for TheHive 4's legacy routes.
	// Defaults to "v1".
	API string `yaml:"api"`
	// VerifyTLS turns the verification of TheHive's certificate off when
	// false. Defaults to true.
	VerifyTLS *bool `yaml:"verify_tls"`
	// CAFile is a PEM file of CA certificates trusted besides the system's.
	// Defaults to none.
	CAFile string `yaml:"ca_file"`
	// Rate limits requests per second on the client side; 0 turns the limit
	// off. Defaults to 10.
	Rate *float64 `yaml:"rate"`
	// Timeout bounds each request, response body included. Defaults to 15s.
	Timeout time.Duration `yaml:"timeout"`
	// CustomFields maps drone's field names (zone, business_unit, tier) to
	// the internal names of the organisation's custom fields. Defaults to
	// none: no custom field is set.
	CustomFields map[string]string `yaml:"custom_fields"`
	// CaseTemplates maps a category code (CAT1) to the name of the case
	// template to create its cases from. Defaults to none.
	CaseTemplates map[string]string `yaml:"case_templates"`
	// Users maps a chat identity ("slack:U024BE7LH", as an incident's lead
	// is named) to a TheHive login, for assignees. Defaults to none: cases
	// keep the assignee TheHive gave them.
	Users map[string]string `yaml:"users"`
	// Playbooks maps a category code ("CAT1") or a category and sub-context
	// ("CAT1/Phishing") to the titles of the tasks a new case gets. An entry
	// replaces the default playbook of that key; the most specific key wins.
	// Defaults to DefaultPlaybooks.
	Playbooks map[string][]string `yaml:"playbooks"`
}

// Enabled reports whether TheHive is configured at all (URL is set).
func (c Config) Enabled() bool { return c.URL != "" }

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.API == "" {
		c.API = APIv1
	}
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
	return c
}

// Validate returns every problem of an enabled configuration, joined; a
// disabled one (no URL) is valid.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("hive."+format, args...)) }
	if err := httpapi.CheckURL(c.URL, "api_key"); err != nil {
		add("url: %v", err)
	}
	if c.APIKey == "" {
		add("api_key: required when hive.url is set")
	}
	if c.API != "" && c.API != APIv1 && c.API != APIv0 {
		add("api: %q is neither %q nor %q", c.API, APIv1, APIv0)
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
	errs = append(errs, checkMaps(c)...)
	return errors.Join(errs...)
}

func checkMaps(c Config) []error {
	var errs []error
	for k, v := range c.CustomFields {
		if k != FieldZone && k != FieldBusinessUnit && k != FieldTier {
			errs = append(errs, fmt.Errorf("hive.custom_fields: unknown drone field %q (want %s, %s or %s)", k, FieldZone, FieldBusinessUnit, FieldTier))
		}
		if v == "" {
			errs = append(errs, fmt.Errorf("hive.custom_fields.%s: empty custom field name", k))
		}
	}
	for k, v := range c.CaseTemplates {
		if k == "" || v == "" {
			errs = append(errs, fmt.Errorf("hive.case_templates: empty category %q or template name %q", k, v))
		}
	}
	for k, v := range c.Users {
		if k == "" || v == "" {
			errs = append(errs, fmt.Errorf("hive.users: empty chat identity %q or login %q", k, v))
		}
	}
	return append(errs, checkPlaybooks(c.Playbooks)...)
}
