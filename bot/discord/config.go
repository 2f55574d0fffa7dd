// Package discord is drone's Discord adapter: /drone application commands,
// modals, a message menu for indicators, and incident channels, over the
// gateway or HTTP interactions.
//
// The flow: an interaction arrives (gateway or POST /discord/interactions),
// is de-duplicated with Store.Claim, turned into a drone operation and
// answered within Discord's 3 seconds (deferred, then edited, when the work
// runs longer). Everything drone does on Discord afterwards (the incident's
// channel or thread, the notification embed edited in place) is a job of the
// durable queue, carried out by the workers Register adds, within Discord's
// rate limits.
package discord

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Config connects drone to a Discord application.
type Config struct {
	// BotToken is the bot's token. Empty (the default) leaves Discord off.
	// DISCORD_BOT_TOKEN overrides it.
	BotToken string `yaml:"bot_token" env:"DISCORD_BOT_TOKEN"`
	// AppID is the application id. DISCORD_APP_ID overrides it.
	AppID string `yaml:"app_id" env:"DISCORD_APP_ID"`
	// PublicKey is the application's Ed25519 public key (hex), which
	// verifies HTTP interactions. DISCORD_PUBLIC_KEY overrides it.
	PublicKey string `yaml:"public_key" env:"DISCORD_PUBLIC_KEY"`
	// GuildID registers the commands in one guild (instantly) instead of
	// globally, and is the guild where incidents declared outside Discord
	// get their channel. Defaults to global, and to no channel for those.
	GuildID string `yaml:"guild_id"`
	// Mode is "gateway" (the default: no public URL needed) or "http".
	Mode string `yaml:"mode"`
	// APIURL is Discord's REST base URL. Defaults to
	// https://discord.com/api/v10; point it at a stand-in for tests.
	APIURL string `yaml:"api_url"`
	// CategoryID is the channel category incident channels are created
	// in. Defaults to none: channels are created at the top of the server.
	CategoryID string `yaml:"category_id"`
	// ThreadChannelID, when set, makes each incident a thread of this
	// channel instead of a channel of its own (private for TLP
	// AMBER+STRICT and RED). Defaults to none: channels.
	ThreadChannelID string `yaml:"thread_channel_id"`
	// ResponderRoleID is the responders' role: they see every incident
	// space, restricted ones too, and are mentioned when one opens.
	// Defaults to none: only the reporter and the lead are added.
	ResponderRoleID string `yaml:"responder_role_id"`
	// RequestsPerSecond caps drone's REST requests to Discord, in any one
	// second. Defaults to 50, Discord's global limit; interaction answers
	// do not count, as Discord does not count them.
	RequestsPerSecond int `yaml:"requests_per_second"`
	// TimelineEmoji is the reaction that puts a message of an incident's
	// channel on the incident's timeline (pinning it does too): a unicode
	// emoji, or a custom emoji's name. Defaults to 📌. Reactions and pins
	// reach drone over the gateway only; in http mode the message menu
	// "Add to timeline" does it.
	TimelineEmoji string `yaml:"timeline_emoji"`
}

// DefaultTimelineEmoji is the reaction that puts a message on the timeline.
const DefaultTimelineEmoji = "📌"

// DefaultAPIURL is Discord's REST API.
const DefaultAPIURL = "https://discord.com/api/v10"

// Enabled reports whether Discord is configured (a bot token is set).
func (c Config) Enabled() bool { return c.BotToken != "" }

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = "gateway"
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.RequestsPerSecond <= 0 {
		c.RequestsPerSecond = 50
	}
	c.TimelineEmoji = strings.Trim(strings.TrimSpace(c.TimelineEmoji), ":")
	if c.TimelineEmoji == "" {
		c.TimelineEmoji = DefaultTimelineEmoji
	}
	return c
}

// Validate reports every problem of an enabled configuration.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if c.AppID == "" {
		errs = append(errs, errors.New("discord.app_id is required"))
	}
	switch c.Mode {
	case "", "gateway":
	case "http":
		if c.PublicKey == "" {
			errs = append(errs, errors.New("discord.public_key is required in http mode"))
		}
	default:
		errs = append(errs, fmt.Errorf("discord.mode %q must be gateway or http", c.Mode))
	}
	if c.PublicKey != "" {
		if k, err := hex.DecodeString(c.PublicKey); err != nil || len(k) != 32 {
			errs = append(errs, errors.New("discord.public_key must be the 64 hexadecimal digits the developer portal shows"))
		}
	}
	for _, id := range []struct{ key, value string }{{"app_id", c.AppID}, {"guild_id", c.GuildID},
		{"category_id", c.CategoryID}, {"thread_channel_id", c.ThreadChannelID}, {"responder_role_id", c.ResponderRoleID}} {
		if id.value != "" && !isSnowflake(id.value) {
			errs = append(errs, fmt.Errorf("discord.%s %q must be a Discord id (digits only)", id.key, id.value))
		}
	}
	if c.CategoryID != "" && c.ThreadChannelID != "" {
		errs = append(errs, errors.New("discord.category_id and discord.thread_channel_id exclude each other: incidents get channels or threads"))
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("discord.api_url %q must be an http or https URL", c.APIURL))
		}
	}
	if len(c.TimelineEmoji) > 64 || strings.ContainsAny(c.TimelineEmoji, " <>") {
		errs = append(errs, fmt.Errorf("discord.timeline_emoji %q must be an emoji (📌) or a custom emoji's name", c.TimelineEmoji))
	}
	if c.RequestsPerSecond < 0 || c.RequestsPerSecond > 50 {
		errs = append(errs, fmt.Errorf("discord.requests_per_second %d must be between 1 and 50 (0 for 50)", c.RequestsPerSecond))
	}
	return errors.Join(errs...)
}

// isSnowflake reports whether s reads as a Discord id: a positive 64-bit
// number in decimal.
func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 || s[0] == '0' {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
