package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

// TestReminderInTheIncidentSpace posts a reminder in the incident's space
// mentioning the lead, once, although Discord's answer to the first post
// was lost (the nonce it enforces gives the first message back).
func TestReminderInTheIncidentSpace(t *testing.T) {
	b := setup(t, "http")
	lead := b.alice.Member.ID
	inc, _, err := b.svc.Declare(b.ctx, drone.Actor{Platform: "discord", ID: lead, Name: "alice"}, drone.Origin{Channel: "discord"},
		drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "phishing"})
	if err != nil {
		t.Fatal(err)
	}
	b.waitExternal(inc.Number, KeyMessage)
	ch := b.incident(inc.Number).External[KeyChannel]
	b.h.Eventually("the space's jobs", func() bool { due, err := b.db.Due(context.Background()); return err == nil && due == 0 })
	b.dc.Drop("POST /channels/{channel}/messages", 1)
	text := "discord:" + lead + ", " + inc.Ref() + " is due a status update since 2026-03-01 10:00 UTC"
	data := drone.ReminderData{Target: drone.ReminderUpdate, Stage: drone.StageLead, Who: "discord:" + lead, Lead: "discord:" + lead,
		Due: time.Now().UTC(), Round: 1}
	if _, err := b.svc.RecordOnce(b.ctx, drone.Actor{Platform: "notify", ID: "drone"}, inc.ID, drone.EntryReminder, "test/reminder", text, data); err != nil {
		t.Fatal(err)
	}
	want := "<@" + lead + ">, " + inc.Ref() + " is due a status update"
	count := func() int {
		n := 0
		for _, m := range b.dc.Messages(ch) {
			if strings.Contains(m.Content, want) {
				n++
			}
		}
		return n
	}
	b.h.Eventually("the reminder", func() bool {
		due, err := b.db.Due(context.Background())
		return count() > 0 && err == nil && due == 0
	})
	if n := count(); n != 1 {
		t.Errorf("%d reminders in the space, want exactly 1", n)
	}
	posts := 0
	for _, c := range b.dc.CallsTo("POST /channels/{channel}/messages") {
		if strings.Contains(string(c.Body), inc.Ref()+" is due") {
			posts++
		}
	}
	if posts < 2 {
		t.Errorf("%d posts of the reminder: the lost answer was not retried", posts)
	}
	b.h.NoDeadJobs()
}

// TestActionSubcommands adds a follow-up action with an owner, lists it
// and snoozes the incident's update through /drone.
func TestActionSubcommands(t *testing.T) {
	b := setup(t, "http")
	inc, _, err := b.svc.Declare(b.ctx, drone.Actor{Platform: "discord", ID: b.alice.Member.ID, Name: "alice"}, drone.Origin{Channel: "discord"},
		drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "phishing"})
	if err != nil {
		t.Fatal(err)
	}
	owner := b.bob.Member.ID
	r := b.send(b.alice.Command("action", discordtest.Option{Name: "text", Value: `"Rotate the VPN keys" due 2026-12-20`},
		discordtest.Option{Name: "owner", Value: owner, Type: 6}, discordtest.Option{Name: "incident", Value: inc.Ref()}))
	must(t, r, typeMessage, "added ACT-1 Rotate the VPN keys (owner <@"+owner+">, due 2026-12-20)")
	r = b.send(b.bob.Command("actions", discordtest.Option{Name: "which", Value: "mine"}))
	must(t, r, typeMessage, "ACT-1")
	r = b.send(b.alice.Command("snooze", discordtest.Option{Name: "duration", Value: "45m"},
		discordtest.Option{Name: "reason", Value: "waiting for the vendor"}, discordtest.Option{Name: "incident", Value: inc.Ref()}))
	must(t, r, typeMessage, inc.Ref()+": next update due")
	r = b.send(b.bob.Command("action", discordtest.Option{Name: "text", Value: "done ACT-1 rotated"}))
	must(t, r, typeMessage, "ACT-1 is done")
}
