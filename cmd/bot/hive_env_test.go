package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/ttp0/drone/hive/hivetest"
)

// hiveDrone is the drone binary, run through Run, with a real database
// file and a TheHive stand-in on loopback.
type hiveDrone struct {
	t   *testing.T
	srv *hivetest.Server
	cfg string            // the configuration file
	env map[string]string // the environment drone sees
}

// hiveSettings are the parts of the configuration a test changes.
type hiveSettings struct {
	API          string
	URL          string // defaults to the stand-in's
	Path         string // appended to the URL
	Disabled     bool   // leaves hive.url empty
	Organisation string // defaults to the stand-in's
	Key          string // defaults to the stand-in's; passed as $HIVE_KEY
	CustomFields string // hive.custom_fields; defaults to the three fields of testServerOptions
	Extra        string // more settings under hive:, each line indented by two spaces
	Lead         string // the local operator's identity, mapped in hive.users
}

var hiveConfig = template.Must(template.New("drone.yaml").Parse(`zones: [ZONE-A]
business_units: [SALES]
log:
  level: warn
  format: text
queue:
  workers: 4
  max_attempts: 8
  backoff_base: 5ms
  backoff_max: 40ms
  poll_interval: 20ms
  job_timeout: 10s
hive:
  url: {{.URL}}
  api_key: ${HIVE_KEY}
  organisation: "{{.Organisation}}"
  api: {{.API}}
  rate: 0
  timeout: 5s
  custom_fields: {{.CustomFields}}
  case_templates: {CAT1: intrusion}
  users: {"{{.Lead}}": alice@example.org}
  playbooks:
    CAT1/Phishing: [Pull the message from every mailbox, Reset the exposed credentials]
{{.Extra}}`))

// testServerOptions are the stand-in's settings the tests share.
func testServerOptions() hivetest.Options {
	return hivetest.Options{
		CustomFields:  []string{"drone-zone", "drone-bu", "drone-tier"},
		CaseTemplates: []string{"intrusion"},
		Users:         []string{"alice@example.org"},
	}
}

func newHiveDrone(t *testing.T, opts hivetest.Options, s hiveSettings) *hiveDrone {
	t.Helper()
	srv := hivetest.New(t, opts)
	dir := t.TempDir()
	h := &hiveDrone{t: t, srv: srv, cfg: filepath.Join(dir, "drone.yaml"),
		env: map[string]string{"DRONE_DB": filepath.Join(dir, "drone.db"), "HIVE_KEY": srv.Key()}}
	if s.Key != "" {
		h.env["HIVE_KEY"] = s.Key
	}
	if s.URL == "" {
		s.URL = srv.URL()
	}
	s.URL += s.Path
	if s.Disabled {
		s.URL = `""`
	}
	if s.Organisation == "" {
		s.Organisation = srv.Organisation()
	}
	if s.CustomFields == "" {
		s.CustomFields = "{zone: drone-zone, business_unit: drone-bu, tier: drone-tier}"
	}
	if s.API == "" {
		s.API = "v1"
	}
	s.Lead = localIdentity(t)
	var b bytes.Buffer
	if err := hiveConfig.Execute(&b, s); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.cfg, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// localIdentity is the identity drone gives the local operator.
func localIdentity(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Skip("no local user name to map to a TheHive login")
	}
	return "local:" + u.Username
}

// run runs drone with args and returns its outputs and exit code.
func (h *hiveDrone) run(args ...string) (stdout, stderr string, code int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	env := func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }
	code = Run(ctx, append([]string{"--config", h.cfg}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, env)
	return out.String(), errb.String(), code
}

// must runs drone and fails the test unless it exits 0.
func (h *hiveDrone) must(args ...string) string {
	h.t.Helper()
	out, errOut, code := h.run(args...)
	if code != exitOK {
		h.t.Fatalf("drone %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// deliver works the queue until it is idle.
func (h *hiveDrone) deliver() string {
	h.t.Helper()
	return h.must("deliver", "--timeout", "30s")
}

// declare declares the phishing incident of the tests and returns its
// UUID.
func (h *hiveDrone) declare() string {
	h.t.Helper()
	out := h.must("declare", "--category", "CAT1", "--subcontext", "Phishing", "--severity", "high", "--tier", "T2",
		"--zone", "ZONE-A", "--bu", "SALES", "--tlp", "red", "--pap", "green",
		"--overview", "Credential phishing wave against sales",
		"--iocs", "hxxps://login-examp1e[.]com/o365 from 203.0.113.7, sent by ceo@login-examp1e[.]com; payload "+payloadHash,
		"--json")
	var inc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &inc); err != nil || inc.ID == "" {
		h.t.Fatalf("declare --json printed %q: %v", out, err)
	}
	return inc.ID
}

const payloadHash = "e81a9485b38ebdc5503c0f52be2341e22431ebff2f1370340d91962a91b4201f"

// onlyCase returns the stand-in's one case, failing unless there is one.
func (h *hiveDrone) onlyCase() hivetest.Case {
	h.t.Helper()
	cases := h.srv.Cases()
	if len(cases) != 1 {
		h.t.Fatalf("TheHive holds %d cases, want 1", len(cases))
	}
	return cases[0]
}

// deadJobs returns the ids of the dead jobs drone queue list --json shows.
func (h *hiveDrone) deadJobs() []int64 {
	h.t.Helper()
	var jobs []struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal([]byte(h.must("queue", "list", "--json")), &jobs); err != nil {
		h.t.Fatal(err)
	}
	var ids []int64
	for _, j := range jobs {
		if j.State == "cancelled" || j.State == "discarded" {
			ids = append(ids, j.ID)
		}
	}
	return ids
}
