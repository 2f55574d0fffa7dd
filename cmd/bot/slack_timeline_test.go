package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/slack/slacktest"
)

// TestSlackTimelineThroughDroneServe puts a message on an incident's
// timeline with the 📌 reaction through drone serve, takes it off again,
// and sees drone incident show give the message's own time and drone
// incident verify find the chain intact.
func TestSlackTimelineThroughDroneServe(t *testing.T) {
	e, srv, tr := slackServeEnv(t, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.must("declare", "--category", "CAT1", "--subcontext", "phishing", "--severity", "high", "--bu", "various", "--overview", "wave")
	var ch slacktest.Channel
	if err := srv.Wait(ctx, "the incident channel", func(s *slacktest.Server) bool {
		var ok bool
		ch, ok = s.Channel("inc-1-phishing-various")
		return ok && len(ch.Messages) > 0
	}); err != nil {
		t.Fatal(err)
	}
	ts, err := srv.Post(ch.ID, "U0ALICE", "the C2 answers on 45.33.32.156", "")
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(id string, body []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if r, err := tr.Event(ctx, body, 0); err != nil || r.Status != 200 {
			t.Fatalf("event %s: %d %v", id, r.Status, err)
		}
	}
	// The show command prints entries at their time; wait for the entry.
	posted := slackTime(t, ts).Format("2006-01-02 15:04:05")
	shown := func(what string) string {
		t.Helper()
		var out string
		if err := srv.Wait(ctx, what, func(*slacktest.Server) bool {
			out = e.must("incident", "show", "INC-1")
			return strings.Contains(out, what)
		}); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out
	}
	deliver(srv.React("U0CAROL", ch.ID, ts, "pushpin"))
	if out := shown("put on the timeline alice's message"); !strings.Contains(out, posted+"  carol put on the timeline") {
		t.Errorf("show does not give the message's time %s:\n%s", posted, out)
	}
	deliver(srv.Unreact("U0CAROL", ch.ID, ts, "pushpin"))
	shown("took back from the timeline")
	if out := e.must("incident", "verify", "INC-1"); !strings.Contains(out, "hash chain intact") {
		t.Errorf("verify: %s", out)
	}
}

func slackTime(t *testing.T, ts string) time.Time {
	t.Helper()
	sec, frac, _ := strings.Cut(ts, ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("ts %q", ts)
	}
	return time.Unix(s, us*1000).UTC()
}
