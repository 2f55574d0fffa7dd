// Package config loads drone's configuration: defaults, then the YAML file,
// then environment variables. Secrets never sit in the file: any string may
// be "${VAR}" (an environment variable) or "${file:/path}" (a file's content).
// Every problem is reported at once, each with its file and line.
package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/bot/discord"
	"github.com/ttp0/drone/bot/mailbox"
	"github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/jira"
	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/notify"
	"github.com/ttp0/drone/review"
	"github.com/ttp0/drone/servicenow"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/tds"
)

// Config is drone's whole configuration.
type Config struct {
	// Organisation is the organisation's name. Defaults to "Example Org".
	Organisation string `yaml:"organisation"`
	// SOC names the security operations team and its mailbox.
	SOC SOC `yaml:"soc"`
	// Framework holds the DRONE lists: categories with sub-contexts,
	// severities, tiers, TLP and PAP. Defaults to the original's; a list
	// given in the file replaces the default list.
	Framework drone.Framework `yaml:"framework"`
	// Zones are the organisation's network or geographic zones. Defaults to none.
	Zones []string `yaml:"zones"`
	// BusinessUnits are the organisation's business units; VARIOUS is
	// always added, as the original did.
	BusinessUnits []string `yaml:"business_units"`
	// Defaults apply when a declaration leaves a field out.
	Defaults Defaults `yaml:"defaults"`
	// Targets are the promised times per severity name (LOW..CRITICAL).
	// Defaults to drone.DefaultTargets.
	Targets map[string]Target `yaml:"targets"`
	// Internal lists the organisation's own domains and networks: indicators
	// there are kept but marked internal and get no look-up links.
	Internal Internal `yaml:"internal"`
	// Allowlist holds known-benign values that are never added as indicators.
	Allowlist []string `yaml:"allowlist"`
	// Roles say who may do what. Defaults to: anyone may declare and add
	// indicators; nobody else may do anything but the local operator.
	Roles drone.Roles `yaml:"roles"`
	// Database is the SQLite file, or a postgres:// (postgresql://) URL of
	// a PostgreSQL database. Defaults to data/drone.db; DRONE_DB overrides it.
	Database string `yaml:"database" env:"DRONE_DB"`
	// HTTP configures drone serve's listener.
	HTTP HTTP `yaml:"http"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// Queue tunes the job workers.
	Queue store.QueueConfig `yaml:"queue"`
	// Hive connects drone to TheHive.
	Hive hive.Config `yaml:"hive"`
	// Cortex runs Cortex analyzers on new observables and for the enrich
	// command.
	Cortex cortex.Config `yaml:"cortex"`
	// MISP looks indicators up in MISP and exports incidents to it.
	MISP misp.Config `yaml:"misp"`
	// Jira files follow-up actions (and optionally incidents) as Jira
	// issues.
	Jira jira.Config `yaml:"jira"`
	// ServiceNow files follow-up actions (and optionally incidents) as
	// records of a ServiceNow table.
	ServiceNow servicenow.Config `yaml:"servicenow"`
	// Slack connects drone to a Slack workspace.
	Slack slack.Config `yaml:"slack"`
	// Discord connects drone to a Discord application.
	Discord discord.Config `yaml:"discord"`
	// Notify routes incident events to channels and e-mail; its inbound
	// part is the phishing mailbox.
	Notify Notify `yaml:"notify"`
	// TDS locates the threat library and the log-source inventory.
	TDS tds.Config `yaml:"tds"`
	// Review configures the post-incident review: its template, and
	// whether resolving an incident drafts it.
	Review review.Config `yaml:"review"`
	// Web configures the web console (config/web.go).
	Web Web `yaml:"web"`
}

// Notify is the notify section of the file: the notifier's settings and,
// under inbound, the phishing mailbox's, an input adapter of its own
// (bot/mailbox) whose settings stay where configurations have them.
type Notify struct {
	notify.Config `yaml:",inline"`
	// Inbound is the phishing-report mailbox. Defaults to off.
	Inbound mailbox.Config `yaml:"inbound"`
}

// SOC names the security operations team.
type SOC struct {
	// Name defaults to "SOC".
	Name string `yaml:"name"`
	// Email is the SOC's mailbox. Defaults to none.
	Email string `yaml:"email"`
}

// Defaults are the values a declaration gets when it names none.
type Defaults struct {
	// TLP defaults to AMBER.
	TLP string `yaml:"tlp"`
	// PAP defaults to AMBER.
	PAP string `yaml:"pap"`
}

// Target is a promised time per severity, as durations ("15m", "4h").
type Target struct {
	Acknowledge time.Duration `yaml:"acknowledge"`
	Update      time.Duration `yaml:"update"`
	Resolve     time.Duration `yaml:"resolve"`
}

// Internal lists what belongs to the organisation.
type Internal struct {
	// Domains are the organisation's domains; their sub-domains count too.
	Domains []string `yaml:"domains"`
	// CIDRs are the organisation's networks besides RFC 1918, loopback and
	// link-local, which are always internal.
	CIDRs []string `yaml:"cidrs"`
}

// HTTP configures the HTTP listener of drone serve.
type HTTP struct {
	// Addr is HOST:PORT. Defaults to 127.0.0.1:8080; DRONE_HTTP_ADDR or
	// --addr override it.
	Addr string `yaml:"addr"`
	// ShutdownGrace is how long running jobs may take to finish on SIGTERM.
	// Defaults to 30s.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error. Defaults to info.
	Level string `yaml:"level"`
	// Format is text or json. Defaults to text on a terminal, json otherwise.
	Format string `yaml:"format"`
}

// Default returns the configuration drone runs with when no file is given.
func Default() *Config {
	return &Config{
		Organisation: "Example Org",
		SOC:          SOC{Name: "SOC"},
		Framework:    drone.DefaultFramework(),
		Roles:        drone.DefaultRoles(),
		Database:     "data/drone.db",
		HTTP:         HTTP{Addr: "127.0.0.1:8080", ShutdownGrace: 30 * time.Second},
		Log:          Log{Level: "info"},
		Defaults:     Defaults{TLP: "AMBER", PAP: "AMBER"},
	}
}

// finish completes a loaded configuration's framework: unset lists take the
// defaults, the framework gets the zones and business units, and VARIOUS is
// added.
func (c *Config) finish() {
	def := drone.DefaultFramework()
	if len(c.Framework.Categories) == 0 {
		c.Framework.Categories = def.Categories
	}
	if len(c.Framework.Severities) == 0 {
		c.Framework.Severities = def.Severities
	}
	if len(c.Framework.Tiers) == 0 {
		c.Framework.Tiers = def.Tiers
	}
	if len(c.Framework.TLP) == 0 {
		c.Framework.TLP = def.TLP
	}
	if len(c.Framework.PAP) == 0 {
		c.Framework.PAP = def.PAP
	}
	c.Framework.Zones = c.Zones
	c.Framework.BusinessUnits = c.BusinessUnits
	hasVarious := false
	for _, b := range c.BusinessUnits {
		hasVarious = hasVarious || strings.EqualFold(b, "VARIOUS")
	}
	if !hasVarious {
		c.Framework.BusinessUnits = append(append([]string(nil), c.BusinessUnits...), "VARIOUS")
	}
}

// applyDefaults gives every unset setting of the sections their default,
// once, where the configuration is loaded: what reads a loaded Config (the
// adapters, the commands) sees complete sections. It runs after check, so
// that check sees the values as written (a negative
// discord.requests_per_second is reported, not replaced by 50).
func (c *Config) applyDefaults() {
	c.Queue = c.Queue.WithDefaults()
	c.Hive = c.Hive.WithDefaults()
	c.Cortex = c.Cortex.WithDefaults()
	c.MISP = c.MISP.WithDefaults()
	c.Jira = c.Jira.WithDefaults()
	c.ServiceNow = c.ServiceNow.WithDefaults()
	c.Slack = c.Slack.WithDefaults()
	c.Discord = c.Discord.WithDefaults()
	c.Notify.Config = c.Notify.Config.WithDefaults()
	c.Notify.Inbound = c.Notify.Inbound.WithDefaults()
	c.Notify.Mailbox = c.Notify.Inbound.Enabled()
}

// TargetsBySeverity returns the targets keyed by severity level, starting
// from drone's defaults.
func (c *Config) TargetsBySeverity() drone.Targets {
	t := drone.DefaultTargets()
	for name, v := range c.Targets {
		sev, err := c.Framework.Severity(name)
		if err != nil {
			continue // reported by check
		}
		if n, err := strconv.Atoi(sev.Code); err == nil {
			t[n] = drone.Target(v)
		}
	}
	return t
}

// ExtractorOptions returns the indicator extractor's view of the organisation.
func (c *Config) ExtractorOptions() ioc.Options {
	opts := ioc.Options{InternalDomains: c.Internal.Domains, Allow: c.Allowlist}
	for _, s := range c.Internal.CIDRs {
		if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			opts.InternalNets = append(opts.InternalNets, p)
		}
	}
	return opts
}

// check returns every inconsistency, located by its path in the file.
func (c *Config) check() []drone.Problem {
	p := c.Framework.Check()
	p = append(p, c.Roles.Check()...)
	if _, err := c.Framework.TLPLevel(c.Defaults.TLP); err != nil {
		p = append(p, drone.Problem{Path: "defaults.tlp", Message: drone.ErrorMessage(err)})
	}
	if _, err := c.Framework.PAPLevel(c.Defaults.PAP); err != nil {
		p = append(p, drone.Problem{Path: "defaults.pap", Message: drone.ErrorMessage(err)})
	}
	for name, t := range c.Targets {
		at := "targets." + name
		if _, err := c.Framework.Severity(name); err != nil {
			p = append(p, drone.Problem{Path: at, Message: drone.ErrorMessage(err)})
		}
		if t.Acknowledge < 0 || t.Update < 0 || t.Resolve < 0 {
			p = append(p, drone.Problem{Path: at, Message: "durations must not be negative"})
		}
	}
	for i, s := range c.Internal.CIDRs {
		if _, err := netip.ParsePrefix(strings.TrimSpace(s)); err != nil {
			p = append(p, drone.Problem{Path: fmt.Sprintf("internal.cidrs[%d]", i),
				Message: fmt.Sprintf("%q is not a CIDR such as 10.0.0.0/8", s)})
		}
	}
	if c.Database == "" {
		p = append(p, drone.Problem{Path: "database", Message: "a database path is required"})
	}
	if _, _, err := splitHostPort(c.HTTP.Addr); err != nil {
		p = append(p, drone.Problem{Path: "http.addr", Message: err.Error()})
	}
	if c.Hive.Enabled() {
		p = append(p, sectionProblems("hive", c.Hive.Validate())...)
	}
	p = append(p, sectionProblems("cortex", c.Cortex.Validate())...)
	p = append(p, sectionProblems("misp", c.MISP.Validate())...)
	p = append(p, sectionProblems("jira", c.Jira.Validate())...)
	p = append(p, sectionProblems("servicenow", c.ServiceNow.Validate())...)
	p = append(p, sectionProblems("slack", c.Slack.Validate())...)
	p = append(p, sectionProblems("discord", c.Discord.Validate())...)
	p = append(p, sectionProblems("notify", c.Notify.ValidateFor(c.Framework,
		map[string]bool{"slack": c.Slack.Enabled(), "discord": c.Discord.Enabled()}))...)
	p = append(p, sectionProblems("notify", c.Notify.Inbound.Validate())...)
	p = append(p, sectionProblems("review", c.Review.Validate())...)
	p = append(p, c.Web.check(c.Framework)...)
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Log.Level)); err != nil {
		p = append(p, drone.Problem{Path: "log.level", Message: fmt.Sprintf("%q must be debug, info, warn or error", c.Log.Level)})
	}
	if f := c.Log.Format; f != "" && f != "text" && f != "json" {
		p = append(p, drone.Problem{Path: "log.format", Message: fmt.Sprintf("%q must be text or json", f)})
	}
	return p
}

// sectionProblems turns a section's Validate error (one problem per line)
// into problems located at the section.
func sectionProblems(section string, err error) []drone.Problem {
	if err == nil {
		return nil
	}
	var p []drone.Problem
	for _, line := range strings.Split(err.Error(), "\n") {
		p = append(p, drone.Problem{Path: section, Message: line})
	}
	return p
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", 0, fmt.Errorf("%q must be HOST:PORT, such as 127.0.0.1:8080", addr)
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q must end with a port number from 0 to 65535", addr)
	}
	return addr[:i], port, nil
}
