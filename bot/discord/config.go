// Package discord is drone's Discord adapter: /drone application commands,
// modals, a message menu for indicators, and incident channels, over the
// gateway or HTTP interactions.
package discord

import (
	"errors"
	"fmt"
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
	// globally. Defaults to global.
	GuildID string `yaml:"guild_id"`
	// Mode is "gateway" (the default: no public URL needed) or "http".
	Mode string `yaml:"mode"`
	// APIURL is Discord's REST base URL. Defaults to
	// https://discord.com/api/v10; point it at a stand-in for tests.
	APIURL string `yaml:"api_url"`
}

// Enabled reports whether Discord is configured (a bot token is set).
func (c Config) Enabled() bool { return c.BotToken != "" }

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
	return errors.Join(errs...)
}
