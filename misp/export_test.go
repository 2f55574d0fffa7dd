package misp_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/misp/misptest"
)

// exported returns the stand-in's events of an incident.
func (b *bundle) exported(inc *drone.Incident) []misptest.Event {
	var out []misptest.Event
	for _, e := range b.srv.Events() {
		if slices.Contains(e.Tags, misp.IncidentTag(inc.ID)) {
			out = append(out, e)
		}
	}
	return out
}

func TestExportMakesOneEventWithTagsAndIndicators(t *testing.T) {
	b := setup(t, nil)
	inc := b.declare(t, "amber", "green", known, domain, drone.TypedValue{Type: "ipv4", Value: "10.9.8.7"})
	res, err := b.exporter().Export(context.Background(), inc.Number)
	if err != nil || !res.Created {
		t.Fatalf("Export = %+v, %v", res, err)
	}
	evs := b.exported(inc)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if !slices.Contains(ev.Tags, "tlp:amber") || !slices.Contains(ev.Tags, "PAP:GREEN") || ev.ThreatLevelID != "1" {
		t.Errorf("event tags %v, threat level %s; want tlp:amber, PAP:GREEN, 1", ev.Tags, ev.ThreatLevelID)
	}
	var values []string
	for _, a := range ev.Attributes {
		values = append(values, a.Type+"="+a.Value)
	}
	if want := []string{"ip-dst=203.0.113.7", "domain=login-examp1e.com"}; !slices.Equal(values, want) {
		t.Errorf("attributes %v, want %v (no internal address)", values, want)
	}
	if got := b.h.Incident(inc.Number).External[misp.ExtEventID]; got != ev.ID {
		t.Errorf("incident records event %q, want %q", got, ev.ID)
	}
	// Again: the recorded event, nothing sent.
	adds := b.srv.Calls(misptest.RouteEventAdd)
	if res, err := b.exporter().Export(context.Background(), inc.Number); err != nil || res.Created || res.EventID != ev.ID {
		t.Errorf("second Export = %+v, %v", res, err)
	}
	if b.srv.Calls(misptest.RouteEventAdd) != adds {
		t.Error("a second export created again")
	}
}

func TestExportOnceAfterLostAnswer(t *testing.T) {
	b := setup(t, nil)
	b.srv.DropAfterCommit(misptest.RouteEventAdd, 1)
	inc := b.declare(t, "green", "green", known)
	if _, err := b.exporter().Export(context.Background(), inc.Number); err == nil {
		t.Fatal("Export with a lost answer succeeded")
	}
	res, err := b.exporter().Export(context.Background(), inc.Number)
	if err != nil || res.Created {
		t.Fatalf("retried Export = %+v, %v; want the event found by its tag", res, err)
	}
	if evs := b.exported(inc); len(evs) != 1 || evs[0].ID != res.EventID {
		t.Errorf("events %+v, want one, %s", evs, res.EventID)
	}
}

func TestExportRefusesRedAndPAP(t *testing.T) {
	b := setup(t, func(c *misp.Config) { c.Export.MaxTLP = "amber+strict" })
	for _, tc := range []struct{ tlp, pap, why string }{
		{"red", "green", "TLP:RED"},
		{"amber", "red", "PAP:RED"},
	} {
		inc := b.declare(t, tc.tlp, tc.pap, known)
		_, err := b.exporter().Export(context.Background(), inc.Number)
		var r *misp.Refusal
		if !errors.As(err, &r) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("Export of %s/%s = %v, want a refusal naming %s", tc.tlp, tc.pap, err, tc.why)
		}
	}
	if n := b.srv.Calls(misptest.RouteEventAdd) + b.srv.Calls(misptest.RouteEventSearch); n != 0 {
		t.Errorf("%d event calls for refused incidents, want 0", n)
	}
}

func TestExportOnClose(t *testing.T) {
	b := setup(t, func(c *misp.Config) { c.Export.OnClose = true })
	ok := b.declare(t, "green", "clear", known)
	red := b.declare(t, "red", "clear", known)
	for _, inc := range []*drone.Incident{ok, red} {
		if _, err := b.svc.Close(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number,
			drone.CloseInput{Resolution: "TruePositive", Impact: "NoImpact", Summary: "done"}); err != nil {
			t.Fatal(err)
		}
	}
	b.work(t)
	b.h.NoDeadJobs()
	if n := len(b.exported(ok)); n != 1 {
		t.Errorf("closed GREEN incident has %d events, want 1", n)
	}
	if n := len(b.exported(red)); n != 0 {
		t.Errorf("closed RED incident has %d events, want 0", n)
	}
	said := false
	for _, e := range b.h.Record(red.Number).Timeline {
		said = said || strings.Contains(e.Text, "not exported to MISP")
	}
	if !said {
		t.Error("the RED incident's timeline does not say why it was not exported")
	}
}

// TestExportNeverAboveMaxTLP is a property over generated incidents and
// export settings: an incident reaches MISP exactly when its TLP is at or
// below export.max_tlp (RED only with allow_red) and its PAP at or below
// export.max_pap; no attribute of a refused incident is ever sent.
func TestExportNeverAboveMaxTLP(t *testing.T) {
	b := setup(t, nil)
	tlps := []string{"clear", "green", "amber", "amber+strict", "red"}
	paps := []string{"clear", "green", "amber", "red"}
	r := rand.New(rand.NewPCG(16, 2026))
	exports := 0
	for i := range 60 {
		x := b.exporter()
		x.Config.Export = misp.ExportConfig{MaxTLP: tlps[r.IntN(len(tlps))], MaxPAP: paps[r.IntN(len(paps))],
			AllowRed: r.IntN(2) == 0}
		ti, pi := r.IntN(len(tlps)), r.IntN(len(paps))
		inc := b.declare(t, tlps[ti], paps[pi], known, drone.TypedValue{Type: "ipv4", Value: fmt.Sprintf("198.51.100.%d", i+1)})
		_, err := x.Export(context.Background(), inc.Number)
		maxT := slices.Index(tlps, x.Config.Export.MaxTLP)
		allowed := ti <= maxT && (tlps[ti] != "red" || x.Config.Export.AllowRed) && pi <= slices.Index(paps, x.Config.Export.MaxPAP)
		got := len(b.exported(inc))
		if allowed {
			exports++
		}
		switch {
		case allowed && (err != nil || got != 1):
			t.Errorf("case %d: TLP %s PAP %s under %+v: err %v, %d events; want exported once", i, tlps[ti], paps[pi], x.Config.Export, err, got)
		case !allowed && got != 0:
			t.Errorf("case %d: TLP %s PAP %s under %+v reached MISP", i, tlps[ti], paps[pi], x.Config.Export)
		case !allowed && err == nil:
			t.Errorf("case %d: TLP %s PAP %s under %+v: no refusal", i, tlps[ti], paps[pi], x.Config.Export)
		}
	}
	// Nothing else reached MISP: the seeded event and one per allowed case.
	if n := len(b.srv.Events()); n != 1+exports {
		t.Errorf("MISP holds %d events, want %d", n, 1+exports)
	}
	if exports == 0 || exports == 60 {
		t.Errorf("%d of 60 cases allowed: the generator must try both sides", exports)
	}
}
