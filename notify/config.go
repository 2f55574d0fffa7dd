// Package notify fans incident events out to chat channels and e-mail,
// routed by severity, category, zone, business unit and TLP, renders them
// with the organisation's templates, sends the digests (whose report the
// measure package computes), and carries every message through the
// durable queue exactly once per (event, target).
//
// The flow: an operation records a timeline entry; the Planner turns it into
// one notify.deliver job per (event, target address) in the same
// transaction; the worker builds the notice, renders it for the medium, and
// records the message it sent, so that a retried job sends nothing twice.
package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify/email"
)

// Config holds the notification targets, the rules that route events to
// them, the media, the digests and the regulatory clocks.
type Config struct {
	// Targets are where messages go, each with its TLP clearance.
	// Defaults to none.
	Targets []Target `yaml:"targets"`
	// Rules route events to targets. Defaults to none: nothing is sent.
	Rules []Rule `yaml:"rules"`
	// Email is the SMTP relay of the e-mail medium. Defaults to off.
	Email email.Config `yaml:"email"`
	// Templates is a directory whose files replace the shipped templates
	// of the same name (configs/templates). Defaults to the shipped ones.
	Templates string `yaml:"templates"`
	// Digest schedules the digests sent by the rules with the digest event.
	Digest Digest `yaml:"digest"`
	// Regulatory holds the reporting deadlines of reportable incidents,
	// which the measures keep.
	Regulatory measure.Regulatory `yaml:"regulatory"`
	// Reminders say when the lead of an overdue update and the owner of a
	// follow-up action are reminded in the incident's channel, and when an
	// overdue update goes to the SOC (a missed target). See
	// measure.Reminders for each default.
	Reminders measure.Reminders `yaml:"reminders"`
	// SOC is the target told of deliveries that failed for good. Defaults
	// to none (they stay visible in drone queue list).
	SOC string `yaml:"soc"`
	// BatchWindow gathers indicators added within it into one message.
	// Defaults to 1m.
	BatchWindow time.Duration `yaml:"batch_window"`
	// SummaryTLP is the highest TLP of the incidents /drone summary lists
	// in a channel. Defaults to AMBER.
	SummaryTLP string `yaml:"summary_tlp"`
	// Mailbox, set by the loader (not in the file), says the phishing
	// mailbox (notify.inbound, bot/mailbox) is on: the notifier is then on
	// without rules, with the measures and /drone summary, as when it ran
	// the mailbox. Defaults to false.
	Mailbox bool `yaml:"-"`
}

// Target is a destination with its clearance.
type Target struct {
	// Name is how rules refer to the target.
	Name string `yaml:"name"`
	// Medium is email, slack or discord.
	Medium string `yaml:"medium"`
	// To lists the addresses: e-mail addresses, Slack channel ids, Discord
	// channel ids or webhook URLs.
	To []string `yaml:"to"`
	// Clearance is the highest TLP the target may receive. Required.
	Clearance string `yaml:"clearance"`
}

// Rule sends the events it matches to targets, for an audience.
type Rule struct {
	Name string `yaml:"name"`
	// Events are event kinds (see EventKinds), or "all".
	Events []string `yaml:"events"`
	// MinSeverity matches incidents at least this severe. Defaults to any.
	MinSeverity string `yaml:"min_severity"`
	// Categories, Zones and BusinessUnits, when set, match incidents with
	// one of the values. Default to any.
	Categories    []string `yaml:"categories"`
	Zones         []string `yaml:"zones"`
	BusinessUnits []string `yaml:"business_units"`
	// MaxTLP matches incidents whose TLP is at most this. Defaults to the
	// highest level; it must not exceed any target's clearance.
	MaxTLP string `yaml:"max_tlp"`
	// Targets are target names.
	Targets []string `yaml:"targets"`
	// Audience is responders (full detail, the default) or leaders (plain
	// language, no indicators).
	Audience string `yaml:"audience"`
}

// Digest schedules the leaders' digests.
type Digest struct {
	// Times are the times of day, "HH:MM", a digest goes out. Defaults to
	// none: no digest.
	Times []string `yaml:"times"`
	// TimeZone is the IANA zone of Times. Defaults to UTC.
	TimeZone string `yaml:"time_zone"`
	// Period is the time a digest covers. Defaults to 24h.
	Period time.Duration `yaml:"period"`
}

// Event kinds a rule can match.
const (
	EventDeclared     = "declared"
	EventAcknowledged = "acknowledged"
	EventLead         = "lead"
	EventUpdate       = "update"
	EventIndicators   = "indicators"
	EventContained    = "contained"
	EventResolved     = "resolved"
	EventClosed       = "closed"
	EventReopened     = "reopened"
	EventTargetMissed = "target_missed"
	EventReportable   = "reportable"
	EventReported     = "reported"
	EventReminder     = "reminder"
	EventDigest       = "digest"
)

// EventKinds lists the events rules match, in the order of an incident's life.
var EventKinds = []string{EventDeclared, EventAcknowledged, EventLead, EventUpdate, EventIndicators,
	EventContained, EventResolved, EventClosed, EventReopened, EventTargetMissed, EventReportable,
	EventReported, EventReminder, EventDigest}

// Enabled reports whether anything is configured: rules, regulatory
// clocks or the phishing mailbox (an input of its own, bot/mailbox, whose
// settings share the notify section).
func (c Config) Enabled() bool {
	return len(c.Rules) > 0 || len(c.Regulatory.Clocks) > 0 || c.Mailbox
}

// WithDefaults returns c with every unset field at its default, those of
// Email included.
func (c Config) WithDefaults() Config {
	c.Email = c.Email.WithDefaults()
	if c.BatchWindow <= 0 {
		c.BatchWindow = time.Minute
	}
	if c.SummaryTLP == "" {
		c.SummaryTLP = "AMBER"
	}
	if c.Digest.Period <= 0 {
		c.Digest.Period = 24 * time.Hour
	}
	if c.Digest.TimeZone == "" {
		c.Digest.TimeZone = "UTC"
	}
	c.Regulatory = c.Regulatory.WithDefaults()
	for i := range c.Rules {
		if c.Rules[i].Audience == "" {
			c.Rules[i].Audience = drone.AudienceResponders
		}
	}
	return c
}

// Validate reports every problem of the notification settings, one a line,
// against the default framework and with no chat medium on. ValidateFor
// checks against the organisation's framework and the media that are on.
func (c Config) Validate() error {
	return c.ValidateFor(drone.DefaultFramework(), map[string]bool{})
}

// ValidateFor reports every problem against the framework fw and the chat
// media that are on (media["slack"] is true when a Slack medium is
// configured; a nil map leaves chat media unchecked). Above all it refuses a rule that could
// send an incident to a target above the target's clearance.
func (c Config) ValidateFor(fw drone.Framework, media map[string]bool) error {
	v := validator{fw: fw, media: media, c: c.WithDefaults()}
	v.targets()
	v.rules()
	v.schedule()
	v.add(c.Email.Validate())
	if fw.TLPRank(v.c.SummaryTLP) < 0 {
		v.errf("notify.summary_tlp %q must be one of %s", v.c.SummaryTLP, strings.Join(fw.TLP, ", "))
	}
	if c.SOC != "" && v.target(c.SOC) == nil {
		v.errf("notify.soc: there is no target %q", c.SOC)
	}
	if c.Templates != "" {
		if _, err := NewTemplates(os.DirFS(c.Templates)); err != nil {
			v.errf("notify.templates: %v", err)
		}
	}
	return errors.Join(v.errs...)
}

type validator struct {
	fw    drone.Framework
	media map[string]bool
	c     Config
	errs  []error
}

func (v *validator) errf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}

func (v *validator) add(err error) {
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			v.errs = append(v.errs, errors.New(line))
		}
	}
}

func (v *validator) target(name string) *Target {
	for i := range v.c.Targets {
		if v.c.Targets[i].Name == name {
			return &v.c.Targets[i]
		}
	}
	return nil
}

func (v *validator) targets() {
	seen := map[string]bool{}
	for i, t := range v.c.Targets {
		at := fmt.Sprintf("notify.targets[%d] (%s)", i, t.Name)
		if t.Name == "" {
			v.errf("notify.targets[%d]: a name is required", i)
		} else if seen[t.Name] {
			v.errf("%s: the name is used twice", at)
		}
		seen[t.Name] = true
		if v.fw.TLPRank(t.Clearance) < 0 {
			v.errf("%s: clearance %q must be one of %s (the highest TLP the target may receive)", at, t.Clearance, strings.Join(v.fw.TLP, ", "))
		}
		if len(t.To) == 0 {
			v.errf("%s: to must list at least one address", at)
		}
		v.medium(at, t)
	}
}

// medium checks a target's medium is on and its addresses are of its kind.
func (v *validator) medium(at string, t Target) {
	switch t.Medium {
	case drone.MediumEmail:
		if !v.c.Email.Enabled() {
			v.errf("%s: sends by e-mail, but e-mail is off: set notify.email.host", at)
		}
		for _, a := range t.To {
			if _, err := mail.ParseAddress(a); err != nil {
				v.errf("%s: %q is not an e-mail address", at, a)
			}
		}
	case drone.MediumSlack, drone.MediumDiscord:
		if v.media != nil && !v.media[t.Medium] {
			v.errf("%s: sends to %s, but no %s medium is on: configure %s.bot_token (or remove the target)", at, t.Medium, t.Medium, t.Medium)
		}
		for _, a := range t.To {
			if msg := chatAddress(t.Medium, a); msg != "" {
				v.errf("%s: %q %s", at, a, msg)
			}
		}
	default:
		v.errf("%s: medium %q must be email, slack or discord", at, t.Medium)
	}
}

var (
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)
	snowflake      = regexp.MustCompile(`^[0-9]{15,21}$`)
)

// chatAddress says what is wrong with a Slack or Discord address: a channel
// id, or an incoming webhook's https URL (http only on loopback, where a
// local stand-in serves).
func chatAddress(medium, a string) string {
	if strings.Contains(a, "/") {
		u, err := url.Parse(a)
		if err != nil || u.Host == "" {
			return "is not a webhook URL"
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
			return "is not an https webhook URL"
		}
		return ""
	}
	if medium == drone.MediumSlack && !slackChannelID.MatchString(a) {
		return "is not a Slack channel id (C… or G…, under the channel's name in Slack) or webhook URL"
	}
	if medium == drone.MediumDiscord && !snowflake.MatchString(a) {
		return "is not a Discord channel id (Copy Channel ID in Discord's developer mode) or webhook URL"
	}
	return ""
}

func loopback(host string) bool {
	ip, err := netip.ParseAddr(host)
	return host == "localhost" || (err == nil && ip.IsLoopback())
}

func (v *validator) rules() {
	seen := map[string]bool{}
	for i, r := range v.c.Rules {
		at := fmt.Sprintf("notify.rules[%d] (%s)", i, r.Name)
		if r.Name == "" {
			v.errf("notify.rules[%d]: a name is required (drone notify test NAME uses it)", i)
		} else if seen[r.Name] {
			v.errf("%s: the name is used twice", at)
		}
		seen[r.Name] = true
		v.filters(at, r)
		if r.Audience != drone.AudienceResponders && r.Audience != drone.AudienceLeaders {
			v.errf("%s: audience %q must be responders or leaders", at, r.Audience)
		}
		if len(r.Targets) == 0 {
			v.errf("%s: targets must name at least one target", at)
		}
		v.clearance(at, r)
	}
}

func (v *validator) filters(at string, r Rule) {
	if len(r.Events) == 0 {
		v.errf("%s: events must list event kinds or all; kinds: %s", at, strings.Join(EventKinds, ", "))
	}
	for _, e := range r.Events {
		if e != "all" && !slices.Contains(EventKinds, e) {
			v.errf("%s: unknown event %q; kinds: all, %s", at, e, strings.Join(EventKinds, ", "))
		}
	}
	if r.MinSeverity != "" {
		if _, err := v.fw.Severity(r.MinSeverity); err != nil {
			v.errf("%s: min_severity: %s", at, drone.ErrorMessage(err))
		}
	}
	for _, c := range r.Categories {
		if _, err := v.fw.Category(c); err != nil {
			v.errf("%s: categories: %s", at, drone.ErrorMessage(err))
		}
	}
	for _, z := range r.Zones {
		if _, err := v.fw.Zone(z); len(v.fw.Zones) > 0 && err != nil {
			v.errf("%s: zones: %s", at, drone.ErrorMessage(err))
		}
	}
	for _, b := range r.BusinessUnits {
		if _, err := v.fw.BusinessUnit(b); len(v.fw.BusinessUnits) > 0 && err != nil {
			v.errf("%s: business_units: %s", at, drone.ErrorMessage(err))
		}
	}
	if r.MaxTLP != "" && v.fw.TLPRank(r.MaxTLP) < 0 {
		v.errf("%s: max_tlp %q must be one of %s", at, r.MaxTLP, strings.Join(v.fw.TLP, ", "))
	}
}

// clearance refuses a rule whose TLP ceiling is above one of its targets'
// clearance: such a rule could send an incident the target may not see.
func (v *validator) clearance(at string, r Rule) {
	ceiling := len(v.fw.TLP) - 1
	if r.MaxTLP != "" {
		ceiling = v.fw.TLPRank(r.MaxTLP)
	}
	for _, name := range r.Targets {
		t := v.target(name)
		if t == nil {
			v.errf("%s: there is no target %q", at, name)
			continue
		}
		if cl := v.fw.TLPRank(t.Clearance); cl >= 0 && ceiling > cl {
			v.errf("%s: could send TLP:%s incidents to %s, which is cleared only to TLP:%s: set max_tlp: %s on the rule or raise the target's clearance",
				at, v.fw.TLP[ceiling], name, t.Clearance, t.Clearance)
		}
	}
}

func (v *validator) schedule() {
	if _, err := time.LoadLocation(v.c.Digest.TimeZone); err != nil {
		v.errf("notify.digest.time_zone %q is not an IANA time zone such as Europe/Paris", v.c.Digest.TimeZone)
	}
	for _, s := range v.c.Digest.Times {
		if _, err := time.Parse("15:04", s); err != nil {
			v.errf("notify.digest.times: %q must be HH:MM", s)
		}
	}
	for _, name := range v.c.Regulatory.Contacts {
		if v.target(name) == nil {
			v.errf("notify.regulatory.contacts: there is no target %q", name)
		}
	}
	if len(v.c.Regulatory.Clocks) > 0 && len(v.c.Regulatory.Contacts) == 0 {
		v.errf("notify.regulatory.contacts must name the targets reminded of the deadlines")
	}
	v.add(v.c.Regulatory.ValidateClocks())
	v.add(v.c.Reminders.Validate())
}
