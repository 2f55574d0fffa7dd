package dronetest_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
)

func TestGoldenJSONReadsAsSent(t *testing.T) {
	t.Parallel()
	dronetest.GoldenJSON(t, "testdata/example.json", map[string]any{"text": "<b> & </b>", "n": 1})
}

func TestClockMovesOnlyWhenTold(t *testing.T) {
	t.Parallel()
	c := dronetest.NewClock(dronetest.Epoch)
	if !c.Now().Equal(dronetest.Epoch) {
		t.Fatalf("Now = %v", c.Now())
	}
	if got := c.Advance(time.Hour); !got.Equal(dronetest.Epoch.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Errorf("Advance = %v, Now = %v", got, c.Now())
	}
	c.Set(dronetest.Epoch)
	if !c.Now().Equal(dronetest.Epoch) {
		t.Errorf("after Set, Now = %v", c.Now())
	}
}

func TestLogKeepsWhatIsLogged(t *testing.T) {
	t.Parallel()
	log, buf := dronetest.NewLog(t, slog.LevelInfo)
	log.Debug("hidden")
	log.Info("shown", "n", 1)
	if s := buf.String(); !strings.Contains(s, "msg=shown n=1") || strings.Contains(s, "hidden") {
		t.Errorf("log = %q", s)
	}
}

// TestHarnessDeclaresAndWorksJobs declares over the real store, with the
// service's clock set, and works the planned job through the queue.
func TestHarnessDeclaresAndWorksJobs(t *testing.T) {
	t.Parallel()
	h := dronetest.New(t)
	clock := dronetest.NewClock(dronetest.Epoch)
	h.Service.Now = clock.Now
	h.Service.Planners = []drone.Planner{drone.PlannerFunc(func(e drone.Event) []drone.Job {
		return []drone.Job{{Kind: "test.echo", Args: map[string]any{"seq": e.Entry.Seq}}}
	})}
	done := make(chan struct{}, 1)
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[echo]) error {
		done <- struct{}{}
		return nil
	}))
	h.StartQueue(workers, dronetest.QueueConfig())
	inc := h.Declare(drone.Actor{Platform: "local", ID: "alice"}, drone.DeclareInput{Category: "CAT1",
		SubContext: "Phishing", Severity: "high", Overview: "test"})
	if !inc.DeclaredAt.Equal(dronetest.Epoch) || h.Incident(1).ID != inc.ID {
		t.Errorf("declared %+v", inc)
	}
	select {
	case <-done:
	case <-h.Ctx.Done():
		t.Fatal("the job never ran")
	}
	h.Settle(10 * time.Second)
	h.NoDeadJobs()
}

type echo struct {
	Seq int64 `json:"seq"`
}

func (echo) Kind() string { return "test.echo" }
