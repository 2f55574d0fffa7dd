package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// newMedium returns the Slack medium of a handler talking to srv.
func newMedium(t *testing.T, srv *slacktest.Server, interval time.Duration) *droneslack.Medium {
	t.Helper()
	h, err := droneslack.New(droneslack.Options{Service: &drone.Service{},
		Config: droneslack.Config{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL(), PostInterval: interval}})
	if err != nil {
		t.Fatal(err)
	}
	return h.Medium()
}

func leaderNotice(headline string) *drone.Notice {
	return &drone.Notice{Kind: "contained", Audience: drone.AudienceLeaders, Ref: "INC-7", Title: "Credential phishing",
		Subject: "Credential phishing | SIN #7", TLP: "AMBER", Severity: 3, Headline: headline,
		Rows: []drone.Row{{Label: "Business unit", Value: "FINANCE"}, {Label: "Status", Value: "contained"}}}
}

func metadataKey(t *testing.T, m *slacktest.Message) string {
	t.Helper()
	var md struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if err := json.Unmarshal(m.Metadata, &md); err != nil {
		t.Fatalf("message %s has no metadata: %v", m.TS, err)
	}
	key, _ := md.EventPayload["key"].(string)
	return key
}

// TestMediumThreads posts the first notice about an incident at the top of
// the channel and the next ones in its thread, shown in the channel too,
// each with its delivery key in the message metadata.
func TestMediumThreads(t *testing.T) {
	ctx := context.Background()
	srv := slacktest.New(t, slacktest.Options{})
	ch := srv.AddChannel("leaders", slacktest.BotUserID)
	m := newMedium(t, srv, time.Millisecond)

	first, err := m.Send(ctx, ch, &drone.Message{Key: "k1", Notice: leaderNotice("INC-7 was declared"), Attempt: 1}, drone.MessageRef{})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.Thread != first.ID {
		t.Fatalf("first message ref = %+v; want its ts as the thread", first)
	}
	time.Sleep(2 * time.Millisecond)
	second, err := m.Send(ctx, ch, &drone.Message{Key: "k2", Notice: leaderNotice("INC-7 is contained"), Attempt: 1}, first)
	if err != nil {
		t.Fatal(err)
	}
	if second.Thread != first.ID || second.ID == first.ID {
		t.Fatalf("second message ref = %+v; want a reply in thread %s", second, first.ID)
	}
	got, _ := srv.Channel(ch)
	if len(got.Messages) != 2 {
		t.Fatalf("%d messages in the channel, want 2", len(got.Messages))
	}
	reply := got.Messages[1]
	if reply.ThreadTS != first.ID || !reply.Broadcast {
		t.Errorf("reply thread_ts %q broadcast %v; want a reply in %s also shown in the channel", reply.ThreadTS, reply.Broadcast, first.ID)
	}
	if !strings.Contains(reply.Text, "INC-7 is contained") || !strings.Contains(string(reply.Blocks), "FINANCE") {
		t.Errorf("reply text %q, blocks %s; want the notice", reply.Text, reply.Blocks)
	}
	if strings.Contains(string(reply.Blocks), `"actions"`) {
		t.Errorf("a leaders' notice carries buttons: %s", reply.Blocks)
	}
	for i, key := range []string{"k1", "k2"} {
		if k := metadataKey(t, got.Messages[i]); k != key {
			t.Errorf("message %d carries key %q, want %q", i, k, key)
		}
	}
}

// TestMediumFindsLostMessage is the crash between Slack's answer and
// drone's record: the next attempt finds the message by its metadata and
// posts nothing, at the top of the channel and in a thread alike.
func TestMediumFindsLostMessage(t *testing.T) {
	ctx := context.Background()
	srv := slacktest.New(t, slacktest.Options{})
	ch := srv.AddChannel("leaders", slacktest.BotUserID)
	m := newMedium(t, srv, time.Millisecond)
	since := time.Now()

	root, err := m.Send(ctx, ch, &drone.Message{Key: "root", Notice: leaderNotice("declared"), Attempt: 1, Since: since}, drone.MessageRef{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Send(ctx, ch, &drone.Message{Key: "root", Notice: leaderNotice("declared"), Attempt: 2, Since: since}, drone.MessageRef{})
	if err != nil || again != root {
		t.Fatalf("second attempt = %+v, %v; want the first attempt's %+v", again, err, root)
	}
	reply, err := m.Send(ctx, ch, &drone.Message{Key: "reply", Notice: leaderNotice("contained"), Attempt: 1, Since: since}, root)
	if err != nil {
		t.Fatal(err)
	}
	again, err = m.Send(ctx, ch, &drone.Message{Key: "reply", Notice: leaderNotice("contained"), Attempt: 3, Since: since}, root)
	if err != nil || again != reply {
		t.Fatalf("third attempt of the reply = %+v, %v; want %+v", again, err, reply)
	}
	if n := srv.Count("chat.postMessage"); n != 2 {
		t.Errorf("%d chat.postMessage calls, want 2", n)
	}
	// A later attempt of a delivery that never reached Slack posts it.
	fresh, err := m.Send(ctx, ch, &drone.Message{Key: "fresh", Notice: leaderNotice("resolved"), Attempt: 2, Since: since}, root)
	if err != nil || fresh.ID == "" || fresh == reply {
		t.Fatalf("a retried delivery Slack never got = %+v, %v; want a new message", fresh, err)
	}
}

// TestMediumErrors steers notify: a 429 waits as long as Slack asks, a
// channel drone cannot see is permanent and says what to do.
func TestMediumErrors(t *testing.T) {
	ctx := context.Background()
	srv := slacktest.New(t, slacktest.Options{})
	ch := srv.AddChannel("leaders", slacktest.BotUserID)
	m := newMedium(t, srv, time.Millisecond)
	msg := &drone.Message{Key: "k", Notice: leaderNotice("declared"), Attempt: 1}

	srv.RateLimit("chat.postMessage", 1, 3*time.Second)
	_, err := m.Send(ctx, ch, msg, drone.MessageRef{})
	var wait *drone.RetryAfterError
	if !errors.As(err, &wait) || wait.After != 3*time.Second {
		t.Errorf("429 = %v; want a wait of 3s", err)
	}
	_, err = m.Send(ctx, "C0GONE000", msg, drone.MessageRef{})
	if !drone.IsPermanent(err) || !strings.Contains(err.Error(), "invite the drone app") {
		t.Errorf("unknown channel = %v; want a permanent error saying what to do", err)
	}
}

// TestMediumPacesChannels keeps to one post a second in a channel, which
// the stand-in enforces as Slack does: a second post at once waits for its
// slot instead of meeting a 429.
func TestMediumPacesChannels(t *testing.T) {
	ctx := context.Background()
	srv := slacktest.New(t, slacktest.Options{PostInterval: 200 * time.Millisecond})
	ch := srv.AddChannel("leaders", slacktest.BotUserID)
	m := newMedium(t, srv, 250*time.Millisecond)
	var prev drone.MessageRef
	for i, key := range []string{"a", "b", "c"} {
		ref, err := m.Send(ctx, ch, &drone.Message{Key: key, Notice: leaderNotice("update"), Attempt: 1}, prev)
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
		prev = ref
	}
	if n := srv.RateLimited(); n != 0 {
		t.Errorf("%d posts met a 429", n)
	}
}

// TestMediumWebhook posts to an incoming webhook, without buttons; a
// revoked webhook is permanent.
func TestMediumWebhook(t *testing.T) {
	ctx := context.Background()
	srv := slacktest.New(t, slacktest.Options{})
	ch := srv.AddChannel("board")
	hook := srv.AddWebhook(ch)
	m := newMedium(t, srv, time.Millisecond)
	n := leaderNotice("declared")
	n.Audience, n.Actions = drone.AudienceResponders, []drone.Action{{ID: "ack", Label: "Acknowledge"}}
	ref, err := m.Send(ctx, hook, &drone.Message{Key: "hook-key", Notice: n, Attempt: 1}, drone.MessageRef{})
	if err != nil || ref.ID != "hook-key" {
		t.Fatalf("webhook = %+v, %v; want the delivery key as the id", ref, err)
	}
	got, _ := srv.Channel(ch)
	if len(got.Messages) != 1 || !got.Messages[0].Webhook || strings.Contains(string(got.Messages[0].Blocks), "Acknowledge") {
		t.Fatalf("channel holds %+v; want one webhook message without buttons", got.Messages)
	}
	_, err = m.Send(ctx, hook+"x", &drone.Message{Key: "k2", Notice: n, Attempt: 1}, drone.MessageRef{})
	if !drone.IsPermanent(err) {
		t.Errorf("unknown webhook = %v; want a permanent error", err)
	}
}

// TestWebhookErrorsHideTheSecret checks that a failed webhook post, as the
// queue keeps it and the log writes it, does not hold the webhook's secret.
func TestWebhookErrorsHideTheSecret(t *testing.T) {
	t.Parallel()
	m := newMedium(t, slacktest.New(t, slacktest.Options{}), 0)
	hook := "http://127.0.0.1:1/services/T000/B000/s3cr3tXXXXXXXX"
	_, err := m.Send(context.Background(), hook, &drone.Message{Key: "k", Notice: leaderNotice("INC-7 was declared"), Attempt: 1}, drone.MessageRef{})
	if err == nil {
		t.Fatal("a post to a closed port must fail")
	}
	if got := err.Error(); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "/services/T000/B000/…") {
		t.Errorf("the error must name the webhook without its secret: %s", got)
	}
}
