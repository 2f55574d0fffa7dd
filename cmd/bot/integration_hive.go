package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/hive"
)

// hiveIntegration keeps a TheHive case in sync with every incident, through
// hive.sync jobs on the queue.
func hiveIntegration(ctx context.Context, a *app) (*integration, error) {
	in := &integration{Name: "TheHive",
		Hint: "set hive.url and hive.api_key (or DRONE_HIVE_URL and DRONE_HIVE_API_KEY)"}
	cfg := a.cfg.Hive
	if !cfg.Enabled() {
		return in, nil
	}
	client, err := hive.New(cfg, hive.WithLogger(a.log))
	if err != nil {
		return nil, fmt.Errorf("TheHive: %w", err)
	}
	if !*cfg.VerifyTLS {
		a.log.WarnContext(ctx, "TheHive's TLS certificate is not verified (hive.verify_tls: false): "+
			"anyone on the network path can read and change what drone sends; set hive.ca_file instead")
	}
	if err := hive.CheckFramework(cfg, a.cfg.Framework); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			a.log.WarnContext(ctx, "TheHive setting never applies", "problem", line)
		}
	}
	worker, err := hive.NewWorker(hive.WorkerOptions{Client: client, Service: a.svc, Config: cfg, Log: a.log,
		ExtraTasks: func(category, subContext string) []string {
			// The advisor (Threat Driven Security) is set by an integration
			// built later, so it is read when a case is made.
			if a.svc.Advisor == nil {
				return nil
			}
			return a.svc.Advisor.Advise(category, subContext).Tasks
		}})
	if err != nil {
		return nil, fmt.Errorf("TheHive: %w", err)
	}
	in.Enabled = true
	in.Planner = hive.Planner{}
	in.Register = func(w *river.Workers) { river.AddWorker(w, worker) }
	return in, nil
}
