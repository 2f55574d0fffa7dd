package cortex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/queue"
)

// Actor is who the analyses are on incidents' timelines.
var Actor = drone.Actor{Platform: "cortex", ID: "analyzer", Name: "Cortex"}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Client reaches Cortex. Required.
	Client *Client
	// Service is drone's core: the worker reads incidents and records
	// verdicts through it. Required.
	Service *drone.Service
	// Config holds the analyzers and the waits.
	Config Config
	// Log receives a line per analysis that waits or fails. Defaults to
	// discarding.
	Log *slog.Logger
	// Now is the clock that GiveUp is measured by. Defaults to time.Now.
	Now func() time.Time
}

// Worker works cortex.analyze jobs: it runs one analyzer on one
// observable and records what it found. Register it with river.AddWorker.
type Worker struct {
	river.WorkerDefaults[AnalyzeArgs]
	client *Client
	svc    *drone.Service
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
}

// NewWorker returns a worker for o.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Client == nil || o.Service == nil || o.Service.Store == nil {
		return nil, errors.New("cortex: a worker needs a client and a service with a store")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Worker{client: o.Client, svc: o.Service, cfg: o.Config.WithDefaults(), log: o.Log, now: o.Now}, nil
}

// Work runs the job's analysis, or goes on waiting for it.
func (w *Worker) Work(ctx context.Context, job *river.Job[AnalyzeArgs]) error {
	return w.steer(ctx, job, w.analyze(ctx, job))
}

// analysis is what one job works on.
type analysis struct {
	inc      *drone.Incident
	obs      drone.Observable
	analyzer Analyzer
	dataType string
	tlp, pap string
}

func (w *Worker) analyze(ctx context.Context, job *river.Job[AnalyzeArgs]) error {
	an, err := w.load(ctx, job.Args)
	if err != nil || an == nil {
		return err
	}
	info, err := w.client.Analyzer(ctx, an.analyzer.Name)
	if err != nil {
		return fmt.Errorf("%s: %w", an.inc.Ref(), err)
	}
	if !slices.Contains(info.DataTypes, an.dataType) {
		return drone.Permanent(fmt.Errorf("%s: Cortex analyzer %s takes no %s data (it takes %s): fix its data_types in cortex.analyzers",
			an.inc.Ref(), info.Name, an.dataType, strings.Join(info.DataTypes, ", ")))
	}
	j, err := w.ensureJob(ctx, info, an)
	if err != nil {
		return fmt.Errorf("%s: %w", an.inc.Ref(), err)
	}
	r, err := w.client.WaitReport(ctx, j.ID, w.cfg.Wait)
	if err != nil {
		return fmt.Errorf("%s: %w", an.inc.Ref(), err)
	}
	switch r.Status {
	case StatusSuccess:
		return w.record(ctx, an, r)
	case StatusWaiting, StatusInProgress:
		if waited := w.now().Sub(job.CreatedAt); waited > w.cfg.GiveUp {
			return drone.Permanent(fmt.Errorf("%s: Cortex job %s (%s on %s) is still %s after %s (cortex.give_up)",
				an.inc.Ref(), j.ID, info.Name, an.shown(), r.Status, waited.Round(time.Second)))
		}
		return drone.RetryAfter(w.cfg.Poll, fmt.Errorf("%s: Cortex job %s (%s on %s) is %s", an.inc.Ref(), j.ID, info.Name, an.shown(), r.Status))
	}
	return drone.Permanent(fmt.Errorf("%s: Cortex job %s (%s on %s) ended %s: %s",
		an.inc.Ref(), j.ID, info.Name, an.shown(), r.Status, orElse(r.ErrorMessage, "no message")))
}

// load reads what the job works on, and asks Allowed again with the
// incident as it is now: nil (no error) when the analysis is no longer
// wanted or allowed, which ends the job.
func (w *Worker) load(ctx context.Context, args AnalyzeArgs) (*analysis, error) {
	i := slices.IndexFunc(w.cfg.Analyzers, func(a Analyzer) bool { return a.Name == args.Analyzer })
	if i < 0 {
		w.log.InfoContext(ctx, "Cortex analyzer no longer configured; analysis dropped", "analyzer", args.Analyzer, "incident", args.IncidentID)
		return nil, nil
	}
	a := w.cfg.Analyzers[i]
	inc, err := w.svc.IncidentByID(ctx, args.IncidentID)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, drone.Permanent(fmt.Errorf("reading incident %s: %w", args.IncidentID, err))
	}
	if err != nil {
		return nil, fmt.Errorf("reading incident %s: %w", args.IncidentID, err)
	}
	all, err := w.svc.Observables(ctx, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the observables of %s: %w", inc.Ref(), err)
	}
	k := slices.IndexFunc(all, func(o drone.Observable) bool { return o.ID == args.ObservableID })
	if k < 0 {
		return nil, drone.Permanent(fmt.Errorf("%s has no observable %d", inc.Ref(), args.ObservableID))
	}
	an := &analysis{inc: inc, obs: all[k], analyzer: a}
	an.tlp, an.pap = Marking(inc, an.obs)
	if ok, why := Allowed(a, an.tlp, an.pap); !ok {
		w.log.InfoContext(ctx, "observable not sent to Cortex", "incident", inc.Ref(), "observable", an.obs.ID, "why", why)
		return nil, nil
	}
	dt, ok := a.takes(an.obs.Type)
	if !ok {
		return nil, nil // the analyzer's data types changed since
	}
	an.dataType = dt
	return an, nil
}

// mark is what drone writes in the message of the Cortex job of an
// analysis, to find it again.
func mark(an *analysis) string { return fmt.Sprintf("drone:%s/%d", an.inc.ID, an.obs.ID) }

// ensureJob returns the Cortex job of the analysis, starting it only when
// Cortex holds none that an earlier attempt started: a lost answer or a
// killed worker makes the next attempt find it. A job that failed is not
// taken again, so that drone queue retry runs the analysis anew.
func (w *Worker) ensureJob(ctx context.Context, info AnalyzerInfo, an *analysis) (Job, error) {
	found, err := w.client.FindJobs(ctx, info.ID, an.dataType, an.obs.Value)
	if err != nil {
		return Job{}, err
	}
	m := mark(an)
	for _, j := range found {
		if strings.Contains(j.Message, m) && j.Status != StatusFailure && j.Status != StatusDeleted {
			return j, nil
		}
	}
	return w.client.Run(ctx, info.ID, RunInput{Data: an.obs.Value, DataType: an.dataType,
		TLP: wireTLP(an.tlp), PAP: wirePAP(an.pap),
		Message: fmt.Sprintf("%s observable %d (%s)", an.inc.Ref(), an.obs.ID, m)})
}

// record writes the analysis on the incident's timeline, once.
func (w *Worker) record(ctx context.Context, an *analysis, r Report) error {
	v := verdict(an.analyzer.Name, an.obs.Type, an.obs.Value, r, w.client.JobURL(r.ID))
	text := fmt.Sprintf("Cortex: %s. Full report: %s", v.Summary, v.Link)
	key := fmt.Sprintf("cortex/%d/%s", an.obs.ID, an.analyzer.Name)
	if _, err := w.svc.RecordOnce(ctx, Actor, an.inc.ID, drone.EntryEnrichment, key, text, []drone.Verdict{v}); err != nil {
		return fmt.Errorf("recording Cortex's report on %s: %w", an.inc.Ref(), err)
	}
	return nil
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// classify says a failure in drone's words: a 429 asks for the wait Cortex
// named, what may pass later is retried, and the rest (another 4xx, an
// analyzer Cortex lacks, an answer drone cannot read) is permanent.
func classify(err error) error {
	if _, waits := drone.RetryDelay(err); waits || drone.IsPermanent(err) {
		return err
	}
	if ae := asAPIError(err); ae != nil && ae.Status == 429 {
		return drone.RetryAfter(retryAfter(ae.RetryAfter), err)
	}
	if Retryable(err) {
		return err
	}
	if h := hint(err); h != "" {
		err = fmt.Errorf("%s: %w", h, err)
	}
	return drone.Permanent(err)
}

// Waits of a job Cortex asked to slow down.
const (
	defaultRetryAfter = 10 * time.Second
	maxRetryAfter     = 10 * time.Minute
)

func retryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultRetryAfter
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// steer turns the outcome of an analysis into what River does with the
// job (queue.Steer), and records on the incident's timeline a job that is
// dead.
func (w *Worker) steer(ctx context.Context, job *river.Job[AnalyzeArgs], err error) error {
	if err == nil {
		return nil
	}
	err = classify(err)
	log := w.log.With("job", job.ID, "incident", job.Args.IncidentID, "observable", job.Args.ObservableID,
		"analyzer", job.Args.Analyzer, "attempt", job.Attempt)
	wait, snooze := drone.RetryDelay(err)
	switch {
	case snooze:
		log.InfoContext(ctx, "Cortex analysis waits before asking again", "wait", wait, "err", err)
	case drone.IsPermanent(err):
		log.ErrorContext(ctx, "Cortex analysis failed; not retrying", "err", err)
		w.recordDead(ctx, job, err, "retrying cannot help")
	case job.Attempt < job.MaxAttempts:
		log.WarnContext(ctx, "Cortex analysis failed; it will be retried", "err", err)
	default:
		log.ErrorContext(ctx, "Cortex analysis failed for good", "err", err)
		w.recordDead(ctx, job, err, fmt.Sprintf("gave up after %d attempts", job.Attempt))
	}
	return queue.Steer(err)
}

// recordDead writes a delivery entry on the incident's timeline saying
// which analysis died, why, and how to revive it.
func (w *Worker) recordDead(ctx context.Context, job *river.Job[AnalyzeArgs], err error, why string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	data := map[string]any{"job_id": job.ID, "kind": job.Kind, "analyzer": job.Args.Analyzer,
		"observable_id": job.Args.ObservableID, "attempt": job.Attempt, "error": err.Error()}
	text := fmt.Sprintf("Cortex analysis by %s failed for good (job %d, %s): %s. Fix the cause, then run: drone queue retry %d",
		job.Args.Analyzer, job.ID, why, err, job.ID)
	key := fmt.Sprintf("%s/%d/%d", AnalyzeKind, job.ID, len(job.Errors))
	if _, rerr := w.svc.RecordOnce(ctx, Actor, job.Args.IncidentID, drone.EntryDelivery, key, text, data); rerr != nil {
		w.log.ErrorContext(ctx, "recording a dead Cortex job on the incident", "job", job.ID, "err", rerr)
	}
}

// shown is the observable as messages show it: defanged.
func (an *analysis) shown() string { return ioc.Defang(an.obs.Type, an.obs.Value) }
