package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/cortex"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"--addr", "127.0.0.1:0", "--key", "K123", "--analyzers", "AbuseIPDB_1_0:ip"}, pw)
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
	if settings["cortex.api_key"] != "K123" || !strings.HasPrefix(settings["cortex.url"], "http://127.0.0.1:") {
		t.Fatalf("printed settings = %v", settings)
	}
	cli, err := cortex.New(cortex.Config{URL: settings["cortex.url"], APIKey: "K123"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cli.Check(ctx, []cortex.Analyzer{{Name: "AbuseIPDB_1_0", DataTypes: []string{"ip"}, Reach: cortex.ReachPassive}})
	if err != nil || len(res.Analyzers) != 1 || len(res.Missing) != 0 {
		t.Fatalf("check: %+v, %v", res, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if _, err := parseAnalyzers("AbuseIPDB_1_0"); err == nil {
		t.Error("an analyzer without data types must be refused")
	}
}
