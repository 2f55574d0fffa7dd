package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// TestReminderInTheIncidentChannel posts a reminder in the incident's
// channel mentioning the lead, once, although Slack's answer to the first
// post was lost.
func TestReminderInTheIncidentChannel(t *testing.T) {
	e := setup(t, "http")
	inc, channel := e.declare(phishing())
	e.wait("the notification's jobs", func(*slacktest.Server) bool {
		due, err := e.db.Due(context.Background())
		return err == nil && due == 0
	})
	e.srv.Drop("chat.postMessage", 1)
	worker := drone.Actor{Platform: "notify", ID: "drone"}
	text := "slack:" + carol + ", " + inc.Ref() + " is due a status update since 2026-03-01 10:00 UTC"
	data := drone.ReminderData{Target: drone.ReminderUpdate, Stage: drone.StageLead, Who: "slack:" + carol,
		Lead: "slack:" + carol, Due: time.Now().UTC(), Round: 1}
	if _, err := e.svc.RecordOnce(e.ctx, worker, inc.ID, drone.EntryReminder, "test/reminder", text, data); err != nil {
		t.Fatal(err)
	}
	want := "<@" + carol + ">, " + inc.Ref() + " is due a status update"
	count := func(s *slacktest.Server) int {
		ch, _ := s.Channel(channel.ID)
		n := 0
		for _, m := range ch.Messages {
			if strings.Contains(m.Text, want) && m.ThreadTS == "" {
				n++
			}
		}
		return n
	}
	e.wait("the reminder", func(s *slacktest.Server) bool {
		due, err := e.db.Due(context.Background())
		return count(s) > 0 && err == nil && due == 0
	})
	if n := count(e.srv); n != 1 {
		t.Errorf("%d reminders in the channel, want exactly 1", n)
	}
	if n := len(e.srv.Calls("chat.postMessage")); n < 2 {
		t.Errorf("%d posts: the lost answer was not retried", n)
	}
	e.harness.NoDeadJobs()
}
