package drone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
)

// run parses and executes a line as a would, from the channel of here.
func (f *fixture) run(a drone.Actor, line string, here int64) (*drone.Reply, error) {
	cmd, err := f.svc.ParseCommand(line)
	if err != nil {
		return nil, err
	}
	return f.svc.Execute(context.Background(), a, drone.Origin{Channel: "test"}, cmd, here)
}

func TestRoleHandoffsAreOnTheTimeline(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	f.declare(t, phishing)
	steps := []struct {
		line, text string
	}{
		{"role INC-1 scribe slack:U2", "bob made slack:U2 scribe of INC-1"},
		{"role INC-1 scribe slack:U3", "bob handed scribe of INC-1 from slack:U2 to slack:U3"},
		{"role INC-1 comms slack:U4", "bob made slack:U4 communications of INC-1"},
		{"role INC-1 DPO slack:U5", "bob made slack:U5 legal of INC-1"},
		{"role INC-1 scribe none", "bob released slack:U3 from scribe of INC-1"},
		{"role INC-1 lead slack:U6", "bob made slack:U6 the lead of INC-1"},
		{"role INC-1 lead slack:U7", "bob handed lead of INC-1 from slack:U6 to slack:U7"},
	}
	for _, s := range steps {
		if _, err := f.run(responder, s.line, 0); err != nil {
			t.Fatalf("%s: %v", s.line, err)
		}
	}
	rec, err := f.svc.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		t.Fatalf("the handoffs break the chain: %v", err)
	}
	tl := rec.Timeline[1:]
	if len(tl) != len(steps) {
		t.Fatalf("%d entries for %d handoffs: %+v", len(tl), len(steps), tl)
	}
	for i, s := range steps {
		if tl[i].Text != s.text {
			t.Errorf("entry %d: %q, want %q", i, tl[i].Text, s.text)
		}
	}
	var data map[string]string
	if err := json.Unmarshal(tl[1].Data, &data); err != nil || data["role"] != "scribe" || data["from"] != "slack:U2" || data["to"] != "slack:U3" {
		t.Errorf("handoff data %s (%v), want role, from and to", tl[1].Data, err)
	}
	if tl[1].Kind != drone.EntryRole || !drone.ChangesIncident(drone.EntryRole) {
		t.Errorf("a handoff is a %q entry that changes the incident's copies", tl[1].Kind)
	}
	inc := rec.Incident
	if inc.Roles[drone.RoleScribe] != "" || inc.Roles[drone.RoleCommunications] != "slack:U4" ||
		inc.Roles[drone.RoleLegal] != "slack:U5" || inc.Lead != "slack:U7" {
		t.Errorf("roles after the handoffs: lead %s, %v", inc.Lead, inc.Roles)
	}
	n := drone.BuildNotice(rec, drone.EntryRole, drone.AudienceResponders, f.clock.Now())
	if flat := strings.Join(strings.Fields(n.Text()), " "); !strings.Contains(flat, "Communications: slack:U4") ||
		!strings.Contains(flat, "Legal / DPO: slack:U5") {
		t.Errorf("the notice does not show the roles:\n%s", n.Text())
	}
	for line, code := range map[string]string{
		"role INC-1 janitor slack:U2": drone.EINVALID,
		"role INC-1 scribe carol":     drone.EINVALID,
		"role INC-1 comms slack:U4":   drone.ECONFLICT,
		"role INC-1 lead none":        drone.EINVALID,
		"role INC-1":                  drone.EINVALID,
	} {
		if _, err := f.run(responder, line, 0); drone.ErrorCode(err) != code {
			t.Errorf("%s: %v, want %s", line, err, code)
		}
	}
	if _, err := f.run(outsider, "role INC-1 scribe slack:U9", 0); drone.ErrorCode(err) != drone.EFORBIDDEN {
		t.Errorf("handing a role needs the lead permission: %v", err)
	}
}

func TestPrivateIncidentIsNoIncidentToOutsiders(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	reporter := drone.Actor{Platform: "slack", ID: "U5", Name: "carol"}
	r, err := f.run(reporter, `declare cat=CAT1 sev=high private=yes overview="Payroll data leaked"`, 0)
	if err != nil || !r.Incident.Private {
		t.Fatalf("declare private: %+v %v", r, err)
	}
	if _, err := f.run(reporter, `declare cat=CAT1 sev=high private=maybe overview="x"`, 0); drone.ErrorCode(err) != drone.EINVALID ||
		!strings.Contains(drone.ErrorMessage(err), "yes or no") {
		t.Errorf("private=maybe: %v", err)
	}
	f.declare(t, phishing) // INC-2, not private
	red := phishing
	red.TLP = "red"
	if inc := f.declare(t, red); !inc.Private || !f.svc.IsPrivate(inc) {
		t.Errorf("a RED incident is private: %+v", inc)
	}
	missing := func(n int64) string { return fmt.Sprintf("there is no INC-%d", n) }
	lines := []string{"show INC-%d", "status INC-%d contained isolated", "ioc INC-%d 203.0.113.9", "ack INC-%d",
		"lead INC-%d slack:U9", "role INC-%d scribe slack:U9", "close INC-%d", "reopen INC-%d", "grant INC-%d slack:U9", "status INC-%d"}
	for _, a := range []drone.Actor{outsider, responder} {
		for _, l := range lines {
			for _, n := range []int64{1, 3, 99} {
				_, err := f.run(a, fmt.Sprintf(l, n), 0)
				if drone.ErrorCode(err) != drone.ENOTFOUND || drone.ErrorMessage(err) != missing(n) {
					t.Errorf("%s by %s: %v, want exactly %q", fmt.Sprintf(l, n), a, err, missing(n))
				}
			}
		}
	}
	rec, _ := f.svc.Get(ctx, 1)
	if len(rec.Timeline) != 1 {
		t.Errorf("outsiders' attempts left entries on the private incident: %+v", rec.Timeline[1:])
	}
	// Its people, its own channel and the local operator see it.
	if _, err := f.run(reporter, "show INC-1", 0); err != nil {
		t.Errorf("the reporter sees the incident: %v", err)
	}
	if r, err := f.run(responder, "ack", 1); err != nil || !r.Public {
		t.Errorf("a responder in the incident's channel acts on it, for the channel to see: %+v %v", r, err)
	}
	if r, err := f.run(responder, "status INC-1 mailbox export stopped", 0); err != nil || r.Public {
		t.Errorf("the lead's update from another channel is for the lead's eyes only: %+v %v", r, err)
	}
	if r, err := f.run(reporter, `declare cat=CAT1 sev=high private=yes overview="Second leak"`, 0); err != nil || r.Public {
		t.Errorf("a private declaration is not announced in the channel it was typed in: %+v %v", r, err)
	}
	if _, err := f.run(responder, "show INC-1", 0); err != nil {
		t.Errorf("the lead sees the incident from anywhere: %v", err)
	}
	if _, err := f.run(operator, "show INC-3", 0); err != nil {
		t.Errorf("the local operator sees everything: %v", err)
	}
	duty := drone.Actor{Platform: "slack", ID: "U7", Name: "dora"}
	if _, err := f.run(duty, "show INC-3", 0); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Errorf("show by someone without the private permission: %v", err)
	}
	f.svc.Roles = append(f.svc.Roles, drone.Role{Name: "duty officers", Permissions: []drone.Permission{drone.PermPrivate},
		Members: []string{"slack:U7"}})
	if _, err := f.run(duty, "show INC-3", 0); err != nil {
		t.Errorf("a holder of the private permission sees private incidents: %v", err)
	}
	list := func(a drone.Actor, here int64) string {
		t.Helper()
		r, err := f.run(a, "list all", here)
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, inc := range r.Incidents {
			refs = append(refs, inc.Ref())
		}
		return strings.Join(refs, " ")
	}
	for _, c := range []struct {
		who  drone.Actor
		here int64
		want string
	}{
		{outsider, 0, "INC-2"},
		{outsider, 1, "INC-2 INC-1"},
		{reporter, 0, "INC-4 INC-2 INC-1"},
		{responder, 0, "INC-2 INC-1"}, // the lead of INC-1 now
		{operator, 0, "INC-4 INC-3 INC-2 INC-1"},
	} {
		if got := list(c.who, c.here); got != c.want {
			t.Errorf("list by %s in the channel of INC-%d: %q, want %q", c.who, c.here, got, c.want)
		}
	}
}

func TestAccessRequestsReachTheLeadAndRevealNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	private := phishing
	private.Private = true
	f.declare(t, private)
	f.declare(t, phishing)
	for _, line := range []string{"access INC-1 I handle payroll", "access INC-2", "access INC-99"} {
		r, err := f.run(outsider, line, 0)
		if err != nil || r.Text != drone.AccessAnswer || r.Incident != nil || r.Public {
			t.Errorf("%s: %+v %v, want only %q", line, r, err, drone.AccessAnswer)
		}
	}
	rec, _ := f.svc.Get(ctx, 1)
	last := rec.Timeline[len(rec.Timeline)-1]
	if last.Kind != drone.EntryAccessRequest || !strings.Contains(last.Text, "grant INC-1 slack:U9") ||
		!strings.Contains(last.Text, "I handle payroll") {
		t.Fatalf("the request is not on the private incident's timeline: %+v", last)
	}
	if rec2, _ := f.svc.Get(ctx, 2); len(rec2.Timeline) != 1 {
		t.Errorf("a request for an incident that is not private records nothing: %+v", rec2.Timeline)
	}
	if _, err := f.run(operator, "grant INC-1 slack:U9", 0); err != nil {
		t.Fatal(err)
	}
	r, err := f.run(outsider, "show INC-1", 0)
	if err != nil || !strings.Contains(r.Text, "Members") {
		t.Fatalf("a granted member sees the incident: %v", err)
	}
	if _, err := f.run(operator, "role INC-1 member slack:U9", 0); drone.ErrorCode(err) != drone.ECONFLICT {
		t.Errorf("granting twice: %v", err)
	}
}
