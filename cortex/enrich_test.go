package cortex_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/cortex/cortextest"
	"github.com/ttp0/drone/drone"
)

func enricher(b *bundle) *cortex.Enricher {
	return cortex.NewEnricher(b.client, b.cfg, nil)
}

func sources(vs []drone.Verdict) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Source)
	}
	slices.Sort(out)
	return out
}

// TestEnrichRunsPassiveAnalyzersOnly asks about a URL with an internal, a
// passive and an active analyzer configured: by default (TLP and PAP
// AMBER) the active one is never asked.
func TestEnrichRunsPassiveAnalyzersOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{mispHere, vt, urlscan})
	b.srv.SetReport(vt.Name, badURL.Value, cortextest.Report{Taxonomies: []cortextest.Taxonomy{
		{Level: "suspicious", Namespace: "VT", Predicate: "GetReport", Value: "3/90"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vs, err := enricher(b).Enrich(ctx, "url", badURL.Value)
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if got := sources(vs); !slices.Equal(got, []string{"cortex/" + mispHere.Name, "cortex/" + vt.Name}) {
		t.Errorf("verdicts from %v, want MISP and VirusTotal only", got)
	}
	if n := len(b.srv.Received()[urlscan.Name]); n != 0 {
		t.Errorf("the active analyzer was given %d values", n)
	}
	i := slices.IndexFunc(vs, func(v drone.Verdict) bool { return v.Source == "cortex/"+vt.Name })
	if v := vs[i]; v.Level != "suspicious" || !v.Known || !strings.Contains(v.Summary, "VT:GetReport=3/90") || v.Link == "" {
		t.Errorf("VirusTotal verdict = %+v", v)
	}
	for _, r := range b.srv.Runs() {
		if r.TLP != 2 || r.PAP != 2 {
			t.Errorf("run %+v: want TLP 2, PAP 2 (AMBER)", r)
		}
	}
}

// TestEnrichActiveWhenConfigured lets the command run active analyzers
// with enrich_pap: GREEN.
func TestEnrichActiveWhenConfigured(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{vt, urlscan}, func(c *cortex.Config) { c.EnrichPAP = "GREEN" })
	vs, err := enricher(b).Enrich(context.Background(), "url", badURL.Value)
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if got := sources(vs); len(got) != 2 || len(b.srv.Received()[urlscan.Name]) != 1 {
		t.Errorf("verdicts from %v; urlscan got %v", got, b.srv.Received()[urlscan.Name])
	}
}

// TestEnrichKeepsInternalValuesInside asks about a private address: only
// internal analyzers may see it.
func TestEnrichKeepsInternalValuesInside(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{mispHere, abuse}, func(c *cortex.Config) { c.EnrichPAP = "CLEAR" })
	vs, err := enricher(b).Enrich(context.Background(), "ipv4", "10.1.2.3")
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if got := sources(vs); !slices.Equal(got, []string{"cortex/" + mispHere.Name}) || len(b.srv.Received()[abuse.Name]) != 0 {
		t.Errorf("verdicts from %v; AbuseIPDB got %v", got, b.srv.Received()[abuse.Name])
	}
}

// TestEnrichSaysStillRunning holds the Cortex job past the deadline: the
// verdict says so and links the job.
func TestEnrichSaysStillRunning(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.Hold()
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	vs, err := enricher(b).Enrich(ctx, "ipv4", badIP.Value)
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	if len(vs) != 1 || !strings.Contains(vs[0].Summary, "still running") || vs[0].Link == "" || vs[0].Known {
		t.Errorf("verdicts = %+v", vs)
	}
}

// TestEnrichFailsWhenCortexDoesNotAnswer: no analyzer answered, so the
// command gets an error to show, not an empty answer.
func TestEnrichFailsWhenCortexDoesNotAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.FailNext("", 10, http.StatusInternalServerError)
	vs, err := enricher(b).Enrich(context.Background(), "ipv4", badIP.Value)
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("Enrich = %+v, %v; want an error naming Cortex's 500", vs, err)
	}
	// A type no analyzer takes is no error: Cortex has nothing to say.
	if vs, err := enricher(b).Enrich(context.Background(), "cve", "CVE-2024-1234"); err != nil || len(vs) != 0 {
		t.Errorf("Enrich(cve) = %+v, %v", vs, err)
	}
}
