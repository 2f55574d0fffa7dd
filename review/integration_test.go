package review_test

import (
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/review"
)

// build builds the review integration over the fixture's service and
// registers what it contributes, as drone serve does.
func build(t *testing.T, f *fixture, cfg review.Config) *river.Workers {
	t.Helper()
	in, err := review.Integration(cfg)(f.h.Ctx, integration.Env{Service: f.h.Service, Log: f.h.Log})
	if err != nil {
		t.Fatal(err)
	}
	if in.Planner != nil {
		f.h.Service.Planners = append(f.h.Service.Planners, in.Planner)
	}
	f.h.Service.Extensions = append(f.h.Service.Extensions, in.Extensions...)
	w := river.NewWorkers()
	in.Workers(w)
	return w
}

func versions(t *testing.T, f *fixture) []int {
	t.Helper()
	var out []int
	for _, e := range f.h.Record(f.inc.Number).Timeline {
		if e.Kind == drone.EntryReview {
			out = append(out, len(out)+1)
		}
	}
	return out
}

// TestDraftedOnResolution: resolving drafts the review through the queue,
// once; closing the resolved incident drafts no other; reopening and
// resolving again drafts version 2.
func TestDraftedOnResolution(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "overview")
	w := build(t, f, review.Config{})
	f.resolve(t)
	f.h.Drain(w, dronetest.QueueConfig(), 20*time.Second)
	f.h.NoDeadJobs()
	r, err := f.h.Service.Review(f.h.Ctx, f.inc.ID)
	if err != nil || r.Version != 1 || r.Author.Identity() != review.Actor.Identity() || !strings.Contains(r.Markdown, "marked INC-1 resolved") {
		t.Fatalf("after resolving: %+v, %v", r, err)
	}
	ctx, svc, n := f.h.Ctx, f.h.Service, f.inc.Number
	if _, err := svc.Close(ctx, alice, here, n, drone.CloseInput{Resolution: "TruePositive", Impact: "WithImpact", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	f.h.Drain(w, dronetest.QueueConfig(), 20*time.Second)
	if got := versions(t, f); len(got) != 1 {
		t.Errorf("closing a resolved incident drafted again: %d reviews", len(got))
	}
	f.clock.Advance(time.Hour)
	if _, err := svc.Reopen(ctx, alice, here, n, "another wave"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if _, err := svc.Close(ctx, alice, here, n, drone.CloseInput{Resolution: "TruePositive", Impact: "WithImpact", Summary: "second wave stopped"}); err != nil {
		t.Fatal(err)
	}
	f.h.Drain(w, dronetest.QueueConfig(), 20*time.Second)
	f.h.NoDeadJobs()
	r, err = f.h.Service.Review(f.h.Ctx, f.inc.ID)
	if err != nil || r.Version != 2 || !strings.Contains(r.Markdown, "Recorded impact: **WithImpact**") ||
		!strings.Contains(r.Markdown, "reopened INC-1") {
		t.Errorf("after reopening and closing: %+v, %v", r, err)
	}
}

// TestDraftJobIsIdempotent: a draft job run again (its completion lost)
// finds the review kept since the resolution and drafts no second one.
func TestDraftJobIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "overview")
	w := build(t, f, review.Config{})
	f.resolve(t)
	jobs := f.h.Jobs()
	var again drone.Job
	for _, j := range jobs {
		if j.Kind == review.DraftKind {
			again = drone.Job{Kind: j.Kind, Args: j.Args}
		}
	}
	if again.Kind == "" {
		t.Fatalf("resolving queued no draft: %+v", jobs)
	}
	f.h.Drain(w, dronetest.QueueConfig(), 20*time.Second)
	if err := f.h.Service.Enqueue(f.h.Ctx, again); err != nil { // the same job, not unique: a replay
		t.Fatal(err)
	}
	f.h.Drain(w, dronetest.QueueConfig(), 20*time.Second)
	f.h.NoDeadJobs()
	if got := versions(t, f); len(got) != 1 {
		t.Errorf("a replayed draft job drafted %d reviews, want 1", len(got))
	}
}

// TestManualDraftsOnlyWhenAsked: with review.manual, resolving drafts
// nothing; the chat command review drafts, then shows the latest.
func TestManualDraftsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "overview")
	w := build(t, f, review.Config{Manual: true})
	f.resolve(t)
	f.h.Drain(w, dronetest.QueueConfig(), 20*time.Second)
	if _, err := f.h.Service.Review(f.h.Ctx, f.inc.ID); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("manual reviews were drafted on resolution: %v", err)
	}
	if _, ok := f.h.Service.Grammar().Lookup("review"); !ok {
		t.Fatal("the review command is not in the grammar")
	}
	run := func(line string) string {
		t.Helper()
		cmd, err := f.h.Service.ParseCommand(line)
		if err != nil {
			t.Fatal(err)
		}
		reply, err := f.h.Service.Execute(f.h.Ctx, alice, here, cmd, 0)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return reply.Text
	}
	if got := run("review INC-1"); !strings.Contains(got, "Drafted the post-incident review of INC-1 (version 1): INC-1-review-v1.md") ||
		!strings.Contains(got, "8 key event(s) and 2 follow-up action(s), 2 open") {
		t.Errorf("review with none yet: %s", got)
	}
	if got := run("review INC-1"); !strings.Contains(got, "version 1, drafted") || !strings.Contains(got, "review INC-1 draft") {
		t.Errorf("review of a drafted incident: %s", got)
	}
	if got := run("review INC-1 draft"); !strings.Contains(got, "(version 2)") {
		t.Errorf("review draft: %s", got)
	}
	cmd, _ := f.h.Service.ParseCommand("review INC-1 nonsense")
	if _, err := f.h.Service.Execute(f.h.Ctx, alice, here, cmd, 0); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("review with a stray word: %v", err)
	}
}
