package drone

import (
	"context"
	"time"
)

// Media names, as targets name them in the configuration.
const (
	MediumEmail   = "email"
	MediumSlack   = "slack"
	MediumDiscord = "discord"
)

// Medium sends notices to one kind of destination: the chat adapters
// (Slack, Discord) implement it, and the notifier delivers through it.
// Send is called once per (event, address) by the delivery worker, which
// keeps the returned reference so that a retried job sends nothing twice
// and the next message about the incident can follow this one (a Slack
// thread reply or a reply to the first Discord message).
type Medium interface {
	// Name is the medium's name in the configuration: MediumSlack,
	// MediumDiscord.
	Name() string
	// Send sends m to address. prev is the last message sent to the same
	// address about the same incident (zero for the first). Return a
	// Permanent error when retrying cannot help (an unknown recipient), a
	// RetryAfter error when the platform asked to wait (a 429), and any
	// other error to be retried with backoff.
	Send(ctx context.Context, address string, m *Message, prev MessageRef) (MessageRef, error)
}

// MessageRef names a message a medium sent.
type MessageRef struct {
	// ID is the medium's id of the message: an e-mail Message-ID, a Slack
	// message ts, a Discord message id.
	ID string `json:"id"`
	// Thread is the first message of the incident's conversation at this
	// address: the e-mail thread root, the Slack thread_ts, the Discord
	// message to answer.
	Thread string `json:"thread,omitempty"`
}

// Message is what one delivery sends: the notice, and what a medium needs
// to send it once. Media that render templates (e-mail) get the data the
// templates read from the notifier, which builds it with the notice.
type Message struct {
	// Key is the delivery's idempotency key, unique per (event, address):
	// media that accept one (a Slack metadata key, a Discord nonce, a
	// Message-ID) pass it on.
	Key string
	// Event is the notification event ("declared", "digest"...).
	Event string
	// Notice is the content, already cut to the audience: leaders' notices
	// hold no indicators.
	Notice *Notice
	// Attempt counts the tries of this delivery, from 1. A later attempt
	// may follow one that sent the message and died before recording it:
	// media that can look (Slack's message metadata) look first.
	Attempt int
	// Since is when the delivery was first tried: nothing sent before it
	// can be this delivery's message.
	Since time.Time
}

// Delivery is the record of one message a medium sent, by the delivery's
// key: a retried or replayed job finds its message there and sends nothing
// again, and the next message to an address about an incident finds the
// one to follow.
type Delivery struct {
	Key        string
	IncidentID string // "" for a digest
	Event      string
	Medium     string
	Address    string
	Ref        MessageRef
	At         time.Time
}
