// Package slack is drone's Slack adapter: /drone, the DRONE modals,
// indicators from messages and threads, and incident channels, over Socket
// Mode or HTTP.
//
// One Handler serves both transports. A request is answered from local
// work only (the store, the extractor), so that Slack's three seconds are
// kept whatever TheHive, e-mail or Slack's own Web API are doing: modals are
// opened and ephemeral answers posted right after the acknowledgement, and
// everything durable (incident channels, the notification, its updates)
// goes through the queue as "slack.open" and "slack.event" jobs.
package slack

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultAPIURL       = "https://slack.com/api/"
	DefaultChannelName  = "inc-{number}-{subcontext}-{bu}"
	DefaultCommand      = "/drone"
	DefaultAppName      = "drone"
	DefaultPostInterval = time.Second
	DefaultGroupTTL     = time.Minute
	DefaultReaction     = "pushpin"
)

// Config connects drone to a Slack workspace.
type Config struct {
	// BotToken is the bot user's token (xoxb-...). Empty (the default)
	// leaves Slack off. SLACK_BOT_TOKEN overrides it.
	BotToken string `yaml:"bot_token" env:"SLACK_BOT_TOKEN"`
	// AppToken is the app-level token (xapp-...) Socket Mode needs.
	// SLACK_APP_TOKEN overrides it.
	AppToken string `yaml:"app_token" env:"SLACK_APP_TOKEN"`
	// SigningSecret verifies HTTP requests from Slack. SLACK_SIGNING_SECRET
	// overrides it.
	SigningSecret string `yaml:"signing_secret" env:"SLACK_SIGNING_SECRET"`
	// Mode is "socket" (the default: no public URL needed) or "http".
	Mode string `yaml:"mode"`
	// APIURL is Slack's Web API base URL, with a trailing slash. Defaults to
	// https://slack.com/api/; point it at a stand-in for tests.
	// DRONE_SLACK_API_URL overrides it.
	APIURL string `yaml:"api_url"`
	// AppName is the app's name in the manifest. Defaults to "drone".
	AppName string `yaml:"app_name"`
	// Command is the slash command. Defaults to "/drone".
	Command string `yaml:"command"`
	// PublicURL is drone serve's public base URL (https://drone.example.org),
	// for the request URLs of the manifest in http mode. Defaults to none.
	PublicURL string `yaml:"public_url"`
	// ChannelName is the pattern of incident channel names. Placeholders:
	// {number}, {category}, {subcontext}, {severity}, {tier}, {zone}, {bu},
	// {tlp}; each becomes lower-case letters, digits and hyphens. It must
	// hold {number}, which makes names unique. Defaults to
	// "inc-{number}-{subcontext}-{bu}".
	ChannelName string `yaml:"channel_name"`
	// Responders are invited to every incident channel besides its reporter:
	// user ids (U..., W...) and user-group ids (S...), whose members are
	// invited. Defaults to none.
	Responders []string `yaml:"responders"`
	// OfferIndicators, when true, answers a message that holds new
	// indicators in an incident channel with an ephemeral offer to add them.
	// It needs the message events of the manifest. Defaults to false.
	OfferIndicators bool `yaml:"offer_indicators"`
	// TimelineReaction is the reaction that puts a message of an incident's
	// channel on the incident's timeline (pinning it does too), given by
	// its name with or without colons. Defaults to "pushpin" (📌).
	TimelineReaction string `yaml:"timeline_reaction"`
	// PostInterval is the least time between two posts in one channel;
	// Slack allows about one message per second per channel. Defaults to 1s.
	PostInterval time.Duration `yaml:"post_interval"`
	// GroupCacheTTL is how long user-group memberships, which roles may name
	// ("slack:group:S123"), are cached. Defaults to 1m.
	GroupCacheTTL time.Duration `yaml:"group_cache_ttl"`
}

// Enabled reports whether Slack is configured (a bot token is set).
func (c Config) Enabled() bool { return c.BotToken != "" }

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	def := func(s *string, v string) {
		if strings.TrimSpace(*s) == "" {
			*s = v
		}
	}
	def(&c.Mode, "socket")
	def(&c.APIURL, DefaultAPIURL)
	def(&c.AppName, DefaultAppName)
	def(&c.Command, DefaultCommand)
	def(&c.ChannelName, DefaultChannelName)
	c.TimelineReaction = strings.Trim(strings.TrimSpace(c.TimelineReaction), ":")
	def(&c.TimelineReaction, DefaultReaction)
	if c.PostInterval <= 0 {
		c.PostInterval = DefaultPostInterval
	}
	if c.GroupCacheTTL <= 0 {
		c.GroupCacheTTL = DefaultGroupTTL
	}
	return c
}

var (
	placeholder  = regexp.MustCompile(`\{[^{}]*\}`)
	responderID  = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	commandName  = regexp.MustCompile(`^/[a-z0-9_-]{1,31}$`)
	reactionName = regexp.MustCompile(`^:?[a-z0-9_+'-]{1,100}(::skin-tone-[2-6])?:?$`)
	placeholders = map[string]bool{"{number}": true, "{category}": true, "{subcontext}": true, "{severity}": true,
		"{tier}": true, "{zone}": true, "{bu}": true, "{tlp}": true}
)

// Validate reports every problem of an enabled configuration, one a line.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	switch c.Mode {
	case "", "socket":
		if c.AppToken == "" {
			errs = append(errs, errors.New("slack.app_token is required in socket mode (or set slack.mode: http)"))
		}
	case "http":
		if c.SigningSecret == "" {
			errs = append(errs, errors.New("slack.signing_secret is required in http mode"))
		}
	default:
		errs = append(errs, fmt.Errorf("slack.mode %q must be socket or http", c.Mode))
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || u.Host == "" || !strings.HasSuffix(c.APIURL, "/") {
			errs = append(errs, fmt.Errorf("slack.api_url %q must be an absolute URL ending with a slash, such as %s", c.APIURL, DefaultAPIURL))
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, fmt.Errorf("slack.public_url %q must be an absolute http(s) URL", c.PublicURL))
		}
	}
	if c.Command != "" && !commandName.MatchString(c.Command) {
		errs = append(errs, fmt.Errorf("slack.command %q must be a slash and up to 31 lower-case letters, digits, - or _", c.Command))
	}
	if c.TimelineReaction != "" && !reactionName.MatchString(c.TimelineReaction) {
		errs = append(errs, fmt.Errorf("slack.timeline_reaction %q must be a reaction's name, such as pushpin (colons allowed)", c.TimelineReaction))
	}
	if c.ChannelName != "" {
		errs = append(errs, checkChannelName(c.ChannelName)...)
	}
	for _, r := range c.Responders {
		if !responderID.MatchString(r) {
			errs = append(errs, fmt.Errorf("slack.responders: %q is not a user id (U..., W...) or a user-group id (S...)", r))
		}
	}
	if c.PostInterval < 0 || c.GroupCacheTTL < 0 {
		errs = append(errs, errors.New("slack.post_interval and slack.group_cache_ttl must not be negative"))
	}
	return errors.Join(errs...)
}

func checkChannelName(p string) []error {
	var errs []error
	if !strings.Contains(p, "{number}") {
		errs = append(errs, fmt.Errorf("slack.channel_name %q must hold {number}, which keeps channel names unique", p))
	}
	for _, ph := range placeholder.FindAllString(p, -1) {
		if !placeholders[ph] {
			errs = append(errs, fmt.Errorf("slack.channel_name: unknown placeholder %s; known: {number}, {category}, {subcontext}, {severity}, {tier}, {zone}, {bu}, {tlp}", ph))
		}
	}
	return errs
}
