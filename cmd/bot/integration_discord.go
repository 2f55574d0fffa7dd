package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ttp0/drone/bot/discord"
)

// discordIntegration answers Discord's interactions (over the gateway, or
// at POST /discord/interactions in http mode) and keeps each incident's
// channel and notice, through discord.* jobs on the queue.
func discordIntegration(ctx context.Context, a *app) (*integration, error) {
	in := &integration{Name: "Discord",
		Hint: "set discord.bot_token and discord.app_id (or DISCORD_BOT_TOKEN and DISCORD_APP_ID), then run drone discord register"}
	if !a.cfg.Discord.Enabled() {
		return in, nil
	}
	ad, err := discord.New(a.cfg.Discord, a.svc, a.log)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	in.Enabled = true
	a.media = append(a.media, ad.Medium())
	in.Planner = ad
	in.Register = ad.Register
	in.Run = ad.Run
	if a.cfg.Discord.Mode == "http" {
		in.Routes = map[string]http.Handler{"POST " + discord.InteractionsPath: ad.Handler()}
	}
	return in, nil
}
