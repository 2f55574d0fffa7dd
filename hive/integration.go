package hive

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/integration"
)

// Integration keeps a TheHive case in sync with every incident, through
// hive.sync jobs on the queue.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("TheHive", "set hive.url and hive.api_key (or DRONE_HIVE_URL and DRONE_HIVE_API_KEY)")
		if !cfg.Enabled() {
			return in, nil
		}
		client, err := New(cfg, WithLogger(env.Log))
		if err != nil {
			return nil, fmt.Errorf("TheHive: %w", err)
		}
		if !*cfg.VerifyTLS {
			env.Log.WarnContext(ctx, "TheHive's TLS certificate is not verified (hive.verify_tls: false): "+
				"anyone on the network path can read and change what drone sends; set hive.ca_file instead")
		}
		if err := CheckFramework(cfg, env.Service.Framework); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				env.Log.WarnContext(ctx, "TheHive setting never applies", "problem", line)
			}
		}
		svc := env.Service
		worker, err := NewWorker(WorkerOptions{Client: client, Service: svc, Config: cfg, Log: env.Log,
			ExtraTasks: func(category, subContext string) []string {
				// Read when a case is made: the advisor (Threat Driven
				// Security) is another integration's.
				return svc.Advise(category, subContext).Tasks
			}})
		if err != nil {
			return nil, fmt.Errorf("TheHive: %w", err)
		}
		in.Enabled = true
		in.Planner = Planner{}
		in.Workers = func(w *river.Workers) {
			river.AddWorker(w, worker)
			river.AddWorker(w, worker.FollowUps())
			river.AddWorker(w, worker.ReviewWorker())
		}
		return in, nil
	}
}
