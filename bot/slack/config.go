// Package slack is drone's Slack adapter: /drone, the DRONE modals,
// indicators from messages and threads, and incident channels, over Socket
// Mode or HTTP.
package slack

import (
	"errors"
	"fmt"
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
	APIURL string `yaml:"api_url"`
}

// Enabled reports whether Slack is configured (a bot token is set).
func (c Config) Enabled() bool { return c.BotToken != "" }

// Validate reports every problem of an enabled configuration.
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
	return errors.Join(errs...)
}
