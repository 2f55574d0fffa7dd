package main

import (
	"fmt"
	"testing"

	"github.com/ttp0/drone/servicenow"
	"github.com/ttp0/drone/servicenow/servicenowtest"
	"github.com/ttp0/drone/tracker"
)

// TestServiceNowKilledMidCreation is TestJiraKilledMidCreation against
// ServiceNow's Table API, killing drone deliver: the restarted job finds
// the record by its correlation_id.
func TestServiceNowKilledMidCreation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone processes")
	}
	const actions, before = 6, 2
	e := newEnv(t)
	srv := servicenowtest.New(t, servicenowtest.Options{})
	e.vars["DRONE_CONFIG"] = e.writeConfig(fmt.Sprintf(`queue: {workers: 4, job_timeout: 1s, backoff_base: 100ms, backoff_max: 200ms, poll_interval: 50ms}
servicenow:
  url: %s
  user: %s
  password: %s
  poll_interval: 1h
`, srv.URL(), srv.User(), srv.Password()))
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "actions under fire")
	addActions(t, e, actions, tracker.Planner[servicenow.Prefix]{Actor: servicenow.Actor}, "servicenow.action")

	killAndRestart(t, e, srv.Hold("POST /api/now/table/{table}", before), "deliver", "--timeout", "60s")

	records := srv.Records("incident")
	if len(records) != actions {
		t.Errorf("ServiceNow holds %d records for %d actions", len(records), actions)
	}
	ids := map[string]string{} // correlation_id -> sys_id
	for _, r := range records {
		if other, dup := ids[r["correlation_id"]]; dup {
			t.Errorf("%s and %s both carry %s", other, r["number"], r["correlation_id"])
		}
		ids[r["correlation_id"]] = r["sys_id"]
	}
	for _, ac := range storedActions(t, e) {
		if id := ids[tracker.ActionCorrelation(ac)]; id == "" || ac.External[servicenow.ExtSysID] != id {
			t.Errorf("%s records %q; the record with its correlation_id is %q", ac.Ref(), ac.External[servicenow.ExtSysID], id)
		}
	}
	if n := e.count(t, "SELECT COUNT(*) FROM river_job WHERE kind = 'servicenow.action' AND state != 'completed'"); n != 0 {
		t.Errorf("%d servicenow.action jobs not completed", n)
	}
}
