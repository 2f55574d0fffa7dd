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
	"github.com/ttp0/drone/queue"
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

// classify says each failure in drone's words, by TheHive's rules: a 429
// or drone's own limit asks for a wait, a refusal (another 4xx, a value
// TheHive will refuse again, a TLS failure) is permanent, and anything else
// (5xx, timeouts, the store, the context) may pass later. The failures of
// a sync's independent steps are classified one by one; queue.Steer then
// lets a wait win (TheHive asked drone to slow down), then a retry (the
// job runs again and re-sends the refused parts, which fail again and
// cancel it then).
func classify(err error) error {
	var many syncErrors
	if !errors.As(err, &many) {
		return classifyOne(err)
	}
	out := make(syncErrors, len(many))
	for i, e := range many {
		out[i] = classifyOne(e)
	}
	return out
}

func classifyOne(err error) error {
	var oe *observableError
	var te *transportError
	ae := asAPIError(err)
	_, waits := drone.RetryDelay(err)
	switch {
	case waits || drone.IsPermanent(err):
		return err // said already, as a job naming an incident the store does not hold
	case errors.As(err, &oe):
		if oe.retryable() {
			return err
		}
		return drone.Permanent(err)
	case ae != nil && ae.Status == http.StatusTooManyRequests:
		return drone.RetryAfter(retryAfter(ae.RetryAfter), err)
	case errors.Is(err, ErrRateLimited):
		// drone's own limit: wait a little, with jitter so that the queued
		// jobs do not all come back together.
		return drone.RetryAfter(throttleWait+rand.N(throttleWait), err)
	case ae != nil, errors.Is(err, ErrInvalidInput), errors.As(err, &te):
		if Retryable(err) {
			return err
		}
		return drone.Permanent(err)
	}
	return err
}

// refused reports whether a classified failure cancels the job: nothing in
// it asks for a wait, and no part of it may pass on a retry.
func refused(err error) bool {
	_, waits := drone.RetryDelay(err)
	return !waits && drone.IsPermanent(err)
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

// steer turns the outcome of a sync into what River does with the job
// (queue.Steer), and records on the incident's timeline a job that is dead.
func (w *Worker) steer(ctx context.Context, job *river.Job[SyncArgs], err error) error {
	if err == nil {
		return nil
	}
	err = explain(classify(err))
	log := w.log.With("job", job.ID, "incident", job.Args.IncidentID, "seq", job.Args.Seq, "attempt", job.Attempt)
	wait, snooze := drone.RetryDelay(err)
	switch {
	case snooze:
		log.InfoContext(ctx, "TheHive sync waits before trying again", "wait", wait, "err", err)
	case refused(err):
		log.ErrorContext(ctx, "TheHive sync refused; not retrying", "err", err)
		w.recordDead(ctx, job, err, "retrying cannot help")
	case job.Attempt < job.MaxAttempts:
		log.WarnContext(ctx, "TheHive sync failed; it will be retried", "err", err)
	default:
		log.ErrorContext(ctx, "TheHive sync failed for good", "err", err)
		w.recordDead(ctx, job, err, fmt.Sprintf("gave up after %d attempts", job.Attempt))
	}
	return queue.Steer(err)
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
