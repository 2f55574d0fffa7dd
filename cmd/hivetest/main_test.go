package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/hive"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"--addr", "127.0.0.1:0", "--key", "K123", "--org", "SOC", "--custom-fields", "zone, tier"}, pw)
		pw.Close()
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	settings := map[string]string{}
	for len(settings) < 3 && lines.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(lines.Text()), ": "); ok {
			settings[k] = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if settings["hive.api_key"] != "K123" || settings["hive.organisation"] != "SOC" || !strings.HasPrefix(settings["hive.url"], "http://127.0.0.1:") {
		t.Fatalf("printed settings = %v", settings)
	}
	cli, err := hive.New(hive.Config{URL: settings["hive.url"], APIKey: "K123", Organisation: "SOC"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cli.Check(ctx)
	if err != nil || info.User.Organisation != "SOC" {
		t.Fatalf("Check = %+v, %v", info, err)
	}
	in := hive.CaseInput{Title: "t", Description: "d", CustomFields: map[string]any{"zone": "A"}}
	if _, err := cli.CreateCase(ctx, in); err != nil {
		t.Errorf("custom field from --custom-fields refused: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, err := cli.Check(context.Background()); err == nil {
		t.Error("server still answers after stopping")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--latency", "-1s"}, {"extra"}, {"--nope"}, {"--addr", "256.0.0.1:1"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run(%v) succeeded", args)
		}
	}
}
