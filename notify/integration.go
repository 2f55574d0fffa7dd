package notify

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/measure"
)

// Integration routes incident events to e-mail, Slack and Discord (the
// chat media arrive through UseMedia once every integration is built) and
// sends the digests; with it come the measures (package measure), which
// check the promised times and run the regulatory clocks. org and soc name
// the organisation and its SOC in what is sent.
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
		// The measures are on whenever notifications are: their missed
		// targets and reminders are events the rules route.
		m := measure.New(measure.Options{Service: env.Service, Regulatory: cfg.Regulatory, Reminders: cfg.Reminders})
		in.Enabled = true
		in.Planner = drone.PlannerFunc(func(e drone.Event) []drone.Job { return append(m.Plan(e), n.Plan(e)...) })
		in.Lanes = n.Lanes()
		in.Workers = func(w *river.Workers) {
			n.Register(w)
			m.Register(w)
		}
		in.Prepare = n.Schedule
		in.UseMedia = n.UseMedia
		in.Extensions = append(n.Extensions(), m.Extensions()...)
		in.Close = n.Close
		return in, nil
	}
}
