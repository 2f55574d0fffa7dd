package main

import (
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
	sv := e.serve()
	client := &http.Client{Timeout: 5 * time.Second}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": `drone_incidents{status="open"} 1`} {
		resp, err := client.Get(sv.base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	sv.stop()
}
