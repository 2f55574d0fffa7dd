package main

import "context"

// discordIntegration is off until its issue lands.
func discordIntegration(ctx context.Context, a *app) (*integration, error) {
	return &integration{Name: "Discord", Enabled: false, Hint: "set discord.bot_token and discord.app_id (or DISCORD_BOT_TOKEN and DISCORD_APP_ID)"}, nil
}
