package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestSlackManifest prints the manifest for the configured names and
// URLs; the defaults give configs/slack-manifest.yaml.
func TestSlackManifest(t *testing.T) {
	e := newEnv(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		c := &cli{Streams: Streams{Out: &out, Err: &out}, env: e.lookup}
		cmd := c.slackCommand()
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		return out.String(), err
	}
	got, err := run("manifest")
	want, _ := os.ReadFile("../../configs/slack-manifest.yaml")
	if err != nil || got != string(want) {
		t.Errorf("manifest of the defaults differs from configs/slack-manifest.yaml (%v):\n%s", err, got)
	}
	e.vars["DRONE_CONFIG"] = e.writeConfig("slack:\n  app_name: sec-bot\n  command: /sec\n  mode: http\n  public_url: https://drone.example.org\n  offer_indicators: true\n")
	got, err = run("manifest")
	for _, s := range []string{`name: "sec-bot"`, `command: "/sec"`, `url: "https://drone.example.org/slack/commands"`,
		`request_url: "https://drone.example.org/slack/events"`, "message.groups", "socket_mode_enabled: false"} {
		if err != nil || !strings.Contains(got, s) {
			t.Errorf("manifest lacks %q (%v):\n%s", s, err, got)
		}
	}
	if got, err = run("manifest", "--mode", "socket"); err != nil || !strings.Contains(got, "socket_mode_enabled: true") {
		t.Errorf("--mode socket: %v\n%s", err, got)
	}
	if _, err = run("manifest", "--mode", "webhook"); err == nil {
		t.Error("--mode webhook was accepted")
	}
	delete(e.vars, "DRONE_CONFIG")
	if _, err = run("manifest", "--mode", "http"); err == nil || !strings.Contains(err.Error(), "public_url") {
		t.Errorf("http mode without a URL: %v", err)
	}
}
