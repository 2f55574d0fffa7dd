package main

import (
	"context"
	"fmt"

	"github.com/ttp0/drone/bot/slack"
)

// slackIntegration serves Slack: /drone, its modals and the message
// shortcut over Socket Mode (the default) or HTTP, and the incident
// channels through the queue.
func slackIntegration(ctx context.Context, a *app) (*integration, error) {
	cfg := a.cfg.Slack
	in := &integration{Name: "Slack", Enabled: cfg.Enabled(),
		Hint: "set slack.bot_token and slack.app_token (or SLACK_BOT_TOKEN and SLACK_APP_TOKEN)"}
	if !in.Enabled {
		return in, nil
	}
	h, err := slack.New(slack.Options{Config: cfg, Service: a.svc, Log: a.log.With("integration", "slack")})
	if err != nil {
		return nil, fmt.Errorf("starting Slack: %w", err)
	}
	a.media = append(a.media, h.Medium())
	in.Planner = h.Planner()
	in.Register = h.Register
	in.Run = h.Run
	if cfg.Mode == "http" {
		in.Routes = h.Routes()
	}
	return in, nil
}
