package main

import (
	"strings"
	"testing"
)

// TestReviewFromTheCommandLine: resolving an incident queues its review's
// draft; drone deliver drafts it and drone review INC-1 prints it, as
// Markdown or HTML; --draft drafts a new version.
func TestReviewFromTheCommandLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("declare", "--category", "cat1", "--subcontext", "phishing", "--severity", "high",
		"--overview", "Credential phishing wave", "--iocs", "203.0.113.7")
	e.must("ack", "INC-1")
	if _, errOut, code := e.run("", "review", "INC-1"); code != exitUsage || !strings.Contains(errOut, "INC-1 has no review yet") {
		t.Errorf("an unresolved incident's review: exit %d, %s", code, errOut)
	}
	e.must("status", "INC-1", "--set", "resolved", "phishing", "site", "taken", "down")
	e.must("deliver", "--timeout", "20s")
	md := e.must("review", "INC-1")
	for _, want := range []string{"# Post-incident review: INC-1", "Draft 1,", "## Timeline", "marked INC-1 resolved",
		"`203[.]0[.]113[.]7`", "| Time to resolve |", "## What went well"} {
		if !strings.Contains(md, want) {
			t.Errorf("drone review INC-1 lacks %q:\n%s", want, md)
		}
	}
	if html := e.must("review", "INC-1", "--html"); !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "<h2>Timeline</h2>") {
		t.Errorf("drone review --html printed:\n%s", html)
	}
	if again := e.must("review", "INC-1", "--draft"); !strings.Contains(again, "Draft 2,") {
		t.Errorf("drone review --draft printed:\n%s", again)
	}
	e.must("deliver", "--timeout", "20s") // the resolution's job must not draft a third
	if latest := e.must("review", "INC-1"); !strings.Contains(latest, "Draft 2,") {
		t.Errorf("the latest review is not version 2:\n%s", latest)
	}
}
