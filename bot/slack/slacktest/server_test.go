package slacktest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestWebAPI checks the stand-in as slack-go sees it: token checks, ok:false
// errors, 429 with Retry-After on demand, increasing ts values, the record
// of calls.
func TestWebAPI(t *testing.T) {
	ctx := context.Background()
	s := New(t, Options{})
	s.AddUser("U1", "ann")
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL())).AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("a wrong token: %v", err)
	}
	if r, err := api.AuthTestContext(ctx); err != nil || r.UserID != BotUserID {
		t.Fatalf("auth.test: %+v, %v", r, err)
	}
	ch, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-1", IsPrivate: true})
	if err != nil || !ch.IsPrivate {
		t.Fatalf("conversations.create: %+v, %v", ch, err)
	}
	if _, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-1"}); err == nil || err.Error() != "name_taken" {
		t.Errorf("a taken name: %v", err)
	}
	if _, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "Inc 1"}); err == nil || err.Error() != "invalid_name_specials" {
		t.Errorf("a bad name: %v", err)
	}
	var last string
	for range 3 {
		_, ts, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("hi", false))
		if err != nil || len(ts) != 17 || ts[10] != '.' || ts <= last {
			t.Fatalf("ts %q after %q: %v", ts, last, err)
		}
		last = ts
	}
	s.RateLimit("chat.postMessage", 1, 2*time.Second)
	_, _, err = api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("rate limited: %v", err)
	}
	s.Fail("chat.update", "cant_update_message", 1)
	if _, _, _, err := api.UpdateMessageContext(ctx, ch.ID, last, slack.MsgOptionText("x", false)); err == nil || err.Error() != "cant_update_message" {
		t.Errorf("injected failure: %v", err)
	}
	if n := len(s.Calls("chat.postMessage")); n != 4 {
		t.Errorf("%d chat.postMessage calls recorded; want 4", n)
	}
	if _, err := api.InviteUsersToConversationContext(ctx, ch.ID, "U404"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("inviting an unknown user: %v", err)
	}
}

// TestTriggers lets a trigger id open one view, within its lifetime.
func TestTriggers(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := New(t, Options{Now: func() time.Time { return now }})
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Hello", false, false)}
	trigger := s.SlashCommand("/drone", "U1", "C1", "").Get("trigger_id")
	if _, err := api.OpenViewContext(ctx, trigger, view); err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if _, err := api.OpenViewContext(ctx, trigger, view); err == nil || err.Error() != "invalid_trigger_id" {
		t.Errorf("a used trigger: %v", err)
	}
	trigger = s.SlashCommand("/drone", "U1", "C1", "").Get("trigger_id")
	now = now.Add(3*time.Second + time.Millisecond)
	if _, err := api.OpenViewContext(ctx, trigger, view); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("an expired trigger: %v", err)
	}
	view.Title.Text = strings.Repeat("x", 25)
	trigger = s.SlashCommand("/drone", "U1", "C1", "").Get("trigger_id")
	if _, err := api.OpenViewContext(ctx, trigger, view); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("a title over 24 characters: %v", err)
	}
}
