package hive

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// Waits of a snoozed job.
const (
	defaultRetryAfter = 10 * time.Second
	maxRetryAfter     = 10 * time.Minute
	throttleWait      = 2 * time.Second
)

// syncErrors are the failures of the independent steps of one sync.
type syncErrors []error

// err returns nil for no failure and the failure itself for one.
func (e syncErrors) err() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return e[0]
	}
	return e
}

func (e syncErrors) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e syncErrors) Unwrap() []error { return e }

// permanentError is a failure on drone's side that no retry can mend, such
// as a job naming an incident the store does not hold.
type permanentError struct{ err error }

func permanent(err error) error { return &permanentError{err} }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// verdict is what becomes of a failed job.
type verdict int

const (
	verdictRetry  verdict = iota // again later, with backoff; dead after the last attempt
	verdictSnooze                // again after a wait, without spending an attempt
	verdictCancel                // dead now: retrying cannot help
)

// classify decides a failure's verdict. Of several failures, a snooze wins
// (TheHive asked drone to slow down), then a retry (the job runs again and
// re-sends the refused parts, which fail again and cancel it then).
func classify(err error) (verdict, time.Duration) {
	var many syncErrors
	if !errors.As(err, &many) {
		return classifyOne(err)
	}
	v, wait := verdictCancel, time.Duration(0)
	for _, e := range many {
		ev, ew := classifyOne(e)
		switch {
		case ev == verdictSnooze:
			v, wait = verdictSnooze, max(wait, ew)
		case ev == verdictRetry && v == verdictCancel:
			v = verdictRetry
		}
	}
	return v, wait
}

func classifyOne(err error) (verdict, time.Duration) {
	var pe *permanentError
	var oe *observableError
	var te *transportError
	ae := asAPIError(err)
	switch {
	case errors.As(err, &pe):
		return verdictCancel, 0
	case errors.As(err, &oe):
		if oe.retryable() {
			return verdictRetry, 0
		}
		return verdictCancel, 0
	case ae != nil && ae.Status == http.StatusTooManyRequests:
		return verdictSnooze, retryAfter(ae.RetryAfter)
	case errors.Is(err, ErrRateLimited):
		// drone's own limit: wait a little, with jitter so that the queued
		// jobs do not all come back together.
		return verdictSnooze, throttleWait + rand.N(throttleWait)
	case ae != nil, errors.Is(err, ErrInvalidInput), errors.As(err, &te):
		if Retryable(err) {
			return verdictRetry, 0
		}
		return verdictCancel, 0
	}
	// Anything else failed on drone's side (the store) or the context ended:
	// a later attempt may pass.
	return verdictRetry, 0
}

func retryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultRetryAfter
	}
	return min(max(d, time.Second), maxRetryAfter)
}

// explain prefixes each TheHive refusal with the setting to look at.
func explain(err error) error {
	var many syncErrors
	if errors.As(err, &many) {
		out := make(syncErrors, len(many))
		for i, e := range many {
			out[i] = explain(e)
		}
		return out
	}
	if h := hint(err); h != "" {
		return fmt.Errorf("%s: %w", h, err)
	}
	return err
}

// hint names the likely cause of a TheHive error answer, or "".
func hint(err error) string {
	ae := asAPIError(err)
	if ae == nil {
		return ""
	}
	msg := strings.ToLower(ae.Message)
	switch {
	case ae.Status == http.StatusUnauthorized:
		return "TheHive refused the API key (hive.api_key)"
	case ae.Status == http.StatusForbidden:
		return "TheHive refused access (check hive.organisation and the permissions of the key's user)"
	case ae.Status != http.StatusNotFound:
		return ""
	case strings.Contains(msg, "customfield") || strings.Contains(msg, "custom field"):
		return "hive.custom_fields names a custom field TheHive does not have (give its internal name)"
	case strings.Contains(msg, "template"):
		return "hive.case_templates names a case template TheHive does not have"
	case strings.Contains(msg, "observabletype") || strings.Contains(msg, "datatype") || strings.Contains(msg, "observable type"):
		return "TheHive does not know this observable data type (add it in TheHive under Entities > Observable types)"
	case strings.HasPrefix(msg, "user "):
		return "hive.users maps the lead to a login TheHive does not have"
	case strings.HasPrefix(msg, "case "):
		return "the case recorded on the incident (hive.case_id) is no longer in TheHive"
	}
	return ""
}

// steer turns the outcome of a sync into what River does with the job, and
// records on the incident's timeline a job that is dead.
func (w *Worker) steer(ctx context.Context, job *river.Job[SyncArgs], err error) error {
	if err == nil {
		return nil
	}
	v, wait := classify(err)
	err = explain(err)
	log := w.log.With("job", job.ID, "incident", job.Args.IncidentID, "seq", job.Args.Seq, "attempt", job.Attempt)
	switch {
	case v == verdictSnooze:
		log.InfoContext(ctx, "TheHive sync waits before trying again", "wait", wait, "err", err)
		return river.JobSnooze(wait)
	case v == verdictRetry && job.Attempt < job.MaxAttempts:
		log.WarnContext(ctx, "TheHive sync failed; it will be retried", "err", err)
		return err
	case v == verdictRetry:
		log.ErrorContext(ctx, "TheHive sync failed for good", "err", err)
		w.recordDead(ctx, job, err, fmt.Sprintf("gave up after %d attempts", job.Attempt))
		return err
	}
	log.ErrorContext(ctx, "TheHive sync refused; not retrying", "err", err)
	w.recordDead(ctx, job, err, "retrying cannot help")
	return river.JobCancel(err)
}

// recordDead writes a delivery entry on the incident's timeline, with
// TheHive's error type and message, saying how to revive the job.
func (w *Worker) recordDead(ctx context.Context, job *river.Job[SyncArgs], err error, why string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	data := map[string]any{"job_id": job.ID, "kind": job.Kind, "seq": job.Args.Seq, "attempt": job.Attempt,
		"max_attempts": job.MaxAttempts, "error": err.Error()}
	var oe *observableError
	if ae := asAPIError(err); ae != nil {
		data["status"], data["type"], data["message"] = ae.Status, ae.Type, ae.Message
	} else if errors.As(err, &oe) {
		data["type"], data["message"] = oe.failures[0].Type, oe.failures[0].Message
	}
	text := fmt.Sprintf("TheHive sync failed for good (job %d, %s): %s. Fix the cause, then run: drone queue retry %d",
		job.ID, why, err, job.ID)
	// Once per job and failure count: a worker that crashed after recording
	// and died again records nothing more, a job revived and dead again does.
	key := fmt.Sprintf("%s/%d/%d", SyncKind, job.ID, len(job.Errors))
	if _, rerr := w.svc.RecordOnce(ctx, Actor, job.Args.IncidentID, drone.EntryDelivery, key, text, data); rerr != nil {
		w.log.ErrorContext(ctx, "recording a dead TheHive job on the incident", "job", job.ID, "err", rerr)
	}
}
