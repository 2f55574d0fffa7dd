package hive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// ReviewKind is the kind of the job that attaches a post-incident review
// to the incident's case, as file observables INC-n-review-vN.md and .html.
const ReviewKind = "hive.review"

// ExtReviewPrefix prefixes the reference recorded once the case holds a
// review version: "hive.review.v2" is the id of its Markdown file
// observable, "hive.review.v2.html" that of its HTML one.
const ExtReviewPrefix = "hive.review.v"

// ReviewArgs are a hive.review job's: the incident and the version its
// review entry names.
type ReviewArgs struct {
	IncidentID string `json:"incident_id"`
	Version    int    `json:"version"`
}

// Kind returns ReviewKind.
func (ReviewArgs) Kind() string { return ReviewKind }

// reviewJob is the hive.review job of a review entry, or none.
func reviewJob(e drone.Event) []drone.Job {
	v, ok := drone.ReviewVersion(e.Entry)
	if !ok {
		return nil
	}
	args := ReviewArgs{IncidentID: e.Incident.ID, Version: v}
	return []drone.Job{{Kind: ReviewKind, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", ReviewKind, args.IncidentID, v)}}
}

// ReviewWorker works hive.review jobs.
type ReviewWorker struct {
	river.WorkerDefaults[ReviewArgs]
	w *Worker
}

// ReviewWorker returns the worker of hive.review jobs, which shares the
// sync's client and its lock on each incident's case.
func (w *Worker) ReviewWorker() *ReviewWorker { return &ReviewWorker{w: w} }

// Work attaches the review version to the case once: under the case's
// lock, it looks for the file in the case before uploading it, since an
// earlier attempt may have uploaded it and lost the answer.
func (rw *ReviewWorker) Work(ctx context.Context, job *river.Job[ReviewArgs]) error {
	unlock, err := rw.w.svc.Lock(ctx, LockCase, job.Args.IncidentID)
	if err != nil {
		return queue.Steer(fmt.Errorf("waiting for a sync of incident %s: %w", job.Args.IncidentID, err))
	}
	defer unlock()
	err = rw.w.attachReview(ctx, job.Args)
	if err != nil {
		rw.w.log.WarnContext(ctx, "attaching a review to TheHive failed", "incident", job.Args.IncidentID,
			"version", job.Args.Version, "attempt", job.Attempt, "err", err)
	}
	return queue.Steer(explain(classify(err)))
}

func (w *Worker) attachReview(ctx context.Context, args ReviewArgs) error {
	inc, err := w.svc.IncidentByID(ctx, args.IncidentID)
	if err != nil {
		return err
	}
	key := ExtReviewPrefix + strconv.Itoa(args.Version)
	if inc.External[key] != "" {
		return nil
	}
	caseID := inc.External[ExtCaseID]
	if caseID == "" {
		// The incident's sync makes the case, perhaps after an outage:
		// retried with backoff, the review waits for it as long as the
		// job's attempts last (a snooze would wait for ever).
		return fmt.Errorf("%s has no TheHive case yet to attach its review to", inc.Ref())
	}
	r, err := w.svc.Review(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("reading the review of %s: %w", inc.Ref(), err)
	}
	if r.Version != args.Version {
		// A later version was drafted: its own job attaches it, and this
		// one is not kept apart from it.
		return nil
	}
	ids := map[string]string{}
	if r.HTML != "" && inc.External[key+".html"] == "" {
		// The printable copy first: the Markdown's reference says both are there.
		if ids[key+".html"], err = w.uploadReview(ctx, caseID, inc, r, "html", "text/html; charset=utf-8", r.HTML); err != nil {
			return err
		}
	}
	if ids[key], err = w.uploadReview(ctx, caseID, inc, r, "md", "text/markdown; charset=utf-8", r.Markdown); err != nil {
		return err
	}
	text := fmt.Sprintf("Post-incident review version %d attached to TheHive case #%s", r.Version, inc.External[ExtCaseNumber])
	if err := w.svc.SetExternal(ctx, Actor, inc.ID, ids, text); err != nil {
		return fmt.Errorf("recording the review attached to the case of %s: %w", inc.Ref(), err)
	}
	return nil
}

// uploadReview returns the id of the case's file observable holding one
// of the review's files, uploading it unless the case holds it already.
func (w *Worker) uploadReview(ctx context.Context, caseID string, inc *drone.Incident, r *drone.Review, ext, ctype, body string) (string, error) {
	content := []byte(body)
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	if found, err := w.client.FindFileObservable(ctx, caseID, sha); err != nil || found != nil {
		if found != nil {
			return found.ID, nil
		}
		return "", fmt.Errorf("%s: %w", inc.Ref(), err)
	}
	res, err := w.client.CreateFileObservable(ctx, caseID, FileObservableInput{Name: r.FileName(inc, ext),
		ContentType: ctype, Content: content, TLP: inc.TLP, PAP: inc.PAP,
		Message: fmt.Sprintf("Post-incident review of %s, version %d, drafted %s by %s.", inc.Ref(), r.Version,
			r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), r.Author), Tags: []string{"drone:review"}})
	if err != nil {
		return "", fmt.Errorf("%s: %w", inc.Ref(), err)
	}
	if fails := res.Errors(); len(fails) > 0 {
		return "", &observableError{ref: inc.Ref(), dataType: DataTypeFile, failures: fails}
	}
	if len(res.Created) > 0 {
		return res.Created[0].ID, nil
	}
	found, err := w.client.FindFileObservable(ctx, caseID, sha)
	if err == nil && found == nil {
		err = fmt.Errorf("%s: TheHive says the case already holds the review (sha256 %s) but does not list it yet", inc.Ref(), sha)
	}
	if err != nil {
		return "", err
	}
	return found.ID, nil
}
