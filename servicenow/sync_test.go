package servicenow_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/queue"
	"github.com/ttp0/drone/servicenow"
	"github.com/ttp0/drone/servicenow/servicenowtest"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/tracker"
)

var operator = drone.Actor{Platform: "local", ID: "tester", Name: "tester"}

var incident = drone.DeclareInput{Category: "CAT1", SubContext: "phishing", Severity: "high", Tier: "T2",
	TLP: "amber", PAP: "amber", Overview: "Credential phishing | wave against sales"}

const (
	listRoute   = "GET /api/now/table/{table}"
	insertRoute = "POST /api/now/table/{table}"
)

// bundle is a drone syncing with a ServiceNow stand-in.
type bundle struct {
	h     *dronetest.Harness
	clock *dronetest.Clock
	srv   *servicenowtest.Server
	cli   *servicenow.Client
	sync  *tracker.Sync[servicenow.Prefix]
}

func setup(t *testing.T, mods ...func(*servicenow.Config)) *bundle {
	t.Helper()
	// One clock for drone and ServiceNow, which keeps times to the second.
	clock := dronetest.NewClock(time.Now().Truncate(time.Second))
	srv := servicenowtest.New(t, servicenowtest.Options{Now: clock.Now})
	h := dronetest.New(t)
	h.Service.Now = clock.Now
	cfg := servicenow.Config{URL: srv.URL(), User: srv.User(), Password: srv.Password(),
		AssignmentGroup: servicenowtest.SOCGroup, Timeout: 2 * time.Second}
	for _, m := range mods {
		m(&cfg)
	}
	cli, err := servicenow.New(cfg, servicenow.WithLogger(h.Log))
	if err != nil {
		t.Fatalf("servicenow.New: %v", err)
	}
	sync, err := servicenow.NewSync(cli, h.Service)
	if err != nil {
		t.Fatalf("NewSync: %v", err)
	}
	h.Service.Targets, h.Service.Planners = nil, []drone.Planner{sync.Planner()}
	return &bundle{h: h, clock: clock, srv: srv, cli: cli, sync: sync}
}

func (b *bundle) work(t *testing.T) {
	t.Helper()
	w := river.NewWorkers()
	b.sync.Register(w)
	b.h.Drain(w, store.QueueConfig{Workers: 4, MaxAttempts: 8, BackoffBase: 5 * time.Millisecond,
		BackoffMax: 40 * time.Millisecond, PollInterval: 20 * time.Millisecond, JobTimeout: 10 * time.Second}, 30*time.Second)
}

func (b *bundle) addAction(t *testing.T, text string) *drone.FollowUp {
	t.Helper()
	inc := b.h.Declare(operator, incident)
	due := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	ac, err := b.h.Service.AddFollowUp(b.h.Ctx, operator, drone.Origin{Channel: "test"}, inc.Number,
		drone.FollowUpInput{Text: text, Owner: "slack:U1", Due: &due})
	if err != nil {
		t.Fatalf("AddFollowUp: %v", err)
	}
	return ac
}

func (b *bundle) action(t *testing.T, n int64) *drone.FollowUp {
	t.Helper()
	ac, err := b.h.Service.FollowUp(b.h.Ctx, n)
	if err != nil {
		t.Fatalf("FollowUp: %v", err)
	}
	return ac
}

func (b *bundle) onlyRecord(t *testing.T) servicenowtest.Record {
	t.Helper()
	recs := b.srv.Records("incident")
	if len(recs) != 1 {
		var numbers []string
		for _, r := range recs {
			numbers = append(numbers, r["number"])
		}
		t.Fatalf("ServiceNow holds %d records, want 1: %v", len(recs), numbers)
	}
	return recs[0]
}

func (b *bundle) updates(t *testing.T, ac *drone.FollowUp) []drone.Entry {
	t.Helper()
	tl, err := b.h.Service.Timeline(b.h.Ctx, ac.IncidentID)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	var out []drone.Entry
	for _, e := range tl {
		if e.Kind == drone.EntryActionUpdated {
			out = append(out, e)
		}
	}
	return out
}

func TestActionBecomesOneRecord(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *servicenow.Config) { c.Users = map[string]string{"slack:U1": "alice.analyst"} })
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	b.h.NoDeadJobs()
	r := b.onlyRecord(t)
	want := map[string]string{"short_description": "ACT-1: Rotate the VPN pre-shared key", "correlation_id": tracker.ActionCorrelation(ac),
		"correlation_display": "drone", "assignment_group": servicenowtest.SOCGroup, "due_date": "2026-12-20 00:00:00", "state": "1",
		"assigned_to": "alice.analyst"} // the owner, slack:U1, in servicenow.users
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %q, want %q", k, r[k], v)
		}
	}
	got := b.action(t, ac.Number)
	if got.External[servicenow.ExtSysID] != r["sys_id"] || got.External[servicenow.ExtNumber] != r["number"] {
		t.Errorf("action's references %v, want sys_id %s and number %s", got.External, r["sys_id"], r["number"])
	}
}

func TestLostInsertAnswerFilesOneRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.srv.LoseResponse(insertRoute, 1)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	b.h.NoDeadJobs()
	r := b.onlyRecord(t)
	if n := b.srv.Count(insertRoute); n != 1 {
		t.Errorf("%d inserts sent, want 1 (the retry finds the record by its correlation_id)", n)
	}
	if got := b.action(t, ac.Number); got.External[servicenow.ExtSysID] != r["sys_id"] {
		t.Errorf("action's sys_id %q, want %s", got.External[servicenow.ExtSysID], r["sys_id"])
	}
}

func TestRetriesServerErrorsAndSlowAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *servicenow.Config) { c.Timeout = 100 * time.Millisecond })
	b.srv.Fail(listRoute, 2, http.StatusInternalServerError)
	b.srv.Fail(insertRoute, 1, http.StatusServiceUnavailable)
	b.srv.Latency(300 * time.Millisecond)
	go func() {
		for b.srv.Count(listRoute) < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		b.srv.Latency(0)
	}()
	ac := b.addAction(t, "Block the sender domain")
	b.work(t)
	b.h.NoDeadJobs()
	r := b.onlyRecord(t)
	if got := b.action(t, ac.Number); got.External[servicenow.ExtSysID] != r["sys_id"] {
		t.Errorf("action's sys_id %q, want %s", got.External[servicenow.ExtSysID], r["sys_id"])
	}
}

func TestRateLimitSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.srv.RateLimit("", 1, 9*time.Second)
	ac := b.addAction(t, "Block the sender domain")
	err := b.sync.Action(b.h.Ctx, ac.Number)
	var snooze *river.JobSnoozeError
	if !errors.As(queue.Steer(err), &snooze) || snooze.Duration != 9*time.Second {
		t.Fatalf("Action after a 429 with Retry-After: 9: %v, want the job snoozed 9s", err)
	}
	if err := b.sync.Action(b.h.Ctx, ac.Number); err != nil {
		t.Fatalf("Action once ServiceNow answers: %v", err)
	}
	b.onlyRecord(t)
}

func TestDoneActionResolvesItsRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number,
		drone.FollowUpChange{Status: drone.ActionDone, Note: "rotated"}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	b.h.NoDeadJobs()
	r := b.onlyRecord(t)
	if r["state"] != "6" || r["close_code"] != servicenow.DefaultCloseCode || !strings.Contains(r["close_notes"], "ACT-1 is done") {
		t.Errorf("record after the action was done: state %q, close_code %q, close_notes %q", r["state"], r["close_code"], r["close_notes"])
	}
	if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number,
		drone.FollowUpChange{Status: drone.ActionCancelled}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	if r := b.onlyRecord(t); r["state"] != "6" {
		t.Errorf("a done record moved to %q when its action was cancelled: both are closed", r["state"])
	}
	if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number,
		drone.FollowUpChange{Status: drone.ActionOpen}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	if r := b.onlyRecord(t); r["state"] != "2" {
		t.Errorf("record is in state %q after the action was reopened, want 2", r["state"])
	}
}

func TestDataPolicyRefusalIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	if err := b.sync.Action(b.h.Ctx, ac.Number); err != nil {
		t.Fatal(err)
	}
	r := b.onlyRecord(t)
	// The incident table's data policy refuses a resolution without notes.
	err := b.cli.Move(b.h.Ctx, &tracker.Ticket{ID: r["sys_id"], Number: r["number"]}, tracker.StateDone, "")
	if !drone.IsPermanent(err) || !strings.Contains(err.Error(), "Resolution notes") {
		t.Fatalf("resolving without notes: %v, want a permanent failure naming Resolution notes", err)
	}
}

func TestRecordResolvedInServiceNowMarksActionDoneOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	r := b.onlyRecord(t)
	// A user closes it a minute later.
	b.clock.Advance(time.Minute)
	before := len(b.updates(t, ac))
	if err := b.srv.SetState("incident", r["sys_id"], "7"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	b.work(t)
	b.h.NoDeadJobs()
	if got := b.action(t, ac.Number); got.Status != drone.ActionDone {
		t.Fatalf("action is %s after its record was closed in ServiceNow, want done", got.Status)
	}
	updates := b.updates(t, ac)
	if n := len(updates) - before; n != 1 {
		t.Fatalf("%d entries after the record was closed, want 1", n)
	}
	if e := updates[len(updates)-1]; !strings.Contains(e.Text, r["number"]+" is Closed") {
		t.Errorf("entry %q, want it to say %s is Closed", e.Text, r["number"])
	}
	if got := b.onlyRecord(t); got["state"] != "7" {
		t.Errorf("record moved to %q by drone after bringing its state back", got["state"])
	}
	// Reopened in ServiceNow, then canceled.
	b.clock.Advance(time.Minute)
	if err := b.srv.SetState("incident", r["sys_id"], "2"); err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := b.action(t, ac.Number); got.Status != drone.ActionOpen {
		t.Fatalf("action is %s after its record was reopened, want open", got.Status)
	}
	b.clock.Advance(time.Minute)
	if err := b.srv.SetState("incident", r["sys_id"], "8"); err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := b.action(t, ac.Number); got.Status != drone.ActionCancelled {
		t.Errorf("action is %s after its record was canceled, want cancelled", got.Status)
	}
}

func TestIncidentRecords(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *servicenow.Config) { c.Incidents = true })
	inc := b.h.Declare(operator, incident)
	b.work(t)
	r := b.onlyRecord(t)
	if !strings.HasPrefix(r["short_description"], "INC-1: ") || !strings.HasPrefix(r["correlation_id"], "drone-inc-1-") {
		t.Errorf("incident's record %v", r)
	}
	if _, err := b.h.Service.Close(b.h.Ctx, operator, drone.Origin{}, inc.Number,
		drone.CloseInput{Resolution: "TruePositive", Summary: "sender blocked"}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	b.h.NoDeadJobs()
	if r := b.onlyRecord(t); r["state"] != "6" {
		t.Errorf("incident's record is in state %q once the incident is closed, want 6", r["state"])
	}
}

func TestNewDueDateReachesTheRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	due := time.Date(2027, 1, 15, 17, 0, 0, 0, time.UTC)
	if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number, drone.FollowUpChange{Due: &due}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	if r := b.onlyRecord(t); r["due_date"] != "2027-01-15 17:00:00" {
		t.Fatalf("record due %q after the action's due date changed", r["due_date"])
	}
	if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number, drone.FollowUpChange{Note: "nudge"}); err != nil {
		t.Fatal(err)
	}
	b.work(t)
	b.h.NoDeadJobs()
	if n := b.srv.Count("PATCH /api/now/table/{table}/{sys_id}"); n != 1 {
		t.Errorf("%d patches of the record, want 1", n)
	}
}
