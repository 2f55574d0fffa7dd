package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestActionsFromTheCommandLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("declare", "--category", "cat1", "--severity", "high", "--overview", "Credential phishing wave")
	if out := e.must("action", "add", "INC-1", "Rotate the VPN keys", "--owner", "slack:U024BE7LH", "--due", "2026-12-20"); out != "ACT-1 open\n" {
		t.Errorf("action add printed %q", out)
	}
	e.must("action", "add", "INC-1", "Write", "the", "lessons", "learned", "--due", "2020-01-01")
	e.must("action", "add", "INC-1", "Tell the vendor")
	if _, errOut, code := e.run("", "action", "add", "INC-1", "x", "--due", "someday"); code != exitUsage || !strings.Contains(errOut, "not a date") {
		t.Errorf("a bad due date: exit %d %q", code, errOut)
	}
	if _, errOut, code := e.run("", "action", "cancel", "ACT-3"); code != exitUsage {
		t.Errorf("cancel without a reason: exit %d %q", code, errOut)
	}
	e.must("action", "done", "ACT-3", "called them")
	// Closing the incident leaves its actions as they are.
	e.must("close", "INC-1", "--resolution", "TruePositive", "users", "reset")

	out := e.must("actions", "--open")
	want := "ACT-1   INC-1   open      2026-12-20 slack:U024BE7LH    Rotate the VPN keys\n" +
		"ACT-2   INC-1   overdue   2020-01-01 -                  Write the lessons learned\n"
	if out != want {
		t.Errorf("drone actions --open:\n%s\nwant:\n%s", out, want)
	}
	if out := e.must("actions", "--overdue"); !strings.Contains(out, "ACT-2") || strings.Contains(out, "ACT-1") {
		t.Errorf("drone actions --overdue:\n%s", out)
	}
	var rows []struct {
		Ref, Incident, Text, Status string
	}
	if err := json.Unmarshal([]byte(e.must("actions", "--incident", "INC-1", "--json")), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("drone actions --json: %v %+v", err, rows)
	}
	if rows[2].Ref != "ACT-3" || rows[2].Incident != "INC-1" || rows[2].Status != "done" {
		t.Errorf("row 3 = %+v", rows[2])
	}
	if _, errOut, code := e.run("", "snooze", "INC-1", "45m", "waiting"); code == 0 || !strings.Contains(errOut, "closed") {
		t.Errorf("snooze of a closed incident: exit %d %q", code, errOut)
	}
}
