package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/notify/email/smtptest"
)

// holder lets the first n answers to one call through, then holds every
// later answer, after the call took effect, until it is released: the
// platform did the work and drone has not heard of it.
type holder struct {
	call    string
	release chan struct{}
	once    sync.Once

	mu              sync.Mutex
	n, passed, held int
}

func newHolder(call string, n int) *holder {
	return &holder{call: call, n: n, release: make(chan struct{})}
}

func (h *holder) wait(call string) {
	if call != h.call {
		return
	}
	h.mu.Lock()
	if h.passed < h.n {
		h.passed++
		h.mu.Unlock()
		return
	}
	h.held++
	h.mu.Unlock()
	<-h.release
}

func (h *holder) holding() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

func (h *holder) open() { h.once.Do(func() { close(h.release) }) }

// TestKilledMidChatFanOut kills drone deliver with SIGKILL while Slack and
// Discord hold the answers to messages they have posted, restarts it, and
// checks every channel has exactly one message: the restarted deliveries
// find Slack's messages by their metadata and Discord's by the tag in their
// footer (Discord having forgotten their nonces) instead of posting again.
func TestKilledMidChatFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone processes")
	}
	const channels, before = 12, 4
	e := newEnv(t)
	relay := startRelay(t, smtptest.Options{})
	slackHold := newHolder("chat.postMessage", before)
	sl := slacktest.New(t, slacktest.Options{BeforeAnswer: slackHold.wait})
	t.Cleanup(slackHold.open) // before the stand-in closes
	dc := discordtest.New("kill-bot-token")
	t.Cleanup(dc.Close)
	discordHold := newHolder("POST /channels/{channel}/messages", before)
	dc.BeforeAnswer(discordHold.wait)
	t.Cleanup(discordHold.open)
	guild := discordtest.NewID()
	var slackChs, discordChs []string
	for i := range channels {
		slackChs = append(slackChs, sl.AddChannel(fmt.Sprintf("leaders-%02d", i), slacktest.BotUserID))
		discordChs = append(discordChs, `"`+dc.AddChannel(guild, fmt.Sprintf("leaders-%02d", i))+`"`)
	}
	e.vars["DRONE_CONFIG"] = notifyConfig(t, e, relay, fmt.Sprintf(`  targets:
    - {name: soc, medium: email, to: [soc@example.org], clearance: RED}
    - {name: slack, medium: slack, to: [%s], clearance: RED}
    - {name: discord, medium: discord, to: [%s], clearance: RED}
  rules:
    - {name: chat, events: [declared], targets: [slack, discord]}
slack: {mode: http, post_interval: 1ms}
discord: {app_id: "%s"}
`, strings.Join(slackChs, ", "), strings.Join(discordChs, ", "), dc.AppID))
	e.chatStandIns(sl, dc, "kill-bot-token")
	if out, errOut, code := e.run("", "config", "check"); code != 0 {
		t.Fatalf("config check: exit %d\n%s%s", code, out, errOut)
	}
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "chat fan-out under fire")

	child := e.startDeliver(t)
	deadline := time.Now().Add(60 * time.Second)
	for slackHold.holding() < 2 || discordHold.holding() < 2 {
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("the stand-ins never held answers (Slack %d, Discord %d)", slackHold.holding(), discordHold.holding())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed := time.Now()
	slackHold.open()
	discordHold.open()
	dc.ForgetNonces() // as Discord does after a few minutes: the restart must find its messages

	time.Sleep(time.Until(killed.Add(2*time.Second + 100*time.Millisecond))) // the rescue of jobs left running
	if out, err := e.deliverOnce(t); err != nil {
		t.Fatalf("restarted deliver: %v\n%s", err, out)
	}
	for _, ch := range slackChs {
		if n := sl.MessageCount(ch); n != 1 {
			t.Errorf("Slack channel %s holds %d messages, want exactly 1", ch, n)
		}
	}
	for _, ch := range discordChs {
		if n := len(dc.Messages(strings.Trim(ch, `"`))); n != 1 {
			t.Errorf("Discord channel %s holds %d messages, want exactly 1", ch, n)
		}
	}
	if n := e.count(t, "SELECT COUNT(*) FROM notify_delivery"); n != 2*channels {
		t.Errorf("%d deliveries recorded, want %d", n, 2*channels)
	}
}
