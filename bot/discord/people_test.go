package discord

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

// declarePrivate declares a private incident as bob, a Discord member
// without a responder's role, and returns its space once its notice is up.
func declarePrivate(t *testing.T, b *bundle) (*drone.Incident, string) {
	t.Helper()
	reporter := drone.Actor{Platform: "discord", ID: b.bob.Member.ID, Name: "bob"}
	inc, _, err := b.svc.Declare(b.ctx, reporter, drone.Origin{Channel: "discord"}, drone.DeclareInput{Category: "CAT1",
		Severity: "high", TLP: "AMBER", Private: true, Overview: "Payroll export leaked"})
	if err != nil {
		t.Fatal(err)
	}
	ch := b.waitExternal(inc.Number, KeyChannel)
	b.waitExternal(inc.Number, KeyMessage)
	return inc, ch
}

// TestPrivateIncidentThread: in thread mode a private (AMBER) incident is
// a private thread with its reporter; its notice does not call the
// responders in; a role holder is added to the thread.
func TestPrivateIncidentThread(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway", func(c *Config) { c.CategoryID, c.ThreadChannelID = "", testThreads })
	inc, ch := declarePrivate(t, b)
	th := b.dc.Channel(ch)
	if th.Type != discordgo.ChannelTypeGuildPrivateThread || !slices.Equal(th.Members, []string{b.bob.Member.ID}) {
		t.Fatalf("thread type %d members %v: want a private thread with the reporter", th.Type, th.Members)
	}
	post := b.wait("notice posted", func(c discordtest.Call) bool { return c.Route == "POST /channels/{channel}/messages" })
	if strings.Contains(string(post.Body), "<@&"+testResponder+">") {
		t.Errorf("a private incident's notice calls the responders in: %s", post.Body)
	}
	carol := discordtest.NewID()
	lead := drone.Actor{Platform: "discord", ID: b.alice.Member.ID, Groups: []string{testResponder}}
	if _, err := b.svc.AssignRole(b.ctx, lead, drone.Origin{Channel: "discord"}, inc.Number, "scribe", "discord:"+carol); err != nil {
		t.Fatal(err)
	}
	b.wait("the scribe added to the thread", func(c discordtest.Call) bool {
		return c.Route == "PUT /channels/{channel}/thread-members/{user}" && strings.HasSuffix(c.Path, "/"+carol)
	})
	b.h.Eventually("the notice showing the scribe", func() bool {
		m := b.dc.Message(b.incident(inc.Number).External[KeyMessage])
		return m != nil && field(m, "Scribe") != ""
	})
}

// TestPrivateIncidentChannelOnDiscord: in channel mode a private incident's
// channel is hidden from @everyone and from the responders' role, open to
// its reporter; a new role holder gets a member's overwrite; an access
// request is posted there for the lead.
func TestPrivateIncidentChannelOnDiscord(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	inc, ch := declarePrivate(t, b)
	c := b.dc.Channel(ch)
	if !denied(c, testGuild) || allowed(c, testResponder) || !allowed(c, b.bob.Member.ID) {
		t.Fatalf("a private incident's channel must be hidden from @everyone and the responders, open to its reporter: %+v", c.Overwrites)
	}
	r := b.send(b.alice.Autocomplete("ack", discordtest.Option{Name: "incident", Value: "", Focused: true}))
	if len(r.Data.Choices) != 0 {
		t.Errorf("a responder who is not one of its people is offered the private incident: %+v", r.Data.Choices)
	}
	r = b.send(b.bob.Autocomplete("ack", discordtest.Option{Name: "incident", Value: "", Focused: true}))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != "INC-1" {
		t.Errorf("its reporter is not offered the private incident: %+v", r.Data.Choices)
	}
	dan := discordtest.NewID()
	op := drone.Actor{Platform: "local", ID: "op"}
	if _, err := b.svc.AssignRole(b.ctx, op, drone.Origin{Channel: "cli"}, inc.Number, "lead", "discord:"+dan); err != nil {
		t.Fatal(err)
	}
	b.h.Eventually("the lead let into the channel", func() bool { return allowed(b.dc.Channel(ch), dan) })
	eve := drone.Actor{Platform: "discord", ID: discordtest.NewID(), Name: "eve"}
	if err := b.svc.RequestAccess(b.ctx, eve, drone.Origin{Channel: "discord"}, inc.Number, "payroll team"); err != nil {
		t.Fatal(err)
	}
	post := b.wait("the access request", func(c discordtest.Call) bool {
		return c.Route == "POST /channels/{channel}/messages" && strings.Contains(c.Path, ch) && strings.Contains(string(c.Body), "payroll team")
	})
	var sent struct {
		Content  string
		Mentions struct{ Users []string } `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(post.Body, &sent); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sent.Content, "<@"+dan+">") || !slices.Equal(sent.Mentions.Users, []string{dan}) ||
		!strings.Contains(sent.Content, "grant INC-1 <@"+eve.ID+">") {
		t.Errorf("the access request should mention the lead alone and say how to grant: %s", post.Body)
	}
}

// TestDeclarePrivateFromDiscord: the declare command's Visibility option
// makes the incident private, in a private space.
func TestDeclarePrivateFromDiscord(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	r := b.send(b.alice.Command("declare", discordtest.Option{Name: "category", Value: "CAT1"},
		discordtest.Option{Name: "severity", Value: "3"}, discordtest.Option{Name: "tlp", Value: "GREEN"},
		discordtest.Option{Name: drone.FieldPrivate, Value: "yes"}))
	must(t, r, typeModal, "Declare an incident")
	r = b.send(b.alice.Submit(r.Data.CustomID, map[string]string{drone.FieldOverview: "Payroll export leaked"}))
	must(t, r, typeMessage, "Declared INC-1")
	if !r.Ephemeral() {
		t.Error("a private incident is announced in the channel it was declared in")
	}
	if inc := b.incident(1); !inc.Private || inc.TLP != "GREEN" {
		t.Fatalf("declared %+v; want a private GREEN incident", inc)
	}
	c := b.dc.Channel(b.waitExternal(1, KeyChannel))
	if !denied(c, testGuild) || allowed(c, testResponder) {
		t.Errorf("a private incident's channel is open beyond its people: %+v", c.Overwrites)
	}
}

// TestPrivateAnswersAreDeferredEphemeral: a command on a private incident
// from another channel than its own is deferred for the one who asked,
// since a public deferral cannot be made ephemeral afterwards.
func TestPrivateAnswersAreDeferredEphemeral(t *testing.T) {
	t.Parallel()
	b := setup(t, "http", func(a *Adapter) { a.DeferAfter = 0 })
	_, ch := declarePrivate(t, b)
	r := b.send(b.bob.Command("ack", discordtest.Option{Name: "incident", Value: "INC-1"}))
	if r.Type != typeDeferred || !r.Ephemeral() {
		t.Errorf("ack of a private incident from elsewhere: first answer %+v, want an ephemeral deferral", r)
	}
	inside := b.bob
	inside.ChannelID = ch
	r = b.send(inside.Command("ack"))
	if r.Type != typeDeferred || r.Ephemeral() {
		t.Errorf("ack in the incident's own channel: first answer %+v, want a public deferral", r)
	}
}

// TestRoleTakenWhileTheSpaceOpens: a role handed on while the space job,
// which read the incident before, is creating the thread still lets its
// holder in, once the space exists.
func TestRoleTakenWhileTheSpaceOpens(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway", func(c *Config) { c.CategoryID, c.ThreadChannelID = "", testThreads })
	carol := discordtest.NewID()
	var once sync.Once
	b.dc.BeforeAnswer(func(route string) {
		if route != "POST /channels/{channel}/threads" {
			return
		}
		once.Do(func() {
			op := drone.Actor{Platform: "local", ID: "op"}
			if _, err := b.svc.AssignRole(b.ctx, op, drone.Origin{Channel: "cli"}, 1, "scribe", "discord:"+carol); err != nil {
				t.Error(err)
			}
		})
	})
	_, ch := declarePrivate(t, b)
	b.h.Eventually("the scribe in the thread", func() bool { return slices.Contains(b.dc.Channel(ch).Members, carol) })
}
