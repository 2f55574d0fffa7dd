package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
)

// discordEnv is drone configured for a Discord stand-in.
type discordEnv struct {
	*env
	dc     *discordtest.Server
	signer *discordtest.Signer
	guild  string
	role   string // the responders' role
	config string // the configuration file
}

func newDiscordEnv(t *testing.T, mode string) *discordEnv {
	t.Helper()
	e := &discordEnv{env: newEnv(t), dc: discordtest.New("e2e-bot-token"), signer: discordtest.NewSigner(),
		guild: discordtest.NewID(), role: discordtest.NewID()}
	t.Cleanup(e.dc.Close)
	e.config = e.writeConfig(fmt.Sprintf(`zones: [DC-1, DC-2]
roles:
  - name: everyone
    permissions: [declare, ioc]
    members: ["*"]
  - name: responders
    permissions: [acknowledge, lead, update, close]
    members: ["discord:group:%s"]
queue:
  poll_interval: 20ms
discord:
  bot_token: ${DISCORD_BOT_TOKEN}
  app_id: "%s"
  public_key: %s
  guild_id: "%s"
  mode: %s
  category_id: "%s"
  responder_role_id: "%s"
`, e.role, e.dc.AppID, e.signer.PublicKey(), e.guild, mode, discordtest.NewID(), e.role))
	e.vars["DRONE_CONFIG"] = e.config
	e.vars["DISCORD_BOT_TOKEN"] = "e2e-bot-token"
	e.vars["DRONE_DISCORD_API_URL"] = e.dc.APIURL()
	return e
}

// TestDiscordThroughDroneServe runs drone serve against the Discord
// stand-in, over HTTP interactions and over the gateway: declare, indicators
// from a message, a status update and the closing, with the incident's
// channel and notice made and kept by the queue.
func TestDiscordThroughDroneServe(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"http", "gateway"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newDiscordEnv(t, mode)
			base := e.serve().base
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			send := func(i discordtest.Interaction) discordtest.Response {
				t.Helper()
				var r discordtest.Response
				var err error
				if mode == "http" {
					status, body, perr := e.signer.Post(ctx, base+"/discord/interactions", i)
					if perr != nil || status != 200 {
						t.Fatalf("posting: %d %s %v", status, body, perr)
					}
					r, err = discordtest.ParseResponse(body)
				} else {
					if err := e.dc.Dispatch(i); err != nil {
						t.Fatal(err)
					}
					r, err = e.dc.WaitResponse(ctx, i.ID())
				}
				if err == nil {
					err = discordtest.CheckResponse(r)
				}
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			if mode == "gateway" {
				if err := e.dc.WaitGateway(ctx); err != nil {
					t.Fatal(err)
				}
			}
			alice := discordtest.Place{AppID: e.dc.AppID, GuildID: e.guild, ChannelID: discordtest.NewID(),
				Member: discordtest.Member{ID: discordtest.NewID(), Name: "alice", Roles: []string{e.role}}}

			r := send(alice.Command("declare", discordtest.Option{Name: "category", Value: "CAT3"},
				discordtest.Option{Name: "severity", Value: "4"}, discordtest.Option{Name: "subcontext", Value: "Ransomware"},
				discordtest.Option{Name: "zone", Value: "DC-1"}, discordtest.Option{Name: "tlp", Value: "AMBER+STRICT"}))
			expect(t, r, 9, "Declare an incident")
			r = send(alice.Submit(r.Data.CustomID, map[string]string{"overview": "Files encrypted on the file server",
				"indicators": "ransom note from evil-payments[.]net"}))
			expect(t, r, 4, "Declared INC-1: [ CAT3 CRITICAL DC-1 ] Malware - Ransomware")

			post, err := e.dc.Wait(ctx, func(c discordtest.Call) bool {
				return c.Route == "POST /channels/{channel}/messages" && c.Status == 200
			})
			if err != nil {
				t.Fatal(err)
			}
			ch := strings.Split(post.Path, "/")[2]
			if c := e.dc.Channel(ch); c == nil || !strings.HasPrefix(c.Name, "inc-1-malware-ransomware") || len(c.Overwrites) < 4 {
				t.Fatalf("incident channel %+v", c)
			}
			in := alice
			in.ChannelID = ch
			r = send(in.MessageMenu("EDR flagged 45.77.10.12 calling evil-payments[.]net"))
			expect(t, r, 9, "Add 2 indicators to INC-1")
			r = send(in.Submit(r.Data.CustomID, map[string]string{"indicators": r.Inputs()["indicators"].Value}))
			expect(t, r, 4, "INC-1: 1 new, 1 already known, 0 rejected")

			r = send(in.Command("status", discordtest.Option{Name: "status", Value: "contained"},
				discordtest.Option{Name: "summary", Value: "server isolated"}))
			expect(t, r, 4, "INC-1 is contained")
			r = send(in.Command("close", discordtest.Option{Name: "resolution", Value: "TruePositive"},
				discordtest.Option{Name: "impact", Value: "WithImpact"}, discordtest.Option{Name: "summary", Value: "restored from backup"}))
			expect(t, r, 4, "INC-1 closed as TruePositive (WithImpact)")

			_, err = e.dc.Wait(ctx, func(c discordtest.Call) bool {
				return c.Route == "PATCH /channels/{channel}/messages/{message}" && c.Status == 200 &&
					bytes.Contains(c.Body, []byte(`"value":"closed"`)) && bytes.Contains(c.Body, []byte(`"components":[]`))
			})
			if err != nil {
				t.Fatalf("the notice was never shown closed: %v", err)
			}
			show := e.must("incident", "show", "INC-1")
			for _, want := range []string{"discord.channel", "discord.message", "45[.]77[.]10[.]12", "restored from backup"} {
				if !strings.Contains(show, want) {
					t.Errorf("drone incident show lacks %q:\n%s", want, show)
				}
			}
		})
	}
}

func expect(t *testing.T, r discordtest.Response, typ int, contains string) {
	t.Helper()
	if text := r.Data.Content + r.Data.Title; r.Type != typ || !strings.Contains(text, contains) {
		t.Fatalf("answer type %d %q, want type %d containing %q", r.Type, text, typ, contains)
	}
}
