package dronetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

// Timeout bounds a Harness's context: a test that hangs fails instead.
const Timeout = 60 * time.Second

// Harness is a drone over a real SQLite store in a temporary file: what a
// test of an adapter, an integration or the core needs. Fields may be
// changed before the first operation (Service.Framework, Service.Roles,
// Service.Planners, Service.Now...).
type Harness struct {
	T testing.TB
	// Ctx is done when the test ends, or after Timeout.
	Ctx context.Context
	DB  *store.DB
	// Service runs over DB with the default framework, roles and targets;
	// its Extractor and Now are nil (the service's defaults: an extractor
	// with no options, the wall clock) unless a test sets them, e.g. Now to
	// a Clock's Now.
	Service *drone.Service
	// Log writes to Logs at debug level; Logs is printed if the test fails.
	Log  *slog.Logger
	Logs *LogBuffer
}

// New opens a store in t.TempDir() and builds a service over it; both are
// closed when the test ends.
func New(t testing.TB) *Harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "drone.db"))
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	log, logs := NewLog(t, slog.LevelDebug)
	return &Harness{T: t, Ctx: ctx, DB: db, Log: log, Logs: logs,
		Service: &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
			Targets: drone.DefaultTargets()}}
}

// QueueConfig is a queue tuned for tests: it polls every 20ms and retries
// after 50ms, so that a test waits for its jobs in milliseconds.
func QueueConfig() store.QueueConfig {
	return store.QueueConfig{PollInterval: 20 * time.Millisecond, BackoffBase: 50 * time.Millisecond}
}

// StartQueue starts a queue working the jobs of workers until the test ends
// (stopping it then, within 10s).
func (h *Harness) StartQueue(workers *river.Workers, cfg store.QueueConfig, lanes ...store.Lane) *store.Queue {
	h.T.Helper()
	q, err := h.DB.NewQueue(workers, cfg, nil, lanes...)
	if err != nil {
		h.T.Fatalf("NewQueue: %v", err)
	}
	if err := q.Start(h.Ctx); err != nil {
		h.T.Fatalf("starting queue: %v", err)
	}
	h.T.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := q.Stop(stop); err != nil {
			h.T.Errorf("stopping queue: %v", err)
		}
	})
	return q
}

// Settle waits until no job is due (scheduled retries may wait for their
// time), failing the test after within.
func (h *Harness) Settle(within time.Duration) {
	h.T.Helper()
	ctx, cancel := context.WithTimeout(h.Ctx, within)
	defer cancel()
	h.settle(ctx, within)
}

// Drain works the jobs of workers until none is due, then stops the queue,
// failing the test after within: a round of deliveries whose outcome the
// test then checks. Each round has a queue of its own.
func (h *Harness) Drain(workers *river.Workers, cfg store.QueueConfig, within time.Duration) {
	h.T.Helper()
	q, err := h.DB.NewQueue(workers, cfg, nil)
	if err != nil {
		h.T.Fatalf("NewQueue: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := q.Start(ctx); err != nil {
		h.T.Fatalf("starting queue: %v", err)
	}
	defer func() {
		// Bounded: a job stuck in its worker must fail the test, not hang it.
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(stop); err != nil {
			h.T.Errorf("stopping queue: %v", err)
		}
	}()
	h.settle(ctx, within)
}

func (h *Harness) settle(ctx context.Context, within time.Duration) {
	h.T.Helper()
	var due int
	var err error
	if !poll(ctx, 20*time.Millisecond, func() bool { due, err = h.DB.Due(ctx); return err == nil && due == 0 }) {
		h.T.Fatalf("jobs still due after %s: %d (%v)", within, due, err)
	}
}

// poll calls cond every interval until it holds (true) or ctx ends (false).
func poll(ctx context.Context, every time.Duration, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(every):
		}
	}
	return true
}

// Jobs returns the jobs in the given states (every job when none).
func (h *Harness) Jobs(states ...string) []store.JobInfo {
	h.T.Helper()
	jobs, err := h.DB.Jobs(context.Background(), 1000, states...)
	if err != nil {
		h.T.Fatalf("listing jobs: %v", err)
	}
	return jobs
}

// NoDeadJobs fails the test if a job died (discarded or cancelled).
func (h *Harness) NoDeadJobs() {
	h.T.Helper()
	if dead := h.Jobs(store.Dead...); len(dead) != 0 {
		h.T.Errorf("dead jobs: %+v", dead)
	}
}

// Declare declares an incident as by, failing the test on an error.
func (h *Harness) Declare(by drone.Actor, in drone.DeclareInput) *drone.Incident {
	h.T.Helper()
	inc, _, err := h.Service.Declare(h.Ctx, by, drone.Origin{Channel: "test"}, in)
	if err != nil {
		h.T.Fatalf("declaring: %v", err)
	}
	return inc
}

// Incident reads an incident, failing the test if it cannot.
func (h *Harness) Incident(n int64) *drone.Incident {
	h.T.Helper()
	inc, err := h.Service.Incident(h.Ctx, n)
	if err != nil {
		h.T.Fatalf("reading INC-%d: %v", n, err)
	}
	return inc
}

// Record reads an incident with its observables and timeline.
func (h *Harness) Record(n int64) *drone.Record {
	h.T.Helper()
	rec, err := h.Service.Get(h.Ctx, n)
	if err != nil {
		h.T.Fatalf("reading INC-%d: %v", n, err)
	}
	return rec
}

// Eventually polls cond every 10ms until it holds, failing the test with
// what when the harness's context ends first.
func (h *Harness) Eventually(what string, cond func() bool) {
	h.T.Helper()
	if !poll(h.Ctx, 10*time.Millisecond, cond) {
		h.T.Fatalf("%s: never happened", what)
	}
}
