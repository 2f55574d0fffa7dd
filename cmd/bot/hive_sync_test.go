package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
)

// TestHiveDeliver declares an incident and adds an indicator from the
// command line, then delivers: TheHive holds one case with the incident's
// fields, tasks and observables, and drone shows the case.
func TestHiveDeliver(t *testing.T) {
	t.Parallel()
	for _, api := range []string{hive.APIv1, hive.APIv0} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			h := newHiveDrone(t, testServerOptions(), hiveSettings{API: api})
			id := h.declare()
			h.must("ioc", "add", "INC-1", "--ioc", "second stage at 198.51.100.23")
			if out := h.deliver(); !strings.Contains(out, "queued: 0, dead: 0") {
				t.Errorf("deliver output:\n%s", out)
			}

			cs := h.onlyCase()
			wantTLP := map[string]int{hive.APIv1: 4, hive.APIv0: 3}[api]
			if cs.TLP != wantTLP || cs.PAP != 1 || cs.Severity != 3 || cs.CaseTemplate != "intrusion" {
				t.Errorf("case tlp %d pap %d severity %d template %q; want %d 1 3 intrusion", cs.TLP, cs.PAP, cs.Severity, cs.CaseTemplate, wantTLP)
			}
			if cs.Title != "[ CAT1 HIGH ZONE-A T2 ] SALES : Intrusion - Phishing" || !slices.Contains(cs.Tags, hive.CaseTag(id)) ||
				!slices.Contains(cs.Tags, "SALES-ZONE-A-T2-HIGH") {
				t.Errorf("case title %q tags %v", cs.Title, cs.Tags)
			}
			want := map[string]any{"drone-zone": "ZONE-A", "drone-bu": "SALES", "drone-tier": "T2"}
			for k, v := range want {
				if cs.CustomFields[k] != v {
					t.Errorf("custom fields = %v, want %v", cs.CustomFields, want)
				}
			}
			if !strings.Contains(cs.Description, "| Severity | HIGH |") || !strings.Contains(cs.Description, "Credential phishing wave") {
				t.Errorf("description:\n%s", cs.Description)
			}
			var tasks []string
			for _, task := range h.srv.Tasks(cs.ID) {
				tasks = append(tasks, task.Title)
			}
			if !slices.Equal(tasks, []string{"Pull the message from every mailbox", "Reset the exposed credentials"}) {
				t.Errorf("tasks = %q, want the configured CAT1/Phishing playbook", tasks)
			}
			checkCaseObservables(t, h.srv.Observables(cs.ID))

			show := h.must("incident", "show", "INC-1")
			for _, want := range []string{"hive.case_id", cs.ID, "hive.case_number", "hive.case_url", "TheHive case #1 created"} {
				if !strings.Contains(show, want) {
					t.Errorf("incident show lacks %q:\n%s", want, show)
				}
			}
		})
	}
}

// checkCaseObservables checks the five indicators of the tests: each once,
// the one added with --ioc flagged.
func checkCaseObservables(t *testing.T, obs []hivetest.Observable) {
	t.Helper()
	got := map[string]bool{}
	for _, o := range obs {
		key := o.DataType + " " + o.Data
		if got[key] {
			t.Errorf("observable %s twice", key)
		}
		got[key] = o.IOC
		if !strings.Contains(o.Message, "from cli") {
			t.Errorf("observable %s: message %q does not say where it came from", key, o.Message)
		}
	}
	want := map[string]bool{"url https://login-examp1e.com/o365": false, "ip 203.0.113.7": false,
		"mail ceo@login-examp1e.com": false, "hash " + payloadHash: false, "ip 198.51.100.23": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("observables (value: ioc) = %v, want %v", got, want)
	}
}

// TestHiveLifecycle acknowledges, updates, closes and reopens from the
// command line; each change reaches the case.
func TestHiveLifecycle(t *testing.T) {
	t.Parallel()
	h := newHiveDrone(t, testServerOptions(), hiveSettings{})
	h.declare()
	h.must("ack", "INC-1")
	h.deliver()
	if cs := h.onlyCase(); cs.Status != "InProgress" || cs.Assignee != "alice@example.org" {
		t.Errorf("after ack: status %q assignee %q, want InProgress alice@example.org", cs.Status, cs.Assignee)
	}
	h.must("status", "INC-1", "--set", "contained", "Mailboxes", "purged")
	h.deliver()
	if cs := h.onlyCase(); !strings.Contains(cs.Description, "Mailboxes purged") || !strings.Contains(cs.Description, "| Status | contained |") {
		t.Errorf("after update: description:\n%s", cs.Description)
	}
	h.must("close", "INC-1", "--resolution", "TruePositive", "--impact", "WithImpact", "Credentials", "reset")
	h.deliver()
	if cs := h.onlyCase(); cs.Stage != "Closed" || cs.Status != "TruePositive" || cs.ImpactStatus != "WithImpact" || cs.Summary != "Credentials reset" {
		t.Errorf("after close: stage %q status %q impact %q summary %q", cs.Stage, cs.Status, cs.ImpactStatus, cs.Summary)
	}
	h.must("reopen", "INC-1", "More", "victims")
	h.deliver()
	if cs := h.onlyCase(); cs.Stage != "InProgress" || !strings.Contains(cs.Description, "More victims") {
		t.Errorf("after reopen: stage %q description:\n%s", cs.Stage, cs.Description)
	}
	if dead := h.deadJobs(); len(dead) != 0 {
		t.Errorf("dead jobs %v", dead)
	}
}

// TestHiveOutage has TheHive fail for a while: deliver retries until it
// is back, and the case is there once with every observable.
func TestHiveOutage(t *testing.T) {
	t.Parallel()
	h := newHiveDrone(t, testServerOptions(), hiveSettings{})
	h.declare()
	h.must("ioc", "add", "INC-1", "--ioc", "second stage at 198.51.100.23")
	h.srv.FailNext(8, http.StatusBadGateway)
	out := h.deliver()
	if !strings.Contains(out, "retry") || !strings.Contains(out, "queued: 0, dead: 0") {
		t.Errorf("deliver output shows no retry, or jobs left:\n%s", out)
	}
	cs := h.onlyCase()
	checkCaseObservables(t, h.srv.Observables(cs.ID))
}

// TestHiveDeadJobs has TheHive refuse the sync: the job dies at once with a
// reason naming the setting and TheHive's error, in drone queue list and
// on the incident's timeline; nothing in drone is lost.
func TestHiveDeadJobs(t *testing.T) {
	t.Parallel()
	noMail := testServerOptions()
	noMail.DataTypes = slices.DeleteFunc(slices.Clone(hivetest.DefaultDataTypes), func(s string) bool { return s == "mail" })
	for name, tc := range map[string]struct {
		opts     hivetest.Options
		settings hiveSettings
		want     []string
		cases    int
	}{
		"bad key": {testServerOptions(), hiveSettings{Key: "not-the-key"},
			[]string{"TheHive refused the API key (hive.api_key)", "401 AuthenticationError: Authentication failure"}, 0},
		"unknown custom field": {testServerOptions(), hiveSettings{CustomFields: "{zone: drone-zonex}"},
			[]string{"hive.custom_fields names a custom field TheHive does not have", "404 NotFoundError: CustomField drone-zonex not found"}, 0},
		"unknown data type": {noMail, hiveSettings{},
			[]string{"TheHive does not know this observable data type", "404 NotFoundError: ObservableType mail not found"}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHiveDrone(t, tc.opts, tc.settings)
			h.declare()
			out := h.deliver()
			if !strings.Contains(out, "dead") {
				t.Errorf("deliver output shows no dead job:\n%s", out)
			}
			list := h.must("queue", "list")
			show := h.must("incident", "show", "INC-1")
			for _, want := range tc.want {
				if !strings.Contains(list, want) {
					t.Errorf("queue list lacks %q:\n%s", want, list)
				}
				if !strings.Contains(show, want) {
					t.Errorf("incident show lacks %q:\n%s", want, show)
				}
			}
			if !strings.Contains(show, "TheHive sync failed for good") || !strings.Contains(show, "Indicators (4)") {
				t.Errorf("incident show lacks the failure or the indicators:\n%s", show)
			}
			if n := len(h.srv.Cases()); n != tc.cases {
				t.Errorf("TheHive holds %d cases, want %d", n, tc.cases)
			}
			if tc.cases == 1 && !strings.Contains(show, "hive.case_id") {
				t.Errorf("the case made before the refusal is not recorded:\n%s", show)
			}
			h.must("incident", "verify", "INC-1")
		})
	}
}

// TestHiveRetryRevivesDeadJobs fixes a refused key, then revives the dead
// jobs with drone queue retry: the case is made with every observable.
func TestHiveRetryRevivesDeadJobs(t *testing.T) {
	t.Parallel()
	h := newHiveDrone(t, testServerOptions(), hiveSettings{Key: "not-the-key"})
	h.declare()
	h.must("ioc", "add", "INC-1", "--ioc", "second stage at 198.51.100.23")
	h.deliver()
	dead := h.deadJobs()
	if len(dead) != 3 {
		t.Fatalf("dead jobs = %v, want the declaration's two and the ioc add's", dead)
	}
	h.env["HIVE_KEY"] = h.srv.Key()
	for _, id := range dead {
		if out := h.must("queue", "retry", strconv.FormatInt(id, 10)); !strings.Contains(out, "available") {
			t.Errorf("queue retry %d: %s", id, out)
		}
	}
	h.deliver()
	cs := h.onlyCase()
	checkCaseObservables(t, h.srv.Observables(cs.ID))
	if left := h.deadJobs(); len(left) != 0 {
		t.Errorf("dead jobs after retry: %v", left)
	}
}

// TestHiveWarnsWithoutTLSVerification: turning verification off makes
// drone say so when it starts.
func TestHiveWarnsWithoutTLSVerification(t *testing.T) {
	t.Parallel()
	h := newHiveDrone(t, tlsServerOptions(), hiveSettings{Extra: "  verify_tls: false"})
	_, stderr, code := h.run("queue", "list")
	if code != exitOK || !strings.Contains(stderr, "TLS certificate is not verified (hive.verify_tls: false)") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	h.declare()
	h.deliver()
	h.onlyCase()
}

func tlsServerOptions() hivetest.Options {
	o := testServerOptions()
	o.TLS = true
	return o
}
