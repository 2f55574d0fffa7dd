package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/notify/email"
)

// EmailMedium sends notices as multipart plain-text and HTML e-mail, one
// message per recipient, threaded per incident: each message answers the
// previous one the recipient got about the incident, and all reference the
// first. It is no drone.Medium: its templates read a View (the incident's
// timeline and durations, a digest's report), which the notifier builds
// with the notice and hands it beside the message.
type EmailMedium struct {
	Sender    *email.Sender
	Templates *Templates
	Config    email.Config // with defaults: From and Domain
	Now       func() time.Time
}

// Send renders view with the templates and sends it to address as msg.
func (m *EmailMedium) Send(ctx context.Context, address string, msg *drone.Message, view *View, prev drone.MessageRef) (drone.MessageRef, error) {
	text, html, err := m.Templates.Render(TemplateFor(msg.Event, msg.Notice.Audience), view)
	if err != nil {
		return drone.MessageRef{}, drone.Permanent(err)
	}
	// The id comes from the delivery key: a message sent again after a
	// crash carries the same id, which mail clients show once.
	id := email.MessageID(m.Config.Domain, msg.Key)
	ref := drone.MessageRef{ID: id, Thread: prev.Thread}
	e := &email.Message{From: m.Config.From, To: []string{address}, Subject: msg.Notice.Subject, Text: text, HTML: html,
		MessageID: id, Date: m.Now(), Headers: map[string]string{"X-Drone-Event": msg.Event}}
	if msg.Notice.Ref != "" {
		e.Headers["X-Drone-Incident"] = msg.Notice.Ref
	}
	if prev.ID != "" {
		e.InReplyTo = prev.ID
		e.References = []string{prev.Thread}
		if prev.ID != prev.Thread {
			e.References = append(e.References, prev.ID)
		}
	} else {
		ref.Thread = id
	}
	raw, err := e.Bytes()
	if err != nil {
		return drone.MessageRef{}, drone.Permanent(err)
	}
	from, err := email.Address(m.Config.From)
	if err != nil {
		return drone.MessageRef{}, drone.Permanent(err)
	}
	res := m.Sender.Send(ctx, from, []string{address}, raw)
	if err := res[0].Err; err != nil {
		if email.Permanent(err) {
			return drone.MessageRef{}, drone.Permanent(err)
		}
		return drone.MessageRef{}, fmt.Errorf("sending to %s: %w", address, err)
	}
	return ref, nil
}
