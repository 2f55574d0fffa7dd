package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/ttp0/drone/drone"
)

// queuedJob carries a drone.Job into River: its kind, its JSON arguments, and
// the unique key River de-duplicates on (the only field tagged unique).
type queuedJob struct {
	kind      string
	UniqueKey string `json:"unique_key,omitempty" river:"unique"`
	args      json.RawMessage
}

func (j queuedJob) Kind() string { return j.kind }

// MarshalJSON merges the unique key into the job's own argument object, so
// that a worker decodes its typed arguments from the same JSON.
func (j queuedJob) MarshalJSON() ([]byte, error) {
	if j.UniqueKey == "" {
		return j.args, nil
	}
	key, err := json.Marshal(j.UniqueKey)
	if err != nil {
		return nil, err
	}
	body := bytes.TrimSpace(j.args)
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("job %s: arguments must be a JSON object", j.kind)
	}
	out := append([]byte(`{"unique_key":`), key...)
	if inner := bytes.TrimSpace(body[1 : len(body)-1]); len(inner) > 0 {
		out = append(append(out, ','), inner...)
	}
	return append(out, '}'), nil
}

// Enqueue adds jobs to the transaction; a job whose unique key is already
// queued, running or recently completed is skipped. They are inserted
// together when the transaction ends, in one statement.
func (t *sqliteTx) Enqueue(ctx context.Context, jobs []drone.Job) error {
	params, err := insertParams(jobs, t.db.maxAttempts)
	if err != nil {
		return err
	}
	t.jobs = append(t.jobs, params...)
	return nil
}

// insertParams turns drone jobs into River's, with maxAttempts for those
// that name none.
func insertParams(jobs []drone.Job, maxAttempts int) ([]river.InsertManyParams, error) {
	out := make([]river.InsertManyParams, 0, len(jobs))
	for _, j := range jobs {
		args, err := json.Marshal(j.Args)
		if err != nil {
			return nil, fmt.Errorf("encoding %s job: %w", j.Kind, err)
		}
		opts := &river.InsertOpts{Queue: j.Queue, MaxAttempts: cmp.Or(j.MaxAttempts, maxAttempts)}
		if !j.RunAt.IsZero() {
			opts.ScheduledAt = j.RunAt
		}
		if j.UniqueKey != "" {
			opts.UniqueOpts = river.UniqueOpts{ByArgs: true}
		}
		out = append(out, river.InsertManyParams{Args: queuedJob{kind: j.Kind, UniqueKey: j.UniqueKey, args: args}, InsertOpts: opts})
	}
	return out, nil
}

// QueueConfig tunes the workers. With SQLite's single connection, many
// workers and a short fetch cooldown keep throughput high: the workers spend
// their time waiting on other systems, not on the database.
type QueueConfig struct {
	// Workers is how many jobs run at once. Defaults to 50.
	Workers int `yaml:"workers" json:"workers"`
	// MaxAttempts is how many times a job is tried before it is dead.
	// Defaults to 10.
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// BackoffBase is the delay before the first retry; each retry doubles
	// it, with full jitter, up to BackoffMax. Defaults to 2s and 1h.
	BackoffBase time.Duration `yaml:"backoff_base" json:"backoff_base"`
	BackoffMax  time.Duration `yaml:"backoff_max" json:"backoff_max"`
	// PollInterval is how often workers look for jobs that became due.
	// Defaults to 200ms.
	PollInterval time.Duration `yaml:"poll_interval" json:"poll_interval"`
	// JobTimeout bounds one attempt. Defaults to 1 minute. A job still
	// running after twice as long was left by a process that died (River
	// cancels a live attempt at its timeout): River's rescuer, on the
	// replica that leads, makes it due again within 30 seconds more.
	JobTimeout time.Duration `yaml:"job_timeout" json:"job_timeout"`
}

// WithDefaults returns c with every unset field at its default.
func (c QueueConfig) WithDefaults() QueueConfig {
	if c.Workers <= 0 {
		c.Workers = 50
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = time.Hour
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = time.Minute
	}
	return c
}

// backoff is an exponential retry policy with full jitter, so that jobs that
// failed together (TheHive was down) do not all retry at the same instant.
type backoff struct{ base, max time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	n := len(job.Errors) // snoozes do not count
	ceiling := float64(b.base) * math.Pow(2, float64(max(n-1, 0)))
	ceiling = math.Min(ceiling, float64(b.max))
	d := time.Duration(ceiling/2 + rand.Float64()*ceiling/2)
	return time.Now().UTC().Add(d)
}

// Queue works the jobs of a store.
type Queue struct {
	client queueClient
}

// queueClient is what a Queue uses of a River client, whatever its driver.
type queueClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Lane is a queue of its own with its own workers, for the jobs of a system
// that may be slow (an SMTP relay that takes seconds a message): they then
// never hold the workers that every other job needs. A job goes in a lane
// by its drone.Job.Queue.
type Lane struct {
	Name    string
	Workers int
}

// LanesOf returns the lanes of a map of queue names to their workers, in
// the order of their names.
func LanesOf(m map[string]int) []Lane {
	out := make([]Lane, 0, len(m))
	for name, n := range m {
		out = append(out, Lane{Name: name, Workers: n})
	}
	slices.SortFunc(out, func(a, b Lane) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// NewQueue returns a Queue that runs jobs with the given workers: those of
// the default queue with cfg.Workers, those of each lane with its own.
func (db *SQLite) NewQueue(workers *river.Workers, cfg QueueConfig, log *slog.Logger, lanes ...Lane) (*Queue, error) {
	return newQueue(db.driver, workers, cfg, log, lanes)
}

// newQueue builds the River client that works jobs, on either backend's driver.
func newQueue[TTx any](driver riverdriver.Driver[TTx], workers *river.Workers, cfg QueueConfig, log *slog.Logger, lanes []Lane) (*Queue, error) {
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	for _, l := range lanes {
		queues[l.Name] = river.QueueConfig{MaxWorkers: max(l.Workers, 1)}
	}
	client, err := river.NewClient(driver, &river.Config{
		Queues:            queues,
		Workers:           workers,
		MaxAttempts:       cfg.MaxAttempts,
		RetryPolicy:       backoff{cfg.BackoffBase, cfg.BackoffMax},
		FetchCooldown:     min(cfg.PollInterval, 5*time.Millisecond),
		FetchPollInterval: cfg.PollInterval,
		JobTimeout:        cfg.JobTimeout,
		// Twice the timeout: no live attempt is taken (see
		// QueueConfig.JobTimeout), rather than River's default hour.
		RescueStuckJobsAfter: 2 * cfg.JobTimeout,
		// Jobs of an integration turned off stay queued, untouched, until it
		// is turned on again.
		FetchOnlyKnownKinds: true,
		Logger:              log,
	})
	if err != nil {
		return nil, fmt.Errorf("creating queue workers: %w", err)
	}
	return &Queue{client: client}, nil
}

// Start starts working jobs in the background.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("starting queue: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish until ctx is
// done; jobs not started stay queued for the next start.
func (q *Queue) Stop(ctx context.Context) error {
	if err := q.client.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stopping queue: %w", err)
	}
	return nil
}

// JobInfo describes a queued, running, finished or dead job.
type JobInfo = drone.JobInfo

func jobInfo(r *rivertype.JobRow) JobInfo {
	j := JobInfo{ID: r.ID, Kind: r.Kind, State: string(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		Args: json.RawMessage(r.EncodedArgs), CreatedAt: r.CreatedAt.UTC(), ScheduledAt: r.ScheduledAt.UTC()}
	if n := len(r.Errors); n > 0 {
		// A worker that gives up returns river.JobCancel(err); show err.
		j.LastError = strings.TrimPrefix(r.Errors[n-1].Error, "JobCancelError: ")
	}
	return j
}

// Pending states are those of jobs not finished yet; Dead is River's
// "discarded": out of attempts, or cancelled by its worker as hopeless.
var (
	Pending = []string{"available", "scheduled", "running", "retryable", "pending"}
	Dead    = []string{"discarded", "cancelled"}
)

// Jobs lists jobs in the given states (all when none), oldest first, at most limit.
func (db *SQLite) Jobs(ctx context.Context, limit int, states ...string) ([]JobInfo, error) {
	return listJobs(ctx, db.river, limit, states)
}

func listJobs[TTx any](ctx context.Context, client *river.Client[TTx], limit int, states []string) ([]JobInfo, error) {
	p := river.NewJobListParams().First(max(limit, 1)).OrderBy(river.JobListOrderByID, river.SortOrderAsc)
	if len(states) > 0 {
		s := make([]rivertype.JobState, len(states))
		for i, v := range states {
			s[i] = rivertype.JobState(v)
		}
		p = p.States(s...)
	}
	res, err := client.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	out := make([]JobInfo, len(res.Jobs))
	for i, r := range res.Jobs {
		out[i] = jobInfo(r)
	}
	return out, nil
}

// RetryJob makes a dead or waiting job due now, with its attempts reset by
// River so that it gets a full set again.
func (db *SQLite) RetryJob(ctx context.Context, id int64) (JobInfo, error) {
	return retryJob(ctx, db.river, id)
}

func retryJob[TTx any](ctx context.Context, client *river.Client[TTx], id int64) (JobInfo, error) {
	r, err := client.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return JobInfo{}, drone.Errorf(drone.ENOTFOUND, "there is no job %d", id)
	}
	if err != nil {
		return JobInfo{}, fmt.Errorf("retrying job %d: %w", id, err)
	}
	return jobInfo(r), nil
}

// Due counts the jobs that can run now (available or running); scheduled and
// retryable jobs wait for their time.
func (db *SQLite) Due(ctx context.Context) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running')
		OR (state IN ('scheduled', 'retryable') AND scheduled_at <= datetime('now', 'subsec'))`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting due jobs: %w", err)
	}
	return n, nil
}

// Outcome is what became of one attempt at a job.
type Outcome struct {
	Job JobInfo
	Err error // nil when the job completed
}

// Outcomes returns a channel of finished attempts (completed, failed,
// dead) and a function that stops the subscription.
func (q *Queue) Outcomes() (<-chan Outcome, func()) {
	events, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled)
	out := make(chan Outcome, 100)
	go func() {
		defer close(out)
		for e := range events {
			o := Outcome{Job: jobInfo(e.Job)}
			if e.Kind != river.EventKindJobCompleted {
				o.Err = errors.New(o.Job.LastError)
			}
			out <- o
		}
	}()
	return out, cancel
}

// Counts are the numbers /metrics reports.
type Counts struct {
	Incidents map[string]int // by status
	Jobs      map[string]int // by River state
}

// Counts counts incidents by status and jobs by state.
func (db *SQLite) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Incidents: map[string]int{}, Jobs: map[string]int{}}
	for _, q := range []struct {
		sql string
		dst map[string]int
	}{
		{`SELECT status, COUNT(*) FROM incident GROUP BY status`, c.Incidents},
		{`SELECT state, COUNT(*) FROM river_job GROUP BY state`, c.Jobs},
	} {
		if err := countInto(ctx, db.sql, q.sql, q.dst); err != nil {
			return Counts{}, err
		}
	}
	return c, nil
}

func countInto(ctx context.Context, db *sql.DB, query string, dst map[string]int) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("counting: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("counting: %w", err)
		}
		dst[k] = n
	}
	return rows.Err()
}
