package main

import (
	"context"

	"github.com/ttp0/drone/bot/discord"
	"github.com/ttp0/drone/bot/mailbox"
	"github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/jira"
	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/notify"
	"github.com/ttp0/drone/review"
	"github.com/ttp0/drone/servicenow"
	"github.com/ttp0/drone/tds"
)

// builders lists every integration, one line each, enabled or not, so that
// drone serve can say which are on and how to turn on the others. Adding an
// integration is a folder of its own and one line here (docs/ARCHITECTURE.md).
func (a *app) builders() []integration.Builder {
	cfg := a.cfg
	return []integration.Builder{
		hive.Integration(cfg.Hive),
		cortex.Integration(cfg.Cortex),
		misp.Integration(cfg.MISP),
		jira.Integration(cfg.Jira),
		servicenow.Integration(cfg.ServiceNow),
		slack.Integration(cfg.Slack),
		discord.Integration(cfg.Discord),
		notify.Integration(cfg.Notify.Config, cfg.Organisation, orDefault(cfg.SOC.Name, "SOC")),
		mailbox.Integration(cfg.Notify.Inbound),
		tds.Integration(cfg.TDS),
		review.Integration(cfg.Review),
		webConsole(a),
	}
}

// buildIntegrations builds every integration of the configuration.
func buildIntegrations(ctx context.Context, a *app) ([]*integration.Integration, error) {
	env := integration.Env{Service: a.svc, Log: a.log, DataDir: a.dataDir()}
	var out []*integration.Integration
	for _, build := range a.builders() {
		in, err := build(ctx, env)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}
