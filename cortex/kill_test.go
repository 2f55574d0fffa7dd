package cortex_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/cortex/cortextest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

// killEnv carries the database and Cortex's address to the child.
const killEnv = "DRONE_CORTEX_KILL"

type killArgs struct {
	DB, URL, Key string
}

func killService(db *store.DB) *drone.Service {
	return &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Planners: []drone.Planner{cortex.Planner{Analyzers: []cortex.Analyzer{abuse}}}}
}

func killWorkers(t testing.TB, svc *drone.Service, a killArgs) *river.Workers {
	cfg := cortex.Config{URL: a.URL, APIKey: a.Key, Timeout: 5 * time.Second, Wait: 30 * time.Second,
		Poll: 10 * time.Millisecond, Analyzers: []cortex.Analyzer{abuse}}
	client, err := cortex.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := cortex.NewWorker(cortex.WorkerOptions{Client: client, Service: svc, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	return workers
}

var killQueue = store.QueueConfig{Workers: 2, MaxAttempts: 8, BackoffBase: 5 * time.Millisecond, BackoffMax: 40 * time.Millisecond,
	PollInterval: 20 * time.Millisecond, JobTimeout: 45 * time.Second}

// TestKillChild is the child of TestKilledWhileAnalysing: it works the
// queue until it is killed.
func TestKillChild(t *testing.T) {
	raw := os.Getenv(killEnv)
	if raw == "" {
		t.Skip("runs only as the child of TestKilledWhileAnalysing")
	}
	var a killArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, a.DB)
	if err != nil {
		t.Fatal(err)
	}
	q, err := db.NewQueue(killWorkers(t, killService(db), a), killQueue, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {} // until SIGKILL
}

// TestKilledWhileAnalysing kills the worker's process with SIGKILL while
// Cortex works on the job it started: the next process finds that job,
// starts none, and records the report once.
func TestKilledWhileAnalysing(t *testing.T) {
	t.Parallel()
	srv := cortextest.New(t, cortextest.Options{Analyzers: standIns(abuse)})
	srv.Hold()
	a := killArgs{DB: filepath.Join(t.TempDir(), "drone.db"), URL: srv.URL(), Key: srv.Key()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	db, err := store.Open(ctx, a.DB)
	if err != nil {
		t.Fatal(err)
	}
	inc, _, err := killService(db).Declare(ctx, operator, drone.Origin{Channel: "cli"}, incident("amber", badIP))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	raw, _ := json.Marshal(a)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), killEnv+"="+string(raw))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	// The child started the Cortex job and waits for its report.
	for srv.Count("GET /api/job/{id}/waitreport") == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the child never asked for the report")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	srv.Release()

	db, err = store.Open(ctx, a.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.RescueStuck(ctx, 0); err != nil || n != 1 {
		t.Fatalf("rescued %d jobs (%v), want the 1 the child held", n, err)
	}
	svc := killService(db)
	q, err := db.NewQueue(killWorkers(t, svc, a), killQueue, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = q.Stop(context.Background()) }()
	for {
		if due, err := db.Due(ctx); err == nil && due == 0 {
			if jobs, _ := db.Jobs(ctx, 10, store.Pending...); len(jobs) == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("the rescued job never finished")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if runs := srv.Runs(); len(runs) != 1 {
		t.Errorf("Cortex made %d jobs, want 1: %+v", len(runs), runs)
	}
	rec, err := svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range rec.Timeline {
		if e.Kind == drone.EntryEnrichment {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d enrichment entries, want 1", n)
	}
	if dead, _ := db.Jobs(ctx, 10, store.Dead...); len(dead) != 0 {
		t.Errorf("dead jobs: %+v", dead)
	}
}
