package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/notify/email/smtptest"
)

// chatStandIns points drone's Slack (in http mode) and Discord at the
// stand-ins, by the environment.
func (e *env) chatStandIns(sl *slacktest.Server, dc *discordtest.Server, discordToken string) {
	e.vars["SLACK_BOT_TOKEN"] = sl.BotToken()
	e.vars["SLACK_SIGNING_SECRET"] = sl.SigningSecret()
	e.vars["DRONE_SLACK_API_URL"] = sl.APIURL()
	e.vars["DISCORD_BOT_TOKEN"] = discordToken
	e.vars["DRONE_DISCORD_API_URL"] = dc.APIURL()
}

// TestNotifyFansOutToEveryMedium routes one incident's declaration and
// containment through drone deliver to e-mail, a Slack channel and webhook,
// and a Discord channel and webhook: each gets both notices, the second
// following the first (a Slack thread reply, a Discord reply, an e-mail
// answer), the leaders' cut without indicators, and delivering again sends
// nothing twice.
func TestNotifyFansOutToEveryMedium(t *testing.T) {
	e := newEnv(t)
	relay := startRelay(t, smtptest.Options{})
	sl := slacktest.New(t, slacktest.Options{})
	slackCh := sl.AddChannel("leaders", slacktest.BotUserID)
	slackHookCh := sl.AddChannel("board")
	slackHook := sl.AddWebhook(slackHookCh)
	dc := discordtest.New("notify-bot-token")
	t.Cleanup(dc.Close)
	guild := discordtest.NewID()
	discordCh := dc.AddChannel(guild, "leaders")
	discordHookCh := dc.AddChannel(guild, "board")
	discordHook := dc.AddWebhook(discordHookCh)

	e.vars["DRONE_CONFIG"] = notifyConfig(t, e, relay, fmt.Sprintf(`  targets:
    - {name: soc, medium: email, to: [soc@example.org], clearance: RED}
    - {name: mail, medium: email, to: [ciso@example.org], clearance: AMBER}
    - {name: slack, medium: slack, to: [%s, "%s"], clearance: AMBER}
    - {name: discord, medium: discord, to: ["%s", "%s"], clearance: AMBER}
  rules:
    - {name: leaders, events: [declared, contained], max_tlp: AMBER, targets: [mail, slack, discord], audience: leaders}
slack:
  mode: http
  post_interval: 10ms
discord:
  app_id: "%s"
`, slackCh, slackHook, discordCh, discordHook, dc.AppID))
	e.chatStandIns(sl, dc, "notify-bot-token")
	if out, errOut, code := e.run("", "config", "check"); code != 0 {
		t.Fatalf("config check: exit %d\n%s%s", code, out, errOut)
	}

	e.must("declare", "--category", "CAT1", "--severity", "high", "--tlp", "amber",
		"--overview", "Credential phishing against finance", "--iocs", "login-examp1e.com")
	e.must("deliver", "--timeout", "20s")
	e.must("status", "INC-1", "Proxy blocks the domain", "--set", "contained")
	e.must("deliver", "--timeout", "20s")

	slackMsgs := func(ch string) []*slacktest.Message { c, _ := sl.Channel(ch); return c.Messages }
	if m := slackMsgs(slackCh); len(m) != 2 || m[1].ThreadTS != m[0].TS || !m[1].Broadcast {
		t.Errorf("Slack channel holds %d messages; want the declaration and its contained reply in its thread", len(m))
	}
	if m := slackMsgs(slackHookCh); len(m) != 2 || !m[0].Webhook {
		t.Errorf("Slack webhook channel holds %d messages, want 2 from the webhook", len(m))
	}
	if m := dc.Messages(discordCh); len(m) != 2 || m[1].Reference == nil || m[1].Reference.MessageID != m[0].ID {
		t.Errorf("Discord channel holds %+v; want the declaration and a reply to it", m)
	}
	if m := dc.Messages(discordHookCh); len(m) != 2 {
		t.Errorf("Discord webhook channel holds %d messages, want 2", len(m))
	}
	if n := relay.Count("ciso@example.org"); n != 2 {
		t.Errorf("ciso got %d e-mails, want 2", n)
	}
	for _, m := range append(slackMsgs(slackCh), slackMsgs(slackHookCh)...) {
		if strings.Contains(string(m.Blocks), "examp1e") {
			t.Errorf("a leaders' Slack notice shows an indicator: %s", m.Blocks)
		}
		for _, plain := range []string{"What happened", "Business impact", "Affected", "Who leads", "Next update"} {
			if !strings.Contains(string(m.Blocks), plain) {
				t.Errorf("a leaders' Slack notice lacks %q: %s", plain, m.Blocks)
			}
		}
	}
	if m := dc.Messages(discordCh); len(m) > 0 {
		var names []string
		for _, f := range m[0].Embeds[0].Fields {
			names = append(names, f.Name)
		}
		if !slices.Contains(names, "Business impact") || !slices.Contains(names, "Who leads") {
			t.Errorf("a leaders' Discord notice has fields %v; want the plain-language summary", names)
		}
	}
	for _, m := range append(dc.Messages(discordCh), dc.Messages(discordHookCh)...) {
		for _, em := range m.Embeds {
			if strings.Contains(em.Description, "examp1e") || len(em.Fields) > 0 && strings.Contains(fmt.Sprint(em.Fields), "examp1e") {
				t.Errorf("a leaders' Discord notice shows an indicator: %+v", em)
			}
		}
	}

	e.must("deliver", "--timeout", "5s")
	if n := len(slackMsgs(slackCh)) + len(slackMsgs(slackHookCh)) + len(dc.Messages(discordCh)) +
		len(dc.Messages(discordHookCh)) + len(relay.Messages()); n != 10 {
		t.Errorf("after delivering again the media hold %d messages, want 10", n)
	}

	// drone notify test sends a sample through the rule, to every address.
	if out, errOut, code := e.run("", "notify", "test", "leaders"); code != 0 {
		t.Fatalf("notify test: exit %d\n%s%s", code, out, errOut)
	}
	if m := slackMsgs(slackCh); len(m) != 3 || !strings.Contains(m[2].Text, "[TEST]") || strings.Contains(string(m[2].Blocks), `"actions"`) {
		t.Errorf("the Slack channel did not get the test notice, without buttons: %d messages", len(m))
	}
	if m := dc.Messages(discordCh); len(m) != 3 || !strings.Contains(m[2].Embeds[0].Title, "[TEST]") {
		t.Errorf("the Discord channel did not get the test notice: %d messages", len(m))
	}
}
