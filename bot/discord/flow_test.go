package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

const (
	typeMessage  = 4
	typeDeferred = 5
	typeChoices  = 8
	typeModal    = 9
)

// TestIncidentOverBothTransports walks an incident through Discord, over
// HTTP interactions and over the gateway: declare (options, then the
// modal), its restricted channel and notice, indicators from a message,
// a status update and the closing, the notice edited in place each time.
func TestIncidentOverBothTransports(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"http", "gateway"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			// This test follows the answers; under load (the race detector,
			// other packages' tests) the work may outlast the 2 s before a
			// deferral, which TestSlowWorkIsDeferredThenEdited covers.
			b := setup(t, mode, func(a *Adapter) { a.DeferAfter = 20 * time.Second })
			ch, notice := declare(t, b, "RED")

			c := b.dc.Channel(ch)
			if c.ParentID != testCategory || !strings.HasPrefix(c.Name, "inc-1-intrusion-phishing") {
				t.Errorf("channel %+v", c)
			}
			if !denied(c, testGuild) || !allowed(c, testResponder) || !allowed(c, b.alice.Member.ID) {
				t.Errorf("a RED incident's channel must be hidden from @everyone, open to responders and reporter: %+v", c.Overwrites)
			}
			if c.Topic == "" || !strings.Contains(c.Topic, b.incident(1).ID) {
				t.Errorf("topic %q lacks the incident's id", c.Topic)
			}

			here := b.alice
			here.ChannelID = ch
			r := b.send(here.MessageMenu("Kit at hxxps://login-examp1e[.]com/o365 (login-examp1e[.]com) and 203.0.113.9; intranet 10.1.2.3"))
			must(t, r, typeModal, "Add 3 indicators to INC-1")
			in := r.Inputs()
			if v := in[drone.FieldIndicators].Value; !strings.Contains(v, "203.0.113.9") || strings.Contains(v, "10.1.2.3") {
				t.Errorf("public indicators prefilled, internal left out: %q", v)
			}
			if !strings.Contains(in[fieldInternal].Placeholder, "10.1.2.3") {
				t.Errorf("the internal value should be named as left out: %+v", in[fieldInternal])
			}
			r = b.send(here.Submit(r.Data.CustomID, map[string]string{drone.FieldIndicators: in[drone.FieldIndicators].Value}))
			must(t, r, typeMessage, "INC-1: 2 new, 1 already known, 0 rejected")
			if !r.Ephemeral() {
				t.Error("the counts are for the one who added them")
			}

			r = b.send(here.Command("status", discordtest.Option{Name: "status", Value: "contained"},
				discordtest.Option{Name: "summary", Value: "mailboxes purged"}))
			must(t, r, typeMessage, "INC-1 is contained")
			waitNotice(t, b, notice, func(m *discordtest.Message) bool { return field(m, "Status") == "contained" })

			r = b.send(here.Button("close:1"))
			must(t, r, typeModal, "Close INC-1")
			r = b.send(here.Submit(r.Data.CustomID, map[string]string{drone.FieldResolution: "truepositive",
				drone.FieldImpact: "NoImpact", drone.FieldSummary: "kit taken down"}))
			must(t, r, typeMessage, "INC-1 closed as TruePositive (NoImpact)")
			m := waitNotice(t, b, notice, func(m *discordtest.Message) bool { return field(m, "Status") == "closed" })
			if len(m.Components) != 0 {
				t.Errorf("a closed incident's notice keeps no buttons: %+v", m.Components)
			}
			if got := b.incident(1); got.Status != drone.StatusClosed || got.Summary != "kit taken down" {
				t.Errorf("incident %+v", got)
			}
		})
	}
}

// declare declares INC-1 as alice with the given TLP and returns its
// channel and notice message, waiting for the queue to make them.
func declare(t *testing.T, b *bundle, tlp string) (string, string) {
	t.Helper()
	r := b.send(b.alice.Command("declare", discordtest.Option{Name: "category", Value: "CAT1"},
		discordtest.Option{Name: "severity", Value: "3"}, discordtest.Option{Name: "subcontext", Value: "phishing"},
		discordtest.Option{Name: "zone", Value: "ZONE-A"}, discordtest.Option{Name: "tlp", Value: tlp}))
	must(t, r, typeModal, "Declare an incident")
	if err := discordtest.CheckModal(r); err != nil {
		t.Fatal(err)
	}
	r = b.send(b.alice.Submit(r.Data.CustomID, map[string]string{drone.FieldOverview: "Credential phishing wave",
		drone.FieldIndicators: "login-examp1e[.]com", drone.FieldTitle: ""}))
	must(t, r, typeMessage, "Declared INC-1: [ CAT1 HIGH ZONE-A ] Intrusion - Phishing")
	if r.Ephemeral() {
		t.Error("a declaration is announced to the channel")
	}
	inc := b.incident(1)
	if inc.TLP != tlp || inc.SubContext != "Phishing" || inc.Reporter.ID != b.alice.Member.ID {
		t.Errorf("declared %+v", inc)
	}
	ch := b.waitExternal(1, KeyChannel)
	notice := b.waitExternal(1, KeyMessage)
	post := b.wait("notice posted", func(c discordtest.Call) bool { return c.Route == "POST /channels/{channel}/messages" })
	var sent struct {
		Content  string
		Mentions struct{ Roles, Users []string } `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(post.Body, &sent); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sent.Content, "<@&"+testResponder+">") || len(sent.Mentions.Roles) != 1 || sent.Mentions.Roles[0] != testResponder {
		t.Errorf("the notice should mention the responders: %s", post.Body)
	}
	return ch, notice
}

// waitNotice waits until the stand-in holds the notice as ok wants it.
func waitNotice(t *testing.T, b *bundle, id string, ok func(*discordtest.Message) bool) *discordtest.Message {
	t.Helper()
	b.wait("notice edited", func(discordtest.Call) bool { m := b.dc.Message(id); return m != nil && ok(m) })
	m := b.dc.Message(id)
	if err := discordtest.CheckMessage(*m); err != nil {
		t.Fatalf("Discord would refuse the notice: %v", err)
	}
	return m
}

// field returns the value of a notice's first embed field with this name.
func field(m *discordtest.Message, name string) string {
	for _, e := range m.Embeds {
		for _, f := range e.Fields {
			if f.Name == name {
				return f.Value
			}
		}
	}
	return ""
}

func overwrite(c *discordtest.Channel, id string) *discordgo.PermissionOverwrite {
	for _, o := range c.Overwrites {
		if o.ID == id {
			return o
		}
	}
	return nil
}

func denied(c *discordtest.Channel, id string) bool {
	o := overwrite(c, id)
	return o != nil && o.Deny&discordgo.PermissionViewChannel != 0
}

func allowed(c *discordtest.Channel, id string) bool {
	o := overwrite(c, id)
	return o != nil && o.Allow&discordgo.PermissionViewChannel != 0
}
