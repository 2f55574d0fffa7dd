package slack

import (
	"context"
	"fmt"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
)

// Integration serves Slack: /drone, its modals and the message shortcut
// over Socket Mode (the default) or HTTP, the incident channels through the
// queue, and Slack channels as a notification medium.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Slack", "set slack.bot_token and slack.app_token (or SLACK_BOT_TOKEN and SLACK_APP_TOKEN)")
		if !cfg.Enabled() {
			return in, nil
		}
		h, err := New(Options{Config: cfg, Service: env.Service, Log: env.Log.With("integration", "slack")})
		if err != nil {
			return nil, fmt.Errorf("starting Slack: %w", err)
		}
		in.Enabled = true
		in.Media = []drone.Medium{h.Medium()}
		in.Planner = h.Planner()
		in.Workers = h.Register
		in.Run = h.Run
		if cfg.Mode == "http" {
			in.Routes = h.Routes()
		}
		return in, nil
	}
}
