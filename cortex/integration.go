package cortex

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/integration"
)

// Integration runs Cortex's analyzers on incidents' new observables,
// through cortex.analyze jobs, and offers them to the enrich command.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Cortex", "set cortex.url, cortex.api_key (or DRONE_CORTEX_URL and DRONE_CORTEX_API_KEY) and cortex.analyzers")
		if !cfg.Enabled() {
			return in, nil
		}
		client, err := New(cfg, WithLogger(env.Log))
		if err != nil {
			return nil, fmt.Errorf("cortex: %w", err)
		}
		cfg = cfg.WithDefaults()
		if !*cfg.VerifyTLS {
			env.Log.WarnContext(ctx, "Cortex's TLS certificate is not verified (cortex.verify_tls: false): "+
				"anyone on the network path can read the indicators drone sends; set cortex.ca_file instead")
		}
		worker, err := NewWorker(WorkerOptions{Client: client, Service: env.Service, Config: cfg, Log: env.Log})
		if err != nil {
			return nil, fmt.Errorf("cortex: %w", err)
		}
		in.Enabled = true
		in.Planner = Planner{Analyzers: cfg.Analyzers}
		in.Workers = func(w *river.Workers) { river.AddWorker(w, worker) }
		in.Enricher = NewEnricher(client, cfg, env.Service.Extractor)
		return in, nil
	}
}
