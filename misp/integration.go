package misp

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
)

// Enricher answers the enrich command from MISP, through the client's
// cache and rate limit.
type Enricher struct{ Client *Client }

var _ drone.Enricher = Enricher{}

// Name is "MISP".
func (Enricher) Name() string { return "MISP" }

// Enrich returns a verdict per MISP event that holds the indicator.
func (e Enricher) Enrich(ctx context.Context, typ, value string) ([]drone.Verdict, error) {
	hits, err := e.Client.Lookup(ctx, typ, value)
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	return Verdicts(e.Client.Base(), []Found{{Item: Item{Type: typ, Value: value}, Hits: hits}}), nil
}

// Integration looks every new indicator up in MISP, through misp.lookup
// jobs, answers the enrich command, and exports closed incidents when
// export.on_close is set.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("MISP", "set misp.url and misp.key (or DRONE_MISP_URL and DRONE_MISP_KEY)")
		if !cfg.Enabled() {
			return in, nil
		}
		client, err := New(cfg, WithLogger(env.Log))
		if err != nil {
			return nil, fmt.Errorf("MISP: %w", err)
		}
		if cfg.VerifyTLS != nil && !*cfg.VerifyTLS {
			env.Log.WarnContext(ctx, "MISP's TLS certificate is not verified (misp.verify_tls: false): "+
				"anyone on the network path can read and change what drone sends; set misp.ca_file instead")
		}
		lookup := &LookupWorker{Client: client, Service: env.Service, Config: cfg, Log: env.Log}
		export := &ExportWorker{Exporter: &Exporter{Client: client, Service: env.Service, Config: cfg}, Log: env.Log}
		in.Enabled = true
		in.Planner = Planner{Config: cfg}
		in.Enricher = Enricher{Client: client}
		in.Workers = func(w *river.Workers) {
			river.AddWorker(w, lookup)
			river.AddWorker(w, export)
		}
		return in, nil
	}
}
