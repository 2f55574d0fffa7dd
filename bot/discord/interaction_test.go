package discord

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

// TestRolesAreDiscordRoles checks that the configuration's roles match the
// member's Discord role ids: bob, without the responders' role, is told
// privately which role he lacks, before any form opens; alice has it.
func TestRolesAreDiscordRoles(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	declare(t, b, "GREEN")
	for _, i := range []discordtest.Interaction{b.bob.Button("ack:1"), b.bob.Button("close:1"),
		b.bob.Command("status", discordtest.Option{Name: "incident", Value: "INC-1"})} {
		r := b.send(i)
		must(t, r, typeMessage, "that needs the role responders")
		if !r.Ephemeral() {
			t.Error("a refusal is for the one refused")
		}
	}
	r := b.send(b.alice.Button("ack:1"))
	must(t, r, typeMessage, "INC-1 acknowledged; lead: <@"+b.alice.Member.ID+">")
	if got := b.incident(1); got.Lead != "discord:"+b.alice.Member.ID {
		t.Errorf("lead %q", got.Lead)
	}
	r = b.send(b.alice.Command("lead", discordtest.Option{Name: "user", Value: b.bob.Member.ID, Type: 6},
		discordtest.Option{Name: "incident", Value: "INC-1"}))
	must(t, r, typeMessage, "is now led by <@"+b.bob.Member.ID+">")
	ch := b.incident(1).External[KeyChannel]
	b.wait("the new lead let in", func(c discordtest.Call) bool {
		return c.Route == "PUT /channels/{channel}/permissions/{target}" && strings.HasSuffix(c.Path, ch+"/permissions/"+b.bob.Member.ID)
	})
}

// TestDeclarationsAreIdempotent submits one declare modal twice (a double
// click: two interactions) and replays one interaction: one incident.
func TestDeclarationsAreIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	r := b.send(b.alice.Command("declare", discordtest.Option{Name: "category", Value: "CAT2"},
		discordtest.Option{Name: "severity", Value: "4"}))
	values := map[string]string{drone.FieldOverview: "volumetric flood"}
	first := b.alice.Submit(r.Data.CustomID, values)
	must(t, b.send(first), typeMessage, "Declared INC-1")
	must(t, b.send(b.alice.Submit(r.Data.CustomID, values)), typeMessage, "Declared INC-1")
	must(t, b.send(first), typeMessage, "This was already handled.")
	incs, err := b.db.Incidents(b.ctx, drone.IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("%d incidents (%v)", len(incs), err)
	}
	if n := len(b.dc.CallsTo("POST /guilds/{guild}/channels")); n > 1 {
		t.Errorf("%d channels for one incident", n)
	}
}

// TestDeclareOptionsAreChecked checks the choices before the modal opens,
// and the modal's fields when it is submitted.
func TestDeclareOptionsAreChecked(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	r := b.send(b.alice.Command("declare", discordtest.Option{Name: "category", Value: "CAT1"},
		discordtest.Option{Name: "severity", Value: "3"}, discordtest.Option{Name: "subcontext", Value: "Volumetric"}))
	must(t, r, typeMessage, "Sub-context: \"Volumetric\" is not one of the choices: Malware Aftermath")
	r = b.send(b.alice.Command("declare", discordtest.Option{Name: "category", Value: "CAT1"},
		discordtest.Option{Name: "severity", Value: "3"}))
	long := strings.Repeat("x", 201)
	r = b.send(b.alice.Submit(r.Data.CustomID, map[string]string{drone.FieldTitle: long, drone.FieldIndicators: "1.2.3.4 and more"}))
	must(t, r, typeMessage, "Please fix")
	for _, want := range []string{"Overview is required.", "At most 200 characters (this is 201).", "1.2.3.4 and more"} {
		if !strings.Contains(r.Data.Content, want) {
			t.Errorf("the answer lacks %q: %s", want, r.Data.Content)
		}
	}
}

func TestAutocomplete(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway")
	r := b.send(b.alice.Autocomplete("declare", discordtest.Option{Name: "category", Value: "CAT2"},
		discordtest.Option{Name: "subcontext", Value: "a", Focused: true}))
	if r.Type != typeChoices || len(r.Data.Choices) != 2 || r.Data.Choices[0].Value != "Amplified" {
		t.Errorf("sub-contexts of CAT2 matching \"a\": %+v", r.Data.Choices)
	}
	declare(t, b, "AMBER")
	r = b.send(b.alice.Autocomplete("ack", discordtest.Option{Name: "incident", Value: "phish", Focused: true}))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != "INC-1" {
		t.Errorf("open incidents matching \"phish\": %+v", r.Data.Choices)
	}
}

// TestSlowWorkIsDeferredThenEdited makes a command outlast DeferAfter: the
// first answer is a deferral, then the response is edited with the result.
func TestSlowWorkIsDeferredThenEdited(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"http", "gateway"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			b := setup(t, mode, func(a *Adapter) {
				a.DeferAfter = 0
				a.svc.Extensions = append(a.svc.Extensions, drone.Extension{
					CommandSpec: drone.CommandSpec{Name: "tds", Usage: "tds [THREAT]"},
					Options:     []drone.ExtensionOption{{Name: "threat"}},
					Run: func(ctx context.Context, _ drone.Actor, _ drone.Origin, _ drone.Command) (*drone.Reply, error) {
						<-release
						return &drone.Reply{Text: "T1566 Phishing: seen by the mail gateway"}, nil
					}})
			})
			r := b.send(b.alice.Command("tds", discordtest.Option{Name: "threat", Value: "phishing"}))
			if r.Type != typeDeferred || !r.Ephemeral() {
				t.Fatalf("first answer %+v", r)
			}
			close(release)
			edit := b.wait("the deferral edited", func(c discordtest.Call) bool {
				return c.Route == "PATCH /webhooks/{app}/{token}/messages/{message}"
			})
			if edit.Status != 200 || !strings.Contains(string(edit.Body), "T1566 Phishing") || !strings.HasSuffix(edit.Path, "/@original") {
				t.Errorf("edit %s %d %s", edit.Path, edit.Status, edit.Body)
			}
		})
	}
}

// TestThreadsInsteadOfChannels: with thread_channel_id, a RED incident is
// a private thread with its reporter added.
func TestThreadsInsteadOfChannels(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway", func(c *Config) { c.CategoryID, c.ThreadChannelID = "", testThreads })
	ch, _ := declare(t, b, "RED")
	th := b.dc.Channel(ch)
	if th.Type != discordgo.ChannelTypeGuildPrivateThread || th.ParentID != testThreads || !strings.HasPrefix(th.Name, "INC-1 ") {
		t.Errorf("thread %+v", th)
	}
	if len(th.Members) != 1 || th.Members[0] != b.alice.Member.ID {
		t.Errorf("thread members %v", th.Members)
	}
}

// TestThreadOfALostAttempt takes up the thread an earlier attempt started
// when Discord's answer was lost, instead of starting a second one.
func TestThreadOfALostAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway", func(c *Config) { c.CategoryID, c.ThreadChannelID = "", testThreads })
	b.dc.Drop("POST /channels/{channel}/threads", 1)
	ch, _ := declare(t, b, "RED")
	if n := len(b.dc.CallsTo("POST /channels/{channel}/threads")); n != 1 {
		t.Errorf("%d threads started, want 1 (the lost attempt's, taken up)", n)
	}
	if th := b.dc.Channel(ch); th == nil || th.ParentID != testThreads || len(th.Members) == 0 {
		t.Errorf("incident space %+v; want the lost attempt's thread with its reporter", th)
	}
}

// TestHelpListAndShow covers the read-only subcommands.
func TestHelpListAndShow(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	must(t, b.send(b.bob.Command("help")), typeMessage, "drone commands:")
	must(t, b.send(b.bob.Command("list")), typeMessage, "No incidents.")
	declare(t, b, "CLEAR")
	r := b.send(b.bob.Command("list", discordtest.Option{Name: "all", Value: true}))
	must(t, r, typeMessage, "INC-1")
	r = b.send(b.bob.Command("show", discordtest.Option{Name: "incident", Value: "INC-1"}))
	if r.Type != typeMessage || !r.Ephemeral() || len(r.Data.Embeds) == 0 || !strings.Contains(r.Data.Embeds[0].Title, "SIN #1") {
		t.Errorf("show: %+v", r)
	}
	must(t, b.send(b.bob.Command("show", discordtest.Option{Name: "incident", Value: "INC-9"})), typeMessage, "INC-9")
	must(t, b.send(b.bob.Command("tds")), typeMessage, "tds is not available")
	r = b.send(b.bob.Command("ioc", discordtest.Option{Name: "text", Value: "c2 at 198.51.100.23 and evil-c2[.]net"},
		discordtest.Option{Name: "incident", Value: "INC-1"}))
	must(t, r, typeMessage, "INC-1: 2 new, 0 already known, 0 rejected")
}

func TestCommandsFitDiscord(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	if err := discordtest.CheckCommands(Commands(b.svc)); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		b.svc.Framework.Zones = append(b.svc.Framework.Zones, fmt.Sprintf("ZONE-%02d", i))
	}
	cmds := Commands(b.svc)
	if err := discordtest.CheckCommands(cmds); err != nil {
		t.Fatal(err)
	}
	declareCmd := cmds[0].Options[0]
	for _, o := range declareCmd.Options {
		if want := o.Name == "zone" || o.Name == "subcontext"; o.Autocomplete != want {
			t.Errorf("option %s: autocomplete %v", o.Name, o.Autocomplete)
		}
	}
	cfg := b.ad.cfg
	got, err := RegisterCommands(b.ctx, cfg, b.svc, testGuild)
	if err != nil || len(got) != 3 || len(b.dc.Commands(testGuild)) != 3 {
		t.Fatalf("registered %d commands: %v", len(got), err)
	}
	cfg.BotToken = "wrong"
	if _, err := RegisterCommands(b.ctx, cfg, b.svc, ""); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("a wrong token is refused, and never shown: %v", err)
	}
}
