// Command hivebench measures how fast drone carries incidents to TheHive.
// For each worker count it declares incidents with observables into a fresh
// SQLite store, then starts a real River queue with the hive.sync worker
// against the in-process TheHive stand-in on loopback, and times the jobs
// until every incident has its case and observables:
//
//	go run ./bench/hive -incidents 1000 -observables 10 -workers 1,4,16
//
// It reports incidents delivered per second (case, tasks and observables),
// jobs per second (a declaration with observables makes two jobs), the
// 50th and 99th percentile and the maximum time of one job, and the HTTP
// requests per incident. The client's rate limit is off unless -rate says
// otherwise; -latency adds a delay to every TheHive answer.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
	"github.com/ttp0/drone/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hivebench:", err)
		os.Exit(1)
	}
}

type config struct {
	incidents, observables int
	workers                []int
	api                    string
	rate                   float64
	latency                time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	var workers string
	fs := flag.NewFlagSet("hivebench", flag.ContinueOnError)
	fs.IntVar(&c.incidents, "incidents", 1000, "incidents to deliver per run")
	fs.IntVar(&c.observables, "observables", 10, "observables per incident (at most 10)")
	fs.StringVar(&workers, "workers", "1,4,16", "comma-separated worker counts, one run each")
	fs.StringVar(&c.api, "api", hive.APIv1, "TheHive API version: v1 or v0")
	fs.Float64Var(&c.rate, "rate", 0, "client-side limit in requests per second; 0 is off")
	fs.DurationVar(&c.latency, "latency", 0, "delay the stand-in adds to every answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.observables < 1 || c.observables > 10 || c.incidents < 1 {
		return errors.New("-incidents must be at least 1 and -observables 1 to 10")
	}
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return fmt.Errorf("-workers: %q is not a worker count", w)
		}
		c.workers = append(c.workers, n)
	}
	fmt.Fprintf(out, "TheHive sync: %d incidents x %d observables, API %s, client rate limit %s, stand-in latency %v\n",
		c.incidents, c.observables, c.api, rateName(c.rate), c.latency)
	fmt.Fprintf(out, "%7s %9s %12s %8s %9s %9s %9s %10s\n", "workers", "elapsed", "incidents/s", "jobs/s", "p50/job", "p99/job", "max/job", "req/inc")
	for _, n := range c.workers {
		r, err := measure(ctx, c, n)
		if err != nil {
			return fmt.Errorf("%d workers: %w", n, err)
		}
		fmt.Fprintf(out, "%7d %9s %12.0f %8.0f %9s %9s %9s %10.1f\n", n, r.elapsed.Round(time.Millisecond),
			float64(c.incidents)/r.elapsed.Seconds(), float64(r.jobs)/r.elapsed.Seconds(),
			r.percentile(0.50), r.percentile(0.99), r.percentile(1), float64(r.requests)/float64(c.incidents))
	}
	return nil
}

func rateName(r float64) string {
	if r == 0 {
		return "off"
	}
	return fmt.Sprintf("%g/s", r)
}

// result is one run.
type result struct {
	elapsed  time.Duration
	jobs     int
	requests int
	times    []time.Duration // of each job, sorted
}

func (r result) percentile(p float64) time.Duration {
	i := min(len(r.times)-1, int(p*float64(len(r.times))))
	return r.times[i].Round(10 * time.Microsecond)
}

// measure declares the incidents, then times their delivery with n
// workers.
func measure(ctx context.Context, c config, n int) (result, error) {
	dir, err := os.MkdirTemp("", "hivebench")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "drone.db"))
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	srv, err := hivetest.NewServer(hivetest.Options{CustomFields: []string{"drone-zone", "drone-tier"}})
	if err != nil {
		return result{}, err
	}
	defer srv.Close()
	srv.Latency(c.latency)
	fw := drone.DefaultFramework()
	fw.Zones = []string{"ZONE-A"}
	svc := &drone.Service{Store: db, Framework: fw, Roles: drone.DefaultRoles(), Planners: []drone.Planner{hive.Planner{}}}
	if err := declareAll(ctx, svc, c); err != nil {
		return result{}, err
	}
	jobs, err := db.Due(ctx)
	if err != nil {
		return result{}, err
	}
	w, err := newTimedWorker(svc, srv, c)
	if err != nil {
		return result{}, err
	}
	elapsed, err := work(ctx, db, w, n, jobs)
	if err != nil {
		return result{}, err
	}
	if err := verify(srv, c); err != nil {
		return result{}, err
	}
	reqs := 0
	for _, r := range srv.Requests() {
		reqs += r.Count
	}
	slices.Sort(w.times)
	return result{elapsed: elapsed, jobs: jobs, requests: reqs, times: w.times}, nil
}

// declareAll declares the incidents, 16 at a time, each with its
// observables: distinct values of five TheHive data types.
func declareAll(ctx context.Context, svc *drone.Service, c config) error {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	next := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := declareOne(ctx, svc, c, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
	for i := 0; i < c.incidents && err == nil; i++ {
		select {
		case next <- i:
		case err = <-errs:
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	return errors.Join(err, <-errs)
}

func declareOne(ctx context.Context, svc *drone.Service, c config, i int) error {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	values := []drone.TypedValue{
		{Type: ioc.IPv4, Value: fmt.Sprintf("11.%d.%d.1", i/250%250, i%250)},
		{Type: ioc.Domain, Value: fmt.Sprintf("c2-%d.example.net", i)},
		{Type: ioc.URL, Value: fmt.Sprintf("https://cdn%d.example.org/payload", i)},
		{Type: ioc.SHA256, Value: hex.EncodeToString(sum[:])},
		{Type: ioc.Email, Value: fmt.Sprintf("sender%d@example.org", i)},
		{Type: ioc.IPv4, Value: fmt.Sprintf("11.%d.%d.2", i/250%250, i%250)},
		{Type: ioc.Domain, Value: fmt.Sprintf("drop-%d.example.net", i)},
		{Type: ioc.URL, Value: fmt.Sprintf("https://cdn%d.example.org/stage2", i)},
		{Type: ioc.IPv4, Value: fmt.Sprintf("11.%d.%d.3", i/250%250, i%250)},
		{Type: ioc.Email, Value: fmt.Sprintf("reply%d@example.org", i)},
	}[:c.observables]
	_, res, err := svc.Declare(ctx, drone.Actor{Platform: "local", ID: "bench"}, drone.Origin{Channel: "cli"},
		drone.DeclareInput{Category: "CAT1", SubContext: "Phishing", Severity: "high", Tier: "T2", Zone: "ZONE-A",
			Overview: fmt.Sprintf("bench incident %d", i), Observables: drone.ObservableInput{Typed: values, IOC: true}})
	if err != nil {
		return fmt.Errorf("declaring incident %d: %w", i, err)
	}
	if len(res.Added) != c.observables {
		return fmt.Errorf("incident %d: %d observables added, want %d (rejected: %v)", i, len(res.Added), c.observables, res.Rejected)
	}
	return nil
}

// timedWorker is the hive.sync worker, timing each job.
type timedWorker struct {
	*hive.Worker
	mu    sync.Mutex
	times []time.Duration
}

func newTimedWorker(svc *drone.Service, srv *hivetest.Server, c config) (*timedWorker, error) {
	rate := c.rate
	cfg := hive.Config{URL: srv.URL(), APIKey: srv.Key(), Organisation: srv.Organisation(), API: c.api, Rate: &rate,
		CustomFields: map[string]string{hive.FieldZone: "drone-zone", hive.FieldTier: "drone-tier"}}
	cli, err := hive.New(cfg)
	if err != nil {
		return nil, err
	}
	w, err := hive.NewWorker(hive.WorkerOptions{Client: cli, Service: svc, Config: cfg})
	if err != nil {
		return nil, err
	}
	return &timedWorker{Worker: w}, nil
}

// Work runs the job and records how long it took.
func (w *timedWorker) Work(ctx context.Context, job *river.Job[hive.SyncArgs]) error {
	start := time.Now()
	err := w.Worker.Work(ctx, job)
	d := time.Since(start)
	w.mu.Lock()
	w.times = append(w.times, d)
	w.mu.Unlock()
	return err
}

// work runs the queue with n workers until every job completed, and
// returns how long that took; a failed attempt ends the run.
func work(ctx context.Context, db *store.DB, w *timedWorker, n, jobs int) (time.Duration, error) {
	workers := river.NewWorkers()
	river.AddWorker[hive.SyncArgs](workers, w)
	q, err := db.NewQueue(workers, store.QueueConfig{Workers: n, PollInterval: 20 * time.Millisecond}, nil)
	if err != nil {
		return 0, err
	}
	outcomes, unsubscribe := q.Outcomes()
	defer unsubscribe()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	start := time.Now()
	if err := q.Start(ctx); err != nil {
		return 0, err
	}
	defer q.Stop(context.Background())
	for done := 0; done < jobs; {
		select {
		case o := <-outcomes:
			if o.Err != nil {
				return 0, fmt.Errorf("job %d failed: %w", o.Job.ID, o.Err)
			}
			done++
		case <-ctx.Done():
			return 0, fmt.Errorf("%d of %d jobs done: %w", done, jobs, ctx.Err())
		}
	}
	return time.Since(start), nil
}

// verify checks that TheHive holds a case per incident with all its
// observables.
func verify(srv *hivetest.Server, c config) error {
	cases := srv.Cases()
	if len(cases) != c.incidents {
		return fmt.Errorf("TheHive holds %d cases, want %d", len(cases), c.incidents)
	}
	for _, cs := range cases {
		if n := len(srv.Observables(cs.ID)); n != c.observables {
			return fmt.Errorf("case %d holds %d observables, want %d", cs.Number, n, c.observables)
		}
	}
	return nil
}
