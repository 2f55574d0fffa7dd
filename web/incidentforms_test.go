package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

// actions returns the follow-up actions of incident n.
func (f *fixture) actions(n int64) []*drone.FollowUp {
	f.t.Helper()
	list, err := f.svc.FollowUps(context.Background(), drone.FollowUpFilter{IncidentID: f.incident(n).ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *fixture) action(number int64) *drone.FollowUp {
	f.t.Helper()
	ac, err := f.svc.FollowUp(context.Background(), number)
	if err != nil {
		f.t.Fatal(err)
	}
	return ac
}

// mustRedirect fails unless the response sends the browser to location.
func (r response) mustRedirect(t *testing.T, location string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != location {
		t.Fatalf("status %d to %q, want 303 to %q\n%s", r.status, r.header.Get("Location"), location, r.body)
	}
}

// Roles are handed and released, and someone let into a private
// incident, from the incident page, by those whose roles allow it.
func TestRoleAndGrantForms(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER", Private: true, Overview: "Payroll export leaked"})
	f.declare(drone.DeclareInput{TLP: "AMBER", Overview: "Phishing wave"})
	f.declare(drone.DeclareInput{TLP: "RED", Overview: "Board member's mailbox"})
	alice, bob, carol := f.as("alice"), f.as("bob"), f.as("carol")

	page := alice.get("/incidents/2")
	page.must(t, http.StatusOK, `data-testid="form-role"`, `<option value="communications">Communications</option>`,
		`<option value="legal">Legal / DPO</option>`, `<datalist id="people">`, `<option value="web:bob" label="Bob">`)
	page.mustNot(t, `data-testid="form-grant"`) // not private: everyone cleared sees it
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-grant"`)

	// Bob may see INC-2 but not hand its roles: no form, and refused.
	page = bob.get("/incidents/2")
	page.must(t, http.StatusOK)
	page.mustNot(t, `data-testid="form-role"`, `data-testid="people"`, `<datalist id="people">`)
	bob.submit("/incidents/2/role", url.Values{"role": {"scribe"}, "person": {"bob"}}).must(t, http.StatusForbidden, "you may not lead")
	// Without the form's token: refused.
	alice.post("/incidents/2/role", url.Values{"role": {"scribe"}, "person": {"bob"}}).must(t, http.StatusForbidden)
	if roles := f.incident(2).RoleLine(); roles != "" {
		t.Fatalf("refused forms handed roles: %s", roles)
	}
	if n := kinds(f.timeline(2), drone.EntryDenied); n != 1 {
		t.Fatalf("%d denied attempts recorded, want bob's one", n)
	}

	// A mistake comes back beside the form with what was typed.
	alice.submit("/incidents/2/role", url.Values{"role": {"jester"}, "person": {"dana"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-role"`, `unknown role &#34;jester&#34;`, `value="dana"`)
	alice.submit("/incidents/2/role", url.Values{"role": {"scribe"}, "person": {"none"}}).
		must(t, http.StatusConflict, `data-testid="error-role"`, "already has no scribe")

	alice.submit("/incidents/2/role", url.Values{"role": {"comms"}, "person": {"Bob"}}).mustRedirect(t, "/incidents/2#inc-people")
	alice.submit("/incidents/2/role", url.Values{"role": {"legal"}, "person": {"slack:U024BE7LH"}}).mustRedirect(t, "/incidents/2#inc-people")
	if inc := f.incident(2); inc.Holder(drone.RoleCommunications) != "web:bob" || inc.Holder(drone.RoleLegal) != "slack:U024BE7LH" {
		t.Fatalf("roles %v", inc.Roles)
	}
	alice.get("/incidents/2").must(t, http.StatusOK, "Communications: web:bob", `data-testid="release-communications"`)
	alice.submit("/incidents/2/role", url.Values{"role": {"communications"}, "person": {"none"}}).mustRedirect(t, "/incidents/2#inc-people")
	if h := f.incident(2).Holder(drone.RoleCommunications); h != "" {
		t.Fatalf("communications still held by %q", h)
	}

	// Above one's clearance the incident does not exist, to post to either.
	carol.submit("/incidents/3/role", url.Values{"role": {"scribe"}, "person": {"carol"}}).must(t, http.StatusNotFound)
	bob.submit("/incidents/1/grant", url.Values{"person": {"bob"}}).must(t, http.StatusNotFound)
	if roles := f.incident(3).RoleLine(); roles != "" {
		t.Fatalf("a 404 handed a role: %s", roles)
	}

	// Letting bob into the private INC-1.
	bob.get("/incidents/1").must(t, http.StatusNotFound)
	alice.submit("/incidents/1/grant", url.Values{"person": {""}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-grant"`, "name the person")
	alice.submit("/incidents/1/grant", url.Values{"person": {"bob"}}).mustRedirect(t, "/incidents/1#inc-people")
	bob.get("/incidents/1").must(t, http.StatusOK, "Payroll")
	alice.submit("/incidents/1/grant", url.Values{"person": {"web:bob"}}).
		must(t, http.StatusConflict, "already one of the people of INC-1", `value="web:bob"`)
	// Bob is in, but letting others in is still not his to do.
	bob.submit("/incidents/1/grant", url.Values{"person": {"web:carol"}}).must(t, http.StatusForbidden)
	if got := f.incident(1).GrantedMembers(); len(got) != 1 || got[0] != "web:bob" {
		t.Fatalf("granted %v", got)
	}
}

// Follow-up actions are added, marked done, reopened and cancelled from
// the incident page; the owner marks their own done without the
// permission to update incidents; a cancel says why.
func TestFollowUpActionForms(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	f.declare(drone.DeclareInput{TLP: "RED"})
	alice, bob := f.as("alice"), f.as("bob")
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-action"`, "No follow-up action yet.")
	bob.get("/incidents/1").mustNot(t, `data-testid="form-action"`)

	// Mistakes come back with what was typed; nothing is stored.
	alice.submit("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}, "owner": {"bob"}, "due": {"someday"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-action"`, `is not a date`, `value="Rotate the VPN keys"`,
			`value="someday"`, `value="bob"`)
	alice.submit("/incidents/1/actions", url.Values{"text": {"  "}, "due": {"in 3d"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-action"`, "say what the action is", `value="in 3d"`)
	bob.submit("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}}).must(t, http.StatusForbidden)
	alice.post("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}}).must(t, http.StatusForbidden)
	if n := len(f.actions(1)); n != 0 {
		t.Fatalf("%d actions after refused forms", n)
	}

	alice.submit("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}, "owner": {"bob"}, "due": {"in 3d"}}).
		mustRedirect(t, "/incidents/1#inc-followups")
	alice.submit("/incidents/1/actions", url.Values{"text": {"Review the mail filter"}, "owner": {"web:alice"}, "due": {"2026-12-20"}}).
		mustRedirect(t, "/incidents/1#inc-followups")
	ac := f.action(1)
	if ac.Text != "Rotate the VPN keys" || ac.Owner != "web:bob" || ac.Due == nil || !ac.Due.Equal(f.clock().Add(72*time.Hour)) {
		t.Fatalf("added %+v", ac)
	}
	if due := f.action(2).Due; due == nil || due.Format(time.DateTime) != "2026-12-20 23:59:59" {
		t.Fatalf("due %v", due)
	}

	// Bob owns ACT-1: he may mark it done and reopen it, not cancel it,
	// and nothing of ACT-2.
	page := bob.get("/incidents/1")
	page.must(t, http.StatusOK, `action="/incidents/1/actions/1/done"`)
	page.mustNot(t, `action="/incidents/1/actions/2/done"`, `action="/incidents/1/actions/1/cancel"`)
	bob.submit("/incidents/1/actions/2/done", nil).must(t, http.StatusForbidden)
	bob.submit("/incidents/1/actions/1/cancel", url.Values{"reason": {"not needed"}}).must(t, http.StatusForbidden)
	bob.submit("/incidents/1/actions/1/cancel", nil).must(t, http.StatusForbidden) // refused for his role, not the reason
	if f.action(1).Status != drone.ActionOpen || f.action(2).Status != drone.ActionOpen {
		t.Fatal("refused changes changed an action")
	}
	bob.submit("/incidents/1/actions/1/done", nil).mustRedirect(t, "/incidents/1#inc-followups")
	if st := f.action(1).Status; st != drone.ActionDone {
		t.Fatalf("ACT-1 %s after its owner marked it done", st)
	}
	bob.get("/incidents/1").must(t, http.StatusOK, `action="/incidents/1/actions/1/reopen"`)
	bob.submit("/incidents/1/actions/1/reopen", nil).mustRedirect(t, "/incidents/1#inc-followups")
	if st := f.action(1).Status; st != drone.ActionOpen {
		t.Fatalf("ACT-1 %s after its owner reopened it", st)
	}

	// A cancel needs its reason; without its token it is refused.
	alice.submit("/incidents/1/actions/2/cancel", url.Values{"reason": {"  "}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-cancel"`, "Say why ACT-2 is cancelled.", `<details class="cancel" open>`)
	alice.post("/incidents/1/actions/2/cancel", url.Values{"reason": {"done elsewhere"}}).must(t, http.StatusForbidden)
	if st := f.action(2).Status; st != drone.ActionOpen {
		t.Fatalf("ACT-2 %s after refused cancels", st)
	}
	alice.submit("/incidents/1/actions/2/cancel", url.Values{"reason": {"the filter was replaced"}}).
		mustRedirect(t, "/incidents/1#inc-followups")
	if ac := f.action(2); ac.Status != drone.ActionCancelled || ac.Note != "the filter was replaced" {
		t.Fatalf("ACT-2 %s (%q)", ac.Status, ac.Note)
	}
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="followup-note">the filter was replaced`)

	// An action is changed on its own incident's page only; unknown verbs
	// and actions are not found.
	alice.submit("/incidents/2/actions/1/done", nil).must(t, http.StatusNotFound)
	alice.submit("/incidents/1/actions/1/finish", nil).must(t, http.StatusNotFound)
	alice.submit("/incidents/1/actions/99/done", nil).must(t, http.StatusNotFound)
	alice.submit("/incidents/1/actions/x/done", nil).must(t, http.StatusNotFound)
	if st := f.action(1).Status; st != drone.ActionOpen {
		t.Fatalf("ACT-1 %s after posts to wrong addresses", st)
	}

	// Above bob's clearance his own action does not exist for him.
	red, err := f.svc.AddFollowUp(context.Background(), operator, drone.Origin{}, 3, drone.FollowUpInput{Text: "Tell the board", Owner: "web:bob"})
	if err != nil {
		t.Fatal(err)
	}
	bob.submit("/incidents/3/actions/"+strconv.FormatInt(red.Number, 10)+"/done", nil).must(t, http.StatusNotFound)
	bob.submit("/incidents/3/actions", url.Values{"text": {"x"}}).must(t, http.StatusNotFound)
	if st := f.action(red.Number).Status; st != drone.ActionOpen || len(f.actions(3)) != 1 {
		t.Fatalf("a 404 changed the RED incident's actions (%s)", st)
	}

	// Actions outlive their incident: on a closed one the forms stay.
	if _, err := f.svc.Close(context.Background(), operator, drone.Origin{}, 1,
		drone.CloseInput{Resolution: "TruePositive", Impact: "NoImpact", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	page = alice.get("/incidents/1")
	page.must(t, http.StatusOK, `data-testid="form-action"`, `action="/incidents/1/actions/1/done"`)
	bob.get("/incidents/1").must(t, http.StatusOK, `action="/incidents/1/actions/1/done"`)
	alice.submit("/incidents/1/actions", url.Values{"text": {"Write the lessons learnt"}}).mustRedirect(t, "/incidents/1#inc-followups")
	bob.submit("/incidents/1/actions/1/done", nil).mustRedirect(t, "/incidents/1#inc-followups")
	if n, st := len(f.actions(1)), f.action(1).Status; n != 3 || st != drone.ActionDone {
		t.Fatalf("on the closed incident: %d actions, ACT-1 %s", n, st)
	}
}

// The next update is snoozed from the incident page, with a reason, by
// those who may update incidents, while it is open.
func TestSnoozeForm(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	alice, bob, carol := f.as("alice"), f.as("bob"), f.as("carol")
	alice.get("/incidents/1").mustNot(t, `data-testid="form-snooze"`) // no update due before the acknowledgement
	alice.submit("/incidents/1/ack", nil).must(t, http.StatusSeeOther)
	due := *f.incident(1).NextUpdateDue
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-snooze"`, `<datalist id="snooze-choices">`)
	bob.get("/incidents/1").mustNot(t, `data-testid="form-snooze"`)

	alice.submit("/incidents/1/snooze", url.Values{"for": {"soon"}, "reason": {"waiting for the vendor"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-snooze"`, "is not a duration such as 45m or 2h",
			`value="soon"`, `value="waiting for the vendor"`)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {" "}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-snooze"`, "say why the update waits", `value="1h"`)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"30d"}, "reason": {"holiday"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-snooze"`)
	bob.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"waiting for the vendor"}}).must(t, http.StatusForbidden)
	alice.post("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"waiting for the vendor"}}).must(t, http.StatusForbidden)
	carol.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"waiting for the vendor"}}).must(t, http.StatusNotFound)
	if next := f.incident(1).NextUpdateDue; next == nil || !next.Equal(due) {
		t.Fatalf("refused snoozes moved the next update from %v to %v", due, next)
	}

	f.advance(10 * time.Minute)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"2h"}, "reason": {"waiting for the vendor"}}).mustRedirect(t, "/incidents/1")
	if next := f.incident(1).NextUpdateDue; next == nil || !next.Equal(f.clock().Add(2*time.Hour)) {
		t.Fatalf("next update %v, want 2h from now", next)
	}
	alice.get("/incidents/1").must(t, http.StatusOK, "waiting for the vendor")

	// Closed, nothing is due: no form, and the service refuses.
	if _, err := f.svc.Close(context.Background(), operator, drone.Origin{}, 1,
		drone.CloseInput{Resolution: "TruePositive", Impact: "NoImpact", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	alice.get("/incidents/1").mustNot(t, `data-testid="form-snooze"`)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"x"}}).
		must(t, http.StatusConflict, `data-testid="action-message"`, "no update is due")
}
