package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a test's environment: a database in a temporary directory and
// whatever else the test sets.
type env struct {
	t    *testing.T
	dir  string
	vars map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{t: t, dir: dir, vars: map[string]string{"DRONE_DB": filepath.Join(dir, "drone.db"), "USER": "tester"}}
}

func (e *env) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }

// run runs drone with args and stdin, returning stdout, stderr and the exit code.
func (e *env) run(stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, e.lookup)
	return out.String(), errOut.String(), code
}

// must runs drone and fails the test unless it exits 0.
func (e *env) must(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run("", args...)
	if code != 0 {
		e.t.Fatalf("drone %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (e *env) writeConfig(body string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, "drone.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func TestTourFromTheCommandLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ref := strings.TrimSpace(e.must("declare", "--category", "cat1", "--subcontext", "phishing", "--severity", "high",
		"--tier", "T2", "--tlp", "amber", "--overview", "Credential phishing wave",
		"--iocs", "hxxps://login-examp1e[.]com/o365 203.0.113.7"))
	if ref != "INC-1" {
		t.Fatalf("declare printed %q", ref)
	}
	out, _, code := e.run("evil-cdn.example.net\n10.0.0.8 1.2.3.4.5", "ioc", "add", "INC-1")
	if code != 0 || !strings.Contains(out, "2 new") {
		t.Errorf("ioc add from stdin: exit %d\n%s", code, out)
	}
	e.must("ack", "INC-1")
	e.must("status", "INC-1", "--set", "contained", "mail", "purged")
	e.must("close", "INC-1", "--resolution", "TruePositive", "--impact", "NoImpact", "users", "reset")
	var rec struct {
		Incident struct {
			Status, Lead, Resolution string
			Tags                     []string
		}
		Observables []struct{ Type, Value string }
		Timeline    []struct{ Kind string }
	}
	if err := json.Unmarshal([]byte(e.must("incident", "show", "INC-1", "--json")), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Incident.Status != "closed" || rec.Incident.Lead != "local:tester" || rec.Incident.Resolution != "TruePositive" {
		t.Errorf("incident: %+v", rec.Incident)
	}
	if len(rec.Observables) != 4 || len(rec.Timeline) != 6 {
		t.Errorf("%d observables, %d timeline entries: %+v", len(rec.Observables), len(rec.Timeline), rec)
	}
	if out := e.must("incident", "verify", "INC-1"); !strings.Contains(out, "hash chain intact") {
		t.Errorf("verify: %s", out)
	}
	evidence := filepath.Join(e.dir, "inc-1.json")
	e.must("incident", "export", "INC-1", "-o", evidence)
	var ev struct {
		Format   string `json:"format"`
		HeadHash string `json:"head_hash"`
	}
	b, _ := os.ReadFile(evidence)
	if err := json.Unmarshal(b, &ev); err != nil || ev.Format != "drone-evidence/1" || len(ev.HeadHash) != 64 {
		t.Errorf("evidence: %+v %v", ev, err)
	}
	if out := e.must("incident", "list", "--all"); !strings.Contains(out, "INC-1") {
		t.Errorf("list: %s", out)
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"declare", "--category", "CAT42", "--severity", "high", "--overview", "x"}, 2, `unknown category "CAT42"; allowed: CAT0`},
		{[]string{"declare", "--severity", "high", "--overview", "x"}, 2, "a category is required; allowed: CAT0"},
		{[]string{"ack", "INC-9"}, 2, "there is no INC-9"},
		{[]string{"ack", "nine"}, 2, "not an incident reference"},
		{[]string{"declare", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"incident", "show"}, 2, "accepts 1 arg"},
		{[]string{"queue", "retry", "x"}, 2, "not a job id"},
		{[]string{"frobnicate"}, 1, "unknown command"},
	}
	for _, c := range cases {
		_, errOut, code := e.run("", c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("drone %s: exit %d, stderr %q; want exit %d with %q", strings.Join(c.args, " "), code, errOut, c.code, c.want)
		}
	}
}

func TestConfigCheckReportsEveryProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := e.writeConfig("zones: [A, A]\nroles:\n  - name: r\n    permissions: [close]\n    members: []\nqueue:\n  workers: lots\n")
	_, errOut, code := e.run("", "config", "check", "--config", path)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{path + ":1: zones[1]: duplicate zone", path + ":5: roles[0].members: role \"r\" has no members", path + ":7:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in:\n%s", want, errOut)
		}
	}
	good := e.writeConfig("zones: [A]\n")
	if out := e.must("config", "check", "--config", good); !strings.Contains(out, "configuration ok") {
		t.Errorf("good config: %s", out)
	}
}

func TestConfigureWritesAValidFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := filepath.Join(e.dir, "conf", "drone.yaml")
	answers := "Acme\nAcme SOC\nsoc@acme.test\nhttps://hive.acme.test\nsecret-key\nhq, branch\nsales,it\n"
	stdout, errOut, code := e.run(answers, "configure", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, errOut)
	}
	body, _ := os.ReadFile(out)
	if strings.Contains(string(body), "secret-key") {
		t.Error("the API key was written into the configuration")
	}
	key, _ := os.ReadFile(filepath.Join(e.dir, "conf", "hive_api_key"))
	if strings.TrimSpace(string(key)) != "secret-key" {
		t.Errorf("key file holds %q", key)
	}
	check := e.must("config", "check", "--config", out)
	if !strings.Contains(check, "2 zones, 3 business units") {
		t.Errorf("check: %s\n%s", check, body)
	}
	_, errOut, code = e.run("", "configure", "-o", out, "--organisation", "X", "--soc-name", "S", "--soc-email", "s@x",
		"--hive-url", "none", "--zones", "A", "--business-units", "B")
	if code != 2 || !strings.Contains(errOut, "exists") {
		t.Errorf("overwrite without --force: exit %d %s", code, errOut)
	}
}

func TestShellWalksTheMenusAndDeclares(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := strings.Join([]string{
		"new",
		"CAT1",     // category (by value)
		"back",     // back to category
		"2",        // category by number: CAT1
		"phishing", // sub-context by label
		"3",        // severity HIGH
		"",         // tier: skip
		"",         // zone: none configured, not asked
		"",         // business unit: VARIOUS, skip
		"",         // TLP: default AMBER
		"Phishing wave reported by users",
		"203.0.113.7, 300.1.1.1", "done", // source IPv4, one rejected
		"skip",                        // destination IPv4
		"login-examp1e[.]com", "done", // FQDN
		"done",                                                                                        // URL
		"d41d8cd98f00b204e9800998ecf8427e", "remove d41d8cd98f00b204e9800998ecf8427e", "show", "done", // hash added then removed
		"jdoe", "done", // LDAP user
		"attacker@evil-mail.com", "done",
		"done",
		"Seen by three users", "done", // comments
		"y",
		"show INC-1",
		"quit",
	}, "\n")
	out, errOut, code := e.run(script, "shell")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{`rejected "300.1.1.1"`, "Declared INC-1", "[ CAT1 HIGH ] Intrusion - Phishing",
		"203[.]0[.]113[.]7", "login-examp1e[.]com", "Analyst comments:\nSeen by three users"} {
		if !strings.Contains(out, want) && !strings.Contains(strings.ReplaceAll(out, "203.0.113[.]7", "203[.]0[.]113[.]7"), want) {
			t.Errorf("shell output lacks %q:\n%s", want, out)
		}
	}
	var rec struct {
		Observables []struct {
			Type, Value string
			Tags        []string
		}
	}
	if err := json.Unmarshal([]byte(e.must("incident", "show", "INC-1", "--json")), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Observables) != 4 {
		t.Errorf("observables: %+v", rec.Observables)
	}
	for _, o := range rec.Observables {
		if o.Value == "203.0.113.7" && (len(o.Tags) != 1 || o.Tags[0] != "src") {
			t.Errorf("source IP tags %v", o.Tags)
		}
	}
}

// TestIncidentJSONCarriesRef checks that every JSON form of an incident
// (declare, incident list, incident show, export) carries "ref" next to
// "number".
func TestIncidentJSONCarriesRef(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	declared := e.must("declare", "--json", "--category", "cat1", "--severity", "high", "--overview", "Phish",
		"--iocs", "hxxps://login-examp1e[.]com/o365")
	type inc struct {
		Number int64  `json:"number"`
		Ref    string `json:"ref"`
	}
	var d struct {
		inc
		Observables struct{ Added []struct{ Value string } } `json:"observables"`
	}
	if err := json.Unmarshal([]byte(declared), &d); err != nil || d.Ref != "INC-1" || d.Number != 1 || len(d.Observables.Added) != 1 {
		t.Errorf("declare --json: %+v %v\n%s", d, err, declared)
	}
	if !strings.Contains(declared, "\"number\": 1,\n  \"ref\": \"INC-1\"") {
		t.Errorf("declare --json: ref is not next to number:\n%s", declared)
	}
	var list []inc
	if err := json.Unmarshal([]byte(e.must("incident", "list", "--json")), &list); err != nil || len(list) != 1 || list[0].Ref != "INC-1" {
		t.Errorf("incident list --json: %+v %v", list, err)
	}
	var show struct{ Incident inc }
	if err := json.Unmarshal([]byte(e.must("incident", "show", "INC-1", "--json")), &show); err != nil || show.Incident.Ref != "INC-1" {
		t.Errorf("incident show --json: %+v %v", show, err)
	}
	if err := json.Unmarshal([]byte(e.must("incident", "export", "INC-1")), &show); err != nil || show.Incident.Ref != "INC-1" {
		t.Errorf("incident export: %+v %v", show, err)
	}
}

// TestExtractPrintsEveryLine checks that buffered output loses nothing:
// many indicators out, their rejections on standard error.
func TestExtractPrintsEveryLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var in strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&in, "host-%d.example-evil.com 1.2.3.4.%d\n", i, i)
	}
	out, errOut, code := e.run(in.String(), "ioc", "extract")
	if code != 0 || strings.Count(out, "\n") != 5000 || strings.Count(errOut, "\n") != 5000 {
		t.Errorf("exit %d, %d lines out, %d lines on stderr", code, strings.Count(out, "\n"), strings.Count(errOut, "\n"))
	}
}
