package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// KindReview posts a post-incident review version to the incident's
// channel as files (Markdown and HTML).
const KindReview = "slack.review"

// reviewMedium names the delivery records of review files, apart from the
// notices' (notify threads its notices after the last "slack" delivery).
const reviewMedium = "slack.review"

type reviewArgs struct {
	IncidentID string `json:"incident_id"`
	Version    int    `json:"version"`
}

func (reviewArgs) Kind() string { return KindReview }

// reviewJob is the slack.review job of a review entry, or none.
func reviewJob(e drone.Event) []drone.Job {
	v, ok := drone.ReviewVersion(e.Entry)
	if !ok {
		return nil
	}
	args := reviewArgs{IncidentID: e.Incident.ID, Version: v}
	return []drone.Job{{Kind: KindReview, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindReview, args.IncidentID, v)}}
}

type reviewWorker struct {
	river.WorkerDefaults[reviewArgs]
	h *Handler
}

func (w *reviewWorker) Work(ctx context.Context, job *river.Job[reviewArgs]) error {
	release, err := w.h.jobSlot(ctx)
	if err != nil {
		return queue.Steer(err)
	}
	defer release()
	return queue.Steer(classify(w.h.postReview(ctx, job.Args, job.CreatedAt)))
}

// postReview shares the review version in the incident's channel once.
// Slack's upload is three calls (files.getUploadURLExternal, the bytes,
// files.completeUploadExternal); the file id is recorded before the last,
// so that an attempt after a lost answer asks Slack (files.info) whether
// the file was shared rather than share it again.
func (h *Handler) postReview(ctx context.Context, a reviewArgs, created time.Time) error {
	inc, err := h.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	if ok, err := h.awaitRefs(inc, created, "channel to post its review in", KeyChannel); !ok {
		return err
	}
	channel := inc.External[KeyChannel]
	r, err := h.svc.Review(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("reading the review of %s: %w", inc.Ref(), err)
	}
	if r.Version != a.Version {
		return nil // a later version was drafted: its own job posts it
	}
	key := fmt.Sprintf("%s:%s:%d", KindReview, inc.ID, r.Version)
	if done, err := h.reviewShared(ctx, inc, channel, key); err != nil || done {
		return err
	}
	return h.shareReview(ctx, inc, r, channel, key)
}

// reviewShared reports whether the review's delivery is recorded, or an
// earlier attempt's file is shared in the channel (which it then records).
func (h *Handler) reviewShared(ctx context.Context, inc *drone.Incident, channel, key string) (bool, error) {
	if _, ok, err := h.svc.Delivery(ctx, key); err != nil || ok {
		return ok, err
	}
	all, err := h.svc.Deliveries(ctx, inc.ID)
	if err != nil {
		return false, err
	}
	for _, d := range all {
		if !strings.HasPrefix(d.Key, key+":file:") {
			continue
		}
		f, _, _, err := h.api.GetFileInfoContext(ctx, d.Ref.ID, 0, 0)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "file_not_found" {
			continue // never completed: Slack drops it
		}
		if err != nil {
			return false, fmt.Errorf("asking Slack whether the review of %s was shared: %w", inc.Ref(), err)
		}
		if slices.Contains(f.Channels, channel) || slices.Contains(f.Groups, channel) {
			return true, h.recordReview(ctx, inc, channel, key, d.Ref.ID)
		}
	}
	return false, nil
}

// shareReview uploads the review as Markdown and HTML and shares both in
// the channel in one message.
func (h *Handler) shareReview(ctx context.Context, inc *drone.Incident, r *drone.Review, channel, key string) error {
	var files []slack.FileSummary
	for _, f := range r.Files(inc) {
		name := f.Name
		up, err := h.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: name, FileSize: len(f.Body)})
		if err != nil {
			return fmt.Errorf("uploading %s: %w", name, err)
		}
		if err := h.api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Filename: name,
			Reader: strings.NewReader(f.Body)}); err != nil {
			return fmt.Errorf("uploading %s: %w", name, err)
		}
		files = append(files, slack.FileSummary{ID: up.FileID, Title: name})
	}
	err := h.svc.RecordDelivery(ctx, drone.Delivery{Key: key + ":file:" + files[0].ID, IncidentID: inc.ID, Event: drone.EntryReview,
		Medium: reviewMedium, Address: channel, Ref: drone.MessageRef{ID: files[0].ID}, At: h.now()})
	if err != nil {
		return fmt.Errorf("recording the upload of the review of %s: %w", inc.Ref(), err)
	}
	if err := h.pace.wait(ctx, channel); err != nil {
		return err
	}
	comment := fmt.Sprintf("Post-incident review of %s, version %d: fill in what went well and what did not with the team, then agree the follow-up actions.",
		inc.Ref(), r.Version)
	if _, err := h.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: files,
		Channel: channel, InitialComment: comment}); err != nil {
		return fmt.Errorf("sharing the review of %s: %w", inc.Ref(), err)
	}
	return h.recordReview(ctx, inc, channel, key, files[0].ID)
}

func (h *Handler) recordReview(ctx context.Context, inc *drone.Incident, channel, key, fileID string) error {
	err := h.svc.RecordDelivery(ctx, drone.Delivery{Key: key, IncidentID: inc.ID, Event: drone.EntryReview,
		Medium: reviewMedium, Address: channel, Ref: drone.MessageRef{ID: fileID}, At: h.now()})
	if err != nil {
		return fmt.Errorf("recording the review shared for %s: %w", inc.Ref(), err)
	}
	return nil
}
