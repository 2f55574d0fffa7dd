// Package chattest is the contract every chat adapter keeps, written once
// and run against each adapter through its platform's stand-in and wire
// format: declaring through the dialog, indicators from a message, the
// incident's notice posted then edited, a refusal for want of a role
// (recorded on the timeline), a redelivered request handled once, and a
// message put on an incident's timeline from another channel.
//
// An adapter's test implements Chat over its stand-in (signed HTTP
// requests, a Socket Mode or gateway connection) and calls Run.
package chattest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
)

// User is a person of the test workspace or guild.
type User struct {
	ID   string // the platform's user id, as on drone.Actor.ID
	Name string
}

// Form is what a person fills in the declare dialog.
type Form struct {
	Category   string // "CAT1"
	SubContext string // "Phishing"
	Severity   string // a severity's level, "3"
	TLP        string // "AMBER"
	Overview   string
	Indicators string // free text, defanged or not
}

// Chat is one adapter under test, driven the way its platform drives it.
// Each method fails the test when the platform would refuse what drone
// sends, and returns the text of the answer the person sees.
type Chat interface {
	// Harness is the drone behind the adapter, with its queue working the
	// adapter's jobs.
	Harness() *dronetest.Harness
	// Responder holds the responders' role; Outsider only what everyone
	// may do (declare, add indicators).
	Responder() User
	Outsider() User
	// Declare opens the declare dialog as u, fills it in with f and
	// submits it.
	Declare(u User, f Form) string
	// IndicatorsFromMessage posts text as u in inc's channel, runs the
	// platform's message action on it and submits the form as offered.
	IndicatorsFromMessage(u User, inc *drone.Incident, text string) string
	// Acknowledge asks, as u, to acknowledge inc.
	Acknowledge(u User, inc *drone.Incident) string
	// StatusUpdate prepares a status update of inc by u; each call of the
	// result delivers that very request again (the same interaction, the
	// same signed payload) and returns its answer.
	StatusUpdate(u User, inc *drone.Incident, status drone.Status, summary string) func() string
	// Notice returns the id and the text (rendered, all parts) of inc's
	// notice on the platform; an empty id while it is not posted.
	Notice(inc *drone.Incident) (id, text string)
	// AddToTimeline posts text as u in a channel that is no incident's,
	// runs the platform's "Add to timeline" message action on it as u,
	// and returns what u reads and the time the message was posted.
	AddToTimeline(u User, text string) (answer string, posted time.Time)
}

// Run runs the contract once per transport (the ways the platform reaches
// drone: "http", "socket", "gateway") against the adapter start returns;
// each subtest starts its own. The transports run in parallel, the
// subtests of one in turn: a loaded machine keeps answering within the
// platforms' deadlines, for the package's other tests too.
func Run(t *testing.T, transports []string, start func(t *testing.T, transport string) Chat) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			run(t, func(t *testing.T) Chat { return start(t, tr) })
		})
	}
}

func run(t *testing.T, start func(t *testing.T) Chat) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, c Chat)
	}{
		{"Declare", testDeclare},
		{"IndicatorsFromMessage", testIndicators},
		{"NoticePostedThenEdited", testNotice},
		{"RoleRefusal", testRefusal},
		{"Replay", testReplay},
		{"AddToTimeline", testTimeline},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, start(t)) })
	}
}

var phishing = Form{Category: "CAT1", SubContext: "Phishing", Severity: "3", TLP: "AMBER",
	Overview: "Credential phishing wave against sales", Indicators: "login-examp1e[.]com"}

// testDeclare declares through the dialog as someone with no role beyond
// everyone's: the incident holds the form's values and its reporter, and
// its notice is posted.
func testDeclare(t *testing.T, c Chat) {
	h, u := c.Harness(), c.Outsider()
	if ans := c.Declare(u, phishing); !strings.Contains(ans, "INC-1") {
		t.Errorf("the declaration answered %q; want it to name INC-1", ans)
	}
	rec := h.Record(1)
	inc := rec.Incident
	if inc.Category != "CAT1" || inc.SubContext != "Phishing" || inc.SeverityName != "HIGH" || inc.TLP != "AMBER" ||
		inc.Overview != phishing.Overview || inc.Reporter.ID != u.ID || inc.Status != drone.StatusOpen {
		t.Errorf("declared %+v", inc)
	}
	if !hasObservable(rec, "login-examp1e.com") {
		t.Errorf("the form's indicators were not added: %+v", rec.Observables)
	}
	if _, text := waitNotice(t, c, inc, "INC-1"); !strings.Contains(text, "Phishing") {
		t.Errorf("the notice lacks the sub-context:\n%s", text)
	}
}

// testIndicators adds the public indicators of a message through the
// message action; the internal one is offered unticked and stays out.
func testIndicators(t *testing.T, c Chat) {
	inc := declared(t, c)
	ans := c.IndicatorsFromMessage(c.Responder(), inc,
		"Kit at hxxps://login-examp1e[.]com/o365 and 203.0.113.9; intranet 10.1.2.3")
	if !strings.Contains(ans, "new") {
		t.Errorf("adding indicators answered %q; want the counts", ans)
	}
	rec := c.Harness().Record(inc.Number)
	for _, want := range []string{"203.0.113.9", "https://login-examp1e.com/o365"} {
		if !hasObservable(rec, want) {
			t.Errorf("%s was not added: %+v", want, rec.Observables)
		}
	}
	if hasObservable(rec, "10.1.2.3") {
		t.Error("the internal address was added without being ticked")
	}
	if !hasEntry(rec, drone.EntryObservables, "") {
		t.Error("the addition is not on the timeline")
	}
}

// testNotice posts the notice on declaration and edits that same message
// when the status changes.
func testNotice(t *testing.T, c Chat) {
	inc := declared(t, c)
	id, text := c.Notice(inc)
	if !strings.Contains(text, "open") {
		t.Errorf("the notice does not say the incident is open:\n%s", text)
	}
	if ans := c.StatusUpdate(c.Responder(), inc, drone.StatusContained, "mailboxes purged")(); !strings.Contains(ans, "contained") {
		t.Errorf("the status update answered %q", ans)
	}
	if got, _ := waitNotice(t, c, inc, "contained"); got != id {
		t.Errorf("the notice was posted again (%s), not edited in place (%s)", got, id)
	}
	if got := c.Harness().Incident(inc.Number); got.Status != drone.StatusContained {
		t.Errorf("status %s, want contained", got.Status)
	}
}

// testRefusal has someone without the role try to acknowledge: the answer
// names the role, the incident is unchanged, the timeline records the
// attempt; then a responder acknowledges.
func testRefusal(t *testing.T, c Chat) {
	h := c.Harness()
	inc := declared(t, c)
	out := c.Outsider()
	if ans := c.Acknowledge(out, inc); !strings.Contains(ans, "needs the role responders") {
		t.Errorf("the outsider's ack answered %q; want a refusal naming the role", ans)
	}
	rec := h.Record(inc.Number)
	if rec.Incident.Status != drone.StatusOpen || rec.Incident.Lead != "" {
		t.Errorf("a refused ack changed the incident: %+v", rec.Incident)
	}
	if !hasEntry(rec, drone.EntryDenied, out.ID) {
		t.Errorf("the refusal is not on the timeline: %+v", rec.Timeline)
	}
	c.Acknowledge(c.Responder(), inc)
	if got := h.Incident(inc.Number); got.Status != drone.StatusAcknowledged {
		t.Errorf("after the responder's ack, status %s", got.Status)
	}
}

// testReplay delivers one status update twice, as a platform does when it
// thinks the first delivery was lost: it is done once.
func testReplay(t *testing.T, c Chat) {
	inc := declared(t, c)
	deliver := c.StatusUpdate(c.Responder(), inc, drone.StatusContained, "sender blocked")
	if ans := deliver(); !strings.Contains(ans, "contained") {
		t.Errorf("the status update answered %q", ans)
	}
	deliver()
	rec := c.Harness().Record(inc.Number)
	n := 0
	for _, en := range rec.Timeline {
		if en.Kind == drone.EntryStatus || en.Kind == drone.EntryUpdate {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d status updates on the timeline after one update delivered twice; want 1:\n%+v", n, rec.Timeline)
	}
}

// testTimeline puts a message naming an incident on its timeline from
// another channel: one entry, by whoever ran the action, at the time the
// message was posted, its indicator offered, the chain intact.
func testTimeline(t *testing.T, c Chat) {
	inc := declared(t, c)
	u := c.Outsider()
	ans, posted := c.AddToTimeline(u, inc.Ref()+": the proxy saw 203.0.113.9 beaconing")
	if !strings.Contains(ans, "on the timeline of "+inc.Ref()) || !strings.Contains(ans, "203[.]0[.]113[.]9") {
		t.Errorf("Add to timeline answered %q; want the incident and the indicator offered", ans)
	}
	rec := c.Harness().Record(inc.Number)
	var pinned []drone.Entry
	for _, en := range rec.Timeline {
		if en.Kind == drone.EntryPinned {
			pinned = append(pinned, en)
		}
	}
	if len(pinned) != 1 || pinned[0].Actor.ID != u.ID || !pinned[0].OccurredAt().Equal(posted) {
		t.Fatalf("pinned entries %+v; want one by %s shown at %v", pinned, u.ID, posted)
	}
	if hasObservable(rec, "203.0.113.9") {
		t.Error("the indicator was added without being asked")
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		t.Error(err)
	}
}

// declared declares INC-1 as the responder and waits for its notice.
func declared(t *testing.T, c Chat) *drone.Incident {
	t.Helper()
	if ans := c.Declare(c.Responder(), phishing); !strings.Contains(ans, "INC-1") {
		t.Fatalf("the declaration answered %q", ans)
	}
	inc := c.Harness().Incident(1)
	waitNotice(t, c, inc, "INC-1")
	return inc
}

// waitNotice waits until inc's notice is posted and says want.
func waitNotice(t *testing.T, c Chat, inc *drone.Incident, want string) (id, text string) {
	t.Helper()
	ctx := c.Harness().Ctx
	for {
		if id, text = c.Notice(inc); id != "" && strings.Contains(text, want) {
			return id, text
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the notice of %s (%q) never said %q:\n%s", inc.Ref(), id, want, text)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func hasObservable(rec *drone.Record, value string) bool {
	return slices.ContainsFunc(rec.Observables, func(o drone.Observable) bool { return o.Value == value })
}

// hasEntry says whether the timeline holds an entry of this kind whose
// actor or text names who (any entry of the kind when who is empty).
func hasEntry(rec *drone.Record, kind, who string) bool {
	return slices.ContainsFunc(rec.Timeline, func(en drone.Entry) bool {
		return en.Kind == kind && (who == "" || en.Actor.ID == who || strings.Contains(en.Text, who))
	})
}
