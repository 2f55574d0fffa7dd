package notify_test

import (
	"os"
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
	env := map[string]string{"SMTP_PASSWORD": "x"}
	cfg, err := config.Parse("example.yaml", data, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Notify.ValidateFor(cfg.Framework, map[string]bool{}); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Notify.Rules) != 2 || cfg.Notify.Regulatory.Clocks[0].Name != "GDPR" {
		t.Fatalf("parsed %+v", cfg.Notify)
	}
}
