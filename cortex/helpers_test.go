package cortex_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/cortex/cortextest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/store"
)

var operator = drone.Actor{Platform: "local", ID: "tester", Name: "tester"}

// The analyzers of the tests, one of each reach, as a Cortex instance
// commonly offers them.
var (
	abuse    = cortex.Analyzer{Name: "AbuseIPDB_1_0", DataTypes: []string{"ip"}, Reach: cortex.ReachPassive}
	vt       = cortex.Analyzer{Name: "VirusTotal_GetReport_3_1", DataTypes: []string{"ip", "domain", "url", "hash"}, Reach: cortex.ReachPassive}
	urlscan  = cortex.Analyzer{Name: "Urlscan_io_Scan_0_1_0", DataTypes: []string{"url", "domain"}, Reach: cortex.ReachActive}
	mispHere = cortex.Analyzer{Name: "MISP_2_1", DataTypes: []string{"ip", "domain", "url", "hash", "mail"}, Reach: cortex.ReachInternal, MaxTLP: "RED"}
)

// standIns are the stand-in's analyzers for configured ones.
func standIns(as ...cortex.Analyzer) []cortextest.Analyzer {
	out := make([]cortextest.Analyzer, len(as))
	for i, a := range as {
		out[i] = cortextest.Analyzer{Name: a.Name, DataTypes: a.DataTypes}
	}
	return out
}

// bundle is a drone with Cortex: a real store, a stand-in on loopback, a
// client and a worker.
type bundle struct {
	h      *dronetest.Harness
	srv    *cortextest.Server
	cfg    cortex.Config
	client *cortex.Client
	worker *cortex.Worker
}

func setup(t *testing.T, analyzers []cortex.Analyzer, mods ...func(*cortex.Config)) *bundle {
	t.Helper()
	srv := cortextest.New(t, cortextest.Options{Analyzers: standIns(analyzers...)})
	cfg := cortex.Config{URL: srv.URL(), APIKey: srv.Key(), Timeout: 5 * time.Second, Wait: time.Second,
		Poll: 10 * time.Millisecond, Analyzers: analyzers}
	for _, m := range mods {
		m(&cfg)
	}
	client, err := cortex.New(cfg)
	if err != nil {
		t.Fatalf("cortex.New: %v", err)
	}
	h := dronetest.New(t)
	h.Service.Targets, h.Service.Planners = nil, []drone.Planner{cortex.Planner{Analyzers: cfg.WithDefaults().Analyzers}}
	w, err := cortex.NewWorker(cortex.WorkerOptions{Client: client, Service: h.Service, Config: cfg, Log: h.Log})
	if err != nil {
		t.Fatalf("NewWorker: %v", err)
	}
	return &bundle{h: h, srv: srv, cfg: cfg, client: client, worker: w}
}

// work runs the queue until no job is due, within 90s: the property
// test's rounds of some fifty analyses take 20s under the race detector
// on a busy machine.
func (b *bundle) work(t *testing.T) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, b.worker)
	b.h.Drain(workers, store.QueueConfig{Workers: 4, MaxAttempts: 8, BackoffBase: 5 * time.Millisecond,
		BackoffMax: 40 * time.Millisecond, PollInterval: 20 * time.Millisecond, JobTimeout: 10 * time.Second}, 90*time.Second)
}

// verdicts returns the verdicts recorded on an incident's timeline, with
// the entries' texts.
func (b *bundle) verdicts(t *testing.T, number int64) ([]drone.Verdict, []string) {
	t.Helper()
	var vs []drone.Verdict
	var texts []string
	for _, e := range b.h.Record(number).Timeline {
		if e.Kind != drone.EntryEnrichment {
			continue
		}
		var one []drone.Verdict
		if err := json.Unmarshal(e.Data, &one); err != nil {
			t.Fatalf("entry %d: %v", e.Seq, err)
		}
		vs = append(vs, one...)
		texts = append(texts, e.Text)
	}
	return vs, texts
}

func (b *bundle) declare(t *testing.T, in drone.DeclareInput) *drone.Incident {
	t.Helper()
	inc, _, err := b.h.Service.Declare(context.Background(), operator, drone.Origin{Channel: "cli"}, in)
	if err != nil {
		t.Fatalf("Declare: %v", err)
	}
	return inc
}

// entries returns the timeline entries of a kind.
func (b *bundle) entries(t *testing.T, number int64, kind string) []drone.Entry {
	t.Helper()
	var out []drone.Entry
	for _, e := range b.h.Record(number).Timeline {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
