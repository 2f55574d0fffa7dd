package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/jira"
	"github.com/ttp0/drone/jira/jiratest"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/tracker"
)

// TestJiraKilledMidCreation kills drone serve with SIGKILL while Jira has
// created an action's issue and not answered yet, works the queue again
// with drone deliver, and checks that every action has exactly one issue,
// recorded on the action: the rescued job finds the issue by its label
// instead of filing it again.
func TestJiraKilledMidCreation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone processes")
	}
	const actions, before = 6, 2
	e := newEnv(t)
	srv := jiratest.New(t, jiratest.Options{})
	e.vars["DRONE_CONFIG"] = e.writeConfig(fmt.Sprintf(`queue: {workers: 4, job_timeout: 1s, backoff_base: 100ms, backoff_max: 200ms, poll_interval: 50ms}
jira:
  url: %s
  email: %s
  token: %s
  project: %s
  search_lag: 10ms
  poll_interval: 1h
`, srv.URL(), srv.Email(), srv.Token(), srv.Project()))
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "actions under fire")
	addActions(t, e, actions, tracker.Planner[jira.Prefix]{Actor: jira.Actor}, "jira.action")

	killAndRestart(t, e, srv.Hold("POST /rest/api/3/issue", before), "serve", "--addr", "127.0.0.1:0")

	issues := srv.Issues()
	if len(issues) != actions {
		t.Errorf("Jira holds %d issues for %d actions", len(issues), actions)
	}
	keys := map[string]string{} // correlation label -> issue key
	for _, is := range issues {
		for _, l := range is.Labels {
			if tracker.IsCorrelation(l) {
				if other, dup := keys[l]; dup {
					t.Errorf("%s and %s both carry %s", other, is.Key, l)
				}
				keys[l] = is.Key
			}
		}
	}
	for _, ac := range storedActions(t, e) {
		if key := keys[tracker.ActionCorrelation(ac)]; key == "" || ac.External[jira.ExtKey] != key {
			t.Errorf("%s records issue %q; Jira's issue with its label is %q", ac.Ref(), ac.External[jira.ExtKey], key)
		}
	}
	if n := e.count(t, "SELECT COUNT(*) FROM river_job WHERE kind = 'jira.action' AND state != 'completed'"); n != 0 {
		t.Errorf("%d jira.action jobs not completed", n)
	}
}

// killAndRestart starts drone with args (serve, or deliver), kills it
// once held is closed (the tracker did the held request's work), waits for
// the queue to rescue the jobs it left running, and works them with a new
// drone deliver.
func killAndRestart(t *testing.T, e *env, held <-chan struct{}, args ...string) {
	t.Helper()
	child := e.helper(args...)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		child.Process.Kill()
		t.Fatal("the tracker never got the held creation")
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed := time.Now()
	// The killed process left jobs running; they are rescued once they have
	// run for twice the job timeout (1s), which no live attempt can.
	time.Sleep(time.Until(killed.Add(2*time.Second + 100*time.Millisecond)))
	if out, err := e.deliverOnce(t); err != nil {
		t.Fatalf("restarted deliver: %v\n%s", err, out)
	}
}

// storedActions reads every follow-up action of the test's database.
func storedActions(t *testing.T, e *env) []*drone.FollowUp {
	t.Helper()
	db, err := store.Open(context.Background(), e.vars["DRONE_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles()}
	all, err := svc.FollowUps(context.Background(), drone.FollowUpFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// addActions adds n follow-up actions to INC-1 through the store, as the
// chat commands do, with a tracker's planner queueing their jobs of kind.
func addActions(t *testing.T, e *env, n int, planner drone.Planner, kind string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, e.vars["DRONE_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Planners: []drone.Planner{planner}}
	texts := []string{"rotate the VPN key", "block the sender domain", "reset the passwords", "review the mail rules",
		"patch the gateway", "brief the helpdesk", "audit the VPN logs", "retire the old relay"}
	for i := range n {
		if _, err := svc.AddFollowUp(ctx, drone.Actor{Platform: "local", ID: "op"}, drone.Origin{}, 1,
			drone.FollowUpInput{Text: texts[i%len(texts)]}); err != nil {
			t.Fatal(err)
		}
	}
	if jobs := slices.DeleteFunc(mustJobs(t, db), func(j store.JobInfo) bool { return j.Kind != kind }); len(jobs) != n {
		t.Fatalf("%d %s jobs queued for %d actions", len(jobs), kind, n)
	}
}

func mustJobs(t *testing.T, db *store.DB) []store.JobInfo {
	t.Helper()
	jobs, err := db.Jobs(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}
