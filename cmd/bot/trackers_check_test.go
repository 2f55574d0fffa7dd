package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ttp0/drone/jira/jiratest"
	"github.com/ttp0/drone/servicenow/servicenowtest"
)

// checkOutput fails the test unless the command exited with code and its
// outputs hold the wanted lines.
func checkOutput(t *testing.T, stdout, stderr string, code, wantCode int, wantOut, wantErr []string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout, stderr)
	}
	for _, want := range wantOut {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range wantErr {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestJiraCheck(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		server   string // the stand-in's flavour
		settings string // the jira section, %s the URL
		code     int
		stdout   []string
		stderr   []string
	}{
		"cloud": {jiratest.Cloud, "  url: %s\n  email: drone@example.org\n  token: jiratest-token\n  project: SEC\n", exitOK,
			[]string{"Jira cloud 1001.0.0-SNAPSHOT at http://127.0.0.1:", "user: drone (drone@example.org)", "project: SEC (Security), issue type Task of Task, Bug"}, nil},
		"data center": {jiratest.DataCenter, "  url: %s\n  flavour: datacenter\n  token: jiratest-token\n  project: SEC\n  issue_type: Bug\n", exitOK,
			[]string{"Jira datacenter 9.12.4", "user: drone (drone)", "issue type Bug"}, nil},
		"bad token": {jiratest.Cloud, "  url: %s\n  email: drone@example.org\n  token: nope\n  project: SEC\n", exitFailure,
			nil, []string{"the e-mail and API token were refused (jira.email, jira.token)", "401"}},
		"cloud settings on data center": {jiratest.DataCenter, "  url: %s\n  email: drone@example.org\n  token: jiratest-token\n  project: SEC\n", exitFailure,
			nil, []string{"no REST API /rest/api/3 at jira.url (a wrong URL, or jira.flavour should be datacenter)"}},
		"no such project": {jiratest.Cloud, "  url: %s\n  email: drone@example.org\n  token: jiratest-token\n  project: OPS\n", exitFailure,
			nil, []string{"project OPS does not exist, or drone@example.org may not browse it (jira.project)"}},
		"no such issue type": {jiratest.Cloud, "  url: %s\n  email: drone@example.org\n  token: jiratest-token\n  project: SEC\n  issue_type: Epic\n", exitFailure,
			nil, []string{`project SEC has no issue type "Epic" (jira.issue_type); it has Task, Bug`}},
		"nothing there": {jiratest.Cloud, "  url: http://" + closedPort(t) + "\n  email: a@b.c\n  token: t\n  project: SEC\n#%s\n", exitFailure,
			nil, []string{"Jira could not be reached at jira.url"}},
		"bad configuration": {jiratest.Cloud, "  url: %s\n  flavour: server\n  token: t\n  project: sec\n", exitUsage,
			nil, []string{`jira.flavour: "server" is neither "cloud" nor "datacenter"`, `jira.project: "sec" is not a project key`}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := jiratest.New(t, jiratest.Options{Flavour: tc.server})
			e := newEnv(t)
			e.vars["DRONE_CONFIG"] = e.writeConfig("jira:\n" + fmt.Sprintf(tc.settings, srv.URL()))
			stdout, stderr, code := e.run("", "jira", "check")
			checkOutput(t, stdout, stderr, code, tc.code, tc.stdout, tc.stderr)
			if strings.Contains(stdout+stderr, srv.Token()) && tc.code != exitUsage {
				t.Error("the token was printed")
			}
		})
	}
}

func TestJiraCheckNotConfiguredAndJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, stderr, code := e.run("", "jira", "check")
	if code != exitUsage || !strings.Contains(stderr, "no Jira is configured: set jira.url") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	srv := jiratest.New(t, jiratest.Options{})
	e.vars["DRONE_CONFIG"] = e.writeConfig(fmt.Sprintf("jira:\n  url: %s\n  email: drone@example.org\n  token: x\n  project: SEC\n", srv.URL()))
	stdout, _, code := e.run("", "jira", "check", "--json")
	var res jiraCheckResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if code != exitFailure || res.OK || !strings.Contains(res.Error, "jira.token") || res.Flavour != "cloud" {
		t.Errorf("exit %d, result %+v", code, res)
	}
}

func TestServiceNowCheck(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		settings string // the servicenow section, %s the URL
		code     int
		stdout   []string
		stderr   []string
	}{
		"basic": {"  url: %s\n  user: drone\n  password: servicenowtest-password\n  assignment_group: " + servicenowtest.SOCGroup + "\n", exitOK,
			[]string{"ServiceNow at http://127.0.0.1:", "(basic authentication)", "user: drone integration (drone)", "table: incident, assignment group SOC"}, nil},
		"oauth": {"  url: %s\n  token: servicenowtest-token\n", exitOK,
			[]string{"(oauth authentication)", "table: incident"}, nil},
		"bad password": {"  url: %s\n  user: drone\n  password: nope\n", exitFailure,
			nil, []string{"the user and password were refused (servicenow.user, servicenow.password)", "401"}},
		"no such table": {"  url: %s\n  token: servicenowtest-token\n  table: sn_si_task\n", exitFailure,
			nil, []string{`there is no table "sn_si_task" (servicenow.table)`}},
		"no such group": {"  url: %s\n  token: servicenowtest-token\n  assignment_group: 0123456789abcdef0123456789abcdef\n", exitFailure,
			nil, []string{"no group has the sys_id 0123456789abcdef0123456789abcdef (servicenow.assignment_group)"}},
		"nothing there": {"  url: http://" + closedPort(t) + "\n  token: t\n#%s\n", exitFailure,
			nil, []string{"the instance could not be reached at servicenow.url"}},
		"bad configuration": {"  url: %s\n  user: drone\n", exitUsage,
			nil, []string{"servicenow.user, password: required"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := servicenowtest.New(t, servicenowtest.Options{})
			e := newEnv(t)
			e.vars["DRONE_CONFIG"] = e.writeConfig("servicenow:\n" + fmt.Sprintf(tc.settings, srv.URL()))
			stdout, stderr, code := e.run("", "servicenow", "check")
			checkOutput(t, stdout, stderr, code, tc.code, tc.stdout, tc.stderr)
			if strings.Contains(stdout+stderr, srv.Password()) {
				t.Error("the password was printed")
			}
		})
	}
}
