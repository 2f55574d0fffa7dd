package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify/email"
	"github.com/ttp0/drone/notify/email/smtptest"
	"github.com/ttp0/drone/store"
)

// fixture is a notifier over a real SQLite store and River queue, sending
// through an SMTP stand-in with STARTTLS and AUTH.
type fixture struct {
	h     *dronetest.Harness
	svc   *drone.Service
	db    *store.DB
	n     *Notifier
	relay *smtptest.Server
	clock *dronetest.Clock
}

var (
	responder = drone.Actor{Platform: "local", ID: "alice", Name: "alice"}
	cli       = drone.Origin{Channel: "cli"}
)

// testConfig routes: the SOC (RED) gets everything; leaders (AMBER) get
// declarations and closures of HIGH incidents up to AMBER in plain
// language; partners (GREEN) get GREEN incidents; legal is reminded of the
// regulatory clocks.
func testConfig() Config {
	return Config{
		Targets: []Target{
			{Name: "soc", Medium: drone.MediumEmail, To: []string{"soc@example.org", "analyst@example.org"}, Clearance: "RED"},
			{Name: "leaders", Medium: drone.MediumEmail, To: []string{"ciso@example.org"}, Clearance: "AMBER"},
			{Name: "partners", Medium: drone.MediumEmail, To: []string{"partner@example.net"}, Clearance: "GREEN"},
			{Name: "legal", Medium: drone.MediumEmail, To: []string{"dpo@example.org"}, Clearance: "AMBER+STRICT"},
		},
		Rules: []Rule{
			{Name: "soc", Events: []string{"all"}, Targets: []string{"soc"}},
			{Name: "leaders", Events: []string{EventDeclared, EventClosed, EventDigest}, MinSeverity: "HIGH", MaxTLP: "AMBER",
				Targets: []string{"leaders"}, Audience: drone.AudienceLeaders},
			{Name: "partners", Events: []string{EventDeclared}, MaxTLP: "GREEN", Targets: []string{"partners"}},
		},
		SOC:         "soc",
		BatchWindow: 2 * time.Second,
		Regulatory: measure.Regulatory{Contacts: []string{"legal"}, Clocks: []measure.Clock{
			{Name: "GDPR", Deadline: 72 * time.Hour},
		}},
		Digest: Digest{Times: []string{"08:00"}, TimeZone: "Europe/Paris"},
	}
}

func setup(t *testing.T, cfg Config, relayOpts smtptest.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	relayOpts.TLS, relayOpts.Username, relayOpts.Password = true, "drone", "relay-secret"
	relay, err := smtptest.Start(relayOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	h := dronetest.New(t)
	f := &fixture{h: h, svc: h.Service, db: h.DB, relay: relay, clock: dronetest.NewClock(time.Now().UTC())}
	cfg.Email = email.Config{Host: relay.Host(), Port: relay.Port(), From: "drone <drone@example.org>",
		Username: "drone", Password: "relay-secret", Timeout: 10 * time.Second}
	if err := cfg.ValidateFor(drone.DefaultFramework(), nil); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	f.svc.Extractor, f.svc.Now = ioc.New(ioc.Options{}), f.clock.Now
	f.n, err = New(ctx, Options{Config: cfg, Service: f.svc, EmailTLS: relay.ClientTLS(),
		Org: "Example Org", SOC: "Example SOC", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.n.Close() })
	// The measures come with the notifier (Integration): their missed
	// targets and reminders are events the rules route.
	m := measure.New(measure.Options{Service: f.svc, Regulatory: cfg.Regulatory, Now: f.clock.Now})
	f.svc.Planners = []drone.Planner{m, f.n}
	workers := river.NewWorkers()
	f.n.Register(workers)
	m.Register(workers)
	h.StartQueue(workers, store.QueueConfig{MaxAttempts: 3, BackoffBase: 20 * time.Millisecond,
		BackoffMax: 50 * time.Millisecond, PollInterval: 20 * time.Millisecond, JobTimeout: 20 * time.Second},
		store.LanesOf(f.n.Lanes())...)
	return f
}

// wait waits until the relay holds n messages, bounded in time.
func (f *fixture) wait(t *testing.T, n int) []smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.relay.Wait(ctx, n); err != nil {
		t.Fatalf("%v; messages: %s", err, describe(f.relay.Messages()))
	}
	return f.relay.Messages()
}

// settle waits until no notify job is due, so that a count can be final.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	f.h.Settle(20 * time.Second)
}

func describe(ms []smtptest.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("\n  " + strings.Join(m.To, ",") + ": " + m.Header.Get("Subject") + " [" + m.Header.Get("X-Drone-Event") + "]")
	}
	return b.String()
}

func to(ms []smtptest.Message, rcpt string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range ms {
		if slices.Contains(m.To, rcpt) {
			out = append(out, m)
		}
	}
	return out
}

var highAmber = drone.DeclareInput{Category: "CAT1", SubContext: "Phishing", Severity: "high", BusinessUnit: "VARIOUS",
	TLP: "amber", Overview: "Phishing from login-examp1e.com reported by sales",
	Observables: drone.ObservableInput{Text: "203.0.113.7 hxxps://login-examp1e[.]com/o365"}}

func TestEventsFanOutThreadedAndWithinClearance(t *testing.T) {
	f := setup(t, testConfig(), smtptest.Options{})
	ctx := context.Background()
	inc, _, err := f.svc.Declare(ctx, responder, cli, highAmber)
	if err != nil {
		t.Fatal(err)
	}
	// Declared: the two SOC addresses and the CISO; not the GREEN partner.
	f.wait(t, 3)
	if _, err := f.svc.PostUpdate(ctx, responder, cli, inc.Number, drone.UpdateInput{Status: drone.StatusContained, Summary: "proxy blocks 203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, 5)
	f.settle(t)
	msgs := f.relay.Messages()
	if n := len(to(msgs, "partner@example.net")); n != 0 {
		t.Fatalf("the GREEN partner got %d message(s) about a TLP:AMBER incident", n)
	}
	soc := to(msgs, "soc@example.org")
	if len(soc) != 2 {
		t.Fatalf("soc@ got %d messages, want 2 (declared, contained):%s", len(soc), describe(msgs))
	}
	first, second := soc[0].Header, soc[1].Header
	if first.Get("Subject") != inc.Title+" | SIN #1" || second.Get("In-Reply-To") != first.Get("Message-Id") ||
		second.Get("References") != first.Get("Message-Id") {
		t.Fatalf("threading: first %v\nsecond %v", first, second)
	}
	if !strings.Contains(string(soc[0].Data), "203[.]0[.]113[.]7") || !soc[0].TLS || soc[0].User != "drone" {
		t.Fatalf("the responders' mail lacks the defanged indicator, or went without TLS/AUTH:\n%s", soc[0].Data)
	}
	ciso := to(msgs, "ciso@example.org")
	if len(ciso) != 1 {
		t.Fatalf("the CISO got %d messages, want 1 (declared only)", len(ciso))
	}
	for _, raw := range []string{"203.0.113.7", "203[.]0[.]113[.]7", "login-examp1e"} {
		if strings.Contains(string(ciso[0].Data), raw) {
			t.Fatalf("the leaders' mail shows %s:\n%s", raw, ciso[0].Data)
		}
	}
	sent, err := f.n.Deliveries(ctx, inc.ID)
	if err != nil || len(sent) != 5 {
		t.Fatalf("%d deliveries recorded (%v), want 5", len(sent), err)
	}
}

func TestTemporaryRetriedPermanentAnnounced(t *testing.T) {
	var mu sync.Mutex
	tries := map[string]int{}
	cfg := testConfig()
	cfg.Targets[0].To = append(cfg.Targets[0].To, "flaky@example.org")
	cfg.Targets[2].To = append(cfg.Targets[2].To, "gone@example.org")
	f := setup(t, cfg, smtptest.Options{Rcpt: func(rcpt string) error {
		mu.Lock()
		defer mu.Unlock()
		tries[rcpt]++
		switch {
		case rcpt == "gone@example.org":
			return smtptest.Permanent("no such mailbox")
		case rcpt == "flaky@example.org" && tries[rcpt] == 1:
			return smtptest.Temporary("greylisted, try again")
		}
		return nil
	}})
	ctx := context.Background()
	inc, _, err := f.svc.Declare(ctx, responder, cli, drone.DeclareInput{Category: "CAT3", Severity: "low", Overview: "Adware on a kiosk", TLP: "green"})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(t, 4) // soc, analyst, flaky after its retry, partner
	// The dead delivery to gone@ is recorded on the timeline and announced
	// to the SOC target: one more message to each SOC address.
	f.wait(t, 7)
	f.settle(t)
	msgs := f.relay.Messages()
	if n := len(to(msgs, "flaky@example.org")); n != 2 || tries["flaky@example.org"] != 3 {
		t.Fatalf("flaky@ got %d messages after %d tries, want the declaration after a retry, then the announcement", n, tries["flaky@example.org"])
	}
	var announced bool
	for _, m := range to(msgs, "soc@example.org") {
		announced = announced || (m.Header.Get("X-Drone-Event") == "delivery" && strings.Contains(string(m.Data), "gone@example.org"))
	}
	if !announced {
		t.Fatalf("the SOC was not told of the dead delivery:%s", describe(msgs))
	}
	dead, err := f.db.Jobs(ctx, 100, store.Dead...)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "no such mailbox") {
		t.Fatalf("dead jobs %+v (%v), want the one to gone@", dead, err)
	}
	rec, _ := f.svc.Get(ctx, inc.Number)
	if !slices.ContainsFunc(rec.Timeline, func(e drone.Entry) bool { return e.Kind == drone.EntryDelivery }) {
		t.Fatal("the dead delivery is not on the timeline")
	}
}

func TestIndicatorsBatchedPerWindow(t *testing.T) {
	cfg := testConfig()
	cfg.Rules = cfg.Rules[:1]
	cfg.Targets[0].To = cfg.Targets[0].To[:1]
	f := setup(t, cfg, smtptest.Options{})
	ctx := context.Background()
	// The service's clock stands at the start of the next window, so the
	// batch goes when that window ends, after both additions.
	start := time.Now().UTC().Truncate(cfg.BatchWindow).Add(cfg.BatchWindow)
	f.clock.Set(start)
	inc, _, err := f.svc.Declare(ctx, responder, cli, drone.DeclareInput{Category: "CAT3", Severity: "low", Overview: "beacon"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"198.51.100.23", "evil-cdn.net 198.51.100.24"} {
		if _, err := f.svc.AddObservables(ctx, responder, cli, inc.Number, drone.ObservableInput{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	f.wait(t, 2)
	f.settle(t)
	msgs := f.relay.Messages()
	if len(msgs) != 2 || msgs[1].Header.Get("X-Drone-Event") != EventIndicators {
		t.Fatalf("messages:%s\nwant the declaration and one batch", describe(msgs))
	}
	body := string(msgs[1].Data)
	for _, want := range []string{"3 new indicator(s)", "198[.]51[.]100[.]23", "198[.]51[.]100[.]24", "evil-cdn[.]net"} {
		if !strings.Contains(body, want) {
			t.Errorf("the batch lacks %q", want)
		}
	}
}

func TestTargetsMissedAndRegulatoryClock(t *testing.T) {
	f := setup(t, testConfig(), smtptest.Options{})
	ctx := context.Background()
	// Two hours ago by the service's clock: the HIGH acknowledgement target
	// (1h) has run out in real time, so its check runs at once.
	f.clock.Set(time.Now().UTC().Add(-2 * time.Hour))
	inc, _, err := f.svc.Declare(ctx, responder, cli, highAmber)
	if err != nil {
		t.Fatal(err)
	}
	// Aware 71h30m before the marking: GDPR's 72h end within the half hour
	// before the real now, so the reminder goes at once and the deadline
	// passes.
	if _, err := f.svc.MarkReportable(ctx, responder, cli, inc.Number, drone.ReportableInput{AwareAt: f.clock.Now().Add(-70 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	rec, err := f.svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range rec.Timeline {
		kinds = append(kinds, e.Kind+": "+e.Text)
	}
	got := strings.Join(kinds, "\n")
	for _, want := range []string{"not acknowledged in time", "Reminder: INC-1 must be reported under GDPR", "GDPR reporting deadline of INC-1 passed"} {
		if !strings.Contains(got, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, got)
		}
	}
	legal := to(f.relay.Messages(), "dpo@example.org")
	if len(legal) != 2 {
		t.Fatalf("the DPO got %d messages, want the reminder and the missed deadline:%s", len(legal), describe(f.relay.Messages()))
	}
	f.clock.Set(time.Now().UTC())
	r, err := f.n.Report(ctx, time.Now().Add(-24*time.Hour), time.Now().Add(time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Missed) != 2 || len(r.Deadlines) != 1 || !strings.HasPrefix(r.Deadlines[0].State, "MISSED") {
		t.Fatalf("report missed %+v deadlines %+v", r.Missed, r.Deadlines)
	}
}

func TestDigestGoesToLeadersAndSchedulesTheNext(t *testing.T) {
	f := setup(t, testConfig(), smtptest.Options{})
	ctx := context.Background()
	base := time.Now().UTC().Add(-3 * time.Hour)
	for i, in := range []drone.DeclareInput{highAmber, {Category: "CAT2", Severity: "critical", TLP: "red", Overview: "DDoS"}} {
		f.clock.Set(base.Add(time.Duration(i) * time.Minute))
		inc, _, err := f.svc.Declare(ctx, responder, cli, in)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Set(base.Add(time.Duration(10+20*i) * time.Minute))
		if _, err := f.svc.Acknowledge(ctx, responder, cli, inc.Number); err != nil {
			t.Fatal(err)
		}
		// Each incident has an action overdue by the digest: only the
		// AMBER one's may show.
		due := base.Add(-time.Hour)
		if _, err := f.svc.AddFollowUp(ctx, responder, cli, inc.Number, drone.FollowUpInput{Text: fmt.Sprintf("Lessons of %s", inc.Ref()), Due: &due}); err != nil {
			t.Fatal(err)
		}
	}
	f.settle(t)
	before := len(f.relay.Messages())
	if err := f.svc.Store.Update(ctx, func(tx drone.Tx) error {
		return tx.Enqueue(ctx, []drone.Job{digestJob(time.Now().UTC().Add(-time.Second))})
	}); err != nil {
		t.Fatal(err)
	}
	f.wait(t, before+1)
	f.settle(t)
	var digest *smtptest.Message
	for _, m := range to(f.relay.Messages()[before:], "ciso@example.org") {
		if m.Header.Get("X-Drone-Event") == EventDigest {
			digest = &m
		}
	}
	if digest == nil {
		t.Fatalf("no digest to the CISO:%s", describe(f.relay.Messages()[before:]))
	}
	body := string(digest.Data)
	if !strings.Contains(body, "INC-1") || strings.Contains(body, "INC-2") {
		t.Fatalf("the CISO's digest must list the HIGH AMBER INC-1 and not the RED INC-2:\n%s", body)
	}
	if !strings.Contains(body, "Overdue follow-up actions") || !strings.Contains(body, "ACT-1 (INC-1) Lessons of INC-1") || strings.Contains(body, "ACT-2") {
		t.Fatalf("the CISO's digest must list INC-1's overdue action and not the RED INC-2's:\n%s", body)
	}
	next, err := f.db.Jobs(ctx, 100, "scheduled")
	if err != nil || !slices.ContainsFunc(next, func(j store.JobInfo) bool { return j.Kind == KindDigest }) {
		t.Fatalf("the next digest is not scheduled: %+v %v", next, err)
	}
}

func TestNotifyTestSendsASampleWithinClearance(t *testing.T) {
	f := setup(t, testConfig(), smtptest.Options{})
	ctx := context.Background()
	res, err := f.n.Test(ctx, "soc", "", nil)
	if err != nil || len(res) != 2 || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("results %+v, %v", res, err)
	}
	if m := f.relay.Messages(); len(m) != 2 || !strings.HasPrefix(m[0].Header.Get("Subject"), "[TEST]") {
		t.Fatalf("messages:%s", describe(m))
	}
	rec := SampleRecord(drone.DefaultFramework(), time.Now())
	rec.Incident.TLP = "RED"
	res, err = f.n.Test(ctx, "leaders", "", rec)
	if err != nil || len(res) != 1 || !IsWithheld(res[0].Err) {
		t.Fatalf("a RED sample through the AMBER leaders rule: %+v, %v", res, err)
	}
	if _, err := f.n.Test(ctx, "nobody", "", nil); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("unknown rule: %v", err)
	}
	reply, err := f.n.Summary(ctx, responder, cli, drone.Command{Name: "summary", Args: []string{"24h"}})
	if err != nil || !reply.Public || !strings.Contains(reply.Text, "Example Org incident digest") {
		t.Fatalf("summary %+v, %v", reply, err)
	}
}

// TestSentMessageIsRecordedAfterTheJobsDeadline: River cancels a job's
// context at its timeout; a message already sent must still be recorded,
// or the retry would send it again (seen under load in TestKilledMidFanOut).
func TestSentMessageIsRecordedAfterTheJobsDeadline(t *testing.T) {
	t.Parallel()
	f := setup(t, testConfig(), smtptest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := drone.Delivery{Key: "notify/x/1/email/a@example.org", IncidentID: "x", Event: EventDeclared, Medium: drone.MediumEmail,
		Address: "a@example.org", Ref: drone.MessageRef{ID: "<m1@drone>"}, At: f.clock.Now()}
	if err := f.n.remember(ctx, d); err != nil {
		t.Fatalf("remember after the deadline: %v", err)
	}
	if _, ok, err := f.svc.Delivery(context.Background(), d.Key); err != nil || !ok {
		t.Fatalf("the sent message is not recorded: %v %v", ok, err)
	}
}
