package discord

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

// newMedium starts a Discord stand-in with a channel named name and
// returns it, the channel and the medium of an adapter talking to it.
func newMedium(t *testing.T, name string) (*discordtest.Server, string, *Medium) {
	t.Helper()
	dc := discordtest.New("test-bot-token")
	t.Cleanup(dc.Close)
	ad, err := New(Config{BotToken: "test-bot-token", AppID: dc.AppID, APIURL: dc.APIURL()}, &drone.Service{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dc, dc.AddChannel(testGuild, name), ad.Medium()
}

func leaderNotice(headline string) *drone.Notice {
	return &drone.Notice{Kind: "contained", Audience: drone.AudienceLeaders, Ref: "INC-7", Title: "Credential phishing",
		Subject: "Credential phishing | SIN #7", TLP: "AMBER", Severity: 3, Headline: headline,
		Rows: []drone.Row{{Label: "Business unit", Value: "FINANCE"}, {Label: "Status", Value: "contained"}}}
}

// TestMediumReplies posts the first notice about an incident as a message
// and the next as replies to it, each once even when an attempt is made
// again after its answer was lost (Discord's enforced nonce).
func TestMediumReplies(t *testing.T) {
	ctx := context.Background()
	dc, ch, m := newMedium(t, "leaders")

	first, err := m.Send(ctx, ch, &drone.Message{Key: "k1", Notice: leaderNotice("INC-7 was declared"), Attempt: 1}, drone.MessageRef{})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.Thread != first.ID {
		t.Fatalf("first ref = %+v; want its id as the thread", first)
	}
	second, err := m.Send(ctx, ch, &drone.Message{Key: "k2", Notice: leaderNotice("INC-7 is contained"), Attempt: 1}, first)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.Send(ctx, ch, &drone.Message{Key: "k2", Notice: leaderNotice("INC-7 is contained"), Attempt: 2}, first)
	if err != nil || again != second {
		t.Fatalf("the repeated attempt = %+v, %v; want the first attempt's %+v", again, err, second)
	}
	msgs := dc.Messages(ch)
	if len(msgs) != 2 {
		t.Fatalf("%d messages in the channel, want 2", len(msgs))
	}
	reply := msgs[1]
	if reply.Reference == nil || reply.Reference.MessageID != first.ID {
		t.Errorf("second message refers to %+v; want a reply to %s", reply.Reference, first.ID)
	}
	if len(reply.Embeds) == 0 || !strings.Contains(reply.Embeds[0].Description, "INC-7 is contained") {
		t.Errorf("reply embeds %+v; want the notice", reply.Embeds)
	}
	if len(reply.Components) != 0 {
		t.Errorf("a leaders' notice carries buttons: %+v", reply.Components)
	}
}

// TestMediumFindsLostMessage is a delivery retried after Discord forgot its
// nonce (a crash, then the rescue of the job minutes later): the retry
// finds the message by the tag in its footer and posts nothing.
func TestMediumFindsLostMessage(t *testing.T) {
	ctx := context.Background()
	dc, ch, m := newMedium(t, "leaders")
	since := time.Now()
	first, err := m.Send(ctx, ch, &drone.Message{Key: "k1", Notice: leaderNotice("declared"), Attempt: 1, Since: since}, drone.MessageRef{})
	if err != nil {
		t.Fatal(err)
	}
	dc.ForgetNonces()
	again, err := m.Send(ctx, ch, &drone.Message{Key: "k1", Notice: leaderNotice("declared"), Attempt: 2, Since: since}, drone.MessageRef{})
	if err != nil || again != first {
		t.Fatalf("the retry = %+v, %v; want the first attempt's %+v", again, err, first)
	}
	fresh, err := m.Send(ctx, ch, &drone.Message{Key: "k2", Notice: leaderNotice("contained"), Attempt: 2, Since: since}, first)
	if err != nil || fresh.ID == first.ID || fresh.Thread != first.ID {
		t.Fatalf("a retried delivery Discord never got = %+v, %v; want a new reply", fresh, err)
	}
	if n := len(dc.Messages(ch)); n != 2 {
		t.Errorf("%d messages in the channel, want 2", n)
	}
}

// TestMediumGlobalLimit meets Discord's global limit: the 429 becomes a
// wait of the retry_after Discord gave, not a failed attempt.
func TestMediumGlobalLimit(t *testing.T) {
	ctx := context.Background()
	dc, ch, m := newMedium(t, "leaders")
	dc.Throttle("POST /channels/{channel}/messages", 1, 1.5)
	_, err := m.Send(ctx, ch, &drone.Message{Key: "k", Notice: leaderNotice("declared"), Attempt: 1}, drone.MessageRef{})
	var wait *drone.RetryAfterError
	if !errors.As(err, &wait) || wait.After != 1500*time.Millisecond {
		t.Fatalf("429 = %v; want a wait of 1.5s", err)
	}
	_, err = m.Send(ctx, discordtest.NewID(), &drone.Message{Key: "k", Notice: leaderNotice("declared"), Attempt: 1}, drone.MessageRef{})
	if !drone.IsPermanent(err) || !strings.Contains(err.Error(), "Send Messages") {
		t.Errorf("unknown channel = %v; want a permanent error saying what to check", err)
	}
}

// TestMediumWebhook executes an incoming webhook and gets its message id;
// a wrong token is permanent.
func TestMediumWebhook(t *testing.T) {
	ctx := context.Background()
	dc, ch, m := newMedium(t, "board")
	hook := dc.AddWebhook(ch)
	n := leaderNotice("declared")
	n.Actions = []drone.Action{{ID: "ack", Label: "Acknowledge"}}
	ref, err := m.Send(ctx, hook, &drone.Message{Key: "k", Notice: n, Attempt: 1}, drone.MessageRef{})
	if err != nil || ref.ID == "" {
		t.Fatalf("webhook = %+v, %v", ref, err)
	}
	msgs := dc.Messages(ch)
	if len(msgs) != 1 || msgs[0].ID != ref.ID || msgs[0].WebhookID == "" || len(msgs[0].Components) != 0 {
		t.Fatalf("channel holds %+v; want the webhook's message %s without buttons", msgs, ref.ID)
	}
	_, err = m.Send(ctx, hook+"x", &drone.Message{Key: "k2", Notice: n, Attempt: 1}, drone.MessageRef{})
	if !drone.IsPermanent(err) {
		t.Errorf("wrong webhook token = %v; want a permanent error", err)
	}
}

// TestWebhookErrorsHideTheToken checks that a failed webhook post, as the
// queue keeps it and the log writes it, does not hold the webhook's token.
func TestWebhookErrorsHideTheToken(t *testing.T) {
	t.Parallel()
	_, _, m := newMedium(t, "hooks")
	hook := "http://127.0.0.1:1/api/webhooks/1234/s3cr3t-token-value"
	_, err := m.Send(context.Background(), hook, &drone.Message{Key: "k", Notice: leaderNotice("INC-7 was declared"), Attempt: 1}, drone.MessageRef{})
	if err == nil {
		t.Fatal("a post to a closed port must fail")
	}
	if got := err.Error(); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "/webhooks/1234/…") {
		t.Errorf("the error must name the webhook without its token: %s", got)
	}
}
