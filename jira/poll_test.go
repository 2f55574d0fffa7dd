package jira_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

// pollJobs returns the jira.poll jobs, oldest first, with their Since.
func (b *bundle) pollJobs(t *testing.T) ([]store.JobInfo, []*time.Time) {
	t.Helper()
	var jobs []store.JobInfo
	var since []*time.Time
	for _, j := range b.h.Jobs() {
		if j.Kind != "jira.poll" {
			continue
		}
		var args struct {
			Since *time.Time `json:"since"`
		}
		if err := json.Unmarshal(j.Args, &args); err != nil {
			t.Fatal(err)
		}
		jobs, since = append(jobs, j), append(since, args.Since)
	}
	return jobs, since
}

// TestPollJobsChain runs the poll as the queue does: the scheduled poll
// brings the issue's closing back and schedules the next poll, which reads
// back to the time of the first.
func TestPollJobsChain(t *testing.T) {
	t.Parallel()
	b := setup(t, "cloud")
	// drone's clock runs half an hour behind the queue's, so that the
	// polls it schedules (every 5 minutes, the default) are due at once.
	b.clock.Set(time.Now().Add(-30 * time.Minute))
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	if err := b.sync.Schedule(b.h.Ctx); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(5 * time.Minute) // the poll's slot
	if err := b.srv.SetStatus(b.onlyIssue(t).Key, "Done"); err != nil {
		t.Fatal(err)
	}
	b.work(t) // a few seconds: River moves a scheduled job to the runnable ones every 5s
	b.h.NoDeadJobs()
	if got := b.action(t, ac.Number); got.Status != drone.ActionDone {
		t.Fatalf("action is %s after the poll, want done", got.Status)
	}
	jobs, since := b.pollJobs(t)
	if len(jobs) != 2 || since[0] != nil || since[1] == nil || !since[1].Equal(b.clock.Now()) {
		t.Fatalf("poll jobs %+v (since %v), want the scheduled one and the next, reading back to %s", jobs, since, b.clock.Now())
	}
}

// TestFailedPollSchedulesTheNext: a poll that fails schedules the next
// all the same (should it die, the polls go on), and that one reads back
// over the failed one's window.
func TestFailedPollSchedulesTheNext(t *testing.T) {
	t.Parallel()
	b := setup(t, "cloud")
	b.clock.Set(time.Now().Add(-30 * time.Minute))
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	b.clock.Advance(time.Minute)
	if err := b.srv.SetStatus(b.onlyIssue(t).Key, "Done"); err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Schedule(b.h.Ctx); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(5 * time.Minute)
	b.srv.Fail("POST /rest/api/3/search/jql", 1, http.StatusBadGateway)
	b.work(t)
	b.h.NoDeadJobs()
	jobs, since := b.pollJobs(t)
	if len(jobs) != 2 || jobs[0].Attempt != 2 || since[1] == nil {
		t.Fatalf("poll jobs %+v, want the failed one retried and the next one scheduled, with a window", jobs)
	}
	if back := b.clock.Now().Sub(*since[1]); back < 10*time.Minute {
		t.Errorf("the next poll reads back %s, want the failed poll's window (10m and more)", back)
	}
	if got := b.action(t, ac.Number); got.Status != drone.ActionDone {
		t.Errorf("action is %s after the polls, want done", got.Status)
	}
}
