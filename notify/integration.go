package notify

import (
	"context"

	"github.com/ttp0/drone/integration"
)

// Integration routes incident events to e-mail, Slack and Discord (the
// chat media arrive through UseMedia once every integration is built),
// checks the promised times and sends the digests. org and soc name the organisation and its SOC in what is sent.
func Integration(cfg Config, org, soc string) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Notifications", "add notify.targets and notify.rules to route incident events "+
			"to e-mail, Slack or Discord")
		if !cfg.Enabled() {
			return in, nil
		}
		n, err := New(ctx, Options{Config: cfg, Service: env.Service, Org: org, SOC: soc, Log: env.Log})
		if err != nil {
			return nil, err
		}
		in.Enabled = true
		in.Planner = n
		in.Lanes = n.Lanes()
		in.Workers = n.Register
		in.Prepare = n.Schedule
		in.UseMedia = n.UseMedia
		in.Extensions = n.Extensions()
		in.Close = n.Close
		return in, nil
	}
}
