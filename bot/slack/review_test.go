package slack_test

import (
	"context"
	"testing"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// TestReviewSharedOnce: a drafted review is shared in the incident's
// channel as its Markdown and HTML files, once, though Slack's answer to
// files.completeUploadExternal is lost; a second version is shared too.
func TestReviewSharedOnce(t *testing.T) {
	e := setup(t, "http")
	inc, ch := e.declare(phishing())
	e.srv.Drop("files.completeUploadExternal", 1)
	const md = "# Post-incident review: INC-1\n\n## Summary\n\nphishing\n"
	carolActor := drone.Actor{Platform: "slack", ID: carol, Name: "carol"}
	if _, err := e.svc.SaveReview(e.ctx, carolActor, drone.Origin{Channel: "slack"}, inc.Number, md, "<p>phishing</p>"); err != nil {
		t.Fatal(err)
	}
	key := droneslack.KindReview + ":" + inc.ID + ":1"
	e.wait("the review's delivery", func(*slacktest.Server) bool {
		_, ok, err := e.svc.Delivery(context.Background(), key)
		return err == nil && ok
	})
	files := e.srv.Files(ch.ID)
	if len(files) != 2 || files[0].Name != "INC-1-review-v1.md" || string(files[0].Content) != md ||
		files[1].Name != "INC-1-review-v1.html" || string(files[1].Content) != "<p>phishing</p>" {
		t.Fatalf("the channel shares %+v, want the review's two files once", files)
	}
	if n := len(e.srv.Calls("files.completeUploadExternal")); n != 1 {
		t.Errorf("files.completeUploadExternal called %d times, want 1 (the retry asks files.info)", n)
	}
	if n := e.srv.Count("files.info"); n == 0 {
		t.Error("the retry did not ask whether the lost share took effect")
	}
	if _, err := e.svc.SaveReview(e.ctx, carolActor, drone.Origin{Channel: "slack"}, inc.Number, md+"more\n", ""); err != nil {
		t.Fatal(err)
	}
	e.wait("version 2 shared", func(s *slacktest.Server) bool { return len(s.Files(ch.ID)) == 3 })
	if files := e.srv.Files(ch.ID); files[2].Name != "INC-1-review-v2.md" {
		t.Errorf("version 2 shared as %q", files[2].Name)
	}
	e.harness.NoDeadJobs()
}
