package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

func open(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "drone.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testArgs are the arguments of the test jobs.
type testArgs struct {
	N int `json:"n"`
}

func (testArgs) Kind() string { return "test.job" }

// recorder is a worker that counts how often each job ran and fails when told.
type recorder struct {
	river.WorkerDefaults[testArgs]
	mu   sync.Mutex
	runs map[int64]int
	fail bool
	done chan int64
}

func (r *recorder) Work(ctx context.Context, j *river.Job[testArgs]) error {
	r.mu.Lock()
	r.runs[j.ID]++
	r.mu.Unlock()
	if r.fail {
		return errors.New("the other system is down")
	}
	r.done <- j.ID
	return nil
}

func newRecorder(fail bool) *recorder {
	return &recorder{runs: map[int64]int{}, fail: fail, done: make(chan int64, 1000)}
}

func enqueue(t *testing.T, db *store.DB, jobs ...drone.Job) {
	t.Helper()
	err := db.Update(context.Background(), func(tx drone.Tx) error { return tx.Enqueue(context.Background(), jobs) })
	if err != nil {
		t.Fatal(err)
	}
}

func startQueue(t *testing.T, db *store.DB, w *recorder, cfg store.QueueConfig) *store.Queue {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	q, err := db.NewQueue(workers, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

func TestTwoQueuesNeverRunTheSameJob(t *testing.T) {
	t.Parallel()
	db := open(t)
	const n = 200
	jobs := make([]drone.Job, n)
	for i := range jobs {
		jobs[i] = drone.Job{Kind: "test.job", Args: testArgs{N: i}}
	}
	enqueue(t, db, jobs...)
	w := newRecorder(false)
	cfg := store.QueueConfig{Workers: 20, PollInterval: 20 * time.Millisecond}
	startQueue(t, db, w, cfg)
	startQueue(t, db, w, cfg)
	timeout := time.After(30 * time.Second)
	for seen := 0; seen < n; seen++ {
		select {
		case <-w.done:
		case <-timeout:
			t.Fatalf("only %d of %d jobs ran", seen, n)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, runs := range w.runs {
		if runs != 1 {
			t.Errorf("job %d ran %d times", id, runs)
		}
	}
	if len(w.runs) != n {
		t.Errorf("%d distinct jobs ran, want %d", len(w.runs), n)
	}
}

func TestFailingJobIsRetriedThenDead(t *testing.T) {
	t.Parallel()
	db := open(t)
	enqueue(t, db, drone.Job{Kind: "test.job", Args: testArgs{N: 1}, MaxAttempts: 2})
	w := newRecorder(true)
	startQueue(t, db, w, store.QueueConfig{BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		PollInterval: 20 * time.Millisecond})
	deadline := time.Now().Add(30 * time.Second)
	for {
		dead, err := db.Jobs(context.Background(), 10, store.Dead...)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) == 1 {
			j := dead[0]
			if j.Attempt != 2 || j.LastError != "the other system is down" {
				t.Errorf("dead job: attempt %d, last error %q", j.Attempt, j.LastError)
			}
			retried, err := db.RetryJob(context.Background(), j.ID)
			if err != nil || retried.State != "available" {
				t.Errorf("retry: %+v %v", retried, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing job never went dead")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUniqueJobsAreInsertedOnce(t *testing.T) {
	t.Parallel()
	db := open(t)
	j := drone.Job{Kind: "test.job", Args: testArgs{N: 7}, UniqueKey: "incident-1:seq-3"}
	enqueue(t, db, j)
	enqueue(t, db, j)
	other := j
	other.UniqueKey = "incident-1:seq-4"
	enqueue(t, db, other)
	jobs, err := db.Jobs(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 {
		t.Errorf("%d jobs, want 2: a repeated unique key must be skipped", len(jobs))
	}
}

func TestGroupedUpdatesFailAlone(t *testing.T) {
	t.Parallel()
	db := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Update(ctx, func(tx drone.Tx) error {
				if err := tx.Enqueue(ctx, []drone.Job{{Kind: "test.job", Args: testArgs{N: i}}}); err != nil {
					return err
				}
				if i%3 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		if (i%3 == 0) != (err != nil) {
			t.Errorf("update %d: %v", i, err)
		}
		if err == nil {
			want++
		}
	}
	jobs, err := db.Jobs(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != want {
		t.Errorf("%d jobs stored, want %d: a failed update's writes must roll back alone", len(jobs), want)
	}
}

func TestClaimOnce(t *testing.T) {
	t.Parallel()
	db := open(t)
	first, err := db.Claim(context.Background(), "slack:event:Ev1")
	again, err2 := db.Claim(context.Background(), "slack:event:Ev1")
	if err != nil || err2 != nil || !first || again {
		t.Errorf("claims: %v %v, %v %v", first, err, again, err2)
	}
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	t.Parallel()
	db := open(t)
	enqueue(t, db, drone.Job{Kind: "test.job", Args: testArgs{N: 1}})
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(context.Background(), path); err == nil {
		t.Error("a backup overwrote an existing file")
	}
	cp, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Ready(context.Background()); err != nil {
		t.Error(err)
	}
	if jobs, _ := cp.Jobs(context.Background(), 10); len(jobs) != 1 {
		t.Errorf("backup holds %d jobs, want 1", len(jobs))
	}
}

func TestReopenKeepsSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "drone.db")
	for range 2 {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.SchemaVersion(context.Background()); err != nil || v != store.LatestSchema() {
			t.Errorf("schema version %d %v", v, err)
		}
		db.Close()
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}
