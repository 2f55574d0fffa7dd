package drone_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

func TestActionCommands(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "phishing"})
	// The owner is a responder's colleague with no role: bob (U1) adds
	// actions, carol (U3) owns one.
	carol := drone.Actor{Platform: "slack", ID: "U3", Name: "carol"}

	r, err := f.run(responder, `action "Rotate the VPN keys" slack:U3 due 2026-03-10`, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "added ACT-1 Rotate the VPN keys (owner slack:U3, due 2026-03-10)") || !r.Public {
		t.Errorf("reply %q", r.Text)
	}
	ac, err := f.svc.FollowUp(ctx, 1)
	if err != nil || ac.Owner != "slack:U3" || ac.Due == nil || !ac.Due.Equal(time.Date(2026, 3, 10, 23, 59, 59, 0, time.UTC)) {
		t.Fatalf("ACT-1 = %+v (%v)", ac, err)
	}
	// Unquoted text, @name of the actor's platform, and due in 3d.
	if _, err := f.run(responder, "action INC-1 write the lessons learned @U1 due in 3d", 0); err != nil {
		t.Fatal(err)
	}
	ac2, _ := f.svc.FollowUp(ctx, 2)
	if ac2.Text != "write the lessons learned" || ac2.Owner != "slack:U1" || !ac2.Due.Equal(f.clock.Now().Add(72*time.Hour)) {
		t.Errorf("ACT-2 = %+v", ac2)
	}

	for _, c := range []struct {
		who  drone.Actor
		line string
		code string
	}{
		{outsider, `action "x"`, drone.EFORBIDDEN},                        // adding needs the update permission
		{responder, `action`, drone.EINVALID},                             // no text
		{responder, `action "x" due 2026-13-45`, drone.EINVALID},          // a bad date
		{outsider, `action done ACT-1`, drone.EFORBIDDEN},                 // not the owner
		{carol, `action cancel ACT-1 no longer needed`, drone.EFORBIDDEN}, // the owner may not cancel
		{responder, `action cancel ACT-1`, drone.EINVALID},                // a cancellation needs a reason
		{responder, `action done ACT-99`, drone.ENOTFOUND},
	} {
		if _, err := f.run(c.who, c.line, inc.Number); drone.ErrorCode(err) != c.code {
			t.Errorf("%s: %q: %v, want %s", c.who, c.line, err, c.code)
		}
	}
	// The owner marks it done and reopens it; a responder cancels it.
	if r, err := f.run(carol, "action done ACT-1 rotated on the 9th", 0); err != nil || !strings.Contains(r.Text, "ACT-1 is done") {
		t.Fatalf("done by the owner: %v %v", r, err)
	}
	if _, err := f.run(carol, "action reopen ACT-1 one key left", 0); err != nil {
		t.Fatal(err)
	}
	// Closing the incident leaves its actions open.
	if _, err := f.svc.Close(ctx, operator, here, inc.Number, drone.CloseInput{Resolution: "TruePositive", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.run(responder, "actions --open", 0); err != nil || !strings.Contains(r.Text, "ACT-1") || !strings.Contains(r.Text, "ACT-2") {
		t.Fatalf("open actions after the close: %v %v", r, err)
	}
	if _, err := f.run(responder, "action cancel ACT-1 superseded by ACT-2", 0); err != nil {
		t.Fatal(err)
	}
	r, err = f.run(responder, "actions INC-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "ACT-1   INC-1   cancelled 2026-03-10 slack:U3           Rotate the VPN keys\n" +
		"ACT-2   INC-1   open      2026-03-04 slack:U1           write the lessons learned"
	if r.Text != want {
		t.Errorf("actions INC-1:\n%s\nwant:\n%s", r.Text, want)
	}
	f.advance(5 * 24 * time.Hour)
	if r, err := f.run(carol, "actions overdue", 0); err != nil || !strings.Contains(r.Text, "ACT-2   INC-1   overdue") || strings.Contains(r.Text, "ACT-1") {
		t.Errorf("overdue: %v %v", r, err)
	}
	if r, err := f.run(responder, "actions mine", 0); err != nil || !strings.Contains(r.Text, "ACT-2") {
		t.Errorf("mine: %v %v", r, err)
	}
	// A TLP:RED incident's actions are listed only by naming it.
	red := f.declare(t, drone.DeclareInput{Category: "CAT1", Severity: "high", TLP: "red", Overview: "insider"})
	if _, err := f.run(responder, `action "Interview the insider"`, red.Number); err != nil {
		t.Fatal(err)
	}
	if r, err := f.run(responder, "actions open", 0); err != nil || strings.Contains(r.Text, "insider") || !strings.Contains(r.Text, "ACT-2") {
		t.Errorf("open actions across incidents show a RED incident's: %v %v", r, err)
	}
	if r, err := f.run(responder, "actions", red.Number); err != nil || !strings.Contains(r.Text, "Interview the insider") {
		t.Errorf("the RED incident's own actions: %v %v", r, err)
	}
	if r, err := f.run(responder, "show", red.Number); err != nil || !strings.Contains(r.Text, "Follow-up actions (1):") || !strings.Contains(r.Text, "Interview the insider") {
		t.Errorf("show lists the incident's actions: %v %v", r, err)
	}
	// Outside its channel, its action is no action at all, as the incident is no incident.
	r, err = f.run(responder, `actions open`, red.Number)
	if err != nil || !strings.Contains(r.Text, "Interview the insider") {
		t.Fatalf("the RED incident's actions from its channel: %v %v", r, err)
	}
	acts, err := f.svc.FollowUps(ctx, drone.FollowUpFilter{IncidentID: red.ID})
	if err != nil || len(acts) != 1 {
		t.Fatalf("the RED incident's actions: %v %v", acts, err)
	}
	ref := acts[0].Ref()
	if _, err := f.run(outsider, "action done "+ref+" done", 0); err == nil || err.Error() != "there is no "+ref {
		t.Errorf("an outsider marking %s done: %v, want the missing action's answer", ref, err)
	}
	for _, line := range []string{fmt.Sprintf("actions INC-%d", red.Number), fmt.Sprintf(`action INC-%d "look around"`, red.Number)} {
		if _, err := f.run(responder, line, 0); err == nil || err.Error() != fmt.Sprintf("there is no INC-%d", red.Number) {
			t.Errorf("%q from another channel: %v, want the missing incident's answer", line, err)
		}
	}
	var kinds []string
	tl, _ := f.svc.Timeline(ctx, inc.ID)
	for _, e := range tl {
		if e.Kind == drone.EntryAction || e.Kind == drone.EntryActionUpdated {
			kinds = append(kinds, e.Kind)
		}
	}
	if strings.Join(kinds, ",") != "action,action,action_updated,action_updated,action_updated" {
		t.Errorf("timeline kinds %v", kinds)
	}
}

func TestSnoozeCommand(t *testing.T) {
	f := setup(t)
	inc := f.declare(t, drone.DeclareInput{Category: "CAT1", Severity: "critical", Overview: "x"})
	if _, err := f.run(responder, "snooze 45m", inc.Number); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("snooze without a reason: %v", err)
	}
	if _, err := f.run(responder, "snooze soon waiting", inc.Number); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("snooze without a duration: %v", err)
	}
	r, err := f.run(responder, "snooze 45m waiting for the vendor", inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().Add(45 * time.Minute); !r.Incident.NextUpdateDue.Equal(want) {
		t.Errorf("next update due %v, want %v", r.Incident.NextUpdateDue, want)
	}
}

// TestActionDueWord takes "due" for the due date only before a date.
func TestActionDueWord(t *testing.T) {
	f := setup(t)
	inc := f.declare(t, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "x"})
	if _, err := f.run(responder, "action review due diligence papers due 2026-04-01", inc.Number); err != nil {
		t.Fatal(err)
	}
	ac, err := f.svc.FollowUp(context.Background(), 1)
	if err != nil || ac.Text != "review due diligence papers" || ac.Due == nil || ac.Due.Format("2006-01-02") != "2026-04-01" {
		t.Errorf("ACT-1 = %+v (%v)", ac, err)
	}
}

// A change brought back from a tracker needs no role here: whoever closed
// the ticket was allowed to there. It is on the timeline under the
// tracker's name.
func TestSyncFollowUpNeedsNoRole(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "phishing"})
	ac, err := f.svc.AddFollowUp(ctx, responder, drone.Origin{Channel: "test"}, inc.Number, drone.FollowUpInput{Text: "rotate keys"})
	if err != nil {
		t.Fatal(err)
	}
	jira := drone.Actor{Platform: "jira", ID: "sync", Name: "Jira"}
	if _, err := f.svc.UpdateFollowUp(ctx, jira, drone.Origin{Channel: "jira"}, ac.Number, drone.FollowUpChange{Status: drone.ActionDone}); drone.ErrorCode(err) != drone.EFORBIDDEN {
		t.Fatalf("a tracker through UpdateFollowUp: %v, want forbidden", err)
	}
	got, err := f.svc.SyncFollowUp(ctx, jira, drone.Origin{Channel: "jira"}, ac.Number, drone.FollowUpChange{Status: drone.ActionDone, Note: "Jira SOC-12 is Done"})
	if err != nil || got.Status != drone.ActionDone {
		t.Fatalf("SyncFollowUp: %+v %v", got, err)
	}
	tl, _ := f.svc.Timeline(ctx, inc.ID)
	if last := tl[len(tl)-1]; last.Actor.Identity() != "jira:sync" || !strings.Contains(last.Text, "Jira SOC-12 is Done") {
		t.Errorf("last entry %q by %s", last.Text, last.Actor.Identity())
	}
}
