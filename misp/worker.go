package misp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// LockSighting is the purpose of the lock a look-up holds on its incident
// while it adds sightings, so that two jobs of one incident cannot both
// miss a sighting and both add it.
const LockSighting = "misp.sighting"

// lookupConcurrency is how many look-ups of one job are in flight: enough
// to keep up with the rate limit over a network's round trip.
const lookupConcurrency = 8

// Waits of a snoozed job.
const (
	defaultRetryAfter = 10 * time.Second
	maxRetryAfter     = 10 * time.Minute
	throttleWait      = 2 * time.Second
)

// LookupWorker works misp.lookup jobs. Register it with river.AddWorker.
type LookupWorker struct {
	river.WorkerDefaults[LookupArgs]
	Client  *Client
	Service *drone.Service
	Config  Config
	Log     *slog.Logger

	// known remembers, per job, what this process learnt of each matched
	// attribute's sighting between attempts, so that a job snoozed by a
	// tight rate limit makes progress instead of asking again what it
	// knows. A job that ends forgets; another process asks MISP.
	mu    sync.Mutex
	known map[int64]map[string]sighting
}

// sighting is what a worker knows of an attribute's sighting from an
// incident.
type sighting int

const (
	sightingUnknown sighting = iota // ask MISP
	sightingAbsent                  // MISP said none, and no add was sent since
	sightingDone                    // MISP holds it
)

// Work looks the job's indicators up, records the hits on the incident's
// timeline once, and adds a sighting per matched attribute once.
func (w *LookupWorker) Work(ctx context.Context, job *river.Job[LookupArgs]) error {
	err := w.work(ctx, job.ID, job.Args)
	c := classify(err)
	if _, waits := drone.RetryDelay(c); !waits && (err == nil || drone.IsPermanent(c) || job.Attempt >= job.MaxAttempts) {
		w.forget(job.ID) // the job ends: nothing runs it again here
	}
	return steer(ctx, w.log(), w.Service, job.JobRow, job.Args.IncidentID, err)
}

// state returns the job's map of what it knows, made on first use.
func (w *LookupWorker) state(jobID int64) map[string]sighting {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known == nil {
		w.known = map[int64]map[string]sighting{}
	}
	if w.known[jobID] == nil {
		w.known[jobID] = map[string]sighting{}
	}
	return w.known[jobID]
}

func (w *LookupWorker) forget(jobID int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.known, jobID)
}

func (w *LookupWorker) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

func (w *LookupWorker) work(ctx context.Context, jobID int64, a LookupArgs) error {
	hits, err := LookupAll(ctx, w.Client, a.Items)
	if err != nil {
		return err
	}
	if len(hits) == 0 {
		return nil
	}
	vs := Verdicts(w.Client.Base(), hits)
	key := fmt.Sprintf("%s/%d/%d", LookupKind, a.Seq, a.Part)
	if _, err := w.Service.RecordOnce(ctx, Actor, a.IncidentID, drone.EntryEnrichment, key, Sentence(vs), vs); err != nil {
		return err
	}
	if !w.Config.Sightings {
		return nil
	}
	return w.sight(ctx, a.IncidentID, hits, w.state(jobID))
}

// Found is an indicator with the attributes that matched it.
type Found struct {
	Item
	Hits []Hit
}

// LookupAll looks every item up, a few at a time, and returns those MISP
// knows, in the items' order. The first failure stops it: what was looked
// up stays in the cache for the retry.
func LookupAll(ctx context.Context, c *Client, items []Item) ([]Found, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := make([][]Hit, len(items))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	next := make(chan int)
	for range min(lookupConcurrency, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				hits, err := c.Lookup(ctx, items[i].Type, items[i].Value)
				if err != nil {
					once.Do(func() { first = fmt.Errorf("looking %s up: %w", items[i].Value, err); cancel() })
					continue
				}
				found[i] = hits
			}
		}()
	}
feed:
	for i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Found
	for i, hits := range found {
		if len(hits) > 0 {
			out = append(out, Found{Item: items[i], Hits: hits})
		}
	}
	return out, nil
}

// sight adds a sighting of each matched attribute, once per incident: under
// the incident's lock, it skips an attribute that already holds the
// incident's sighting, so that a retry after a lost answer adds none.
// known, the job's memory across its attempts, spares the requests whose
// answer cannot have changed.
func (w *LookupWorker) sight(ctx context.Context, incidentID string, found []Found, known map[string]sighting) error {
	unlock, err := w.Service.Lock(ctx, LockSighting, incidentID)
	if err != nil {
		return fmt.Errorf("waiting for another look-up of incident %s: %w", incidentID, err)
	}
	defer unlock()
	src := SightingSource(incidentID)
	for _, f := range found {
		for _, h := range f.Hits {
			if h.AttributeID == "" || known[h.AttributeID] == sightingDone {
				continue
			}
			if known[h.AttributeID] == sightingUnknown {
				has, err := w.Client.HasSighting(ctx, h.AttributeID, src)
				if err != nil {
					return fmt.Errorf("reading the sightings of MISP attribute %s: %w", h.AttributeID, err)
				}
				if has {
					known[h.AttributeID] = sightingDone
					continue
				}
				known[h.AttributeID] = sightingAbsent
			}
			err := w.Client.AddSighting(ctx, h.AttributeID, src)
			switch {
			case err == nil:
				known[h.AttributeID] = sightingDone
			case refusedBefore(err):
				// MISP refused before doing anything: still absent.
				return fmt.Errorf("adding a sighting to MISP attribute %s: %w", h.AttributeID, err)
			default:
				known[h.AttributeID] = sightingUnknown // it may have been added
				return fmt.Errorf("adding a sighting to MISP attribute %s: %w", h.AttributeID, err)
			}
		}
	}
	return nil
}

// refusedBefore reports whether a request was refused with a 4xx answer,
// so that MISP did not carry it out; a 5xx or a lost answer may hide work
// done.
func refusedBefore(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500
}

// Verdicts says the hits in drone's words, one verdict per indicator and
// event.
func Verdicts(base string, found []Found) []drone.Verdict {
	var out []drone.Verdict
	for _, f := range found {
		seen := map[string]bool{}
		for _, h := range f.Hits {
			if seen[h.EventID] {
				continue
			}
			seen[h.EventID] = true
			level := "suspicious"
			if h.ThreatLevel == "high" {
				level = "malicious"
			}
			details := append([]string(nil), h.Tags...)
			if h.FirstSeen != "" {
				details = append(details, "misp:first_seen="+h.FirstSeen)
			}
			if h.LastSeen != "" {
				details = append(details, "misp:last_seen="+h.LastSeen)
			}
			out = append(out, drone.Verdict{Source: "misp", Type: f.Type, Value: f.Value, Known: true, Level: level,
				Summary: h.Summary(), Link: base + "/events/view/" + h.EventID, Details: details})
		}
	}
	return out
}

// maxSentence bounds the indicators one timeline entry names.
const maxSentence = 10

// Sentence is the timeline entry's text: "203.0.113.7: known to MISP event
// 1234, APT-X, threat level high", one indicator and event per line.
func Sentence(vs []drone.Verdict) string {
	var lines []string
	for i, v := range vs {
		if i == maxSentence {
			lines = append(lines, fmt.Sprintf("and %d more", len(vs)-maxSentence))
			break
		}
		lines = append(lines, v.Value+": "+v.Summary)
	}
	return strings.Join(lines, "\n")
}

// steer turns a job's outcome into drone's failure words for queue.Steer:
// a 429 or drone's own limit snoozes it, 5xx and lost answers retry it
// with back-off, other refusals cancel it, which the timeline then says.
func steer(ctx context.Context, log *slog.Logger, svc *drone.Service, job *rivertype.JobRow, incidentID string, err error) error {
	if err == nil {
		return nil
	}
	err = classify(err)
	log = log.With("job", job.ID, "kind", job.Kind, "incident", incidentID, "attempt", job.Attempt)
	wait, snooze := drone.RetryDelay(err)
	switch {
	case snooze:
		log.InfoContext(ctx, "MISP job waits before trying again", "wait", wait, "err", err)
	case drone.IsPermanent(err):
		log.ErrorContext(ctx, "MISP job refused; not retrying", "err", err)
		recordDead(ctx, log, svc, job, incidentID, err, "retrying cannot help")
	case job.Attempt < job.MaxAttempts:
		log.WarnContext(ctx, "MISP job failed; it will be retried", "err", err)
	default:
		log.ErrorContext(ctx, "MISP job failed for good", "err", err)
		recordDead(ctx, log, svc, job, incidentID, err, fmt.Sprintf("gave up after %d attempts", job.Attempt))
	}
	return queue.Steer(err)
}

func classify(err error) error {
	var ae *APIError
	_, waits := drone.RetryDelay(err)
	switch {
	case waits || drone.IsPermanent(err):
		return err
	case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
		return drone.RetryAfter(retryAfter(ae.RetryAfter), err)
	case errors.Is(err, ErrRateLimited):
		// drone's own limit: wait a little, with jitter so that the queued
		// jobs do not all come back together.
		return drone.RetryAfter(throttleWait+rand.N(throttleWait), err)
	case ae != nil && !Retryable(err):
		return drone.Permanent(err)
	}
	return err
}

func retryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultRetryAfter
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// recordDead writes a delivery entry on the incident's timeline saying how
// to revive the job, once per job and failure count.
func recordDead(ctx context.Context, log *slog.Logger, svc *drone.Service, job *rivertype.JobRow, incidentID string, err error, why string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	text := fmt.Sprintf("MISP job failed for good (job %d, %s): %s. Fix the cause, then run: drone queue retry %d",
		job.ID, why, err, job.ID)
	data := map[string]any{"job_id": job.ID, "kind": job.Kind, "attempt": job.Attempt, "error": err.Error()}
	key := fmt.Sprintf("%s/%d/%d", job.Kind, job.ID, len(job.Errors))
	if _, rerr := svc.RecordOnce(ctx, Actor, incidentID, drone.EntryDelivery, key, text, data); rerr != nil {
		log.ErrorContext(ctx, "recording a dead MISP job on the incident", "job", job.ID, "err", rerr)
	}
}

// ExportWorker works misp.export jobs (export.on_close).
type ExportWorker struct {
	river.WorkerDefaults[ExportArgs]
	Exporter *Exporter
	Log      *slog.Logger
}

// Work exports the incident; a refusal by TLP or PAP is said once on the
// incident's timeline and ends the job. It is said as an external entry,
// not a delivery: the policy worked, nobody need be told a job failed.
func (w *ExportWorker) Work(ctx context.Context, job *river.Job[ExportArgs]) error {
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, err := w.Exporter.Export(ctx, job.Args.Number)
	var r *Refusal
	if errors.As(err, &r) {
		key := fmt.Sprintf("%s/refused/%d", ExportKind, job.ID)
		_, err = w.Exporter.Service.RecordOnce(ctx, Actor, job.Args.IncidentID, drone.EntryExternal, key, r.Error(),
			map[string]any{"reason": r.Reason})
	}
	return steer(ctx, log, w.Exporter.Service, job.JobRow, job.Args.IncidentID, err)
}
