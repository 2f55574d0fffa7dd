package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ttp0/drone/notify/email/smtptest"
)

// notifyConfig is a configuration routing to an SMTP stand-in over
// STARTTLS, trusting its certificate through ca_file.
func notifyConfig(t *testing.T, e *env, relay *smtptest.Server, extra string) string {
	t.Helper()
	ca := filepath.Join(e.dir, "relay-ca.pem")
	if err := os.WriteFile(ca, relay.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return e.writeConfig(fmt.Sprintf(`organisation: Example Org
soc: {name: Example SOC}
zones: [ZONE-A]
business_units: [SALES]
queue: {workers: 8, job_timeout: 1s, backoff_base: 100ms, backoff_max: 200ms, poll_interval: 50ms}
notify:
  email:
    host: %s
    port: %d
    from: "drone <drone@example.org>"
    ca_file: %s
    timeout: 10s
  regulatory:
    contacts: [soc]
    clocks:
      - {name: GDPR, deadline: 72h}
      - {name: NIS2 early warning, deadline: 24h}
%s`, relay.Host(), relay.Port(), ca, extra))
}

func startRelay(t *testing.T, opts smtptest.Options) *smtptest.Server {
	t.Helper()
	opts.TLS = true
	relay, err := smtptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	return relay
}

const cliTargets = `  targets:
    - {name: soc, medium: email, to: [soc@example.org], clearance: RED}
    - {name: leaders, medium: email, to: [ciso@example.org, cfo@example.org], clearance: AMBER}
  rules:
    - {name: soc, events: [all], targets: [soc]}
    - {name: leaders, events: [declared, closed], max_tlp: AMBER, targets: [leaders], audience: leaders}
`

func TestNotifyTestReportAndClocksFromTheCommandLine(t *testing.T) {
	e := newEnv(t)
	relay := startRelay(t, smtptest.Options{})
	e.vars["DRONE_CONFIG"] = notifyConfig(t, e, relay, cliTargets)
	if out, errOut, code := e.run("", "config", "check"); code != 0 {
		t.Fatalf("config check: %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := e.run("", "notify", "test", "leaders")
	if code != 0 || strings.Count(out, "sent ") != 2 {
		t.Fatalf("notify test: exit %d\n%s%s", code, out, errOut)
	}
	if m := relay.Messages(); len(m) != 2 || !strings.HasPrefix(m[0].Header.Get("Subject"), "[TEST]") || !m[0].TLS {
		t.Fatalf("the relay got %d messages: %+v", len(m), m)
	}
	e.must("declare", "--category", "cat1", "--severity", "high", "--tlp", "red", "--overview", "Exfiltration to 203.0.113.9")
	out, _, code = e.run("", "notify", "test", "leaders", "--incident", "INC-1")
	if code != 0 || strings.Count(out, "withheld") != 2 {
		t.Fatalf("a RED incident through the AMBER leaders rule: exit %d\n%s", code, out)
	}
	if _, errOut, code := e.run("", "notify", "test", "nobody"); code != exitUsage || !strings.Contains(errOut, "no rule") {
		t.Fatalf("unknown rule: exit %d %s", code, errOut)
	}
	out, errOut, code = e.run("", "notify", "reportable", "INC-1", "--aware", "2026-03-01T08:00:00Z")
	if code != 0 || !strings.Contains(out, "GDPR") || !strings.Contains(out, "2026-03-04T08:00:00Z") {
		t.Fatalf("reportable: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = e.run("", "notify", "reported", "INC-1", "NIS2", "early", "warning")
	if code != 0 || !strings.Contains(out, "reported under NIS2 early warning") {
		t.Fatalf("reported: exit %d\n%s%s", code, out, errOut)
	}
	e.must("ack", "INC-1")
	out, errOut, code = e.run("", "report", "--since", "7d", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	var r struct {
		Open      []struct{ Ref string }
		Deadlines []struct{ Clock, State string } `json:"regulatory_deadlines"`
		Measures  []struct {
			Name   string
			Groups []struct {
				Key         string
				Acknowledge struct{ N int }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(r.Open) != 1 || len(r.Deadlines) != 2 || len(r.Measures) == 0 || r.Measures[0].Groups[0].Acknowledge.N != 1 {
		t.Fatalf("report %s", out)
	}
	for _, f := range []struct{ format, want string }{{"markdown", "# Example Org incident digest"}, {"html", "<h2"}, {"text", "Regulatory deadlines"}} {
		if out, _, code := e.run("", "report", "--format", f.format); code != 0 || !strings.Contains(out, f.want) {
			t.Errorf("report --format %s: exit %d\n%s", f.format, code, out)
		}
	}
	if out, _, code := e.run("", "report", "--max-tlp", "amber", "--format", "json"); code != 0 || strings.Contains(out, "INC-1") {
		t.Errorf("--max-tlp amber lists the RED INC-1:\n%s", out)
	}
	if _, _, code := e.run("", "report", "--format", "pdf"); code != exitUsage {
		t.Errorf("--format pdf: exit %d, want %d", code, exitUsage)
	}
}

func TestConfigCheckRefusesARuleAboveClearance(t *testing.T) {
	e := newEnv(t)
	relay := startRelay(t, smtptest.Options{})
	e.vars["DRONE_CONFIG"] = notifyConfig(t, e, relay, `  targets:
    - {name: leaders, medium: email, to: [ciso@example.org], clearance: AMBER}
    - {name: ops, medium: slack, to: [C0123ABCD], clearance: RED}
  rules:
    - {name: leaders, events: [declared], targets: [leaders], audience: leaders}
    - {name: ops, events: [all], targets: [ops]}
`)
	_, errOut, code := e.run("", "config", "check")
	if code != exitUsage || !strings.Contains(errOut, "could send TLP:RED incidents to leaders") ||
		!strings.Contains(errOut, "no slack medium is on") {
		t.Fatalf("config check: exit %d\n%s", code, errOut)
	}
}
