package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/jira"
	"github.com/ttp0/drone/jira/jiratest"
	"github.com/ttp0/drone/tracker"
)

// TestServeFilesActionsInJira runs drone serve with Jira on: an action
// added becomes an issue, the poll is scheduled, and Jira's webhook
// brings the issue's closing back onto the action.
func TestServeFilesActionsInJira(t *testing.T) {
	t.Parallel()
	const secret = "a-long-webhook-secret-for-tests"
	e := newEnv(t)
	srv := jiratest.New(t, jiratest.Options{})
	e.vars["DRONE_CONFIG"] = e.writeConfig(fmt.Sprintf(`queue: {workers: 4, job_timeout: 5s, backoff_base: 100ms, backoff_max: 200ms, poll_interval: 50ms}
jira:
  url: %s
  email: %s
  token: %s
  project: %s
  webhook_secret: %s
`, srv.URL(), srv.Email(), srv.Token(), srv.Project(), secret))
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "actions in Jira")
	sv := e.serve()
	if !strings.Contains(sv.on, "Jira") {
		t.Fatalf("serve says %q: Jira is not on", sv.on)
	}
	addActions(t, e, 1, tracker.Planner[jira.Prefix]{Actor: jira.Actor}, "jira.action")
	waitFor(t, "the issue filed and recorded", func() bool {
		acts := storedActions(t, e)
		return len(srv.Issues()) == 1 && acts[0].External[jira.ExtKey] != ""
	})
	if n := e.count(t, "SELECT COUNT(*) FROM river_job WHERE kind = 'jira.poll' AND state = 'scheduled'"); n != 1 {
		t.Errorf("%d scheduled jira.poll jobs, want 1", n)
	}
	key := srv.Issues()[0].Key
	if err := srv.SetStatus(key, "Done"); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"timestamp":%d,"webhookEvent":"jira:issue_updated","issue":{"key":%q}}`, time.Now().UnixMilli(), key)
	resp, err := http.Post(sv.base+"/jira/webhook?secret="+secret, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook answered %d, want 202", resp.StatusCode)
	}
	waitFor(t, "the action marked done", func() bool { return storedActions(t, e)[0].Status == drone.ActionDone })
}

// waitFor polls cond every 20ms until it holds, failing the test after 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
