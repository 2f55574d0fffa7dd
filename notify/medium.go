package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ttp0/drone/drone"
)

// Medium sends messages to one kind of destination: e-mail here; Slack and
// Discord implement it in their adapters. Send is called once per
// (event, address) by the delivery worker, which keeps the returned
// reference so that a retried job sends nothing twice and the next message
// about the incident can follow this one (an e-mail reply, a Slack thread
// reply or an edit of the first message).
type Medium interface {
	// Name is the medium's name in the configuration: "email", "slack",
	// "discord".
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
	// message to edit.
	Thread string `json:"thread,omitempty"`
}

// Message is what one delivery sends.
type Message struct {
	// Key is the delivery's idempotency key, unique per (event, address):
	// media that accept one (a Slack client_msg_id, a Message-ID) pass it on.
	Key string
	// Event is the notification event (EventDeclared...).
	Event string
	// Notice is the content, already cut to the audience: leaders' notices
	// hold no indicators.
	Notice *drone.Notice
	// Record is the incident with its timeline, for the close report; nil
	// for digests.
	Record *drone.Record
	// Report is the digest's report; nil otherwise.
	Report *Report
	// View is the data the templates render, shared by every medium that
	// uses them.
	View *View
	// Attempt counts the tries of this delivery, from 1. A later attempt
	// may follow one that sent the message and died before recording it:
	// media that can look (Slack's message metadata) look first.
	Attempt int
	// Since is when the delivery was first tried: nothing sent before it
	// can be this delivery's message.
	Since time.Time
}

// PermanentError marks a failure that retrying cannot mend.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as a failure that retrying cannot mend: the delivery
// is dead at once, and the SOC is told.
func Permanent(err error) error { return &PermanentError{Err: err} }

// RetryAfterError asks to try again after a delay the platform named.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter asks for another attempt after d, as a 429's Retry-After says;
// such waits do not count as failed attempts.
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{After: d, Err: err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
