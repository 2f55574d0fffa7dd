package drone_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/store"
)

// fixture is what a service test needs: a service over a real SQLite file,
// the jobs its planner saw, and a settable clock.
type fixture struct {
	svc   *drone.Service
	db    *store.DB
	clock *dronetest.Clock
	mu    sync.Mutex
	jobs  []drone.Job
}

var (
	operator  = drone.Actor{Platform: "local", ID: "alice"}
	responder = drone.Actor{Platform: "slack", ID: "U1", Name: "bob"}
	outsider  = drone.Actor{Platform: "slack", ID: "U9", Name: "eve"}
	grouped   = drone.Actor{Platform: "discord", ID: "7", Groups: []string{"42"}}
	here      = drone.Origin{Channel: "test"}
)

func setup(t *testing.T) *fixture {
	t.Helper()
	h := dronetest.New(t)
	f := &fixture{svc: h.Service, db: h.DB, clock: dronetest.NewClock(dronetest.Epoch)}
	f.svc.Framework.Zones = []string{"ZONE-A", "ZONE-B"}
	f.svc.Framework.BusinessUnits = []string{"SALES", "VARIOUS"}
	f.svc.Roles = append(f.svc.Roles,
		drone.Role{Name: "responders", Permissions: []drone.Permission{drone.PermAcknowledge, drone.PermLead,
			drone.PermUpdate, drone.PermClose}, Members: []string{"slack:U1", "discord:group:42"}})
	f.svc.Now = f.clock.Now
	f.svc.Planners = []drone.Planner{drone.PlannerFunc(func(e drone.Event) []drone.Job {
		j := drone.Job{Kind: "test.sync", Args: map[string]any{"incident": e.Incident.ID, "seq": e.Entry.Seq}}
		f.mu.Lock()
		f.jobs = append(f.jobs, j)
		f.mu.Unlock()
		return []drone.Job{j}
	})}
	return f
}

func (f *fixture) advance(d time.Duration) { f.clock.Advance(d) }

func (f *fixture) declare(t *testing.T, in drone.DeclareInput) *drone.Incident {
	t.Helper()
	inc, _, err := f.svc.Declare(context.Background(), operator, here, in)
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	return inc
}

var phishing = drone.DeclareInput{Category: "cat1", SubContext: "phishing", Severity: "high", Tier: "t2",
	Zone: "zone-a", BusinessUnit: "sales", Overview: "Credential phishing wave"}

func TestDeclareBuildsTheDroneRecord(t *testing.T) {
	t.Parallel()
	f := setup(t)
	inc := f.declare(t, phishing)
	if inc.Ref() != "INC-1" {
		t.Errorf("ref %s, want INC-1", inc.Ref())
	}
	if want := "[ CAT1 HIGH ZONE-A T2 ] SALES : Intrusion - Phishing"; inc.Title != want {
		t.Errorf("title %q, want %q", inc.Title, want)
	}
	wantTags := []string{"drone", "CAT1", "HIGH", "ZONE-A", "T2", "SALES", "Intrusion", "Phishing", "SALES-ZONE-A-T2-HIGH", "local:alice"}
	if strings.Join(inc.Tags, ",") != strings.Join(wantTags, ",") {
		t.Errorf("tags %v, want %v", inc.Tags, wantTags)
	}
	if inc.TLP != "AMBER" || inc.PAP != "AMBER" || inc.Status != drone.StatusOpen {
		t.Errorf("defaults: tlp %s pap %s status %s", inc.TLP, inc.PAP, inc.Status)
	}
	second := f.declare(t, phishing)
	if second.Number != 2 {
		t.Errorf("second incident is %s, want INC-2", second.Ref())
	}
	rec, err := f.svc.Get(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Timeline) != 1 || rec.Timeline[0].Kind != drone.EntryDeclared || len(f.jobs) != 2 {
		t.Errorf("timeline %+v, jobs %d", rec.Timeline, len(f.jobs))
	}
}

func TestDeclareValidationNamesTheAllowedValues(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct {
		change func(*drone.DeclareInput)
		want   string
	}{
		{func(in *drone.DeclareInput) { in.Category = "CAT42" }, `unknown category "CAT42"; allowed: CAT0 (Simulation)`},
		{func(in *drone.DeclareInput) { in.SubContext = "Ransomware" }, `unknown sub-context of CAT1 "Ransomware"; allowed: Malware Aftermath`},
		{func(in *drone.DeclareInput) { in.Severity = "extreme" }, `unknown severity "extreme"; allowed: 1 (LOW)`},
		{func(in *drone.DeclareInput) { in.Severity = "" }, `a severity is required`},
		{func(in *drone.DeclareInput) { in.Zone = "ZONE-Z" }, `unknown zone "ZONE-Z"; allowed: ZONE-A, ZONE-B`},
		{func(in *drone.DeclareInput) { in.TLP = "purple" }, `unknown TLP "PURPLE"`},
		{func(in *drone.DeclareInput) { in.Overview = " " }, `an overview is required`},
	}
	for _, c := range cases {
		in := phishing
		c.change(&in)
		_, _, err := f.svc.Declare(context.Background(), operator, here, in)
		if drone.ErrorCode(err) != drone.EINVALID || !strings.Contains(drone.ErrorMessage(err), c.want) {
			t.Errorf("got %v (%s), want EINVALID containing %q", err, drone.ErrorCode(err), c.want)
		}
	}
	if incs, _ := f.db.Incidents(context.Background(), drone.IncidentFilter{}); len(incs) != 0 {
		t.Errorf("invalid declarations stored %d incidents", len(incs))
	}
}

func TestLifecycleStampsEveryTransition(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.declare(t, phishing)
	f.advance(10 * time.Minute)
	inc, err := f.svc.Acknowledge(ctx, responder, here, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The first update is due the HIGH cadence (1h) after the acknowledgement.
	if inc.Lead != "slack:U1" || inc.AcknowledgedAt == nil || inc.NextUpdateDue == nil || !inc.NextUpdateDue.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("after ack: lead %q ack %v next update %v", inc.Lead, inc.AcknowledgedAt, inc.NextUpdateDue)
	}
	if _, err := f.svc.Acknowledge(ctx, responder, here, 1); drone.ErrorCode(err) != drone.ECONFLICT {
		t.Errorf("second ack: %v, want conflict", err)
	}
	f.advance(20 * time.Minute)
	inc, err = f.svc.PostUpdate(ctx, responder, here, 1, drone.UpdateInput{Status: drone.StatusContained, Summary: "blocked"})
	if err != nil {
		t.Fatal(err)
	}
	if due := inc.NextUpdateDue; due == nil || !due.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("next update due %v, want the HIGH target of 1h", due)
	}
	f.advance(time.Hour)
	inc, err = f.svc.Close(ctx, responder, here, 1, drone.CloseInput{Resolution: "truepositive", Impact: "noimpact", Summary: "done"})
	if err != nil {
		t.Fatal(err)
	}
	d := inc.Durations()
	if *d.Acknowledge != 10*time.Minute || *d.Contain != 30*time.Minute || *d.Resolve != 90*time.Minute {
		t.Errorf("durations %v %v %v", *d.Acknowledge, *d.Contain, *d.Resolve)
	}
	if inc.Resolution != "TruePositive" || inc.Impact != "NoImpact" || inc.Status != drone.StatusClosed {
		t.Errorf("closed as %s %s %s", inc.Resolution, inc.Impact, inc.Status)
	}
	inc, err = f.svc.Reopen(ctx, responder, here, 1, "new evidence")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != drone.StatusContained || inc.ClosedAt != nil || inc.Resolution != "" {
		t.Errorf("reopened: %s closed %v resolution %q", inc.Status, inc.ClosedAt, inc.Resolution)
	}
	rec, _ := f.svc.Get(ctx, 1)
	if err := drone.Verify(rec.Timeline); err != nil || len(rec.Timeline) != 5 {
		t.Errorf("timeline of %d entries: %v", len(rec.Timeline), err)
	}
}

func TestRolesAreCheckedAndRefusalsRecorded(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	if _, _, err := f.svc.Declare(ctx, outsider, here, phishing); err != nil {
		t.Fatalf("anyone may declare: %v", err)
	}
	_, err := f.svc.Acknowledge(ctx, outsider, here, 1)
	if drone.ErrorCode(err) != drone.EFORBIDDEN || !strings.Contains(drone.ErrorMessage(err), "responders") {
		t.Fatalf("outsider ack: %v", err)
	}
	if _, err := f.svc.Acknowledge(ctx, grouped, here, 1); err != nil {
		t.Errorf("a member through a group may acknowledge: %v", err)
	}
	rec, _ := f.svc.Get(ctx, 1)
	if rec.Timeline[1].Kind != drone.EntryDenied || rec.Timeline[1].Actor.ID != "U9" {
		t.Errorf("refusal not on the timeline: %+v", rec.Timeline[1])
	}
	if rec.Incident.Status != drone.StatusAcknowledged {
		t.Errorf("status %s", rec.Incident.Status)
	}
}

func TestObservablesAreDeduplicatedPerIncident(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.declare(t, phishing)
	res, err := f.svc.AddObservables(ctx, responder, here, 1, drone.ObservableInput{Text: "evil.example.com 198.51.100.7 evil.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 2 {
		t.Fatalf("added %+v", res.Added)
	}
	res, err = f.svc.AddObservables(ctx, responder, here, 1, drone.ObservableInput{Text: "198.51.100.7 10.0.0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || len(res.Known) != 1 || !res.Added[0].Internal {
		t.Errorf("second add: added %+v known %+v", res.Added, res.Known)
	}
	seen, err := f.db.Sightings(ctx, "", "198.51.100.7", 10)
	if err != nil || len(seen) != 1 || seen[0].Number != 1 {
		t.Errorf("sightings %+v %v", seen, err)
	}
}

func TestConcurrentAddsOfOneIndicatorMakeOne(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(t, phishing)
	var wg sync.WaitGroup
	added := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.AddObservables(context.Background(), responder, here, 1, drone.ObservableInput{Text: "203.0.113.9"})
			if err != nil {
				t.Error(err)
			}
			added <- len(res.Added)
		}()
	}
	wg.Wait()
	close(added)
	total := 0
	for n := range added {
		total += n
	}
	obs, _ := f.db.Observables(context.Background(), mustGet(t, f, 1).ID)
	if total != 1 || len(obs) != 1 {
		t.Errorf("8 concurrent adds: %d reported added, %d stored; want 1 and 1", total, len(obs))
	}
}

func mustGet(t *testing.T, f *fixture, n int64) *drone.Incident {
	t.Helper()
	inc, err := f.db.Incident(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestIdempotentDeclaration(t *testing.T) {
	t.Parallel()
	f := setup(t)
	in := phishing
	in.Key = "slack:view:V123"
	a := f.declare(t, in)
	b := f.declare(t, in)
	if a.Number != b.Number {
		t.Errorf("a replayed declaration made %s and %s", a.Ref(), b.Ref())
	}
	if incs, _ := f.db.Incidents(context.Background(), drone.IncidentFilter{}); len(incs) != 1 {
		t.Errorf("%d incidents stored", len(incs))
	}
}

func TestTamperingBreaksTheChain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.declare(t, phishing)
	if _, err := f.svc.Acknowledge(ctx, responder, here, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().Exec(`UPDATE timeline SET text = 'nothing happened' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	rec, _ := f.svc.Get(ctx, 1)
	if err := drone.Verify(rec.Timeline); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Errorf("a rewritten entry went unnoticed: %v", err)
	}
}

func TestExecuteRunsTheGrammar(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	run := func(a drone.Actor, line string, here int64) (*drone.Reply, error) {
		cmd, err := drone.ParseCommand(line)
		if err != nil {
			return nil, err
		}
		return f.svc.Execute(ctx, a, drone.Origin{Channel: "test"}, cmd, here)
	}
	r, err := run(responder, `/drone declare cat=CAT3 sub=ransomware sev=critical overview="Files encrypted on FS01"`, 0)
	if err != nil || r.Incident == nil || r.Incident.Number != 1 {
		t.Fatalf("declare: %+v %v", r, err)
	}
	if r, err = run(responder, "declare", 0); err != nil || r.Dialog == nil || r.Dialog.ID != "declare" {
		t.Errorf("bare declare should ask for the dialog: %+v %v", r, err)
	}
	if r, err = run(responder, "ioc hxxp://bad[.]example[.]com/x 1.2.3.4.5", 1); err != nil || len(r.Added.Added) != 1 {
		t.Errorf("ioc in the incident's channel: %+v %v", r, err)
	}
	if _, err = run(responder, "ack", 0); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("ack with no incident: %v", err)
	}
	if r, err = run(responder, "status INC-1 contained isolated the file server", 0); err != nil || r.Incident.Status != drone.StatusContained {
		t.Errorf("status: %+v %v", r, err)
	}
	if r, err = run(responder, "close INC-1", 0); err != nil || r.Dialog == nil || r.Dialog.Ref != 1 {
		t.Errorf("bare close should ask for the dialog: %+v %v", r, err)
	}
	if r, err = run(responder, "show", 1); err != nil || !strings.Contains(r.Text, "hxxp://bad[.]example[.]com/x") {
		t.Errorf("show should list indicators defanged: %v\n%s", err, r.Text)
	}
	if _, err = run(responder, "explode", 0); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("unknown command: %v", err)
	}
}

func TestDialogValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	d := f.svc.DeclareDialog()
	errs := d.Validate(map[string]string{"category": "CAT1", "subcontext": "Ransomware", "severity": "3", "tlp": "AMBER"})
	if errs["subcontext"] == "" || errs["overview"] == "" || errs["category"] != "" {
		t.Errorf("errors %v: sub-context must follow the category and overview is required", errs)
	}
	ok := d.Validate(map[string]string{"category": "CAT3", "subcontext": "Ransomware", "severity": "4", "tlp": "RED", "overview": "x"})
	if len(ok) != 0 {
		t.Errorf("valid values rejected: %v", ok)
	}
}
