package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/slack/slacktest"
)

// slackServe runs drone serve with Slack in the given mode against the
// stand-in until the test ends, and returns the transport Slack's requests
// come by.
func slackServe(t *testing.T, mode string) (*slacktest.Server, slacktest.Transport) {
	t.Helper()
	_, srv, tr := slackServeEnv(t, mode)
	return srv, tr
}

// slackServeEnv is slackServe that also returns the environment, to run
// drone's other commands on the same database.
func slackServeEnv(t *testing.T, mode string) (*env, *slacktest.Server, slacktest.Transport) {
	t.Helper()
	e := newEnv(t)
	srv := slacktest.New(t, slacktest.Options{PingInterval: time.Second})
	srv.AddUser("U0ALICE", "alice")
	srv.AddUser("U0CAROL", "carol")
	e.vars["DRONE_CONFIG"] = e.writeConfig(fmt.Sprintf(`
slack:
  mode: %s
  responders: [U0CAROL]
  post_interval: 10ms
queue:
  poll_interval: 20ms
`, mode))
	e.vars["SLACK_BOT_TOKEN"] = srv.BotToken()
	e.vars["SLACK_APP_TOKEN"] = srv.AppToken()
	e.vars["SLACK_SIGNING_SECRET"] = srv.SigningSecret()
	e.vars["DRONE_SLACK_API_URL"] = srv.APIURL()
	sv := e.serve()
	if !strings.Contains(sv.on, "Slack") {
		t.Fatalf("serve does not say Slack is on: %q", sv.on)
	}
	if mode == "http" {
		return e, srv, srv.HTTPTransport(sv.base)
	}
	return e, srv, srv.SocketTransport()
}

// TestSlackThroughDroneServe declares an incident with /drone through drone
// serve, over HTTP and over Socket Mode, and sees the queue give it a
// channel with the notification; /drone ioc there adds to it.
func TestSlackThroughDroneServe(t *testing.T) {
	for _, mode := range []string{"http", "socket"} {
		t.Run(mode, func(t *testing.T) {
			srv, tr := slackServe(t, mode)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			general := srv.AddChannel("general", slacktest.BotUserID, "U0ALICE")
			answer := func(channel, text string) string {
				t.Helper()
				r, err := tr.Command(ctx, srv.SlashCommand("/drone", "U0ALICE", channel, text))
				if err != nil || r.Status != 200 {
					t.Fatalf("/drone %s: %d %v", text, r.Status, err)
				}
				var m struct{ Text string }
				if err := json.Unmarshal(r.Body, &m); err != nil {
					t.Fatalf("/drone %s answered %q", text, r.Body)
				}
				return m.Text
			}
			if got := answer(general, `declare category=CAT1 subcontext=phishing severity=high bu=various overview="wave"`); !strings.Contains(got, "Declared INC-1") {
				t.Fatalf("declare answered %q", got)
			}
			var ch slacktest.Channel
			err := srv.Wait(ctx, "the incident channel", func(s *slacktest.Server) bool {
				var ok bool
				ch, ok = s.Channel("inc-1-phishing-various")
				return ok && len(ch.Messages) > 0
			})
			if err != nil {
				t.Fatal(err)
			}
			if !ch.Members["U0ALICE"] || !ch.Members["U0CAROL"] || !strings.Contains(string(ch.Messages[0].Blocks), "drone.ack") {
				t.Errorf("channel %+v", ch)
			}
			err = srv.Wait(ctx, "the channel recorded", func(*slacktest.Server) bool {
				return strings.Contains(answer(ch.ID, "ioc 45.33.32.156"), "INC-1: 1 new")
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
