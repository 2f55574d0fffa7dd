package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// TestChannelNameTaken gives an incident a channel even when its name is
// taken, with a suffix from the incident id.
func TestChannelNameTaken(t *testing.T) {
	e := setup(t, "socket")
	e.srv.AddChannel("inc-1-phishing-sales", alice)
	inc, ch := e.declare(phishing())
	id := strings.ReplaceAll(inc.ID, "-", "")
	if ch.Name != "inc-1-phishing-sales-"+id[len(id)-6:] {
		t.Errorf("channel %q", ch.Name)
	}
}

// TestChannelOfALostAttempt takes up the channel an earlier attempt
// created when Slack's answer was lost, instead of making a second one.
func TestChannelOfALostAttempt(t *testing.T) {
	e := setup(t, "http")
	e.srv.Drop("conversations.create", 1)
	_, ch := e.declare(phishing())
	if ch.Name != "inc-1-phishing-sales" {
		t.Errorf("channel %q; want the one the lost attempt created", ch.Name)
	}
	if n := e.srv.ChannelCount(); n != 2 {
		t.Errorf("%d channels, want general and the incident's", n)
	}
	if n := e.srv.Count("conversations.list"); n == 0 {
		t.Error("drone did not look for the channel")
	}
}

// TestChannelOlderThanTheIncident does not take up a channel of the same
// name that drone's bot made before the incident was declared (for an
// incident of a database since replaced): the new channel gets a suffix.
func TestChannelOlderThanTheIncident(t *testing.T) {
	e := setup(t, "http")
	e.svc.Now = func() time.Time { return time.Now().Add(5 * time.Minute) }
	e.srv.Drop("conversations.create", 1) // the bot's channel, made "before" the declaration
	inc, ch := e.declare(phishing())
	id := strings.ReplaceAll(inc.ID, "-", "")
	if ch.Name != "inc-1-phishing-sales-"+id[len(id)-6:] {
		t.Errorf("channel %q; want a suffixed one", ch.Name)
	}
}

// TestHopelessJob ends a job that Slack will refuse again (the bot was
// removed from the channel) instead of retrying it, and tolerates an
// user Slack refuses to invite.
func TestHopelessJob(t *testing.T) {
	e := setup(t, "http", func(c *droneslack.Config) { c.Responders = append(c.Responders, "U0GONE") })
	e.srv.Fail("chat.postMessage", "not_in_channel", 1)
	inc, _, err := e.svc.Declare(e.ctx, drone.Actor{Platform: "slack", ID: alice}, drone.Origin{}, phishing())
	if err != nil {
		t.Fatal(err)
	}
	e.wait("the job cancelled", func(*slacktest.Server) bool {
		jobs, err := e.db.Jobs(context.Background(), 10, "cancelled")
		return err == nil && len(jobs) == 1 && strings.Contains(jobs[0].LastError, "not_in_channel")
	})
	inc, _ = e.svc.Incident(e.ctx, inc.Number)
	ch, _ := e.srv.Channel(inc.External[droneslack.KeyChannel])
	if !ch.Members[alice] || !ch.Members[bob] || !ch.Members[carol] {
		t.Errorf("one unknown responder kept the others out: members %v", ch.Members)
	}
	if inc.External[droneslack.KeyChannel] == "" || inc.External[droneslack.KeyTS] != "" {
		t.Errorf("external = %v; want the channel recorded and no notification", inc.External)
	}
}
