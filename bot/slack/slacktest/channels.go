package slacktest

import (
	"encoding/json"
	"maps"
	"sort"
	"time"
)

// Channel is a conversation of the stand-in's workspace.
type Channel struct {
	ID, Name string
	Private  bool
	Creator  string
	Created  time.Time
	Members  map[string]bool
	// Messages holds the messages in order, thread replies included.
	Messages []*Message
	// Ephemeral holds the ephemeral messages drone posted, in order.
	Ephemeral []*Message

	lastPost time.Time // of the last chat.postMessage, for PostInterval
}

// Message is a message of a channel.
type Message struct {
	TS, ThreadTS string
	User, BotID  string
	Text         string
	Blocks       json.RawMessage
	// To is the user an ephemeral message was shown to.
	To string
	// Edits counts the chat.update calls on the message.
	Edits int
	// Metadata is the message metadata posted with it (JSON), if any.
	Metadata json.RawMessage
	// Broadcast marks a thread reply also shown in the channel.
	Broadcast bool
	// Webhook marks a message posted through an incoming webhook.
	Webhook bool
	// Files are the ids of the files the message shares
	// (files.completeUploadExternal).
	Files []string
}

// newChannel adds a channel; s.mu must be held.
func (s *Server) newChannel(name string, private bool, creator string) *Channel {
	ch := &Channel{ID: s.nextID("C"), Name: name, Private: private, Creator: creator, Created: s.opts.Now(),
		Members: map[string]bool{}}
	if creator != "" {
		ch.Members[creator] = true
	}
	s.channels[ch.ID] = ch
	return ch
}

func (ch *Channel) add(ts string, m Message) *Message {
	m.TS = ts
	ch.Messages = append(ch.Messages, &m)
	return &m
}

func (ch *Channel) find(ts string) *Message {
	for _, m := range ch.Messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (ch *Channel) info() map[string]any {
	return map[string]any{"id": ch.ID, "name": ch.Name, "is_channel": true, "is_private": ch.Private,
		"is_member": ch.Members[BotUserID], "creator": ch.Creator, "created": ch.Created.Unix()}
}

// replies counts the replies of a thread parent.
func (ch *Channel) replies(ts string) int {
	n := 0
	for _, m := range ch.Messages {
		if m.ThreadTS == ts && m.TS != ts {
			n++
		}
	}
	return n
}

// json is the message as the Web API and payloads show it.
func (m *Message) json(replies int) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.User != "" {
		out["user"] = m.User
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if replies > 0 {
		out["thread_ts"] = m.TS
		out["reply_count"] = replies
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.Broadcast {
		out["subtype"] = "thread_broadcast"
	}
	if len(m.Files) > 0 {
		files := make([]map[string]any, len(m.Files))
		for i, id := range m.Files {
			files[i] = map[string]any{"id": id}
		}
		out["files"] = files
	}
	return out
}

// withMetadata adds the message's metadata to its JSON, as Slack does when
// asked with include_all_metadata.
func (m *Message) withMetadata(out map[string]any, include bool) map[string]any {
	if include && len(m.Metadata) > 0 {
		out["metadata"] = m.Metadata
	}
	return out
}

// Channel returns a copy of a channel, found by id or name.
func (s *Server) Channel(idOrName string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channel(idOrName)
	if ch == nil {
		return Channel{}, false
	}
	return ch.copy(), true
}

// Channels returns copies of every channel, ordered by id.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channels))
	for _, ch := range s.channels {
		out = append(out, ch.copy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// channel finds a channel by id or name; s.mu must be held.
func (s *Server) channel(idOrName string) *Channel {
	if ch := s.channels[idOrName]; ch != nil {
		return ch
	}
	for _, ch := range s.channels {
		if ch.Name == idOrName {
			return ch
		}
	}
	return nil
}

// ChannelCount returns how many channels exist.
func (s *Server) ChannelCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.channels)
}

// MessageCount returns how many messages a channel holds (found by id or
// name), thread replies included.
func (s *Server) MessageCount(idOrName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channel(idOrName); ch != nil {
		return len(ch.Messages)
	}
	return 0
}

// EphemeralCount returns how many ephemeral messages were shown to a user.
func (s *Server) EphemeralCount(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ch := range s.channels {
		for _, m := range ch.Ephemeral {
			if m.To == user {
				n++
			}
		}
	}
	return n
}

// Ephemerals returns the ephemeral messages shown to a user, in order of
// their ts.
func (s *Server) Ephemerals(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, ch := range s.channels {
		for _, m := range ch.Ephemeral {
			if m.To == user {
				out = append(out, *m)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}

func (ch *Channel) copy() Channel {
	c := *ch
	c.Members = maps.Clone(ch.Members)
	c.Messages = make([]*Message, len(ch.Messages))
	for i, m := range ch.Messages {
		mc := *m
		c.Messages[i] = &mc
	}
	c.Ephemeral = make([]*Message, len(ch.Ephemeral))
	for i, m := range ch.Ephemeral {
		mc := *m
		c.Ephemeral[i] = &mc
	}
	return c
}
