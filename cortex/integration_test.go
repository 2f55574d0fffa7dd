package cortex_test

import (
	"context"
	"testing"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/cortex/cortextest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/integration"
)

// TestIntegration builds the integration off and on: on, it plans
// analyses, works them and offers an enricher.
func TestIntegration(t *testing.T) {
	t.Parallel()
	h := dronetest.New(t)
	env := integration.Env{Service: h.Service, Log: h.Log}
	off, err := cortex.Integration(cortex.Config{})(context.Background(), env)
	if err != nil || off.Enabled || off.Hint == "" || off.Planner != nil || off.Enricher != nil {
		t.Errorf("off: %+v, %v", off, err)
	}
	srv := cortextest.New(t, cortextest.Options{Analyzers: standIns(abuse)})
	on, err := cortex.Integration(cortex.Config{URL: srv.URL(), APIKey: srv.Key(), Analyzers: []cortex.Analyzer{abuse}})(context.Background(), env)
	if err != nil || !on.Enabled || on.Workers == nil || on.Enricher == nil || on.Enricher.Name() != "Cortex" {
		t.Fatalf("on: %+v, %v", on, err)
	}
	jobs := on.Planner.Plan(drone.Event{Kind: drone.EntryObservables, Incident: &drone.Incident{ID: "i", TLP: "AMBER", PAP: "AMBER"},
		Observables: []drone.Observable{{ID: 7, Type: ioc.IPv4, Value: "203.0.113.7", TLP: "AMBER"}, {ID: 8, Type: ioc.URL, Value: "http://x.example/"}}})
	if len(jobs) != 1 || jobs[0].Kind != cortex.AnalyzeKind || jobs[0].UniqueKey != "cortex.analyze:i:7:AbuseIPDB_1_0" {
		t.Errorf("planned %+v", jobs)
	}
	if _, err := cortex.Integration(cortex.Config{URL: "http://x"})(context.Background(), env); err == nil {
		t.Error("a configured section without its key must be an error")
	}
}
