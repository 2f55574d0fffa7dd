package slack_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// TestManifestFile keeps configs/slack-manifest.yaml the manifest of the
// default configuration.
func TestManifestFile(t *testing.T) {
	want, err := droneslack.Manifest(droneslack.Config{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "configs", "slack-manifest.yaml")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is not the manifest of the defaults; regenerate it with: drone slack manifest > %s", path, path)
	}
}

// manifest is the part of a manifest the tests read.
type manifest struct {
	Features struct {
		SlashCommands []struct {
			Command, URL string
		} `yaml:"slash_commands"`
		Shortcuts []struct {
			CallbackID string `yaml:"callback_id"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events *struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func parseManifest(t *testing.T, c droneslack.Config) manifest {
	t.Helper()
	text, err := droneslack.Manifest(c)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("the manifest is not YAML: %v\n%s", err, text)
	}
	return m
}

func TestManifestModes(t *testing.T) {
	m := parseManifest(t, droneslack.Config{})
	if !m.Settings.SocketMode || m.Settings.Events == nil || !m.Settings.Interactivity.IsEnabled ||
		strings.Join(m.Settings.Events.BotEvents, ",") != "pin_added,pin_removed,reaction_added,reaction_removed" ||
		m.Features.SlashCommands[0].Command != "/drone" || m.Features.SlashCommands[0].URL != "" ||
		len(m.Features.Shortcuts) != 2 || m.Features.Shortcuts[0].CallbackID != short ||
		m.Features.Shortcuts[1].CallbackID != droneslack.ShortcutAddToTimeline {
		t.Errorf("socket mode manifest: %+v", m)
	}
	m = parseManifest(t, droneslack.Config{Mode: "http", PublicURL: "https://drone.example.org/", Command: "/sec",
		OfferIndicators: true})
	if m.Settings.SocketMode || m.Features.SlashCommands[0].URL != "https://drone.example.org/slack/commands" ||
		m.Settings.Interactivity.RequestURL != "https://drone.example.org/slack/interactions" ||
		m.Settings.Events == nil || m.Settings.Events.RequestURL != "https://drone.example.org/slack/events" ||
		strings.Join(m.Settings.Events.BotEvents, ",") != "message.channels,message.groups,pin_added,pin_removed,reaction_added,reaction_removed" ||
		m.Features.SlashCommands[0].Command != "/sec" {
		t.Errorf("http mode manifest: %+v", m)
	}
	if _, err := droneslack.Manifest(droneslack.Config{Mode: "http"}); err == nil {
		t.Error("an http mode manifest without a public URL was made")
	}
}

// scopeOf is the bot scope each Web API method needs (for conversations,
// by the channel's privacy); "" for none.
var scopeOf = map[string][2]string{ // method -> {public channel, private channel}
	"auth.test":             {"", ""},
	"apps.connections.open": {"", ""}, // the app-level token's connections:write
	"views.open":            {"", ""},
	"views.update":          {"", ""},
	"chat.postMessage":      {"chat:write", "chat:write"},
	"chat.update":           {"chat:write", "chat:write"},
	"chat.postEphemeral":    {"chat:write", "chat:write"},
	"conversations.create":  {"channels:manage", "groups:write"},
	"conversations.invite":  {"channels:manage", "groups:write"},
	"conversations.replies": {"channels:history", "groups:history"},
	"conversations.history": {"channels:history", "groups:history"},
	"conversations.list":    {"channels:read", "groups:read"}, // both when it lists both
	"usergroups.list":       {"usergroups:read", "usergroups:read"},
	"usergroups.users.list": {"usergroups:read", "usergroups:read"},
	"users.info":            {"users:read", "users:read"},
	"files-pri":             {"files:read", "files:read"}, // a file's url_private
}

// TestManifestScopes runs what drone does on Slack, in public and private
// channels, and checks that the manifest asks for exactly the scopes the
// Web API methods called need (plus commands, and the history scopes the
// message events need).
func TestManifestScopes(t *testing.T) {
	e := setup(t, "socket")
	e.srv.Drop("conversations.create", 1) // drone then looks for the channel it made
	_, public := e.declare(phishing())
	red := phishing()
	red.TLP = "RED"
	_, private := e.declare(red)
	for i, ch := range []slacktest.Channel{public, private} {
		parent, err := e.srv.Post(ch.ID, alice, "look at 45.33.32.156", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.Post(ch.ID, bob, "and evil-login[.]com", parent); err != nil {
			t.Fatal(err)
		}
		e.interact(e.srv.MessageShortcut(short, alice, ch.ID, parent))
		e.newView(alice, i+1)
	}
	// A message with a file put on the timeline with the reaction.
	ts, err := e.srv.PostFiles(public.ID, alice, "the dropper", map[string][]byte{"a.bin": []byte("MZ")})
	if err != nil {
		t.Fatal(err)
	}
	e.event(e.srv.React(bob, public.ID, ts, "pushpin"))
	e.h.Wait()
	e.command(bob, public.ID, "status contained all clear")
	e.wait("the update", func(s *slacktest.Server) bool { return s.Count("chat.update") > 0 })
	_, body, err := e.srv.MessageEvent(alice, private.ID, "new: 198.51.100.7 and 203.0.113.9", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tr.Event(e.ctx, body, 0); err != nil {
		t.Fatal(err)
	}
	e.wait("the offer", func(s *slacktest.Server) bool { return s.Count("chat.postEphemeral") > 0 })
	e.h.Wait()
	// A notification in a public channel drone was not invited to, and a
	// retry that looks for its message in a channel's history.
	board := e.srv.AddChannel("board", alice)
	n := &drone.Message{Key: "k", Notice: leaderNotice("declared"), Attempt: 2, Since: time.Now()}
	if _, err := e.h.Medium().Send(e.ctx, board, n, drone.MessageRef{}); err != nil {
		t.Fatalf("notification in a public channel: %v", err)
	}
	if _, err := e.h.Medium().Send(e.ctx, public.ID, n, drone.MessageRef{}); err != nil {
		t.Fatalf("notification in an incident channel: %v", err)
	}

	needed := map[string]bool{"commands": true, "channels:history": true, "groups:history": true,
		"pins:read": true, "reactions:read": true} // the timeline's events
	for _, c := range e.srv.Calls() {
		scopes, ok := scopeOf[c.Method]
		if !ok {
			t.Errorf("drone calls %s: add its scope to the manifest and to this test", c.Method)
			continue
		}
		s := scopes[0]
		ch, ok := e.srv.Channel(c.Params["channel"])
		if (ok && ch.Private) || c.Params["is_private"] == "true" {
			s = scopes[1]
		}
		if c.Method == "chat.postMessage" && ok && !ch.Private && !ch.Members[slacktest.BotUserID] {
			s = "chat:write.public"
		}
		if c.Method == "conversations.list" && strings.Contains(c.Params["types"], "private_channel") {
			needed[scopes[1]] = true
		}
		if s != "" {
			needed[s] = true
		}
	}
	var want []string
	for s := range needed {
		want = append(want, s)
	}
	sort.Strings(want)
	got := parseManifest(t, droneslack.Config{}).OAuth.Scopes.Bot
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("manifest scopes %v; drone uses %v", got, want)
	}
	if rec, _ := e.svc.Get(e.ctx, 1); rec.Incident.Status != drone.StatusContained {
		t.Errorf("bob's status was not applied: %s", rec.Incident.Status)
	}
}
