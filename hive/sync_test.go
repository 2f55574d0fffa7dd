package hive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
	"github.com/ttp0/drone/store"
)

var operator = drone.Actor{Platform: "local", ID: "tester", Name: "tester"}

// syncBundle is a drone with TheHive sync: a real store file, a stand-in
// on loopback, a client and a worker.
type syncBundle struct {
	h      *dronetest.Harness
	srv    *hivetest.Server
	db     *store.DB
	svc    *drone.Service
	worker *hive.Worker
	cfg    hive.Config
}

type syncSetup struct {
	api       string
	srvOpts   hivetest.Options
	cfg       func(*hive.Config)
	transport func(srv *hivetest.Server) http.RoundTripper
	extra     func(category, subcontext string) []string
}

func setupSync(t *testing.T, s syncSetup) *syncBundle {
	t.Helper()
	if s.srvOpts.CustomFields == nil {
		s.srvOpts = testOptions()
	}
	srv := hivetest.New(t, s.srvOpts)
	h := dronetest.New(t)
	svc := h.Service
	svc.Framework.Zones, svc.Framework.BusinessUnits = []string{"ZONE-A"}, []string{"SALES", "VARIOUS"}
	svc.Targets, svc.Planners = nil, []drone.Planner{hive.Planner{}}
	cfg := hive.Config{
		URL: srv.URL(), APIKey: srv.Key(), Organisation: srv.Organisation(), API: s.api,
		Rate: ptr(0.0), Timeout: 5 * time.Second,
		CustomFields:  map[string]string{hive.FieldZone: "drone-zone", hive.FieldTier: "drone-tier"},
		CaseTemplates: map[string]string{"CAT1": "intrusion"},
		Users:         map[string]string{"local:tester": "alice@example.org"},
	}
	if s.cfg != nil {
		s.cfg(&cfg)
	}
	var opts []hive.Option
	if s.transport != nil {
		opts = append(opts, hive.WithTransport(s.transport(srv)))
	}
	cli, err := hive.New(cfg, opts...)
	if err != nil {
		t.Fatalf("hive.New: %v", err)
	}
	w, err := hive.NewWorker(hive.WorkerOptions{Client: cli, Service: svc, Config: cfg, ExtraTasks: s.extra})
	if err != nil {
		t.Fatalf("NewWorker: %v", err)
	}
	return &syncBundle{h: h, srv: srv, db: h.DB, svc: svc, worker: w, cfg: cfg}
}

// deliver works the queue with n workers until no job is due, within 30s.
func (b *syncBundle) deliver(t *testing.T, n int) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, b.worker)
	b.h.Drain(workers, store.QueueConfig{Workers: n, MaxAttempts: 8, BackoffBase: 5 * time.Millisecond,
		BackoffMax: 40 * time.Millisecond, PollInterval: 20 * time.Millisecond, JobTimeout: 10 * time.Second}, 30*time.Second)
}

// noDeadJobs fails the test if a job died.
func (b *syncBundle) noDeadJobs(t *testing.T) {
	t.Helper()
	b.h.NoDeadJobs()
}

// jobs returns the hive.sync jobs in the given states.
func (b *syncBundle) jobs(t *testing.T, states ...string) []store.JobInfo {
	t.Helper()
	return b.h.Jobs(states...)
}

func (b *syncBundle) declare(t *testing.T, in drone.DeclareInput) *drone.Incident {
	t.Helper()
	inc, _, err := b.svc.Declare(context.Background(), operator, drone.Origin{Channel: "cli"}, in)
	if err != nil {
		t.Fatalf("Declare: %v", err)
	}
	return inc
}

func (b *syncBundle) incident(t *testing.T, number int64) *drone.Record {
	t.Helper()
	return b.h.Record(number)
}

// onlyCase returns the stand-in's one case, failing unless there is one.
func (b *syncBundle) onlyCase(t *testing.T) hivetest.Case {
	t.Helper()
	cases := b.srv.Cases()
	if len(cases) != 1 {
		t.Fatalf("TheHive holds %d cases, want 1", len(cases))
	}
	return cases[0]
}

const payloadHash = "e81a9485b38ebdc5503c0f52be2341e22431ebff2f1370340d91962a91b4201f"

var phishing = drone.DeclareInput{
	Category: "CAT1", SubContext: "phishing", Severity: "high", Tier: "T2", Zone: "ZONE-A",
	BusinessUnit: "SALES", TLP: "red", PAP: "green", Overview: "Credential phishing | wave against sales",
	Observables: drone.ObservableInput{IOC: true, Tags: []string{"phish"}, Typed: []drone.TypedValue{
		{Type: ioc.IPv4, Value: "203.0.113.7"},
		{Type: ioc.IPv4, Value: "198.51.100.23"},
		{Type: ioc.Domain, Value: "login-examp1e.com"},
		{Type: ioc.URL, Value: "https://login-examp1e.com/o365"},
		{Type: ioc.SHA256, Value: payloadHash},
		{Type: ioc.Email, Value: "ceo@login-examp1e.com"},
	}},
}

func TestSyncCreatesCase(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		extra := func(cat, sub string) []string {
			return []string{"Check mail-service visibility for " + cat + "/" + sub}
		}
		b := setupSync(t, syncSetup{api: api, extra: extra})
		inc := b.declare(t, phishing)
		b.deliver(t, 4)

		cs := b.onlyCase(t)
		wantTLP := map[string]int{hive.APIv1: 4, hive.APIv0: 3}[api]
		if cs.Title != inc.Title || cs.Severity != 3 || cs.TLP != wantTLP || cs.PAP != 1 {
			t.Errorf("case %q severity %d tlp %d pap %d; want %q 3 %d 1", cs.Title, cs.Severity, cs.TLP, cs.PAP, inc.Title, wantTLP)
		}
		for _, tag := range append([]string{hive.CaseTag(inc.ID), "INC-1"}, inc.Tags...) {
			if !slices.Contains(cs.Tags, tag) {
				t.Errorf("case tags %v lack %q", cs.Tags, tag)
			}
		}
		if cs.CustomFields["drone-zone"] != "ZONE-A" || cs.CustomFields["drone-tier"] != "T2" || cs.CaseTemplate != "intrusion" {
			t.Errorf("custom fields %v template %q", cs.CustomFields, cs.CaseTemplate)
		}
		for _, want := range []string{"| Category | CAT1 Intrusion |", "| Type | Phishing |", `Credential phishing | wave`,
			"| Affected zone | ZONE-A |", "Reported by **tester** (`local:tester`) from cli"} {
			if !strings.Contains(cs.Description, want) {
				t.Errorf("description lacks %q:\n%s", want, cs.Description)
			}
		}
		checkTasks(t, b.srv.Tasks(cs.ID), append(hive.PlaybookTasks(nil, "CAT1", "Phishing"), extra("CAT1", "Phishing")...))
		checkObservables(t, b, cs, 6)
		rec := b.incident(t, inc.Number)
		ext := rec.Incident.External
		if ext[hive.ExtCaseID] != cs.ID || ext[hive.ExtCaseNumber] != "1" || !strings.Contains(ext[hive.ExtCaseURL], cs.ID) {
			t.Errorf("incident external = %v, want case %s", ext, cs.ID)
		}
		b.noDeadJobs(t)
	})
}

func checkTasks(t *testing.T, tasks []hivetest.Task, want []string) {
	t.Helper()
	var got []string
	for _, task := range tasks {
		got = append(got, task.Title)
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("tasks = %q, want %q", got, want)
	}
}

// checkObservables checks that the case holds n observables, each value
// once, batched one request per data type, flagged and described.
func checkObservables(t *testing.T, b *syncBundle, cs hivetest.Case, n int) {
	t.Helper()
	obs := b.srv.Observables(cs.ID)
	seen := map[string]bool{}
	for _, o := range obs {
		key := o.DataType + " " + o.Data
		if seen[key] {
			t.Errorf("observable %s twice", key)
		}
		seen[key] = true
		if !o.IOC || o.TLP != cs.TLP || !slices.Contains(o.Tags, "phish") || !strings.Contains(o.Message, "by tester (local:tester) from cli") {
			t.Errorf("observable %s: ioc %v tlp %d tags %v message %q", key, o.IOC, o.TLP, o.Tags, o.Message)
		}
	}
	if len(obs) != n {
		t.Errorf("case holds %d observables, want %d: %v", len(obs), n, seen)
	}
	for _, key := range []string{"ip 203.0.113.7", "domain login-examp1e.com", "hash " + payloadHash, "mail ceo@login-examp1e.com"} {
		if !seen[key] {
			t.Errorf("case lacks observable %s", key)
		}
	}
	pattern := map[string]string{hive.APIv1: "POST /api/v1/case/{id}/observable", hive.APIv0: "POST /api/case/{id}/artifact"}[b.cfg.API]
	if got := b.srv.Count(pattern); got != 5 {
		t.Errorf("%d observable requests, want one per data type (5)", got)
	}
}

func TestSyncLifecycle(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setupSync(t, syncSetup{api: api})
		ctx := context.Background()
		inc := b.declare(t, phishing)
		b.deliver(t, 2)
		o := drone.Origin{Channel: "cli"}

		if _, err := b.svc.Acknowledge(ctx, operator, o, inc.Number); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 2)
		cs := b.onlyCase(t)
		open := map[string]string{hive.APIv1: "InProgress", hive.APIv0: "New"}[api] // TheHive 4 cases are just Open
		if cs.Stage != open || cs.Assignee != "alice@example.org" {
			t.Errorf("after ack: stage %q assignee %q, want %s alice@example.org", cs.Stage, cs.Assignee, open)
		}

		if _, err := b.svc.PostUpdate(ctx, operator, o, inc.Number, drone.UpdateInput{Status: drone.StatusContained, Summary: "Mailboxes purged"}); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 2)
		if cs = b.onlyCase(t); !strings.Contains(cs.Description, "Mailboxes purged") || !strings.Contains(cs.Description, "### Status updates") {
			t.Errorf("after update, description lacks it:\n%s", cs.Description)
		}

		if _, err := b.svc.Close(ctx, operator, o, inc.Number, drone.CloseInput{Resolution: "TruePositive", Impact: "WithImpact", Summary: "Contained, creds reset"}); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 2)
		cs = b.onlyCase(t)
		if cs.Stage != "Closed" || cs.Status != "TruePositive" || cs.ImpactStatus != "WithImpact" || cs.Summary != "Contained, creds reset" {
			t.Errorf("after close: stage %q status %q impact %q summary %q", cs.Stage, cs.Status, cs.ImpactStatus, cs.Summary)
		}

		if _, err := b.svc.Reopen(ctx, operator, o, inc.Number, "More victims found"); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 2)
		if cs = b.onlyCase(t); cs.Stage != "InProgress" || cs.Status != "InProgress" || !strings.Contains(cs.Description, "More victims found") {
			t.Errorf("after reopen: stage %q, description:\n%s", cs.Stage, cs.Description)
		}
		b.noDeadJobs(t)
	})
}

// TestSyncOutOfOrder changes an incident many times before any job runs:
// whatever order the workers take the jobs in, the case ends as the
// incident is.
func TestSyncOutOfOrder(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	ctx := context.Background()
	o := drone.Origin{Channel: "cli"}
	inc := b.declare(t, phishing)
	if _, err := b.svc.Acknowledge(ctx, operator, o, inc.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.PostUpdate(ctx, operator, o, inc.Number, drone.UpdateInput{Summary: "Scoping"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Close(ctx, operator, o, inc.Number, drone.CloseInput{Resolution: "FalsePositive", Summary: "Red team"}); err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 8)
	cs := b.onlyCase(t)
	if cs.Stage != "Closed" || cs.Status != "FalsePositive" || !strings.Contains(cs.Description, "Scoping") {
		t.Errorf("case stage %q status %q, description:\n%s", cs.Stage, cs.Status, cs.Description)
	}
	if n := len(b.srv.Observables(cs.ID)); n != 6 {
		t.Errorf("case holds %d observables, want 6", n)
	}
}

func TestSyncOutageThenBack(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setupSync(t, syncSetup{api: api})
		b.srv.FailNext(6, http.StatusServiceUnavailable)
		inc := b.declare(t, phishing)
		if _, err := b.svc.AddObservables(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number,
			drone.ObservableInput{IOC: true, Tags: []string{"phish"}, Text: "second wave from 192.0.2.44"}); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 4)
		cs := b.onlyCase(t)
		if n := len(b.srv.Observables(cs.ID)); n != 7 {
			t.Errorf("case holds %d observables, want 7", n)
		}
		b.noDeadJobs(t)
		retried := 0
		for _, j := range b.jobs(t, "completed") {
			if j.LastError != "" {
				retried++
			}
		}
		if retried == 0 {
			t.Error("no job records a failed attempt: the outage was not seen")
		}
	})
}

// dropCreate makes the stand-in commit the first case creation and drop
// its answer, as a crash or a proxy timeout would.
type dropCreate struct {
	srv  *hivetest.Server
	once sync.Once
	next http.RoundTripper
}

func (d *dropCreate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && (r.URL.Path == "/api/v1/case" || r.URL.Path == "/api/case") {
		d.once.Do(func() { d.srv.DropResponseAfterCommit(1) })
	}
	return d.next.RoundTrip(r)
}

func TestSyncLostCreateAnswer(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setupSync(t, syncSetup{api: api, transport: func(srv *hivetest.Server) http.RoundTripper {
			return &dropCreate{srv: srv, next: http.DefaultTransport.(*http.Transport).Clone()}
		}})
		inc := b.declare(t, phishing)
		b.deliver(t, 1)
		cs := b.onlyCase(t)
		rec := b.incident(t, inc.Number)
		if rec.Incident.External[hive.ExtCaseID] != cs.ID {
			t.Errorf("incident records case %q, want %q", rec.Incident.External[hive.ExtCaseID], cs.ID)
		}
		if !hasEntry(rec, drone.EntryExternal, "found by its tag") {
			t.Error("timeline does not say the case was found by its tag")
		}
		if n := len(b.srv.Observables(cs.ID)); n != 6 {
			t.Errorf("case holds %d observables, want 6", n)
		}
		if got := len(b.srv.Tasks(cs.ID)); got != len(hive.PlaybookTasks(nil, "CAT1", "Phishing")) {
			t.Errorf("case has %d tasks, want its playbook once", got)
		}
	})
}

func hasEntry(rec *drone.Record, kind, text string) bool {
	for _, e := range rec.Timeline {
		if e.Kind == kind && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

func TestSyncSnoozesOn429(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	b.srv.FailNext(1, http.StatusTooManyRequests)
	b.declare(t, phishing)
	b.deliver(t, 1)
	cs := b.onlyCase(t)
	if n := len(b.srv.Observables(cs.ID)); n != 6 {
		t.Errorf("case holds %d observables, want 6", n)
	}
	for _, j := range b.jobs(t, "completed") {
		if j.LastError != "" {
			t.Errorf("job %d spent an attempt on a 429: %s", j.ID, j.LastError)
		}
	}
}

// TestSyncConcurrentAnalysts has analysts add overlapping indicators at
// once, worked by many workers: the case holds each value once.
func TestSyncConcurrentAnalysts(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	inc := b.declare(t, phishing)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := drone.Actor{Platform: "slack", ID: fmt.Sprintf("U%d", i), Name: fmt.Sprintf("analyst%d", i)}
			text := fmt.Sprintf("seen from 192.0.2.%d and 192.0.2.200, payload at https://cdn-examp1e.net/%d", i+1, i%2)
			if _, err := b.svc.AddObservables(context.Background(), a, drone.Origin{Channel: "slack", Ref: "C1"}, inc.Number,
				drone.ObservableInput{Text: text}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b.deliver(t, 16)
	cs := b.onlyCase(t)
	want := 6 + 8 + 1 + 2 // declared, one address each, the shared address, two URLs
	obs := b.srv.Observables(cs.ID)
	seen := map[string]int{}
	for _, o := range obs {
		seen[o.DataType+" "+o.Data]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s is on the case %d times", k, n)
		}
	}
	if len(obs) != want {
		t.Errorf("case holds %d observables, want %d: %v", len(obs), want, seen)
	}
	b.noDeadJobs(t)
}

// TestSyncDeadJobRevived refuses a case for an unknown custom field: the
// job dies at once with TheHive's reason on the timeline; once TheHive
// knows the field, retrying the job makes the case.
func TestSyncDeadJobRevived(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1, cfg: func(c *hive.Config) {
		c.CustomFields = map[string]string{hive.FieldZone: "drone-zonex"}
	}})
	inc := b.declare(t, phishing)
	b.deliver(t, 2)
	if n := len(b.srv.Cases()); n != 0 {
		t.Fatalf("TheHive holds %d cases, want none", n)
	}
	dead := b.jobs(t, store.Dead...)
	if len(dead) != 2 || dead[0].Attempt != 1 {
		t.Fatalf("dead jobs = %+v, want the 2 jobs of the declaration, cancelled at their first attempt", dead)
	}
	for _, j := range dead {
		if !strings.Contains(j.LastError, "hive.custom_fields") || !strings.Contains(j.LastError, "NotFoundError") {
			t.Errorf("job %d: last error %q does not name the setting and TheHive's error", j.ID, j.LastError)
		}
	}
	rec := b.incident(t, inc.Number)
	if !hasEntry(rec, drone.EntryDelivery, "CustomField drone-zonex not found") || len(rec.Observables) != 6 {
		t.Errorf("timeline lacks the reason, or observables were lost (%d)", len(rec.Observables))
	}
	var data map[string]any
	for _, e := range rec.Timeline {
		if e.Kind == drone.EntryDelivery {
			if err := json.Unmarshal(e.Data, &data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if data["type"] != "NotFoundError" || data["message"] != "CustomField drone-zonex not found" {
		t.Errorf("delivery entry data = %v, want TheHive's type and message", data)
	}

	// Revived without a fix, the job dies again, and says so again.
	if _, err := b.db.RetryJob(context.Background(), dead[1].ID); err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 2)
	job := fmt.Sprintf("(job %d,", dead[1].ID)
	entries := 0
	for _, e := range b.incident(t, inc.Number).Timeline {
		if e.Kind == drone.EntryDelivery && strings.Contains(e.Text, job) {
			entries++
		}
	}
	if entries != 2 {
		t.Errorf("%d delivery entries for job %d, want one per death (2)", entries, dead[1].ID)
	}

	cfg := b.cfg
	cfg.CustomFields = map[string]string{hive.FieldZone: "drone-zone"}
	b.worker = newWorker(t, b.svc, cfg)
	if _, err := b.db.RetryJob(context.Background(), dead[0].ID); err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 2)
	cs := b.onlyCase(t)
	if n := len(b.srv.Observables(cs.ID)); n != 6 {
		t.Errorf("revived declaration: case holds %d observables, want 6", n)
	}
	if rec := b.incident(t, inc.Number); rec.Incident.External[hive.ExtObservables] != "6" {
		t.Errorf("incident external = %v, want 6 observables recorded", rec.Incident.External)
	}
}

// newWorker returns a worker of svc with the settings of cfg.
func newWorker(t *testing.T, svc *drone.Service, cfg hive.Config) *hive.Worker {
	t.Helper()
	cli, err := hive.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := hive.NewWorker(hive.WorkerOptions{Client: cli, Service: svc, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestPlanner(t *testing.T) {
	inc := &drone.Incident{ID: "0190-abc"}
	for kind, want := range map[string]bool{
		drone.EntryDeclared: true, drone.EntryObservables: true, drone.EntryAcknowledged: true, drone.EntryLead: true,
		drone.EntryStatus: true, drone.EntryUpdate: true, drone.EntryReopened: true,
		drone.EntryExternal: false, drone.EntryDelivery: false, drone.EntryDenied: false,
	} {
		jobs := hive.Planner{}.Plan(drone.Event{Kind: kind, Incident: inc, Entry: drone.Entry{Seq: 7}})
		if !want {
			if len(jobs) != 0 {
				t.Errorf("%s: planned %+v, want nothing", kind, jobs)
			}
			continue
		}
		if len(jobs) != 1 || jobs[0].Kind != hive.SyncKind || jobs[0].UniqueKey != "hive.sync:0190-abc:7" ||
			jobs[0].Args != (hive.SyncArgs{IncidentID: "0190-abc", Seq: 7, EntryKind: kind}) {
			t.Errorf("%s: planned %+v", kind, jobs)
		}
	}
}

// TestSyncReadsEntryKind works jobs whose arguments lack the entry's kind,
// and one naming an entry the timeline does not have, which dies at once.
func TestSyncReadsEntryKind(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	b.svc.Planners = []drone.Planner{drone.PlannerFunc(func(e drone.Event) []drone.Job {
		jobs := hive.Planner{}.Plan(e)
		for i := range jobs {
			args := jobs[i].Args.(hive.SyncArgs)
			args.EntryKind = ""
			jobs[i].Args = args
		}
		return jobs
	})}
	inc := b.declare(t, phishing)
	if _, err := b.svc.Acknowledge(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number); err != nil {
		t.Fatal(err)
	}
	err := b.db.Update(context.Background(), func(tx drone.Tx) error {
		return tx.Enqueue(context.Background(), []drone.Job{{Kind: hive.SyncKind, Args: hive.SyncArgs{IncidentID: inc.ID, Seq: 99}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 2)
	cs := b.onlyCase(t)
	if cs.Stage != "InProgress" || len(b.srv.Observables(cs.ID)) != 6 {
		t.Errorf("case stage %q with %d observables, want InProgress and 6", cs.Stage, len(b.srv.Observables(cs.ID)))
	}
	dead := b.jobs(t, store.Dead...)
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "INC-1 has no timeline entry 99") {
		t.Errorf("dead jobs = %+v, want the one naming entry 99", dead)
	}
}
