package hive_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/store"
)

// deliverAll works the sync's, the review's and the follow-up actions'
// jobs until none is due.
func (b *syncBundle) deliverAll(t *testing.T) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, b.worker)
	river.AddWorker(workers, b.worker.ReviewWorker())
	river.AddWorker(workers, b.worker.FollowUps())
	b.h.Drain(workers, store.QueueConfig{Workers: 2, MaxAttempts: 8, BackoffBase: 5 * time.Millisecond,
		BackoffMax: 40 * time.Millisecond, PollInterval: 20 * time.Millisecond, JobTimeout: 10 * time.Second}, 30*time.Second)
}

// TestReviewAttachedOnce: a drafted review reaches the case as the files
// INC-n-review-vN.html and .md once each, though TheHive's answer to the
// first upload is lost; a second version (Markdown alone) is one more file.
func TestReviewAttachedOnce(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		var tap *uploadTap
		b := setupSync(t, syncSetup{api: api, transport: tapped(&tap, 1)})
		inc := b.declare(t, phishing)
		b.deliverAll(t)
		ctx := context.Background()
		const md = "# Post-incident review: INC-1\n\n## Summary\n\nphishing\n"
		r, err := b.svc.SaveReview(ctx, operator, drone.Origin{Channel: "cli"}, inc.Number, md, "<p>html</p>")
		if err != nil {
			t.Fatal(err)
		}
		b.deliverAll(t)
		b.noDeadJobs(t)
		cs := b.onlyCase(t)
		atts := b.srv.Attachments(cs.ID)
		if len(atts) != 2 || atts[0].Name != "INC-1-review-v1.html" || string(atts[0].Content) != "<p>html</p>" ||
			atts[1].Name != "INC-1-review-v1.md" || string(atts[1].Content) != md || atts[1].SHA256 != sha256Hex([]byte(md)) {
			t.Fatalf("case holds %+v, want the review's two files once", atts)
		}
		if n := tap.uploads.Load(); n != 2 {
			t.Errorf("%d uploads, want 2: the retry must find the file the lost answer hid", n)
		}
		rec := b.incident(t, inc.Number)
		if rec.Incident.External[hive.ExtReviewPrefix+"1"] == "" || rec.Incident.External[hive.ExtReviewPrefix+"1.html"] == "" ||
			!hasEntry(rec, drone.EntryExternal, "review version 1 attached") {
			t.Errorf("the incident does not record the attached review: %v", rec.Incident.External)
		}
		if r.Version != 1 {
			t.Fatalf("version %d", r.Version)
		}
		if _, err := b.svc.SaveReview(ctx, operator, drone.Origin{Channel: "cli"}, inc.Number, md+"\nmore\n", ""); err != nil {
			t.Fatal(err)
		}
		b.deliverAll(t)
		b.noDeadJobs(t)
		if atts := b.srv.Attachments(cs.ID); len(atts) != 3 || atts[2].Name != "INC-1-review-v2.md" {
			t.Errorf("after version 2 the case holds %+v", atts)
		}
	})
}

// TestReviewWaitsForTheCase: a review drafted before the incident's case
// exists is attached once the sync has made it.
func TestReviewWaitsForTheCase(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	b.srv.FailNext(3, 503) // the sync's first attempts fail: no case yet
	inc := b.declare(t, phishing)
	if _, err := b.svc.SaveReview(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number, "# Review\n", ""); err != nil {
		t.Fatal(err)
	}
	b.deliverAll(t)
	b.noDeadJobs(t)
	cs := b.onlyCase(t)
	if atts := b.srv.Attachments(cs.ID); len(atts) != 1 || atts[0].Name != "INC-1-review-v1.md" {
		t.Errorf("case holds %+v, want the review", atts)
	}
	for _, j := range b.jobs(t) {
		if j.Kind == hive.ReviewKind && j.Attempt < 2 {
			t.Errorf("the review's job ran %d time(s): it never waited for the case", j.Attempt)
		}
	}
}
