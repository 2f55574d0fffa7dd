package email

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	jwemail "github.com/jordan-wright/email"
)

// Message is one e-mail drone sends: multipart plain text and HTML, with
// the headers that thread every mail of an incident together.
type Message struct {
	From    string
	To      []string // the To header; the envelope recipients are Send's
	Subject string
	Text    []byte
	HTML    []byte
	// MessageID is this message's id, "<...@domain>".
	MessageID string
	// InReplyTo is the id of the message this one follows, and References
	// the ids of its thread, oldest first: together they let a mail client
	// show every message about one incident as one conversation.
	InReplyTo  string
	References []string
	Date       time.Time
	// Headers are extra headers, such as X-Drone-Incident.
	Headers map[string]string
}

// Bytes renders the message as RFC 5322 with CRLF line ends.
func (m *Message) Bytes() ([]byte, error) {
	e := jwemail.NewEmail()
	e.From = m.From
	e.To = m.To
	e.Subject = m.Subject
	e.Text = m.Text
	e.HTML = m.HTML
	h := e.Headers
	h.Set("Message-ID", m.MessageID)
	if m.InReplyTo != "" {
		h.Set("In-Reply-To", m.InReplyTo)
	}
	if len(m.References) > 0 {
		h.Set("References", strings.Join(m.References, " "))
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	h.Set("Date", date.Format(time.RFC1123Z))
	// RFC 3834: an automatic message, to which no vacation reply should go;
	// Exchange reads its own header for the same.
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("X-Auto-Response-Suppress", "All")
	for k, v := range m.Headers {
		h.Set(k, v)
	}
	b, err := e.Bytes()
	if err != nil {
		return nil, fmt.Errorf("rendering e-mail %s: %w", m.MessageID, err)
	}
	return b, nil
}

// MessageID returns a Message-ID made from parts, the same every time for
// the same parts: a message sent again after a crash carries the id of the
// first attempt, so that a mail client shows it once.
func MessageID(domain string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	if domain == "" {
		domain = "drone.invalid"
	}
	return "<drone." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// Address returns the bare address of "Name <address>" or "address".
func Address(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an e-mail address: %w", s, err)
	}
	return a.Address, nil
}
