package hive_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
)

// dropTask makes the stand-in commit the first task creation whose title
// starts with prefix and drop its answer.
type dropTask struct {
	srv    *hivetest.Server
	once   sync.Once
	next   http.RoundTripper
	hits   int
	prefix string
}

func (d *dropTask) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/task") && r.GetBody != nil {
		body, _ := r.GetBody()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if strings.Contains(b.String(), d.prefix) {
			d.once.Do(func() { d.hits++; d.srv.DropResponseAfterCommit(1) })
		}
	}
	return d.next.RoundTrip(r)
}

func followUpTasks(b *syncBundle, caseID string) []hivetest.Task {
	var out []hivetest.Task
	for _, tk := range b.srv.Tasks(caseID) {
		if strings.HasPrefix(tk.Title, "Follow-up ACT-") {
			out = append(out, tk)
		}
	}
	return out
}

func TestFollowUpTaskOnceAfterLostAnswer(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		var drop *dropTask
		b := setupSync(t, syncSetup{api: api, transport: func(srv *hivetest.Server) http.RoundTripper {
			drop = &dropTask{srv: srv, next: http.DefaultTransport.(*http.Transport).Clone(), prefix: "Follow-up ACT-1"}
			return drop
		}})
		ctx := context.Background()
		inc := b.declare(t, phishing)
		due := time.Date(2026, 12, 20, 23, 59, 59, 0, time.UTC)
		ac, err := b.svc.AddFollowUp(ctx, operator, drone.Origin{Channel: "cli"}, inc.Number,
			drone.FollowUpInput{Text: "Rotate the VPN keys", Owner: "local:tester", Due: &due})
		if err != nil {
			t.Fatal(err)
		}
		b.deliverAll(t)
		b.noDeadJobs(t)
		if drop.hits != 1 {
			t.Fatalf("the task creation's answer was dropped %d times, want 1", drop.hits)
		}
		cs := b.onlyCase(t)
		tasks := followUpTasks(b, cs.ID)
		if len(tasks) != 1 {
			t.Fatalf("case has %d follow-up tasks, want exactly 1: %+v", len(tasks), tasks)
		}
		tk := tasks[0]
		if tk.Title != "Follow-up ACT-1: Rotate the VPN keys" || tk.Assignee != "alice@example.org" ||
			!tk.DueDate.Equal(due.Truncate(time.Millisecond)) || tk.Status != "Waiting" {
			t.Errorf("task = %+v", tk)
		}
		got, err := b.svc.FollowUp(ctx, ac.Number)
		if err != nil || got.External[hive.ExtTaskID] != tk.ID {
			t.Fatalf("action records task %q (%v), want %q", got.External[hive.ExtTaskID], err, tk.ID)
		}

		// Done completes the task; closing the incident leaves the action.
		if _, err := b.svc.UpdateFollowUp(ctx, operator, drone.Origin{Channel: "cli"}, ac.Number,
			drone.FollowUpChange{Status: drone.ActionDone, Note: "rotated"}); err != nil {
			t.Fatal(err)
		}
		b.deliverAll(t)
		if tasks := followUpTasks(b, cs.ID); len(tasks) != 1 || tasks[0].Status != "Completed" {
			t.Errorf("after done: %+v, want one Completed task", tasks)
		}
		if _, err := b.svc.UpdateFollowUp(ctx, operator, drone.Origin{Channel: "cli"}, ac.Number,
			drone.FollowUpChange{Status: drone.ActionCancelled, Note: "superseded"}); err != nil {
			t.Fatal(err)
		}
		b.deliverAll(t)
		if tasks := followUpTasks(b, cs.ID); len(tasks) != 1 || tasks[0].Status != "Cancel" {
			t.Errorf("after cancel: %+v, want one Cancel task", tasks)
		}
		b.noDeadJobs(t)
	})
}

// TestFollowUpOfAnIncidentWithoutCase gives an incident declared before
// TheHive was on its case, then the action its task.
func TestFollowUpOfAnIncidentWithoutCase(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	b.svc.Planners = nil // TheHive is off at the declaration
	inc := b.declare(t, phishing)
	b.svc.Planners = []drone.Planner{hive.Planner{}}
	if _, err := b.svc.AddFollowUp(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number,
		drone.FollowUpInput{Text: "Tell the vendor"}); err != nil {
		t.Fatal(err)
	}
	b.deliverAll(t)
	b.noDeadJobs(t)
	cs := b.onlyCase(t)
	if tasks := followUpTasks(b, cs.ID); len(tasks) != 1 || tasks[0].Title != "Follow-up ACT-1: Tell the vendor" {
		t.Errorf("tasks %+v", tasks)
	}
	if n := len(b.srv.Observables(cs.ID)); n != 6 {
		t.Errorf("case holds %d observables, want 6", n)
	}
}
