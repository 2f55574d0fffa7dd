package review_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/review"
)

var (
	alice = drone.Actor{Platform: "slack", ID: "U1", Name: "alice"}
	bob   = drone.Actor{Platform: "slack", ID: "U2", Name: "bob"}
	here  = drone.Origin{Channel: "test"}
)

// fixture is an incident taken from declaration to resolution on the
// dronetest clock: indicators, acknowledgement, a lead, a pinned message
// (and one unpinned), containment, a regulatory report, follow-up actions
// and roles.
type fixture struct {
	h     *dronetest.Harness
	clock *dronetest.Clock
	inc   *drone.Incident
}

func newFixture(t *testing.T, overview string) *fixture {
	t.Helper()
	h := dronetest.New(t)
	clock := dronetest.NewClock(dronetest.Epoch)
	h.Service.Now = clock.Now
	h.Service.Roles = drone.Roles{{Name: "responders", Members: []string{"*"}, Permissions: drone.Permissions}}
	f := &fixture{h: h, clock: clock}
	f.inc = h.Declare(alice, drone.DeclareInput{Category: "CAT1", SubContext: "Phishing", Severity: "high",
		Tier: "T2", TLP: "amber", Overview: overview,
		Observables: drone.ObservableInput{Text: "sender evil@vpn-portal-login.com, link https://vpn-portal-login.com/sso, 10.0.0.7"}})
	return f
}

// resolve walks the fixture's incident to resolved.
func (f *fixture) resolve(t *testing.T) {
	t.Helper()
	ctx, svc, n := f.h.Ctx, f.h.Service, f.inc.Number
	step := func(d time.Duration, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(d)
	}
	f.clock.Advance(12 * time.Minute)
	_, err := svc.Acknowledge(ctx, bob, here, n)
	step(3*time.Minute, err)
	_, err = svc.SetLead(ctx, bob, here, n, alice.Identity())
	step(5*time.Minute, err)
	f.pin(t, "pinned", bob, dronetest.Epoch.Add(17*time.Minute), "Mail gateway rule blocks phish.example from now on", "https://example.slack.com/archives/C1/p1")
	f.pin(t, "pinned", bob, dronetest.Epoch.Add(18*time.Minute), "wrong channel, ignore", "https://example.slack.com/archives/C1/p2")
	f.pin(t, "unpinned", bob, dronetest.Epoch.Add(18*time.Minute), "wrong channel, ignore", "https://example.slack.com/archives/C1/p2")
	_, err = svc.AddObservables(ctx, bob, here, n, drone.ObservableInput{Text: "44d88612fea8a8f36de82e1278abb02f", IOC: true})
	step(10*time.Minute, err)
	_, err = svc.PostUpdate(ctx, alice, here, n, drone.UpdateInput{Status: drone.StatusContained, Summary: "Sender blocked; 3 mailboxes purged"})
	step(20*time.Minute, err)
	_, err = svc.MarkReportable(ctx, alice, here, n, drone.ReportableInput{Note: "personal data of 3 staff"})
	step(time.Hour, err)
	_, err = svc.MarkReported(ctx, alice, here, n, "GDPR", "filed with the CNIL")
	step(10*time.Minute, err)
	due := dronetest.Epoch.Add(7 * 24 * time.Hour)
	_, err = svc.AddFollowUp(ctx, alice, here, n, drone.FollowUpInput{Text: "Enforce DMARC reject on our domains", Owner: bob.Identity(), Due: &due})
	step(time.Minute, err)
	_, err = svc.AddFollowUp(ctx, alice, here, n, drone.FollowUpInput{Text: "Phishing drill for the sales team"})
	step(time.Minute, err)
	f.setRoles(t, map[string]string{"scribe": bob.Identity(), "communications": "slack:U3"})
	_, err = svc.PostUpdate(ctx, alice, here, n, drone.UpdateInput{Status: drone.StatusResolved, Summary: "No credentials were entered; the campaign is over"})
	step(time.Minute, err)
}

// pin records a chat message put on the timeline (or taken off), as the
// chat integrations do: a timeline entry whose data is the message
// (drone.PinnedMessage: platform, channel, id, author, posted_at, text,
// link, via); an unpinned entry's names the message without its text.
func (f *fixture) pin(t *testing.T, kind string, by drone.Actor, posted time.Time, text, link string) {
	t.Helper()
	msg := map[string]any{"platform": "slack", "channel": "C1", "id": strconv.FormatInt(posted.Unix(), 10),
		"posted_at": posted.Format(time.RFC3339Nano), "link": link, "via": "pin"}
	if kind == "pinned" {
		msg["author"], msg["text"] = by, text
	}
	data, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	err = f.h.DB.Update(f.h.Ctx, func(tx drone.Tx) error {
		seq, prev, err := tx.LastEntry(f.h.Ctx, f.inc.ID)
		if err != nil {
			return err
		}
		e := drone.Entry{IncidentID: f.inc.ID, Seq: seq + 1, At: f.clock.Now(), Actor: by, Origin: here, Kind: kind,
			Text: by.Name + " " + kind + " a message", Data: data, PrevHash: prev}
		e.Hash = e.ComputeHash()
		return tx.AppendEntry(f.h.Ctx, &e)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setRoles gives the incident roles, as the roles command will.
func (f *fixture) setRoles(t *testing.T, roles map[string]string) {
	t.Helper()
	err := f.h.DB.Update(f.h.Ctx, func(tx drone.Tx) error {
		inc, err := tx.Incident(f.h.Ctx, f.inc.Number)
		if err != nil {
			return err
		}
		inc.Roles = roles
		return tx.SaveIncident(f.h.Ctx, inc)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func drafter(t *testing.T, h *dronetest.Harness, template string) *review.Drafter {
	t.Helper()
	r, err := review.NewRenderer(template)
	if err != nil {
		t.Fatal(err)
	}
	return review.NewDrafter(h.Service, r)
}

// TestGolden drafts the review of the fixture's resolved incident and
// compares its Markdown and HTML with the golden files; it keeps the
// version and records it on the timeline.
func TestGolden(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "Sales received a phishing mail posing as the VPN portal.\nThree people clicked the link.")
	f.resolve(t)
	d := drafter(t, f.h, "")
	r, err := d.Draft(f.h.Ctx, alice, here, f.inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	dronetest.Golden(t, "testdata/review.golden.md", []byte(r.Markdown))
	dronetest.Golden(t, "testdata/review.golden.html", []byte(r.HTML))
	if r.Version != 1 {
		t.Errorf("version %d, want 1", r.Version)
	}
	kept, err := f.h.Service.Review(f.h.Ctx, f.inc.ID)
	if err != nil || kept.Markdown != r.Markdown || kept.HTML != r.HTML {
		t.Errorf("the store keeps %+v (%v), want the draft", kept, err)
	}
	tl := f.h.Record(f.inc.Number).Timeline
	last := tl[len(tl)-1]
	if last.Kind != drone.EntryReview || string(last.Data) != `{"version":1}` {
		t.Errorf("last entry %s %s, want the review's", last.Kind, last.Data)
	}
	if err := drone.Verify(tl); err != nil {
		t.Error(err)
	}
	again, err := d.Draft(f.h.Ctx, alice, here, f.inc.Number)
	if err != nil || again.Version != 2 || !strings.Contains(again.Markdown, "Draft 2,") {
		t.Errorf("a redraft is version %d (%v), want 2 and saying so", again.Version, err)
	}
}

// TestHTMLEscapesWhatPeopleTyped: an overview and a title with HTML come
// out as text, not as markup, in the HTML copy.
func TestHTMLEscapesWhatPeopleTyped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, `<script>alert("x")</script> and <img src=x onerror=alert(1)> and [click](javascript:alert(1))`)
	r, err := drafter(t, f.h, "").Draft(f.h.Ctx, alice, here, f.inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>alert", "<img", `href="javascript`} {
		if strings.Contains(r.HTML, bad) {
			t.Errorf("the HTML holds %q:\n%s", bad, r.HTML)
		}
	}
	if !strings.Contains(r.HTML, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") {
		t.Errorf("the overview's text is lost or not escaped:\n%s", r.HTML)
	}
}

// TestBrokenTemplate: a template that does not parse, or names a field
// the review lacks, is refused with its file and line.
func TestBrokenTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "review.md.tmpl")
	if err := os.WriteFile(broken, []byte("# {{.Ref}}\n\n| {{.Title} |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := review.NewRenderer(broken)
	if err == nil || !strings.Contains(err.Error(), broken+":3:") {
		t.Errorf("a template with a broken action gave %v, want its file and line 3", err)
	}
	unknown := filepath.Join(dir, "unknown.md.tmpl")
	if err := os.WriteFile(unknown, []byte("# {{.Ref}}\n{{.Nope}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "overview")
	_, err = drafter(t, f.h, unknown).Draft(f.h.Ctx, alice, here, f.inc.Number)
	if err == nil || !strings.Contains(err.Error(), unknown+":2:") {
		t.Errorf("a template naming a missing field gave %v, want its file and line 2", err)
	}
	if _, err := f.h.Service.Review(f.h.Ctx, f.inc.ID); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Errorf("a failed draft kept a review: %v", err)
	}
	if _, err := review.NewRenderer(filepath.Join(dir, "missing.tmpl")); err == nil || !strings.Contains(err.Error(), "missing.tmpl") {
		t.Errorf("a missing template gave %v", err)
	}
}

// TestDraftNeedsTheUpdatePermission: someone without a role that may
// update incidents cannot draft, and the refusal is on the timeline.
func TestDraftNeedsTheUpdatePermission(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "overview")
	f.h.Service.Roles = drone.Roles{{Name: "responders", Members: []string{bob.Identity()},
		Permissions: []drone.Permission{drone.PermUpdate}}}
	_, err := drafter(t, f.h, "").Draft(context.Background(), alice, here, f.inc.Number)
	if drone.ErrorCode(err) != drone.EFORBIDDEN {
		t.Fatalf("alice drafted: %v", err)
	}
	if _, err := drafter(t, f.h, "").Draft(f.h.Ctx, bob, here, f.inc.Number); err != nil {
		t.Errorf("bob may update: %v", err)
	}
}

// TestHTMLDropsRawHTMLOfATemplate: a replaced template that writes what
// people typed without escaping it still yields no markup in the HTML:
// the Markdown renderer drops raw HTML and unsafe links.
func TestHTMLDropsRawHTMLOfATemplate(t *testing.T) {
	t.Parallel()
	raw := filepath.Join(t.TempDir(), "raw.md.tmpl")
	if err := os.WriteFile(raw, []byte("# {{.Ref}}\n\n{{.Incident.Overview}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, `<script>alert(1)</script> [x](javascript:alert(2))`)
	r, err := drafter(t, f.h, raw).Draft(f.h.Ctx, alice, here, f.inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Markdown, "<script>") {
		t.Fatalf("the template was to write the overview raw:\n%s", r.Markdown)
	}
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "javascript:") {
		t.Errorf("raw HTML or an unsafe link reached the HTML:\n%s", r.HTML)
	}
}
