package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/ttp0/drone/misp/misptest"
)

var mispConfig = template.Must(template.New("drone.yaml").Parse(`zones: [ZONE-A]
business_units: [SALES]
log:
  level: warn
queue:
  workers: 2
  max_attempts: 8
  backoff_base: 5ms
  backoff_max: 40ms
  poll_interval: 20ms
  job_timeout: 10s
misp:
  url: {{.URL}}
  key: ${MISP_KEY}
  rate: 0
  timeout: 5s
  sightings: true
`))

// newMISPDrone is the drone binary with a MISP stand-in holding event
// "APT-X" with 203.0.113.7.
func newMISPDrone(t *testing.T, key, url string) (*hiveDrone, *misptest.Server) {
	t.Helper()
	srv := misptest.New(t, "misp-test-key")
	srv.AddEvent(misptest.Event{Info: "APT-X", ThreatLevelID: "1", Tags: []string{"tlp:amber"},
		Attributes: []*misptest.Attribute{{Type: "ip-dst", Category: "Network activity", Value: "203.0.113.7", ToIDS: true}}})
	if url == "" {
		url = srv.URL
	}
	dir := t.TempDir()
	h := &hiveDrone{t: t, cfg: filepath.Join(dir, "drone.yaml"),
		env: map[string]string{"DRONE_DB": filepath.Join(dir, "drone.db"), "MISP_KEY": key}}
	var b bytes.Buffer
	if err := mispConfig.Execute(&b, map[string]string{"URL": url}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.cfg, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return h, srv
}

func TestMISPCheck(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		key, url       string
		code           int
		stdout, stderr string
	}{
		"ok":             {"misp-test-key", "", exitOK, "MISP " + misptest.Version + " at http://127.0.0.1:", ""},
		"bad key":        {"not-the-key", "", exitFailure, "", "the key was refused (misp.key"},
		"nothing there":  {"misp-test-key", "http://" + closedPort(t), exitFailure, "", "cannot reach misp.url"},
		"not configured": {"misp-test-key", `""`, exitUsage, "", "MISP is not configured: set misp.url"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, _ := newMISPDrone(t, tc.key, tc.url)
			stdout, stderr, code := h.run("misp", "check")
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant %q / %q", code, tc.code, stdout, stderr, tc.stdout, tc.stderr)
			}
			if strings.Contains(stdout+stderr, tc.key) && tc.key != "" {
				t.Error("the key was printed")
			}
		})
	}
}

// TestMISPLookupAndExport runs the binary: a declared indicator MISP knows
// is on the timeline after the queue ran, the incident exports once, and
// a RED one is refused.
func TestMISPLookupAndExport(t *testing.T) {
	t.Parallel()
	h, srv := newMISPDrone(t, "misp-test-key", "")
	h.must("declare", "--category", "CAT1", "--severity", "high", "--tlp", "amber", "--overview", "beacon",
		"--iocs", "203.0.113.7 and 198.51.100.9")
	h.deliver()
	if show := h.must("incident", "show", "INC-1"); !strings.Contains(show, "203.0.113.7: known to MISP event") {
		t.Errorf("the timeline lacks MISP's hit:\n%s", show)
	}
	if n := len(srv.Sightings()); n != 1 {
		t.Errorf("%d sightings, want 1", n)
	}
	var out, errb bytes.Buffer
	env := func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }
	Run(t.Context(), []string{"--config", h.cfg, "shell"}, Streams{In: strings.NewReader("enrich 203.0.113.7\n"), Out: &out, Err: &errb}, env)
	if !strings.Contains(out.String(), "seen in INC-1") || !strings.Contains(out.String(), "MISP: known to MISP event") {
		t.Errorf("enrich in the shell said:\n%s\n%s", out.String(), errb.String())
	}
	if out := h.must("misp", "export", "INC-1"); !strings.Contains(out, "INC-1 exported as MISP event") {
		t.Errorf("export said:\n%s", out)
	}
	if out := h.must("misp", "export", "INC-1"); !strings.Contains(out, "INC-1 is already MISP event") {
		t.Errorf("second export said:\n%s", out)
	}
	h.must("declare", "--category", "CAT1", "--severity", "high", "--tlp", "red", "--overview", "secret")
	_, stderr, code := h.run("misp", "export", "INC-2")
	if code == exitOK || !strings.Contains(stderr, "INC-2 is TLP:RED") {
		t.Errorf("RED export: exit %d, stderr:\n%s", code, stderr)
	}
	if n := len(srv.Events()); n != 2 {
		t.Errorf("MISP holds %d events, want the seeded one and INC-1's", n)
	}
}
