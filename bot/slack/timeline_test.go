package slack_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// event delivers an Events API body once and waits for the work it
// started.
func (e *env) event(id string, body []byte, err error) {
	e.t.Helper()
	e.eventRetried(id, body, err, 1)
}

// eventRetried delivers an Events API body n times, as Slack does when it
// retries (X-Slack-Retry-Num), and waits for the work it started.
func (e *env) eventRetried(id string, body []byte, err error, n int) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("building event: %v", err)
	}
	for retry := range n {
		if r, err := e.tr.Event(e.ctx, body, retry); err != nil || r.Status != http.StatusOK {
			e.t.Fatalf("event %s (retry %d): %v %d %s", id, retry, err, r.Status, r.Body)
		}
	}
	e.h.Wait()
	e.harness.Settle(20 * time.Second) // the slack.timeline jobs
}

// entries returns an incident's timeline entries of a kind.
func (e *env) entries(number int64, kind string) []drone.Entry {
	e.t.Helper()
	rec, err := e.svc.Get(e.ctx, number)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		e.t.Fatalf("the timeline does not verify: %v", err)
	}
	var out []drone.Entry
	for _, en := range rec.Timeline {
		if en.Kind == kind {
			out = append(out, en)
		}
	}
	return out
}

func tsTime(t testing.TB, ts string) time.Time {
	t.Helper()
	sec, frac, _ := strings.Cut(ts, ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("ts %q", ts)
	}
	return time.Unix(s, us*1000).UTC()
}

// TestTimelineFromReactionAndPin: a reaction and a pin on the same message
// make one entry stamped with the message's own time; removing one of
// them changes nothing, removing the last records a correction, and the
// chain verifies throughout. Retried deliveries change nothing.
func TestTimelineFromReactionAndPin(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		inc, ch := e.declare(phishing())
		file := []byte("MZ\x90\x00 dropper")
		ts, err := e.srv.PostFiles(ch.ID, alice, "C2 is 45.33.32.156, see the attached sample", map[string][]byte{"invoice.exe": file})
		if err != nil {
			t.Fatal(err)
		}
		posted := tsTime(t, ts)

		e.event(e.srv.React(bob, ch.ID, ts, "eyes")) // not the timeline's reaction
		if n := len(e.entries(inc.Number, drone.EntryPinned)); n != 0 {
			t.Fatalf("an :eyes: reaction pinned %d messages", n)
		}
		id, body, err := e.srv.React(bob, ch.ID, ts, "pushpin")
		e.eventRetried(id, body, err, 3)
		pinned := e.entries(inc.Number, drone.EntryPinned)
		if len(pinned) != 1 {
			t.Fatalf("pinned entries after a reaction delivered 3 times: %d; want 1", len(pinned))
		}
		// The work went through the durable queue, once for the 3 deliveries.
		var jobs int
		for _, j := range e.harness.Jobs() {
			if j.Kind == droneslack.KindTimeline {
				jobs++
			}
		}
		if jobs != 1 { // the :eyes: reaction is no timeline event
			t.Errorf("%d slack.timeline jobs, want 1 (one per event, whatever the retries)", jobs)
		}
		if got := pinned[0].OccurredAt(); !got.Equal(posted) {
			t.Errorf("the entry shows %v; want the message's time %v", got, posted)
		}
		var data drone.PinnedMessage
		if err := json.Unmarshal(pinned[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.Author.ID != alice || data.Author.Name != "alice" || data.Via != drone.PinByReaction ||
			len(data.Attachments) != 1 || data.Attachments[0].Name != "invoice.exe" ||
			data.Attachments[0].SHA256 != slacktest.FileHash(file) || data.Attachments[0].Size != int64(len(file)) {
			t.Errorf("pinned data = %+v", data)
		}
		if pinned[0].Actor.ID != bob || !strings.Contains(pinned[0].Text, "bob put on the timeline alice's message") {
			t.Errorf("entry by %+v: %q", pinned[0].Actor, pinned[0].Text)
		}
		e.wait("the indicators offered", func(s *slacktest.Server) bool { return s.EphemeralCount(bob) > 0 })
		if offer := e.srv.Ephemerals(bob)[0]; !strings.Contains(string(offer.Blocks), "45[.]33[.]32[.]156") ||
			!strings.Contains(string(offer.Blocks), "drone.offer") {
			t.Errorf("offer = %s", offer.Blocks)
		}

		e.event(e.srv.React(carol, ch.ID, ts, "pushpin"))
		e.event(e.srv.Unreact(bob, ch.ID, ts, "pushpin")) // carol's remains
		if u := len(e.entries(inc.Number, drone.EntryUnpinned)); u != 0 {
			t.Fatalf("bob's reaction taken back while carol's remains: %d corrections", u)
		}
		e.event(e.srv.Pin(carol, ch.ID, ts))
		e.event(e.srv.Unreact(carol, ch.ID, ts, "pushpin")) // the pin remains
		if p, u := len(e.entries(inc.Number, drone.EntryPinned)), len(e.entries(inc.Number, drone.EntryUnpinned)); p != 1 || u != 0 {
			t.Fatalf("after a pin and reactions taken back: pinned %d, unpinned %d; want 1 and 0", p, u)
		}
		id, body, err = e.srv.Unpin(carol, ch.ID, ts)
		e.eventRetried(id, body, err, 2)
		e.event(e.srv.Unpin(carol, ch.ID, ts)) // the same removal announced again
		un := e.entries(inc.Number, drone.EntryUnpinned)
		if len(un) != 1 || e.entries(inc.Number, drone.EntryPinned)[0].Seq != pinned[0].Seq {
			t.Fatalf("unpinned entries %d; want 1 correction and the pinned entry kept", len(un))
		}
		if !strings.Contains(un[0].Text, "correction") || !strings.Contains(string(un[0].Data), ts) {
			t.Errorf("correction = %q %s", un[0].Text, un[0].Data)
		}
		rec, _ := e.svc.Get(e.ctx, inc.Number)
		if out := drone.RenderRecord(rec); !strings.Contains(out, posted.Format("2006-01-02 15:04:05")+"  bob put on the timeline") {
			t.Errorf("show does not give the message's time:\n%s", out)
		}
	})
}

// TestTimelineShortcut: "Add to timeline" from a channel that is no
// incident's puts the message on the incident it names, or on the one
// chosen in a modal.
func TestTimelineShortcut(t *testing.T) {
	e := setup(t, "http")
	inc, _ := e.declare(phishing())
	ts, err := e.srv.Post(e.general, alice, "re "+inc.Ref()+": the user also clicked hxxp://evil-login[.]com/a", "")
	if err != nil {
		t.Fatal(err)
	}
	e.interact(e.srv.MessageShortcut("drone.add_to_timeline", bob, e.general, ts))
	e.h.Wait()
	pinned := e.entries(inc.Number, drone.EntryPinned)
	if len(pinned) != 1 || !pinned[0].OccurredAt().Equal(tsTime(t, ts)) || !strings.Contains(string(pinned[0].Data), `"via":"action"`) {
		t.Fatalf("pinned = %+v", pinned)
	}
	answers := e.srv.Ephemerals(bob)
	if len(answers) != 2 || !strings.Contains(answers[0].Text+answers[1].Text, "on the timeline of INC-1") {
		t.Errorf("answers to bob = %+v; want the confirmation and the offer", answers)
	}

	// A message naming no incident: the modal asks which.
	ts2, err := e.srv.Post(e.general, alice, "the VPN logs show the same login", "")
	if err != nil {
		t.Fatal(err)
	}
	e.interact(e.srv.MessageShortcut("drone.add_to_timeline", bob, e.general, ts2))
	v := e.newView(bob, 1)
	if v.CallbackID != "drone.timeline" {
		t.Fatalf("view = %s %s", v.CallbackID, blocksText(v.Blocks))
	}
	a := e.submit(v.ID, map[string][]string{"incident": {"1"}})
	if !strings.Contains(a.text(), "on the timeline of INC-1") {
		t.Errorf("submission = %+v", a)
	}
	if n := len(e.entries(inc.Number, drone.EntryPinned)); n != 2 {
		t.Errorf("pinned entries = %d; want 2", n)
	}
	// The same message again: already there.
	e.interact(e.srv.MessageShortcut("drone.add_to_timeline", bob, e.general, ts))
	e.h.Wait()
	if n := len(e.entries(inc.Number, drone.EntryPinned)); n != 2 {
		t.Errorf("pinned entries after the same message again = %d; want 2", n)
	}
}

// TestTimelineThreadReply: a reply in a thread, which conversations.history
// does not list, is read with conversations.replies and pinned at its time.
func TestTimelineThreadReply(t *testing.T) {
	e := setup(t, "http")
	inc, ch := e.declare(phishing())
	parent, err := e.srv.Post(ch.ID, alice, "the mail came from a lookalike domain", "")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := e.srv.Post(ch.ID, carol, "sender was billing@examp1e-pay[.]com", parent)
	if err != nil {
		t.Fatal(err)
	}
	e.event(e.srv.React(bob, ch.ID, reply, "pushpin"))
	pinned := e.entries(inc.Number, drone.EntryPinned)
	if len(pinned) != 1 || !pinned[0].OccurredAt().Equal(tsTime(t, reply)) || !strings.Contains(pinned[0].Text, "billing@") {
		t.Fatalf("pinned = %+v", pinned)
	}
	if e.srv.Count("conversations.replies") == 0 {
		t.Error("the reply was not read from its thread")
	}
}

// TestTimelineShortcutHidesPrivateIncidents: "Add to timeline" from a
// public channel naming a private incident its user may not see answers as
// for a missing incident, and records nothing.
func TestTimelineShortcutHidesPrivateIncidents(t *testing.T) {
	e := setup(t, "http")
	in := phishing()
	in.Private = true
	inc, _ := e.declare(in) // alice's: bob is none of its people
	ts, err := e.srv.Post(e.general, bob, "is "+inc.Ref()+" about the payroll?", "")
	if err != nil {
		t.Fatal(err)
	}
	e.interact(e.srv.MessageShortcut("drone.add_to_timeline", bob, e.general, ts))
	e.h.Wait()
	if n := len(e.entries(inc.Number, drone.EntryPinned)); n != 0 {
		t.Fatalf("bob put %d messages on a private incident he may not see", n)
	}
	answers := e.srv.Ephemerals(bob)
	if len(answers) != 1 || !strings.Contains(answers[0].Text, "there is no "+inc.Ref()) {
		t.Errorf("answers to bob = %+v; want the missing incident's answer", answers)
	}
}
