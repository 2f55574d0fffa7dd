package cortex_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/cortex/cortextest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/store"
)

const runRoute = "POST /api/analyzer/{id}/run"

func incident(pap string, values ...drone.TypedValue) drone.DeclareInput {
	return drone.DeclareInput{Category: "CAT1", SubContext: "phishing", Severity: "high", TLP: "amber", PAP: pap,
		Overview: "phishing wave", Observables: drone.ObservableInput{Typed: values}}
}

var (
	badIP  = drone.TypedValue{Type: ioc.IPv4, Value: "203.0.113.7"}
	badURL = drone.TypedValue{Type: ioc.URL, Value: "https://login-examp1e.com/o365"}
)

// TestAnalyzeRecordsVerdicts checks the whole flow: a new observable is
// analysed by each configured analyzer that takes its type, and each
// report is summarised on the timeline, once, with its link.
func TestAnalyzeRecordsVerdicts(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse, vt, urlscan})
	b.srv.SetReport(abuse.Name, badIP.Value, cortextest.Report{Taxonomies: []cortextest.Taxonomy{
		{Level: "malicious", Namespace: "AbuseIPDB", Predicate: "score", Value: 97},
		{Level: "info", Namespace: "AbuseIPDB", Predicate: "reports", Value: 1234}}})
	inc := b.declare(t, incident("green", badIP, badURL))
	b.work(t)

	vs, texts := b.verdicts(t, inc.Number)
	// ip: AbuseIPDB, VirusTotal; url: VirusTotal, urlscan (PAP:GREEN allows it).
	if len(vs) != 4 || len(b.srv.Runs()) != 4 {
		t.Fatalf("%d verdicts and %d Cortex jobs, want 4 and 4: %q", len(vs), len(b.srv.Runs()), texts)
	}
	i := slices.IndexFunc(vs, func(v drone.Verdict) bool { return v.Source == "cortex/"+abuse.Name })
	if i < 0 {
		t.Fatalf("no AbuseIPDB verdict: %+v", vs)
	}
	v := vs[i]
	if !v.Known || v.Level != "malicious" || v.Value != badIP.Value || v.Type != "ipv4" ||
		!slices.Equal(v.Details, []string{"AbuseIPDB:score=97", "AbuseIPDB:reports=1234"}) {
		t.Errorf("verdict = %+v", v)
	}
	if want := "203[.]0[.]113[.]7 — AbuseIPDB_1_0: malicious (AbuseIPDB:score=97, AbuseIPDB:reports=1234)"; v.Summary != want {
		t.Errorf("summary = %q, want %q", v.Summary, want)
	}
	if !strings.HasPrefix(v.Link, b.srv.URL()+"/index.html#!/jobs/AW") {
		t.Errorf("link = %q", v.Link)
	}
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, v.Summary) && strings.Contains(s, v.Link) }) {
		t.Errorf("no entry text names the summary and the link: %q", texts)
	}
	for _, r := range b.srv.Runs() {
		if r.TLP != 2 || r.PAP != 1 || !strings.Contains(r.Message, "drone:"+inc.ID+"/") {
			t.Errorf("run %+v: want tlp 2 (AMBER), pap 1 (GREEN) and drone's mark", r)
		}
	}
	// A second round finds nothing more to do.
	b.work(t)
	if again, _ := b.verdicts(t, inc.Number); len(again) != 4 || len(b.srv.Runs()) != 4 {
		t.Errorf("after a second round: %d verdicts, %d jobs", len(again), len(b.srv.Runs()))
	}
	b.h.NoDeadJobs()
}

// TestLostRunAnswerStartsOneJob loses Cortex's answer to run after the job
// is made: the retry must find that job, not start another.
func TestLostRunAnswerStartsOneJob(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.DropAfterWork(runRoute, 1)
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)

	if n := b.srv.Count(runRoute); n != 1 {
		t.Errorf("run asked %d times, want 1 (the retry must find the job)", n)
	}
	if runs := b.srv.Runs(); len(runs) != 1 {
		t.Errorf("Cortex made %d jobs, want 1", len(runs))
	}
	if vs, _ := b.verdicts(t, inc.Number); len(vs) != 1 {
		t.Errorf("%d verdicts, want 1", len(vs))
	}
	jobs := b.h.Jobs()
	if len(jobs) != 1 || jobs[0].Attempt < 2 {
		t.Errorf("jobs = %+v, want one retried", jobs)
	}
	b.h.NoDeadJobs()
}

// TestRateLimitSnoozes answers 429 with Retry-After: the job waits as
// asked, which is no failed attempt, then succeeds.
func TestRateLimitSnoozes(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.FailNext(runRoute, 1, http.StatusTooManyRequests)
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)

	if vs, _ := b.verdicts(t, inc.Number); len(vs) != 1 {
		t.Errorf("%d verdicts, want 1", len(vs))
	}
	jobs := b.h.Jobs()
	if len(jobs) != 1 || jobs[0].State != "completed" || jobs[0].LastError != "" {
		t.Errorf("jobs = %+v, want one completed with no error recorded (a snooze is none)", jobs)
	}
	if !strings.Contains(b.h.Logs.String(), "waits before asking again") {
		t.Errorf("the wait is not logged:\n%s", b.h.Logs)
	}
}

// TestServerErrorsAreRetried fails requests with 503: the job retries
// with back-off and succeeds.
func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.FailNext("", 3, http.StatusServiceUnavailable)
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)
	if vs, _ := b.verdicts(t, inc.Number); len(vs) != 1 || len(b.srv.Runs()) != 1 {
		t.Errorf("%d verdicts, %d Cortex jobs; want 1 and 1", len(vs), len(b.srv.Runs()))
	}
	if jobs := b.h.Jobs(); len(jobs) != 1 || jobs[0].Attempt < 2 || jobs[0].State != "completed" {
		t.Errorf("jobs = %+v, want one completed after retries", jobs)
	}
}

// TestStillRunningPollsAgain keeps the Cortex job running for a few
// waitreports: the job polls the same Cortex job until it is done.
func TestStillRunningPollsAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.KeepRunning(3)
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)
	if n := b.srv.Count("GET /api/job/{id}/waitreport"); n != 4 {
		t.Errorf("waitreport asked %d times, want 4", n)
	}
	if vs, _ := b.verdicts(t, inc.Number); len(vs) != 1 || len(b.srv.Runs()) != 1 {
		t.Errorf("%d verdicts, %d Cortex jobs; want 1 and 1", len(vs), len(b.srv.Runs()))
	}
	b.h.NoDeadJobs()
}

// TestAnalyzerFailureIsDead makes the analyzer fail: the job dies at once
// and the timeline says why and how to retry it.
func TestAnalyzerFailureIsDead(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	b.srv.SetReport(abuse.Name, badIP.Value, cortextest.Report{Failure: "Invalid API key"})
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)
	dead := b.h.Jobs(store.Dead...)
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "Invalid API key") {
		t.Fatalf("dead jobs = %+v", dead)
	}
	got := b.entries(t, inc.Number, drone.EntryDelivery)
	if len(got) != 1 || !strings.Contains(got[0].Text, "Invalid API key") || !strings.Contains(got[0].Text, "drone queue retry") {
		t.Errorf("delivery entries = %+v", got)
	}
	if vs, _ := b.verdicts(t, inc.Number); len(vs) != 0 {
		t.Errorf("verdicts = %+v, want none", vs)
	}
}

// TestUnknownAnalyzerIsDead configures an analyzer Cortex lacks: the job
// dies naming the setting.
func TestUnknownAnalyzerIsDead(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse})
	ghost := cortex.Analyzer{Name: "Ghost_1_0", DataTypes: []string{"ip"}, Reach: cortex.ReachPassive}
	b.h.Service.Planners = []drone.Planner{cortex.Planner{Analyzers: []cortex.Analyzer{ghost}}}
	w, err := cortex.NewWorker(cortex.WorkerOptions{Client: b.client, Service: b.h.Service,
		Config: cortex.Config{Analyzers: []cortex.Analyzer{ghost}}})
	if err != nil {
		t.Fatal(err)
	}
	b.worker = w
	b.declare(t, incident("amber", badIP))
	b.work(t)
	dead := b.h.Jobs(store.Dead...)
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "cortex.analyzers names an analyzer") {
		t.Errorf("dead jobs = %+v", dead)
	}
}

// TestGivesUpOnEndlessAnalyses stops waiting for a Cortex job still
// running after give_up, and says so on the timeline.
func TestGivesUpOnEndlessAnalyses(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse}, func(c *cortex.Config) { c.GiveUp = time.Nanosecond })
	b.srv.KeepRunning(1000)
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)
	got := b.entries(t, inc.Number, drone.EntryDelivery)
	if len(got) != 1 || !strings.Contains(got[0].Text, "is still InProgress after") || !strings.Contains(got[0].Text, "cortex.give_up") {
		t.Errorf("delivery entries = %+v", got)
	}
	if n := len(b.srv.Runs()); n != 1 {
		t.Errorf("%d Cortex jobs, want 1", n)
	}
}

// TestSlowRunAnswerStartsOneJob: Cortex makes the job but answers after
// the client's timeout; the retry finds the job.
func TestSlowRunAnswerStartsOneJob(t *testing.T) {
	t.Parallel()
	b := setup(t, []cortex.Analyzer{abuse}, func(c *cortex.Config) { c.Timeout = 200 * time.Millisecond })
	b.srv.SlowNext(runRoute, 1, 2*time.Second)
	inc := b.declare(t, incident("amber", badIP))
	b.work(t)
	if n := b.srv.Count(runRoute); n != 1 || len(b.srv.Runs()) != 1 {
		t.Errorf("run asked %d times, %d Cortex jobs; want 1 and 1", n, len(b.srv.Runs()))
	}
	if vs, _ := b.verdicts(t, inc.Number); len(vs) != 1 {
		t.Errorf("%d verdicts, want 1", len(vs))
	}
	if jobs := b.h.Jobs(); len(jobs) != 1 || jobs[0].Attempt < 2 || !strings.Contains(jobs[0].LastError, "no answer") {
		t.Errorf("jobs = %+v, want one retried after the timeout", jobs)
	}
}
