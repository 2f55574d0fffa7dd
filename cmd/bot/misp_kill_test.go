package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/misp/misptest"
)

// TestMISPKilledMidSightings kills drone deliver with SIGKILL while MISP
// holds, unanswered, a sighting it has already added (the worst moment: the
// sighting exists, drone never heard so), restarts it, and checks that
// every matched attribute has exactly one sighting from the incident and
// the timeline one enrichment entry: nothing lost, nothing twice.
func TestMISPKilledMidSightings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone processes")
	}
	const n, before = 30, 10
	srv := misptest.New(t, "misp-kill-key")
	ev := misptest.Event{Info: "APT-X", ThreatLevelID: "1"}
	var ips []string
	for i := range n {
		ip := fmt.Sprintf("203.0.113.%d", i+1)
		ips = append(ips, ip)
		ev.Attributes = append(ev.Attributes, &misptest.Attribute{Type: "ip-dst", Category: "Network activity", Value: ip})
	}
	srv.AddEvent(ev)
	held, release := srv.HoldAfterCommit(misptest.RouteSightingAdd, before)
	defer release()
	e := newEnv(t)
	e.vars["MISP_KEY"] = srv.Key
	e.vars["DRONE_CONFIG"] = e.writeConfig(fmt.Sprintf(`zones: [ZONE-A]
business_units: [SALES]
queue: {workers: 2, job_timeout: 1s, backoff_base: 100ms, backoff_max: 200ms, poll_interval: 50ms}
misp: {url: %s, key: "${MISP_KEY}", rate: 0, timeout: 5s, sightings: true}
`, srv.URL))
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "beacons", "--iocs", strings.Join(ips, " "))

	child := e.startDeliver(t)
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		child.Process.Kill()
		t.Fatal("MISP never got the sightings")
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed := time.Now()
	release()
	if got := len(srv.Sightings()); got != before+1 {
		t.Fatalf("%d sightings when killed, want %d (the held one committed)", got, before+1)
	}
	// The killed process left its job running; it is rescued once it has
	// run for twice the job timeout (1s), which no live attempt can.
	time.Sleep(time.Until(killed.Add(2*time.Second + 100*time.Millisecond)))
	if out, err := e.deliverOnce(t); err != nil {
		t.Fatalf("restarted deliver: %v\n%s", err, out)
	}
	per := map[string]int{}
	sources := map[string]bool{}
	for _, s := range srv.Sightings() {
		per[s.AttributeID]++
		sources[s.Source] = true
	}
	if len(sources) != 1 {
		t.Errorf("sightings from %v, want the one incident's", sources)
	}
	for src := range sources {
		if !strings.HasPrefix(src, misp.SightingSource("")) {
			t.Errorf("sighting source %q does not name an incident", src)
		}
	}
	if len(per) != n {
		t.Errorf("%d attributes sighted, want %d", len(per), n)
	}
	for id, c := range per {
		if c != 1 {
			t.Errorf("attribute %s has %d sightings, want 1", id, c)
		}
	}
	if c := e.count(t, "SELECT COUNT(*) FROM timeline WHERE kind = 'enrichment'"); c != 1 {
		t.Errorf("%d enrichment entries, want 1", c)
	}
	if c := e.count(t, "SELECT COUNT(*) FROM river_job WHERE kind = 'misp.lookup' AND state != 'completed'"); c != 0 {
		t.Errorf("%d look-up jobs not completed", c)
	}
}
