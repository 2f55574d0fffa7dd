package slack_test

import (
	"strings"
	"testing"
	"time"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// invites counts the conversations.invite calls that named user.
func invites(s *slacktest.Server, user string) int {
	n := 0
	for _, c := range s.Calls("conversations.invite") {
		if strings.Contains(","+c.Params["users"]+",", ","+user+",") {
			n++
		}
	}
	return n
}

// TestPrivateIncidentChannel gives a private incident a private channel
// with only its people in it (not the responders), invites each new role
// holder once however many roles they are handed, and tells the lead in
// the channel of an access request, with the command that grants it.
func TestPrivateIncidentChannel(t *testing.T) {
	e := setup(t, "http")
	in := phishing()
	in.Private = true
	inc, ch := e.declare(in)
	if !ch.Private {
		t.Errorf("the channel of a private incident is public")
	}
	if calls := e.srv.Calls("conversations.create"); len(calls) != 1 || calls[0].Params["is_private"] != "true" {
		t.Errorf("conversations.create calls %+v, want one with is_private", calls)
	}
	if !ch.Members[alice] || ch.Members[bob] || ch.Members[carol] {
		t.Errorf("members %v: want the reporter alone, without the responders", ch.Members)
	}
	lead := drone.Actor{Platform: "slack", ID: carol, Name: "carol"}
	if _, err := e.svc.AssignRole(e.ctx, lead, drone.Origin{Channel: "slack"}, inc.Number, "scribe", "slack:"+eve); err != nil {
		t.Fatal(err)
	}
	e.wait("eve invited", func(s *slacktest.Server) bool {
		c, _ := s.Channel(ch.ID)
		return c.Members[eve]
	})
	// A second role for eve: no second invitation. The hand-off to bob
	// that follows shows the queue has passed eve's second role.
	if _, err := e.svc.AssignRole(e.ctx, lead, drone.Origin{Channel: "slack"}, inc.Number, "comms", "slack:"+eve); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AssignRole(e.ctx, lead, drone.Origin{Channel: "slack"}, inc.Number, "lead", "slack:"+bob); err != nil {
		t.Fatal(err)
	}
	e.wait("bob invited", func(s *slacktest.Server) bool {
		c, _ := s.Channel(ch.ID)
		return c.Members[bob]
	})
	e.harness.Settle(20 * time.Second)
	if n := invites(e.srv, eve); n != 1 {
		t.Errorf("eve was invited %d times, want once", n)
	}
	// An outsider asks to be let in: the lead reads it in the channel.
	e.srv.AddUser("U0DAN", "dan")
	dan := drone.Actor{Platform: "slack", ID: "U0DAN", Name: "dan"}
	if err := e.svc.RequestAccess(e.ctx, dan, drone.Origin{Channel: "slack"}, inc.Number, "I run payroll"); err != nil {
		t.Fatal(err)
	}
	e.wait("the access request in the channel", func(s *slacktest.Server) bool {
		c, _ := s.Channel(ch.ID)
		for _, m := range c.Messages {
			if m.ThreadTS == "" && strings.Contains(m.Text, "<@"+bob+">") && strings.Contains(m.Text, "grant INC-1 <@U0DAN>") {
				return true
			}
		}
		return false
	})
	inc, _ = e.svc.Incident(e.ctx, inc.Number)
	if inc.External[droneslack.KeyChannel] != ch.ID {
		t.Errorf("channel %s, want %s", inc.External[droneslack.KeyChannel], ch.ID)
	}
}

// TestRoleHolderOfAnOpenIncidentIsInvited invites a role holder to the
// channel of an incident that is not private too, and posts the handoff
// in the notification's thread.
func TestRoleHolderOfAnOpenIncidentIsInvited(t *testing.T) {
	e := setup(t, "socket")
	inc, ch := e.declare(phishing())
	if ch.Private || !ch.Members[bob] || !ch.Members[carol] || ch.Members[eve] {
		t.Fatalf("an AMBER incident's channel: private %v, members %v", ch.Private, ch.Members)
	}
	_, text := e.commandText(carol, ch.ID, "role legal <@"+eve+"|eve>")
	if !strings.Contains(text, "legal is now <@"+eve+">") {
		t.Fatalf("role: %q", text)
	}
	e.wait("eve invited and the handoff in the thread", func(s *slacktest.Server) bool {
		c, _ := s.Channel(ch.ID)
		for _, m := range c.Messages {
			if m.ThreadTS != "" && strings.Contains(m.Text, "made <@"+eve+"> legal of "+inc.Ref()) {
				return c.Members[eve]
			}
		}
		return false
	})
}
