package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{BotToken: "xoxb-1", AppToken: "xapp-1"}.WithDefaults()
	if c.Mode != "socket" || c.APIURL != DefaultAPIURL || c.ChannelName != DefaultChannelName || c.Command != "/drone" ||
		c.PostInterval != time.Second || c.GroupCacheTTL != time.Minute {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("a disabled configuration is not checked, got %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{BotToken: "x"}, "slack.app_token is required"},
		{Config{BotToken: "x", Mode: "http"}, "slack.signing_secret is required"},
		{Config{BotToken: "x", Mode: "webhook"}, `slack.mode "webhook"`},
		{Config{BotToken: "x", AppToken: "a", APIURL: "http://127.0.0.1:9/api"}, "ending with a slash"},
		{Config{BotToken: "x", AppToken: "a", APIURL: "api/"}, "absolute URL"},
		{Config{BotToken: "x", AppToken: "a", PublicURL: "drone.example.org"}, "slack.public_url"},
		{Config{BotToken: "x", AppToken: "a", Command: "drone"}, "slack.command"},
		{Config{BotToken: "x", AppToken: "a", ChannelName: "inc-{bu}"}, "must hold {number}"},
		{Config{BotToken: "x", AppToken: "a", ChannelName: "inc-{number}-{team}"}, "unknown placeholder {team}"},
		{Config{BotToken: "x", AppToken: "a", Responders: []string{"U0A1", "soc-team"}}, `"soc-team" is not a user id`},
		{Config{BotToken: "x", AppToken: "a", PostInterval: -time.Second}, "must not be negative"},
		{Config{BotToken: "x", AppToken: "a", TimelineReaction: "📌"}, "slack.timeline_reaction"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v; want %q", c.cfg, err, c.want)
		}
	}
	many := Config{BotToken: "x", Mode: "http", ChannelName: "x", Responders: []string{"?"}}
	if err := many.Validate(); err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("every problem is reported, one a line: %v", err)
	}
}

func TestChannelName(t *testing.T) {
	inc := &drone.Incident{Number: 42, Category: "CAT3", SubContext: "Trojan/RAT", SeverityName: "CRITICAL",
		Tier: "T2", Zone: "ZONE-A", BusinessUnit: "Sales & Marketing", TLP: "AMBER+STRICT"}
	for pattern, want := range map[string]string{
		DefaultChannelName:            "inc-42-trojan-rat-sales-marketing",
		"{tlp}_{category}-{number}":   "amber-strict_cat3-42",
		"inc-{number}-{zone}--{tier}": "inc-42-zone-a-t2",
		"INC {number} {severity}":     "inc-42-critical",
		"inc-{number}-{subcontext}" + "-{bu}-" + strings.Repeat("x", 90): "inc-42-trojan-rat-sales-marketing-" + strings.Repeat("x", 46),
	} {
		if got := ChannelName(pattern, inc); got != want || len(got) > 80 {
			t.Errorf("ChannelName(%q) = %q; want %q", pattern, got, want)
		}
	}
	bare := &drone.Incident{Number: 7}
	if got := ChannelName(DefaultChannelName, bare); got != "inc-7" {
		t.Errorf("empty placeholders leave %q; want inc-7", got)
	}
}

func TestMentions(t *testing.T) {
	if got := identities("lead <@U024BE7LH|ann> and <@W0X> <#C1|general>"); got != "lead slack:U024BE7LH and slack:W0X <#C1|general>" {
		t.Errorf("identities = %q", got)
	}
	if got := mentions("INC-1 is now led by slack:U024BE7LH (slack:group:S1)"); got != "INC-1 is now led by <@U024BE7LH> (slack:group:S1)" {
		t.Errorf("mentions = %q", got)
	}
	if got := replyText("a <!channel> & <b>"); got != "a &lt;!channel&gt; &amp; &lt;b&gt;" {
		t.Errorf("replyText escapes to %q", got)
	}
}
