package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"text/template"
)

// Scopes are the bot token scopes the adapter uses, each with the Web API
// methods or features that need it; the manifest asks for these and no
// more.
var Scopes = []struct{ Name, Why string }{
	{"channels:history", "conversations.replies and conversations.history on public channels (the shortcut reads a thread; a retried notification looks for its message); message events there"},
	{"channels:manage", "conversations.create and conversations.invite for public incident channels"},
	{"channels:read", "conversations.list of public channels: a channel whose creation was interrupted is taken up, not made twice"},
	{"chat:write", "chat.postMessage, chat.update and chat.postEphemeral"},
	{"chat:write.public", "chat.postMessage in public notification channels drone was not invited to"},
	{"commands", "the slash command and the message shortcuts"},
	{"files:read", "reading the files of a message put on the timeline (url_private), to hash them"},
	{"groups:history", "conversations.replies and conversations.history on private channels; message events there"},
	{"groups:read", "conversations.list of private channels, for the same"},
	{"groups:write", "conversations.create and conversations.invite for private incident channels (TLP AMBER+STRICT, RED)"},
	{"pins:read", "pin_added and pin_removed events: a pinned message goes on the incident's timeline"},
	{"reactions:read", "reaction_added and reaction_removed events: the timeline reaction (pushpin) puts a message on the timeline"},
	{"usergroups:read", "usergroups.list (roles naming user groups) and usergroups.users.list (responder groups)"},
	{"users:read", "users.info: the names of a pinned message's author and of who pinned it, for the timeline"},
}

// MessageEvents are the events the manifest subscribes to when
// offer_indicators is on.
var MessageEvents = []string{"message.channels", "message.groups"}

// TimelineEvents are the events that put messages of incident channels on
// the timeline (a reaction, a pin) and take them off; always subscribed.
var TimelineEvents = []string{"pin_added", "pin_removed", "reaction_added", "reaction_removed"}

var manifestTemplate = template.Must(template.New("manifest").Funcs(template.FuncMap{"q": quote}).Parse(
	`# Slack app manifest for drone. Create the app at https://api.slack.com/apps
# ("From an app manifest"), install it, and give drone its tokens:
#   slack.bot_token (SLACK_BOT_TOKEN, xoxb-...),
#   slack.app_token (SLACK_APP_TOKEN, xapp-..., scope connections:write) in socket mode,
#   slack.signing_secret (SLACK_SIGNING_SECRET) in http mode.
# "drone slack manifest" prints this file for your configuration.
display_information:
  name: {{q .Name}}
  description: Security incidents with the DRONE workflow
  background_color: "#1d1c1d"
features:
  bot_user:
    display_name: {{q .Name}}
    always_online: true
  slash_commands:
    - command: {{q .Command}}
      description: Declare and run security incidents
      usage_hint: "[declare | ioc TEXT | ack | lead @user | status | close | list | show | help]"
      should_escape: true
{{- if .HTTP}}
      url: {{q (print .URL "/slack/commands")}}
{{- end}}
  shortcuts:
    - name: Add indicators to incident
      type: message
      callback_id: {{q .Shortcut}}
      description: Add the indicators of this message and its thread to an incident
    - name: Add to timeline
      type: message
      callback_id: {{q .Timeline}}
      description: Put this message on an incident's timeline, with its author and time
oauth_config:
  scopes:
    bot:
{{- range .Scopes}}
      - {{.Name}} # {{.Why}}
{{- end}}
settings:
{{- if .Events}}
  event_subscriptions:
{{- if .HTTP}}
    request_url: {{q (print .URL "/slack/events")}}
{{- end}}
    bot_events:
{{- range .Events}}
      - {{.}}
{{- end}}
{{- end}}
  interactivity:
    is_enabled: true
{{- if .HTTP}}
    request_url: {{q (print .URL "/slack/interactions")}}
{{- end}}
  org_deploy_enabled: false
  socket_mode_enabled: {{not .HTTP}}
  token_rotation_enabled: false
`))

// quote writes a YAML double-quoted string (JSON's strings are YAML's).
func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		// Marshalling a string cannot fail.
		panic(err)
	}
	return string(b)
}

// Manifest returns the app manifest for a configuration: the slash command,
// the message shortcut, interactivity, the scopes in Scopes, Socket Mode on
// in socket mode or the request URLs under public_url in http mode, the
// timeline's reaction and pin events, and the message events when
// offer_indicators is on.
func Manifest(c Config) (string, error) {
	c = c.WithDefaults()
	data := struct {
		Name, Command, Shortcut, Timeline, URL string
		HTTP                                   bool
		Scopes                                 any
		Events                                 []string
	}{Name: c.AppName, Command: c.Command, Shortcut: ShortcutAddIndicators, Timeline: ShortcutAddToTimeline,
		URL: strings.TrimRight(c.PublicURL, "/"), HTTP: c.Mode == "http", Scopes: Scopes}
	if c.OfferIndicators {
		data.Events = append(data.Events, MessageEvents...)
	}
	data.Events = append(data.Events, TimelineEvents...)
	if data.HTTP && data.URL == "" {
		return "", errors.New("in http mode the manifest needs drone's public URL: set slack.public_url")
	}
	var b bytes.Buffer
	if err := manifestTemplate.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
