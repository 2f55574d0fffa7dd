package measure_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/measure"
)

var (
	responder = drone.Actor{Platform: "local", ID: "alice", Name: "alice"}
	cli       = drone.Origin{Channel: "cli"}
)

func TestReportMeasures(t *testing.T) {
	h := dronetest.New(t)
	svc, clock := h.Service, dronetest.NewClock(time.Now().UTC())
	svc.Extractor, svc.Now = ioc.New(ioc.Options{}), clock.Now
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	// HIGH: acknowledged after 10, 30 and 90 minutes (target 1h); one
	// resolved after 5h (target 72h).
	for i, ack := range []time.Duration{10 * time.Minute, 30 * time.Minute, 90 * time.Minute} {
		clock.Set(base.Add(time.Duration(i) * time.Hour))
		inc, _, err := svc.Declare(ctx, responder, cli, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "x", Zone: ""})
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(inc.DeclaredAt.Add(ack))
		if _, err := svc.Acknowledge(ctx, responder, cli, inc.Number); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			clock.Set(inc.DeclaredAt.Add(5 * time.Hour))
			if _, err := svc.PostUpdate(ctx, responder, cli, inc.Number, drone.UpdateInput{Status: drone.StatusResolved, Summary: "done"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	r, err := measure.BuildReport(ctx, svc, measure.ReportInput{Org: "Example Org", From: base, To: base.Add(24 * time.Hour),
		Now: clock.Now(), Framework: svc.Framework, Targets: svc.Targets})
	if err != nil {
		t.Fatal(err)
	}
	var high measure.Group
	for _, d := range r.Measures {
		if d.Name == "severity" {
			high = d.Groups[0]
		}
	}
	a := high.Acknowledge
	if high.Key != "HIGH" || a.N != 3 || a.Mean != (10+30+90)*time.Minute/3 || a.P90 != 90*time.Minute || a.Within != 2 || a.Targeted != 3 {
		t.Fatalf("HIGH acknowledge %+v", a)
	}
	if res := high.Resolve; res.N != 1 || res.Mean != 5*time.Hour || res.Share() != 1 {
		t.Fatalf("HIGH resolve %+v", res)
	}
	if high.Contain.N != 1 || high.Contain.Share() != -1 {
		t.Fatalf("HIGH contain %+v: resolving passes containment, which has no target", high.Contain)
	}
	if len(r.Open) != 2 || len(r.Opened) != 3 {
		t.Fatalf("open %d opened %d, want 2 and 3", len(r.Open), len(r.Opened))
	}
	// Private incidents (declared so, or RED) stay out of /metrics.
	for _, in := range []drone.DeclareInput{{Category: "CAT1", Severity: "high", Overview: "y", Private: true},
		{Category: "CAT1", Severity: "high", Overview: "z", TLP: "RED"}} {
		inc, _, err := svc.Declare(ctx, responder, cli, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Acknowledge(ctx, responder, cli, inc.Number); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(measure.NewMetrics(svc))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var acks uint64
	for _, mf := range families {
		if mf.GetName() == "drone_incident_time_to_acknowledge_seconds" {
			for _, m := range mf.GetMetric() {
				acks += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if acks != 3 {
		t.Fatalf("the acknowledge histogram holds %d samples, want the 3 of the incidents that are not private", acks)
	}
}
