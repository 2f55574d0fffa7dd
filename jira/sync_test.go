package jira_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/jira"
	"github.com/ttp0/drone/jira/jiratest"
	"github.com/ttp0/drone/queue"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/tracker"
)

var operator = drone.Actor{Platform: "local", ID: "tester", Name: "tester"}

var incident = drone.DeclareInput{Category: "CAT1", SubContext: "phishing", Severity: "high", Tier: "T2",
	TLP: "amber", PAP: "amber", Overview: "Credential phishing | wave against sales"}

// bundle is a drone syncing with a Jira stand-in.
type bundle struct {
	h     *dronetest.Harness
	clock *dronetest.Clock
	srv   *jiratest.Server
	cli   *jira.Client
	sync  *tracker.Sync[jira.Prefix]
}

func setup(t *testing.T, flavour string, mods ...func(*jira.Config)) *bundle {
	t.Helper()
	// One clock for drone and Jira: a test says when a user acts.
	clock := dronetest.NewClock(time.Now())
	srv := jiratest.New(t, jiratest.Options{Flavour: flavour, Now: clock.Now})
	h := dronetest.New(t)
	h.Service.Now = clock.Now
	cfg := jira.Config{URL: srv.URL(), Flavour: flavour, Email: srv.Email(), Token: srv.Token(), Project: srv.Project(),
		Labels: []string{"soc"}, Timeout: 2 * time.Second, SearchLag: time.Millisecond}
	for _, m := range mods {
		m(&cfg)
	}
	cli, err := jira.New(cfg, jira.WithLogger(h.Log))
	if err != nil {
		t.Fatalf("jira.New: %v", err)
	}
	sync, err := jira.NewSync(cli, h.Service)
	if err != nil {
		t.Fatalf("NewSync: %v", err)
	}
	h.Service.Targets, h.Service.Planners = nil, []drone.Planner{sync.Planner()}
	return &bundle{h: h, clock: clock, srv: srv, cli: cli, sync: sync}
}

// work works the queue until no job is due.
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

func (b *bundle) onlyIssue(t *testing.T) jiratest.Issue {
	t.Helper()
	issues := b.srv.Issues()
	if len(issues) != 1 {
		var keys []string
		for _, is := range issues {
			keys = append(keys, is.Key)
		}
		t.Fatalf("Jira holds %d issues, want 1: %v", len(issues), keys)
	}
	return issues[0]
}

// entries counts the timeline entries of a kind on the action's incident.
func (b *bundle) entries(t *testing.T, ac *drone.FollowUp, kind string) []drone.Entry {
	t.Helper()
	tl, err := b.h.Service.Timeline(b.h.Ctx, ac.IncidentID)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	var out []drone.Entry
	for _, e := range tl {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func forEachFlavour(t *testing.T, f func(t *testing.T, flavour string)) {
	for _, fl := range []string{jira.Cloud, jira.DataCenter} {
		t.Run(fl, func(t *testing.T) {
			t.Parallel()
			f(t, fl)
		})
	}
}

func TestActionBecomesOneIssue(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour)
		ac := b.addAction(t, "Rotate the VPN pre-shared key")
		b.work(t)
		b.h.NoDeadJobs()
		is := b.onlyIssue(t)
		want := tracker.ActionCorrelation(ac)
		if strings.Join(is.Labels, ",") != "drone,"+want+",soc" {
			t.Errorf("labels %v, want drone, %s, soc", is.Labels, want)
		}
		if is.Summary != "ACT-1: Rotate the VPN pre-shared key" || is.DueDate != "2026-12-20" || is.IssueType != "Task" {
			t.Errorf("issue %+v", is)
		}
		if _, isText := is.Description.(string); isText != (flavour == jira.DataCenter) {
			t.Errorf("description %T on %s: want a string on Data Center only, an ADF document on Cloud", is.Description, flavour)
		}
		got := b.action(t, ac.Number)
		if got.External[jira.ExtKey] != is.Key || got.External[jira.ExtURL] != b.srv.URL()+"/browse/"+is.Key {
			t.Errorf("action's references %v, want the key %s and its page", got.External, is.Key)
		}
		// Working the queue again, with the link's own entry, files nothing more.
		if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number, drone.FollowUpChange{Note: "nudge"}); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		b.onlyIssue(t)
	})
}

// TestOwnerIsTheAssignee: an action's owner listed in jira.users is its
// issue's assignee (by accountId on Cloud, by name on Data Center); an
// owner not listed leaves the issue unassigned.
func TestOwnerIsTheAssignee(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour, func(c *jira.Config) { c.Users = map[string]string{"SLACK:u1": "5b10ac8d82e05b22cc7d4ef5"} })
		b.addAction(t, "Rotate the VPN pre-shared key") // owner slack:U1
		inc := b.h.Declare(operator, incident)
		if _, err := b.h.Service.AddFollowUp(b.h.Ctx, operator, drone.Origin{}, inc.Number, drone.FollowUpInput{Text: "Brief the board", Owner: "slack:U9"}); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		b.h.NoDeadJobs()
		got := map[string]string{}
		for _, is := range b.srv.Issues() {
			got[is.Summary] = is.Assignee
		}
		if got["ACT-1: Rotate the VPN pre-shared key"] != "5b10ac8d82e05b22cc7d4ef5" || got["ACT-2: Brief the board"] != "" {
			t.Errorf("assignees %v", got)
		}
	})
}

func TestLostCreationAnswerFilesOneIssue(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour)
		api := map[string]string{jira.Cloud: "3", jira.DataCenter: "2"}[flavour]
		b.srv.LoseResponse("POST /rest/api/"+api+"/issue", 1)
		ac := b.addAction(t, "Rotate the VPN pre-shared key")
		b.work(t)
		b.h.NoDeadJobs()
		is := b.onlyIssue(t)
		if n := b.srv.Count("POST /rest/api/" + api + "/issue"); n != 1 {
			t.Errorf("%d creations sent, want 1 (the retry finds the issue by its label)", n)
		}
		got := b.action(t, ac.Number)
		if got.External[jira.ExtKey] != is.Key {
			t.Errorf("action's key %q, want %s", got.External[jira.ExtKey], is.Key)
		}
		linked := b.entries(t, ac, drone.EntryActionUpdated)
		if len(linked) != 1 || !strings.Contains(linked[0].Text, "linked") {
			t.Errorf("entries after the lost answer: %+v, want one saying the issue was linked", linked)
		}
	})
}

func TestRetriesServerErrorsAndSlowAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud, func(c *jira.Config) { c.Timeout = 100 * time.Millisecond })
	b.srv.Fail("POST /rest/api/3/search/jql", 2, http.StatusBadGateway)
	b.srv.Fail("POST /rest/api/3/issue", 1, http.StatusServiceUnavailable)
	b.srv.Latency(300 * time.Millisecond) // longer than the client's timeout
	ac := b.addAction(t, "Block the sender domain")
	go func() {
		// Let a few attempts time out, then answer in time.
		for b.srv.Count("POST /rest/api/3/search/jql") < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		b.srv.Latency(0)
	}()
	b.work(t)
	b.h.NoDeadJobs()
	is := b.onlyIssue(t)
	if got := b.action(t, ac.Number); got.External[jira.ExtKey] != is.Key {
		t.Errorf("action's key %q, want %s", got.External[jira.ExtKey], is.Key)
	}
}

func TestRateLimitSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud)
	b.srv.RateLimit("", 1, 7*time.Second)
	ac := b.addAction(t, "Block the sender domain")
	err := b.sync.Action(b.h.Ctx, ac.Number)
	wait, ok := drone.RetryDelay(err)
	if !ok || wait != 7*time.Second {
		t.Fatalf("Action after a 429 with Retry-After: 7: %v (wait %s, %v), want a wait of 7s", err, wait, ok)
	}
	var snooze *river.JobSnoozeError
	if !errors.As(queue.Steer(err), &snooze) || snooze.Duration != 7*time.Second {
		t.Errorf("the queue does %v with it, want a snooze of 7s", queue.Steer(err))
	}
	if err := b.sync.Action(b.h.Ctx, ac.Number); err != nil {
		t.Fatalf("Action once Jira answers: %v", err)
	}
	b.onlyIssue(t)
}

func TestRefusalIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud, func(c *jira.Config) { c.IssueType = "Epic" })
	ac := b.addAction(t, "Block the sender domain")
	err := b.sync.Action(b.h.Ctx, ac.Number)
	if !drone.IsPermanent(err) || !strings.Contains(err.Error(), "issuetype") {
		t.Fatalf("Action with an unknown issue type: %v, want a permanent failure naming issuetype", err)
	}
}

func TestDoneActionClosesItsIssue(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour)
		ac := b.addAction(t, "Rotate the VPN pre-shared key")
		b.work(t)
		if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number,
			drone.FollowUpChange{Status: drone.ActionDone}); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		if is := b.onlyIssue(t); is.Status != "Done" {
			t.Fatalf("issue is %q after the action was done, want Done", is.Status)
		}
		if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number,
			drone.FollowUpChange{Status: drone.ActionOpen}); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		if is := b.onlyIssue(t); is.Status != "To Do" {
			t.Fatalf("issue is %q after the action was reopened, want To Do", is.Status)
		}
		// The poll sees the issues drone moved, and changes nothing back.
		before := len(b.entries(t, ac, drone.EntryActionUpdated))
		if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if after := len(b.entries(t, ac, drone.EntryActionUpdated)); after != before {
			t.Errorf("the poll wrote %d entries about changes drone made itself", after-before)
		}
	})
}

func TestIssueClosedInJiraMarksActionDoneOnce(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour)
		ac := b.addAction(t, "Rotate the VPN pre-shared key")
		b.work(t)
		is := b.onlyIssue(t)
		before := len(b.entries(t, ac, drone.EntryActionUpdated))
		b.clock.Advance(time.Minute)
		if err := b.srv.SetStatus(is.Key, "Done"); err != nil {
			t.Fatal(err)
		}
		for range 3 { // polls overlap: each sees the change
			if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
				t.Fatalf("Poll: %v", err)
			}
		}
		b.work(t)
		b.h.NoDeadJobs()
		got := b.action(t, ac.Number)
		if got.Status != drone.ActionDone {
			t.Fatalf("action is %s after its issue was closed in Jira, want done", got.Status)
		}
		entries := b.entries(t, ac, drone.EntryActionUpdated)
		if n := len(entries) - before; n != 1 {
			t.Fatalf("%d entries after the issue was closed, want 1: %+v", n, entries[before:])
		}
		if e := entries[len(entries)-1]; e.Actor.Identity() != jira.Actor.Identity() || !strings.Contains(e.Text, is.Key+" is Done") {
			t.Errorf("entry by %v: %q, want Jira's saying %s is Done", e.Actor, e.Text, is.Key)
		}
		// Reopened in Jira: the action is reopened, once.
		b.clock.Advance(time.Minute)
		if err := b.srv.SetStatus(is.Key, "In Progress"); err != nil {
			t.Fatal(err)
		}
		if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		if got := b.action(t, ac.Number); got.Status != drone.ActionOpen {
			t.Errorf("action is %s after its issue was reopened in Jira, want open", got.Status)
		}
		if is := b.onlyIssue(t); is.Status != "In Progress" {
			t.Errorf("issue is %q: drone moved it after bringing its state back", is.Status)
		}
	})
}

func TestPollKeepsADroneChangeNotYetSent(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	// Done in drone a minute later; its job has not run yet when the
	// poll sees the issue still open.
	b.clock.Advance(time.Minute)
	if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number,
		drone.FollowUpChange{Status: drone.ActionDone}); err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Poll(b.h.Ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := b.action(t, ac.Number); got.Status != drone.ActionDone {
		t.Fatalf("the poll reopened the action from the issue's older state: %s", got.Status)
	}
	b.work(t)
	if is := b.onlyIssue(t); is.Status != "Done" {
		t.Errorf("issue is %q, want Done", is.Status)
	}
}

func TestIncidentTickets(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud, func(c *jira.Config) { c.Incidents = true })
	inc := b.h.Declare(operator, incident)
	b.work(t)
	is := b.onlyIssue(t)
	if !strings.HasPrefix(is.Summary, "INC-1: ") {
		t.Errorf("incident's issue summary %q", is.Summary)
	}
	if got := b.h.Incident(inc.Number); got.External[jira.ExtKey] != is.Key {
		t.Errorf("incident's references %v, want key %s", got.External, is.Key)
	}
	if _, err := b.h.Service.Close(b.h.Ctx, operator, drone.Origin{}, inc.Number,
		drone.CloseInput{Resolution: "TruePositive", Summary: "sender blocked"}); err != nil {
		t.Fatalf("Close: %v", err)
	}
	b.work(t)
	b.h.NoDeadJobs()
	if is := b.onlyIssue(t); is.Status != "Done" {
		t.Errorf("incident's issue is %q once the incident is closed, want Done", is.Status)
	}
	if _, err := b.h.Service.Reopen(b.h.Ctx, operator, drone.Origin{}, inc.Number, "more mail"); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	b.work(t)
	if is := b.onlyIssue(t); is.Status != "To Do" {
		t.Errorf("incident's issue is %q once the incident is reopened, want To Do", is.Status)
	}
	// A private incident gets no ticket that every Jira user would see.
	private := incident
	private.Private = true
	b.h.Declare(operator, private)
	b.work(t)
	b.onlyIssue(t)
}

func TestScheduleQueuesOnePoll(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud)
	for range 3 {
		if err := b.sync.Schedule(b.h.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	var polls int
	for _, j := range b.h.Jobs() {
		if j.Kind == "jira.poll" {
			polls++
		}
	}
	if polls != 1 {
		t.Errorf("%d jira.poll jobs after three starts, want 1", polls)
	}
}

func TestTimeoutBoundsARequest(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud, func(c *jira.Config) { c.Timeout = 50 * time.Millisecond })
	b.srv.Latency(time.Second)
	ctx, cancel := context.WithTimeout(b.h.Ctx, 5*time.Second)
	defer cancel()
	_, err := b.cli.Find(ctx, "drone-act-1-x")
	if err == nil || drone.IsPermanent(err) {
		t.Fatalf("Find against a slow Jira: %v, want an error to retry", err)
	}
}

func TestNewDueDateReachesTheIssue(t *testing.T) {
	t.Parallel()
	forEachFlavour(t, func(t *testing.T, flavour string) {
		b := setup(t, flavour)
		api := map[string]string{jira.Cloud: "3", jira.DataCenter: "2"}[flavour]
		ac := b.addAction(t, "Rotate the VPN pre-shared key")
		b.work(t)
		due := time.Date(2027, 1, 15, 17, 0, 0, 0, time.UTC)
		if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number, drone.FollowUpChange{Due: &due}); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		if is := b.onlyIssue(t); is.DueDate != "2027-01-15" {
			t.Fatalf("issue due %q after the action's due date changed, want 2027-01-15", is.DueDate)
		}
		// Another change of the action sends the same day no more.
		if _, err := b.h.Service.UpdateFollowUp(b.h.Ctx, operator, drone.Origin{}, ac.Number, drone.FollowUpChange{Note: "nudge"}); err != nil {
			t.Fatal(err)
		}
		b.work(t)
		b.h.NoDeadJobs()
		if n := b.srv.Count("PUT /rest/api/" + api + "/issue/{key}"); n != 1 {
			t.Errorf("%d edits of the issue, want 1", n)
		}
	})
}
