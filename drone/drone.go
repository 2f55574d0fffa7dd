// Package drone is the platform-neutral core of drone: incidents described
// with the DRONE framework, their indicators and timeline, the operations
// responders perform on them, and the command grammar and dialogs every chat
// surface shares.
//
// The flow of every change is: an adapter (command line, Slack, Discord,
// e-mail) translates the user's action into a call on Service; the Service
// validates it against the Framework and the actor's roles, then writes the
// new state, its timeline entries and the jobs it causes elsewhere in one
// store transaction; queue workers later carry those jobs to TheHive, chat
// and e-mail. The package imports only the standard library and its own
// sub-packages, so no platform type ever reaches it.
package drone

import (
	"strings"
	"time"
)

// Actor is whoever performs an operation.
type Actor struct {
	// Platform is where the actor acts from: "local", "slack", "discord",
	// "email".
	Platform string `json:"platform"`
	// ID is the actor's identity on the platform (a Slack user id, an OS
	// user name for "local").
	ID string `json:"id"`
	// Name is a display name.
	Name string `json:"name,omitempty"`
	// Groups are the platform groups the actor belongs to (Slack user groups,
	// Discord role ids), matched against "platform:group:ID" role members.
	Groups []string `json:"groups,omitempty"`
}

// Identity returns the actor as "platform:id", the form roles list members in.
func (a Actor) Identity() string { return a.Platform + ":" + a.ID }

// String returns the display name, or the identity when there is none.
func (a Actor) String() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Identity()
}

// Local reports whether the actor is the local operator (the command line),
// who holds every role: whoever can open the database is trusted.
func (a Actor) Local() bool { return a.Platform == "local" }

// Origin says where an operation came from: a chat message link, a channel,
// "cli", "email".
type Origin struct {
	Channel string `json:"channel,omitempty"` // "cli", "slack", "discord", "email"
	Ref     string `json:"ref,omitempty"`     // a message permalink, channel id or mail Message-ID
}

// Clock returns the current time; tests inject a fixed one.
type Clock func() time.Time

// normalise trims and folds internal runs of white space.
func normalise(s string) string { return strings.Join(strings.Fields(s), " ") }
