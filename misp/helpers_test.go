package misp_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/misp/misptest"
	"github.com/ttp0/drone/store"
)

var operator = drone.Actor{Platform: "local", ID: "tester", Name: "tester"}

// bundle is a drone with MISP: a real store file, a stand-in on loopback
// holding event "APT-X" with 203.0.113.7, a client and the workers.
type bundle struct {
	h      *dronetest.Harness
	srv    *misptest.Server
	svc    *drone.Service
	cfg    misp.Config
	client *misp.Client
	event  *misptest.Event
}

func ptr[T any](v T) *T { return &v }

func setup(t *testing.T, edit func(*misp.Config)) *bundle {
	t.Helper()
	srv := misptest.New(t, "k3y-0f-dr0ne")
	ev := srv.AddEvent(misptest.Event{Info: "APT-X", ThreatLevelID: "1", Distribution: "1", Analysis: "2",
		Date: "2026-11-02", Tags: []string{"tlp:amber", "misp-galaxy:threat-actor=\"APT-X\""},
		Attributes: []*misptest.Attribute{
			{Type: "ip-dst", Category: "Network activity", Value: "203.0.113.7", ToIDS: true,
				FirstSeen: "2026-10-01T00:00:00.000000+00:00", LastSeen: "2026-11-01T00:00:00.000000+00:00"},
			{Type: "domain", Category: "Network activity", Value: "login-examp1e.com", ToIDS: true},
		}})
	h := dronetest.New(t)
	cfg := misp.Config{URL: srv.URL, Key: srv.Key, Rate: ptr(0.0), Timeout: 5 * time.Second, Sightings: true}
	if edit != nil {
		edit(&cfg)
	}
	client, err := misp.New(cfg)
	if err != nil {
		t.Fatalf("misp.New: %v", err)
	}
	h.Service.Targets, h.Service.Planners = nil, []drone.Planner{misp.Planner{Config: cfg}}
	return &bundle{h: h, srv: srv, svc: h.Service, cfg: cfg, client: client, event: ev}
}

// work works the queue until no job is due, within 30s.
func (b *bundle) work(t *testing.T) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &misp.LookupWorker{Client: b.client, Service: b.svc, Config: b.cfg, Log: b.h.Log})
	river.AddWorker(workers, &misp.ExportWorker{Exporter: b.exporter(), Log: b.h.Log})
	b.h.Drain(workers, store.QueueConfig{Workers: 2, MaxAttempts: 6, BackoffBase: 5 * time.Millisecond,
		BackoffMax: 40 * time.Millisecond, PollInterval: 20 * time.Millisecond, JobTimeout: 10 * time.Second}, 30*time.Second)
}

func (b *bundle) exporter() *misp.Exporter {
	return &misp.Exporter{Client: b.client, Service: b.svc, Config: b.cfg}
}

func (b *bundle) declare(t *testing.T, tlp, pap string, values ...drone.TypedValue) *drone.Incident {
	t.Helper()
	inc, _, err := b.svc.Declare(context.Background(), operator, drone.Origin{Channel: "cli"}, drone.DeclareInput{
		Category: "CAT1", SubContext: "phishing", Severity: "high", TLP: tlp, PAP: pap,
		Overview: "Credential phishing", Observables: drone.ObservableInput{IOC: true, Typed: values}})
	if err != nil {
		t.Fatalf("Declare: %v", err)
	}
	return inc
}

// enrichments returns the incident's enrichment entries.
func (b *bundle) enrichments(t *testing.T, n int64) []drone.Entry {
	t.Helper()
	var out []drone.Entry
	for _, e := range b.h.Record(n).Timeline {
		if e.Kind == drone.EntryEnrichment {
			out = append(out, e)
		}
	}
	return out
}

func verdicts(t *testing.T, e drone.Entry) []drone.Verdict {
	t.Helper()
	var vs []drone.Verdict
	if err := json.Unmarshal(e.Data, &vs); err != nil {
		t.Fatalf("entry %d data: %v", e.Seq, err)
	}
	return vs
}

var (
	known   = drone.TypedValue{Type: ioc.IPv4, Value: "203.0.113.7"}
	unknown = drone.TypedValue{Type: ioc.IPv4, Value: "198.51.100.23"}
	domain  = drone.TypedValue{Type: ioc.Domain, Value: "login-examp1e.com"}
)
