package drone_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/misp/misptest"
)

// hung is a source that never answers: only the enrich time bound ends it.
type hung struct{}

func (hung) Name() string { return "Hung" }
func (hung) Enrich(ctx context.Context, _, _ string) ([]drone.Verdict, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// broken is a source that fails at once.
type broken struct{}

func (broken) Name() string { return "Broken" }
func (broken) Enrich(context.Context, string, string) ([]drone.Verdict, error) {
	return nil, errors.New("503 Service Unavailable")
}

func enrichHarness(t *testing.T) (*dronetest.Harness, *misptest.Server) {
	t.Helper()
	srv := misptest.New(t, "key")
	srv.AddEvent(misptest.Event{Info: "APT-X", ThreatLevelID: "1",
		Attributes: []*misptest.Attribute{{Type: "ip-dst", Value: "203.0.113.7"}}})
	client, err := misp.New(misp.Config{URL: srv.URL, Key: "key"})
	if err != nil {
		t.Fatal(err)
	}
	h := dronetest.New(t)
	h.Service.Enrichers = []drone.Enricher{misp.Enricher{Client: client}, hung{}, broken{}}
	// Long enough for the stand-in on a loaded machine; Hung waits it out.
	h.Service.EnrichTimeout = time.Second
	return h, srv
}

func TestEnrichSaysSightingsVerdictsAndFailedSources(t *testing.T) {
	h, _ := enrichHarness(t)
	local := drone.Actor{Platform: "local", ID: "op"}
	inc := h.Declare(local, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "beacon",
		Observables: drone.ObservableInput{Typed: []drone.TypedValue{{Type: ioc.IPv4, Value: "203.0.113.7"}}}})
	es, err := h.Service.Enrich(h.Ctx, local, "what of 203.0.113[.]7?")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || len(es[0].Seen) != 1 || es[0].Seen[0].Number != inc.Number {
		t.Fatalf("enrichment = %+v, want one indicator seen in %s", es, inc.Ref())
	}
	if len(es[0].Verdicts) != 1 || !strings.Contains(es[0].Verdicts[0].Summary, "APT-X") {
		t.Errorf("verdicts = %+v", es[0].Verdicts)
	}
	if len(es[0].Failures) != 2 || es[0].Failures[0].Source != "Broken" || es[0].Failures[1].Source != "Hung" {
		t.Errorf("failures = %+v, want Broken and Hung", es[0].Failures)
	}
	text := drone.RenderEnrichment(es, h.Service.Enrichers)
	for _, want := range []string{"203[.]0[.]113[.]7 (ipv4)", "seen in " + inc.Ref(), "MISP: known to MISP event",
		"Hung: no answer (no answer within 1s)", "Broken: no answer (503"} {
		if !strings.Contains(text, want) {
			t.Errorf("answer lacks %q:\n%s", want, text)
		}
	}
}

func TestEnrichKeepsInternalValuesIn(t *testing.T) {
	h, srv := enrichHarness(t)
	es, err := h.Service.Enrich(h.Ctx, drone.Actor{Platform: "local", ID: "op"}, "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || !es[0].Internal || len(es[0].Failures)+len(es[0].Verdicts) != 0 {
		t.Errorf("enrichment = %+v", es)
	}
	if n := srv.Calls(misptest.RouteAttributeSearch); n != 0 {
		t.Errorf("an internal address reached MISP (%d searches)", n)
	}
}

func TestEnrichCommand(t *testing.T) {
	h, _ := enrichHarness(t)
	h.Service.Enrichers = h.Service.Enrichers[:1]
	local := drone.Actor{Platform: "local", ID: "op"}
	cmd, err := h.Service.Grammar().Parse("/drone enrich 198.51.100.4")
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.Service.Execute(h.Ctx, local, drone.Origin{Channel: "test"}, cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := "198[.]51[.]100[.]4 (ipv4)\n  never seen in an incident\n  MISP: nothing known"; r.Text != want || r.Public {
		t.Errorf("reply %q (public %v), want %q", r.Text, r.Public, want)
	}
	cmd, _ = h.Service.Grammar().Parse("enrich nothing here")
	if _, err := h.Service.Execute(h.Ctx, local, drone.Origin{Channel: "test"}, cmd, 0); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("enrich without an indicator: %v, want invalid", err)
	}
	h.Service.Roles = drone.Roles{{Name: "soc", Permissions: []drone.Permission{drone.PermIOC}, Members: []string{"slack:U1"}}}
	stranger := drone.Actor{Platform: "slack", ID: "U999"}
	cmd, _ = h.Service.Grammar().Parse("enrich 198.51.100.4")
	if _, err := h.Service.Execute(h.Ctx, stranger, drone.Origin{Channel: "test"}, cmd, 0); drone.ErrorCode(err) != drone.EFORBIDDEN {
		t.Errorf("enrich by a user without a role: %v, want forbidden", err)
	}
}

func TestIOCAnswerSaysSimilarIncidents(t *testing.T) {
	h := dronetest.New(t)
	local := drone.Actor{Platform: "local", ID: "op"}
	declare := func(iocs string) *drone.Incident {
		inc, _, err := h.Service.Declare(h.Ctx, local, drone.Origin{Channel: "test"}, drone.DeclareInput{Category: "CAT1",
			Severity: "high", Overview: "beacon", Observables: drone.ObservableInput{Text: iocs}})
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	declare("203.0.113.7 evil-examp1e.com")
	declare("203.0.113.7")
	now := declare("nothing yet")
	cmd, _ := h.Service.Grammar().Parse(fmt.Sprintf("ioc INC-%d 203.0.113.7 and evil-examp1e.com and 198.51.100.1", now.Number))
	r, err := h.Service.Execute(h.Ctx, local, drone.Origin{Channel: "test"}, cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "Seen before: INC-1 (2 shared: 203[.]0[.]113[.]7, evil-examp1e[.]com); INC-2 (1 shared: 203[.]0[.]113[.]7)"
	if !strings.HasSuffix(r.Text, want) {
		t.Errorf("reply:\n%s\nwant it to end with:\n%s", r.Text, want)
	}
	cmd, _ = h.Service.Grammar().Parse(fmt.Sprintf("ioc INC-%d 192.0.2.55", now.Number))
	if r, err := h.Service.Execute(h.Ctx, local, drone.Origin{Channel: "test"}, cmd, 0); err != nil || strings.Contains(r.Text, "Seen before") {
		t.Errorf("reply for a new indicator: %q, %v", r.Text, err)
	}
}

func TestNoticeShowsThreatIntelligence(t *testing.T) {
	h := dronetest.New(t)
	local := drone.Actor{Platform: "local", ID: "op"}
	inc := h.Declare(local, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "beacon"})
	vs := []drone.Verdict{{Source: "misp", Type: "ipv4", Value: "203.0.113.7", Known: true,
		Summary: "known to MISP event 1234, APT-X, threat level high"}, {Source: "misp", Type: "ipv4", Value: "198.51.100.1"}}
	for range 2 { // the same entry twice: said once
		if _, err := h.Service.RecordOnce(h.Ctx, local, inc.ID, drone.EntryEnrichment, "k", "hits", vs); err != nil {
			t.Fatal(err)
		}
	}
	for _, audience := range []string{drone.AudienceResponders, drone.AudienceLeaders} {
		n := drone.BuildNotice(h.Record(inc.Number), drone.EntryUpdate, audience, time.Now())
		var got string
		for _, r := range n.Rows {
			if r.Label == "Threat intelligence" {
				got = r.Value
			}
		}
		want := ""
		if audience == drone.AudienceResponders {
			want = "203[.]0[.]113[.]7: known to MISP event 1234, APT-X, threat level high"
		}
		if got != want {
			t.Errorf("%s notice's threat intelligence = %q, want %q", audience, got, want)
		}
	}
}
