package misp_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/misp/misptest"
)

func TestLookupRecordsHitsOnTheTimeline(t *testing.T) {
	b := setup(t, nil)
	inc := b.declare(t, "amber", "green", known, unknown, domain)
	b.work(t)
	b.h.NoDeadJobs()
	es := b.enrichments(t, inc.Number)
	if len(es) != 1 {
		t.Fatalf("%d enrichment entries, want 1", len(es))
	}
	want := "203.0.113.7: known to MISP event " + b.event.ID + ", APT-X, threat level high"
	if !strings.Contains(es[0].Text, want) || !strings.Contains(es[0].Text, "login-examp1e.com: known to MISP event") {
		t.Errorf("entry text %q lacks %q and the domain", es[0].Text, want)
	}
	if strings.Contains(es[0].Text, unknown.Value) {
		t.Errorf("entry names the indicator MISP does not know: %q", es[0].Text)
	}
	vs := verdicts(t, es[0])
	if len(vs) != 2 || vs[0].Source != "misp" || !vs[0].Known || vs[0].Level != "malicious" ||
		vs[0].Link != b.srv.URL+"/events/view/"+b.event.ID {
		t.Errorf("verdicts = %+v", vs)
	}
	if d := strings.Join(vs[0].Details, " "); !strings.Contains(d, "tlp:amber") || !strings.Contains(d, "misp:last_seen=2026-11-01") {
		t.Errorf("details %q lack the event's tags and last seen", d)
	}
	if n := len(b.srv.Sightings()); n != 2 {
		t.Errorf("MISP holds %d sightings, want 2 (one per matched attribute)", n)
	}
}

func TestLookupLostSightingAnswerAddsNoSecond(t *testing.T) {
	b := setup(t, nil)
	b.srv.DropAfterCommit(misptest.RouteSightingAdd, 1)
	inc := b.declare(t, "amber", "green", known)
	b.work(t)
	b.h.NoDeadJobs()
	if ss := b.srv.Sightings(); len(ss) != 1 || ss[0].Source != misp.SightingSource(inc.ID) {
		t.Errorf("sightings = %+v, want one from the incident", ss)
	}
	if n := b.srv.Calls(misptest.RouteSightingAdd); n != 1 {
		t.Errorf("%d sighting adds, want 1: the retry must find the first", n)
	}
	if n := len(b.enrichments(t, inc.Number)); n != 1 {
		t.Errorf("%d enrichment entries after the retry, want 1", n)
	}
	// The same indicator in a later batch of the incident: no new sighting.
	if _, err := b.svc.AddObservables(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number,
		drone.ObservableInput{Text: "again 203.0.113.7:443 and 203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	if n := len(b.srv.Sightings()); n != 1 {
		t.Errorf("%d sightings after a second batch, want 1", n)
	}
}

func TestLookupSnoozesOn429(t *testing.T) {
	b := setup(t, nil)
	b.srv.FailNext(misptest.RouteAttributeSearch, 1, http.StatusTooManyRequests)
	inc := b.declare(t, "amber", "green", known)
	b.work(t)
	if n := len(b.enrichments(t, inc.Number)); n != 1 {
		t.Fatalf("%d enrichment entries, want 1", n)
	}
	for _, j := range b.h.Jobs("completed") {
		if j.Kind == misp.LookupKind && (j.LastError != "" || j.Attempt != 1) {
			t.Errorf("job %d spent an attempt on a 429 (attempt %d): %s", j.ID, j.Attempt, j.LastError)
		}
	}
}

func TestLookupRetries5xx(t *testing.T) {
	b := setup(t, func(c *misp.Config) { c.CacheTTL = -1 })
	b.srv.FailNext(misptest.RouteAttributeSearch, 2, http.StatusBadGateway)
	inc := b.declare(t, "amber", "green", known)
	b.work(t)
	b.h.NoDeadJobs()
	if n := len(b.enrichments(t, inc.Number)); n != 1 {
		t.Fatalf("%d enrichment entries, want 1", n)
	}
	var attempts int
	for _, j := range b.h.Jobs("completed") {
		if j.Kind == misp.LookupKind {
			attempts = j.Attempt
		}
	}
	if attempts != 3 {
		t.Errorf("the look-up took %d attempts, want 3 (two 502s, then the answer)", attempts)
	}
}

func TestLookupRefusedKeyCancelsAndSaysSo(t *testing.T) {
	b := setup(t, func(c *misp.Config) { c.Key = "wrong" })
	inc := b.declare(t, "amber", "green", known)
	b.work(t)
	rec := b.h.Record(inc.Number)
	found := false
	for _, e := range rec.Timeline {
		found = found || (e.Kind == drone.EntryDelivery && strings.Contains(e.Text, "403") && strings.Contains(e.Text, "drone queue retry"))
	}
	if !found {
		t.Errorf("no delivery entry says the key was refused: %+v", rec.Timeline)
	}
	if n := b.srv.Calls(misptest.RouteAttributeSearch); n != 0 {
		t.Errorf("%d searches counted with a wrong key, want 0", n)
	}
}

func TestLookupSkipsInternalValues(t *testing.T) {
	b := setup(t, nil)
	inc := b.declare(t, "amber", "green", drone.TypedValue{Type: "ipv4", Value: "10.1.2.3"})
	b.work(t)
	if n := b.srv.Calls(misptest.RouteAttributeSearch); n != 0 {
		t.Errorf("%d searches for a private address, want 0", n)
	}
	if n := len(b.enrichments(t, inc.Number)); n != 0 {
		t.Errorf("%d enrichment entries, want 0", n)
	}
}

func TestLookupCachesAnswers(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	for range 3 {
		hits, err := b.client.Lookup(ctx, "ipv4", "203.0.113.7")
		if err != nil || len(hits) != 1 || hits[0].EventID != b.event.ID || hits[0].ThreatLevel != "high" {
			t.Fatalf("Lookup = %+v, %v", hits, err)
		}
	}
	if n := b.srv.Calls(misptest.RouteAttributeSearch); n != 1 {
		t.Errorf("%d searches for one value asked thrice, want 1", n)
	}
}

func TestEnricherSaysVerdicts(t *testing.T) {
	b := setup(t, nil)
	e := misp.Enricher{Client: b.client}
	vs, err := e.Enrich(context.Background(), "domain", "login-examp1e.com")
	if err != nil || len(vs) != 1 || !strings.Contains(vs[0].Summary, "APT-X") {
		t.Errorf("Enrich = %+v, %v", vs, err)
	}
	if vs, err := e.Enrich(context.Background(), "domain", "example.org"); err != nil || len(vs) != 0 {
		t.Errorf("Enrich of an unknown value = %+v, %v", vs, err)
	}
}

func TestCheck(t *testing.T) {
	b := setup(t, nil)
	info, err := b.client.Check(context.Background())
	if err != nil || info.Version != misptest.Version || info.User != "drone@example.org" || !info.PermSighting {
		t.Errorf("Check = %+v, %v", info, err)
	}
	bad, err := misp.New(misp.Config{URL: b.srv.URL, Key: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "misp.key") {
		t.Errorf("Check with a wrong key = %v, want a word on misp.key", err)
	}
}

func TestLookupRetriesASlowAnswer(t *testing.T) {
	b := setup(t, func(c *misp.Config) { c.Timeout = 100 * time.Millisecond })
	b.srv.SlowNext(misptest.RouteAttributeSearch, 1, 3*time.Second)
	inc := b.declare(t, "amber", "green", known)
	b.work(t)
	b.h.NoDeadJobs()
	if n := len(b.enrichments(t, inc.Number)); n != 1 {
		t.Fatalf("%d enrichment entries, want 1", n)
	}
	if n := b.srv.Calls(misptest.RouteAttributeSearch); n != 2 {
		t.Errorf("%d searches, want 2 (one timed out)", n)
	}
}

func TestLookupLostSearchAnswerIsRetried(t *testing.T) {
	b := setup(t, nil)
	b.srv.DropAfterCommit(misptest.RouteAttributeSearch, 1)
	inc := b.declare(t, "amber", "green", known)
	b.work(t)
	b.h.NoDeadJobs()
	if n := len(b.enrichments(t, inc.Number)); n != 1 {
		t.Fatalf("%d enrichment entries, want 1", n)
	}
	if n := len(b.srv.Sightings()); n != 1 {
		t.Errorf("%d sightings, want 1", n)
	}
}

func TestStandInRateLimitSnoozes(t *testing.T) {
	b := setup(t, nil)
	b.srv.Limit(1) // one request a second: the second search is refused
	inc := b.declare(t, "amber", "green", known, domain)
	b.work(t)
	b.h.NoDeadJobs()
	if n := len(b.enrichments(t, inc.Number)); n != 1 {
		t.Fatalf("%d enrichment entries, want 1", n)
	}
	if b.srv.Limited() == 0 {
		t.Error("the stand-in's limit refused nothing: the test tests nothing")
	}
	for _, j := range b.h.Jobs("completed") {
		if j.Kind == misp.LookupKind && j.LastError != "" {
			t.Errorf("a 429 spent an attempt: %s", j.LastError)
		}
	}
}

func TestPlannerSplitsLargeBatches(t *testing.T) {
	var obs []drone.Observable
	for i := range 2*misp.LookupChunk + 1 {
		obs = append(obs, drone.Observable{Type: "ipv4", Value: fmt.Sprintf("198.51.%d.%d", i/250, i%250)})
	}
	obs = append(obs, drone.Observable{Type: "ipv4", Value: "10.0.0.1", Internal: true}, drone.Observable{Type: "other", Value: "x"})
	inc := &drone.Incident{ID: "id-1", Number: 1}
	jobs := misp.Planner{}.Plan(drone.Event{Kind: drone.EntryObservables, Incident: inc, Entry: drone.Entry{Seq: 7}, Observables: obs})
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want 3", len(jobs))
	}
	keys := map[string]bool{}
	total := 0
	for _, j := range jobs {
		keys[j.UniqueKey] = true
		total += len(j.Args.(misp.LookupArgs).Items)
	}
	if len(keys) != 3 || total != 2*misp.LookupChunk+1 {
		t.Errorf("%d distinct keys, %d items; want 3 and %d (no internal, no other)", len(keys), total, 2*misp.LookupChunk+1)
	}
}
