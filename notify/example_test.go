package notify_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ttp0/drone/config"
)

// TestExampleConfigurationIsValid keeps example.yaml, the documented notify
// section, acceptable to drone config check.
func TestExampleConfigurationIsValid(t *testing.T) {
	data, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SMTP_PASSWORD": "x", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
		"DISCORD_BOT_TOKEN": "x", "SLACK_BOARD_WEBHOOK": "https://hooks.slack.com/services/T0/B0/x"}
	cfg, err := config.Parse("example.yaml", data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Notify.ValidateFor(cfg.Framework, map[string]bool{"slack": true, "discord": true}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Notify.ValidateFor(cfg.Framework, map[string]bool{}); err == nil || !strings.Contains(err.Error(), "no slack medium is on") {
		t.Errorf("with Slack off, the Slack targets are accepted: %v", err)
	}
	if len(cfg.Notify.Rules) != 4 || cfg.Notify.Regulatory.Clocks[0].Name != "GDPR" {
		t.Fatalf("parsed %+v", cfg.Notify)
	}
}
