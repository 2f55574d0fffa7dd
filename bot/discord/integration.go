package discord

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
)

// Integration answers Discord's interactions (over the gateway, or at POST
// /discord/interactions in http mode), keeps each incident's channel and
// notice through discord.* jobs on the queue, and offers Discord channels
// as a notification medium.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Discord", "set discord.bot_token and discord.app_id (or DISCORD_BOT_TOKEN and DISCORD_APP_ID), then run drone discord register")
		if !cfg.Enabled() {
			return in, nil
		}
		ad, err := New(cfg, env.Service, env.Log)
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		in.Enabled = true
		in.Media = []drone.Medium{ad.Medium()}
		in.Planner = ad
		in.Workers = ad.Register
		in.Run = ad.Run
		if cfg.Mode == "http" {
			in.Routes = map[string]http.Handler{"POST " + InteractionsPath: ad.Handler()}
		}
		return in, nil
	}
}
