package main

import "context"

// slackIntegration is off until its issue lands.
func slackIntegration(ctx context.Context, a *app) (*integration, error) {
	return &integration{Name: "Slack", Enabled: false, Hint: "set slack.bot_token and slack.app_token (or SLACK_BOT_TOKEN and SLACK_APP_TOKEN)"}, nil
}
