package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeAnswersHealthAndStopsOnSignal runs drone serve on a free port,
// checks its endpoints, then cancels it as SIGTERM would.
func TestServeAnswersHealthAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("declare", "--category", "CAT2", "--severity", "critical", "--overview", "volumetric flood")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, Streams{In: strings.NewReader(""), Out: pw, Err: io.Discard}, e.lookup)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	base := strings.TrimSpace(strings.TrimPrefix(line, "drone serving on "))
	go io.Copy(io.Discard, pr)
	client := &http.Client{Timeout: 5 * time.Second}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": `drone_incidents{status="open"} 1`} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after the signal", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
}
