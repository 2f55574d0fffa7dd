package drone

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttp0/drone/drone/ioc"
)

// Entry kinds of chat messages put on the timeline.
const (
	// EntryPinned: a chat message was put on the timeline (a reaction, a
	// pin, the "Add to timeline" action). Its data is the message
	// (PinnedMessage): its author, the time it was posted, its text and its
	// attachments' names and hashes.
	EntryPinned = "pinned"
	// EntryUnpinned: the last reaction or pin that held a message on the
	// timeline was removed. It is a correction: the pinned entry stays, as
	// every entry of the chain does.
	EntryUnpinned = "unpinned"
)

// The ways a chat message reaches the timeline. They are sources of the
// same entry: a message reacted to and pinned is one entry, corrected only
// when both are taken back.
const (
	PinByReaction = "reaction"
	PinByPin      = "pin"
	PinByAction   = "action"
)

// Bounds of a pinned message: the text kept on the timeline and the
// attachments named.
const (
	MaxPinnedText        = 4000
	MaxPinnedAttachments = 20
)

// refPin is the reference key of the sources that hold messages on
// timelines (see pinSources).
const refPin = "timeline.pin"

// ChatMessage is a message of a chat platform, as an adapter read it.
type ChatMessage struct {
	Platform    string           `json:"platform"` // "slack", "discord"
	Channel     string           `json:"channel"`
	ID          string           `json:"id"` // a Slack ts, a Discord message id
	Author      Actor            `json:"author"`
	PostedAt    time.Time        `json:"posted_at"`
	Text        string           `json:"text,omitempty"`
	Attachments []ChatAttachment `json:"attachments,omitempty"`
	Link        string           `json:"link,omitempty"` // a permalink, when the platform has one
}

// ChatAttachment is a file of a chat message: its name and, when drone
// could read it, its SHA-256 (otherwise Note says why not).
type ChatAttachment struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	URL    string `json:"url,omitempty"`
	Note   string `json:"note,omitempty"`
}

// PinnedMessage is the data of a pinned or unpinned entry: the message and
// how it came (or went).
type PinnedMessage struct {
	ChatMessage
	Via string `json:"via"` // PinByReaction, PinByPin or PinByAction
}

// PinResult is what putting a message on the timeline did.
type PinResult struct {
	// Added is true when a pinned entry was recorded; false when the
	// message was on the timeline already (another reaction, its pin, the
	// same event delivered again).
	Added    bool
	Incident *Incident
	// Indicators are those found in the message's text, for the adapter
	// to offer: they are not added.
	Indicators ioc.Result
}

// key identifies a message on one incident's timeline.
func (m ChatMessage) key(incidentID string) string {
	return incidentID + "|" + m.Platform + "|" + m.Channel + "|" + m.ID
}

func (m ChatMessage) check() error {
	if m.Platform == "" || m.Channel == "" || m.ID == "" {
		return Errorf(EINVALID, "a chat message needs its platform, channel and id")
	}
	if m.PostedAt.IsZero() {
		return Errorf(EINVALID, "the time message %s was posted is unknown", m.ID)
	}
	return nil
}

func checkVia(via string) error {
	switch via {
	case PinByReaction, PinByPin, PinByAction:
		return nil
	}
	return Errorf(EINVALID, "%q is not a way to put a message on the timeline (reaction, pin, action)", via)
}

// PinMessage puts a chat message on an incident's timeline, by via. The
// message is one entry however many ways hold it: a second source (the pin
// of a message already reacted to) or the same source again (an event
// delivered twice) records nothing. Adding to the timeline needs PermIOC:
// whoever may add indicators may add evidence. The entry's time is when it
// was recorded, as for every entry of the chain; the message's own time is
// in its data, and Entry.OccurredAt shows it.
func (s *Service) PinMessage(ctx context.Context, a Actor, o Origin, number int64, m ChatMessage, via string) (PinResult, error) {
	if err := m.check(); err != nil {
		return PinResult{}, err
	}
	if err := checkVia(via); err != nil {
		return PinResult{}, err
	}
	m = trimMessage(m)
	var res PinResult
	err := s.change(ctx, a, o, number, PermIOC, func(tx Tx, inc *Incident) error {
		res = PinResult{Incident: inc}
		src, err := pinSources(ctx, tx, m.key(inc.ID))
		if err != nil {
			return err
		}
		if src.active(via) {
			return nil
		}
		held := src.any()
		if err := tx.PutRef(ctx, inc.ID, refPin, src.addRef(via)); err != nil {
			return err
		}
		if held {
			return nil
		}
		res.Added = true
		text := fmt.Sprintf("%s put on the timeline %s's message of %s (%s): %s", a, m.Author,
			m.PostedAt.UTC().Format("2006-01-02 15:04:05 MST"), via, excerpt(m.Text, 200))
		return s.record(ctx, tx, inc, a, o, EntryPinned, text, PinnedMessage{ChatMessage: m, Via: via}, nil)
	})
	if err != nil {
		return PinResult{}, fmt.Errorf("putting message %s on the timeline of INC-%d: %w", m.ID, number, err)
	}
	if strings.TrimSpace(m.Text) != "" {
		res.Indicators = s.extractor().Extract(m.Text)
	}
	return res, nil
}

// UnpinMessage takes back one source (via) of a message on an incident's
// timeline. When it was the last one, an unpinned entry records the
// correction; the pinned entry stays. It reports whether it recorded.
// Taking back a source that holds nothing (a removal delivered twice, a
// reaction drone never saw) records nothing.
func (s *Service) UnpinMessage(ctx context.Context, a Actor, o Origin, number int64, m ChatMessage, via string) (bool, error) {
	if m.Platform == "" || m.Channel == "" || m.ID == "" {
		return false, Errorf(EINVALID, "a chat message needs its platform, channel and id")
	}
	if err := checkVia(via); err != nil {
		return false, err
	}
	recorded := false
	err := s.change(ctx, a, o, number, PermIOC, func(tx Tx, inc *Incident) error {
		recorded = false
		src, err := pinSources(ctx, tx, m.key(inc.ID))
		if err != nil {
			return err
		}
		if !src.active(via) {
			return nil
		}
		if err := tx.PutRef(ctx, inc.ID, refPin, src.removeRef(via)); err != nil {
			return err
		}
		delete(src.on, via)
		if src.any() {
			return nil
		}
		recorded = true
		text := fmt.Sprintf("%s took back from the timeline the message %s (%s removed); a correction, the entry stays",
			a, m.ID, via)
		if !m.PostedAt.IsZero() {
			text = fmt.Sprintf("%s took back from the timeline the message of %s (%s removed); a correction, the entry stays",
				a, m.PostedAt.UTC().Format("2006-01-02 15:04:05 MST"), via)
		}
		ref := PinnedMessage{ChatMessage: ChatMessage{Platform: m.Platform, Channel: m.Channel, ID: m.ID,
			PostedAt: m.PostedAt, Link: m.Link}, Via: via}
		return s.record(ctx, tx, inc, a, o, EntryUnpinned, text, ref, nil)
	})
	if err != nil {
		return false, fmt.Errorf("taking message %s off the timeline of INC-%d: %w", m.ID, number, err)
	}
	return recorded, nil
}

// PinHeld reports whether via holds a message on an incident's timeline,
// so that an adapter can skip reading (and hashing the files of) a message
// a pin already holds each time a channel's pins change.
func (s *Service) PinHeld(ctx context.Context, number int64, m ChatMessage, via string) (bool, error) {
	held := false
	err := s.Store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(ctx, number)
		if err != nil {
			return err
		}
		src, err := pinSources(ctx, tx, m.key(inc.ID))
		if err != nil {
			return err
		}
		held = src.active(via)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("reading whether message %s is on the timeline of INC-%d: %w", m.ID, number, err)
	}
	return held, nil
}

// sources are the ways that hold one message on one timeline. References
// cannot be deleted, so each source's history is a run of references,
// "<key>|<via>|<n>" for its n-th addition and "<key>|<via>|<n>|off" for
// that addition's removal: a source holds the message when its last
// addition has no removal (additions finds the last). Read and written in the change's transaction,
// two deliveries at once cannot both add.
type sources struct {
	key string
	gen map[string]int  // via -> number of additions
	on  map[string]bool // via -> holds the message
}

func pinSources(ctx context.Context, tx Tx, key string) (*sources, error) {
	src := &sources{key: key, gen: map[string]int{}, on: map[string]bool{}}
	for _, via := range []string{PinByReaction, PinByPin, PinByAction} {
		n, err := additions(ctx, tx, key+"|"+via)
		if err != nil {
			return nil, err
		}
		src.gen[via] = n
		if n == 0 {
			continue
		}
		off, err := tx.FindRef(ctx, refPin, fmt.Sprintf("%s|%s|%d|off", key, via, n))
		if err != nil {
			return nil, fmt.Errorf("reading the sources of a pinned message: %w", err)
		}
		src.on[via] = off == 0
	}
	return src, nil
}

// additions counts a source's additions, "<prefix>|1" to "<prefix>|n":
// they are made in turn, so the count is found by doubling then halving,
// in a number of lookups that grows with the logarithm of n.
func additions(ctx context.Context, tx Tx, prefix string) (int, error) {
	exists := func(k int) (bool, error) {
		found, err := tx.FindRef(ctx, refPin, fmt.Sprintf("%s|%d", prefix, k))
		if err != nil {
			return false, fmt.Errorf("reading the sources of a pinned message: %w", err)
		}
		return found != 0, nil
	}
	lo, hi := 0, 1 // lo exists (0 stands for none), hi is to be checked
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 { // lo exists, hi does not
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

func (s *sources) active(via string) bool { return s.on[via] }

func (s *sources) any() bool {
	for _, on := range s.on {
		if on {
			return true
		}
	}
	return false
}

func (s *sources) addRef(via string) string {
	return fmt.Sprintf("%s|%s|%d", s.key, via, s.gen[via]+1)
}

func (s *sources) removeRef(via string) string {
	return fmt.Sprintf("%s|%s|%d|off", s.key, via, s.gen[via])
}

// trimMessage bounds what a message puts on the timeline.
func trimMessage(m ChatMessage) ChatMessage {
	m.PostedAt = m.PostedAt.UTC().Truncate(time.Microsecond)
	if utf8.RuneCountInString(m.Text) > MaxPinnedText {
		m.Text = string([]rune(m.Text)[:MaxPinnedText]) + "…"
	}
	if len(m.Attachments) > MaxPinnedAttachments {
		m.Attachments = m.Attachments[:MaxPinnedAttachments]
	}
	m.Author.Groups = nil // roles are the actor's business, not the message's
	return m
}

// excerpt is the first n characters of a text on one line.
func excerpt(s string, n int) string {
	s = normalise(s)
	if s == "" {
		return "(no text)"
	}
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

// OccurredAt is when what an entry records happened: for a pinned chat
// message, when the message was posted; for every other entry, when it was
// recorded (At). Every view of a timeline shows this time.
func (e *Entry) OccurredAt() time.Time {
	if e.Kind != EntryPinned {
		return e.At
	}
	var d struct {
		PostedAt time.Time `json:"posted_at"`
	}
	if json.Unmarshal(e.Data, &d) != nil || d.PostedAt.IsZero() {
		return e.At
	}
	return d.PostedAt
}

// InOrder returns a timeline's entries in the order things happened
// (OccurredAt), for display: a message pinned late shows where it was
// posted. The chain's order (Seq) is unchanged in the slice given.
func InOrder(entries []Entry) []Entry {
	out := append([]Entry(nil), entries...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].OccurredAt().Before(out[j].OccurredAt()) })
	return out
}
