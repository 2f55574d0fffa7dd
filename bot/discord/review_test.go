package discord

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

// TestReviewPostedOnce: a drafted review is posted in the incident's
// channel as one message with its Markdown and HTML files
// (multipart/form-data: payload_json, files[0], files[1]), once, though
// Discord's answer to the post is lost.
func TestReviewPostedOnce(t *testing.T) {
	b := setup(t, "http")
	alice := drone.Actor{Platform: "discord", ID: b.alice.Member.ID, Name: "alice", Groups: []string{testResponder}}
	inc, _, err := b.svc.Declare(b.ctx, alice, drone.Origin{Channel: "discord"}, drone.DeclareInput{Category: "CAT1",
		Severity: "high", Overview: "phishing"})
	if err != nil {
		t.Fatal(err)
	}
	ch := b.waitExternal(inc.Number, KeyChannel)
	b.waitExternal(inc.Number, KeyMessage)
	const route = "POST /channels/{channel}/messages"
	b.dc.Drop(route, 1)
	const md = "# Post-incident review: INC-1\n\n## Summary\n\nphishing\n"
	if _, err := b.svc.SaveReview(b.ctx, alice, drone.Origin{Channel: "discord"}, inc.Number, md, "<p>phishing</p>"); err != nil {
		t.Fatal(err)
	}
	key := KindReview + ":" + inc.ID + ":1"
	b.h.Eventually("the review's delivery", func() bool {
		_, ok, err := b.svc.Delivery(b.ctx, key)
		return err == nil && ok
	})
	var posted []discordtest.Message
	for _, m := range b.dc.Messages(ch) {
		if len(m.Attachments) > 0 {
			posted = append(posted, m)
		}
	}
	if len(posted) != 1 {
		t.Fatalf("%d messages with files in the channel, want the review once: %+v", len(posted), posted)
	}
	at := posted[0].Attachments
	if len(at) != 2 || at[0].Filename != "INC-1-review-v1.md" || string(at[0].Content) != md ||
		at[1].Filename != "INC-1-review-v1.html" || !strings.Contains(posted[0].Content, "Post-incident review of INC-1, version 1") {
		t.Errorf("the review's message: %+v", posted[0])
	}
	uploads := 0
	for _, c := range b.dc.Calls() {
		if c.Route == route && strings.Contains(string(c.Body), "payload_json") {
			uploads++
		}
	}
	if uploads != 1 || len(b.dc.CallsTo("GET /channels/{channel}/messages")) == 0 {
		t.Errorf("%d multipart posts, want 1: the retry finds the lost one's message by its file", uploads)
	}
	b.h.NoDeadJobs()
}
