package discordtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// This file holds what drone's timeline from chat uses: people's messages
// with files, reactions and pins, the gateway events announcing them, the
// REST routes that read them, and the CDN serving files.

// AddUserMessage adds a message by a member to a channel, with files by
// name, and returns it. Its id is a fresh snowflake, its timestamp the
// snowflake's time, as Discord's are.
func (s *Server) AddUserMessage(channel string, author Member, content string, files map[string][]byte) Message {
	id := NewID()
	m := Message{ID: id, ChannelID: channel, Content: content, Embeds: []*discordgo.MessageEmbed{},
		Author:    &discordgo.User{ID: author.ID, Username: author.Name, GlobalName: author.Name},
		Timestamp: SnowflakeTime(id).Format(time.RFC3339Nano)}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		aid := NewID()
		u := s.srv.URL + "/attachments/" + channel + "/" + aid + "/" + n + "?ex=1&is=1&hm=signed"
		m.Attachments = append(m.Attachments, Attachment{ID: aid, Filename: n, Size: len(files[n]), URL: u, ProxyURL: u,
			ContentType: "application/octet-stream", Content: files[n]})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages[id] = &m
	return m
}

// SnowflakeTime is the time a snowflake was made.
func SnowflakeTime(id string) time.Time {
	var n int64
	fmt.Sscan(id, &n)
	return time.UnixMilli(n>>22 + 1420070400000).UTC()
}

// FileHash returns the SHA-256 of a file's content, hex.
func FileHash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		for _, a := range m.Attachments {
			if strings.HasPrefix(a.URL, "http://"+r.Host+r.URL.Path+"?") {
				w.Header().Set("Content-Type", a.ContentType)
				w.Write(a.Content)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func (s *Server) getMessage(r *http.Request, _ []byte) (int, any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[r.PathValue("message")]
	if !ok || m.ChannelID != r.PathValue("channel") {
		return 404, nil, "unknown message"
	}
	return 200, m, ""
}

// listPins answers a channel's pinned messages, newest first.
func (s *Server) listPins(r *http.Request, _ []byte) (int, any, string) {
	ch := r.PathValue("channel")
	out := []Message{}
	msgs := s.Messages(ch)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Pinned {
			out = append(out, msgs[i])
		}
	}
	return 200, out, ""
}

// React adds a member's reaction with a (unicode) emoji to a message and
// dispatches MESSAGE_REACTION_ADD.
func (s *Server) React(channel, message string, who Member, emoji string) error {
	return s.reaction(channel, message, who, emoji, true)
}

// Unreact removes it and dispatches MESSAGE_REACTION_REMOVE.
func (s *Server) Unreact(channel, message string, who Member, emoji string) error {
	return s.reaction(channel, message, who, emoji, false)
}

func (s *Server) reaction(channel, message string, who Member, emoji string, add bool) error {
	s.mu.Lock()
	m, ok := s.messages[message]
	if !ok || m.ChannelID != channel {
		s.mu.Unlock()
		return fmt.Errorf("no message %s in %s", message, channel)
	}
	var r *Reaction
	for i := range m.Reactions {
		if m.Reactions[i].Emoji.Name == emoji {
			r = &m.Reactions[i]
		}
	}
	if r == nil {
		m.Reactions = append(m.Reactions, Reaction{Emoji: discordgo.Emoji{Name: emoji}, users: map[string]bool{}})
		r = &m.Reactions[len(m.Reactions)-1]
	}
	if add {
		r.users[who.ID] = true
	} else {
		delete(r.users, who.ID)
	}
	r.Count = len(r.users)
	m.Reactions = slicesDeleteEmpty(m.Reactions)
	guild := s.guildOf(channel)
	s.mu.Unlock()
	ev := map[string]any{"user_id": who.ID, "channel_id": channel, "message_id": message, "guild_id": guild,
		"emoji": map[string]any{"id": nil, "name": emoji}}
	typ := "MESSAGE_REACTION_REMOVE"
	if add {
		typ = "MESSAGE_REACTION_ADD"
		roles := who.Roles
		if roles == nil {
			roles = []string{}
		}
		ev["member"] = map[string]any{"user": map[string]any{"id": who.ID, "username": who.Name, "global_name": who.Name},
			"roles": roles}
		ev["message_author_id"] = m.Author.ID
	}
	return s.DispatchEvent(typ, ev)
}

func slicesDeleteEmpty(rs []Reaction) []Reaction {
	out := rs[:0]
	for _, r := range rs {
		if r.Count > 0 {
			out = append(out, r)
		}
	}
	return out
}

// ClearReactions removes every reaction of a message, as a moderator
// may, and dispatches MESSAGE_REACTION_REMOVE_ALL.
func (s *Server) ClearReactions(channel, message string) error {
	s.mu.Lock()
	m, ok := s.messages[message]
	if !ok || m.ChannelID != channel {
		s.mu.Unlock()
		return fmt.Errorf("no message %s in %s", message, channel)
	}
	m.Reactions = nil
	guild := s.guildOf(channel)
	s.mu.Unlock()
	return s.DispatchEvent("MESSAGE_REACTION_REMOVE_ALL", map[string]any{"channel_id": channel, "message_id": message,
		"guild_id": guild})
}

// guildOf is a channel's guild; s.mu must be held.
func (s *Server) guildOf(channel string) string {
	if c := s.channels[channel]; c != nil {
		return c.GuildID
	}
	return ""
}

// PinMessage pins (or, with pin false, unpins) a message as a member would
// and dispatches CHANNEL_PINS_UPDATE, which, as Discord's, names neither
// the message nor who pinned it.
func (s *Server) PinMessage(channel, message string, pin bool) error {
	s.mu.Lock()
	m, ok := s.messages[message]
	if !ok || m.ChannelID != channel {
		s.mu.Unlock()
		return fmt.Errorf("no message %s in %s", message, channel)
	}
	m.Pinned = pin
	guild := s.guildOf(channel)
	s.mu.Unlock()
	return s.DispatchEvent("CHANNEL_PINS_UPDATE", map[string]any{"guild_id": guild, "channel_id": channel,
		"last_pin_timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
}

// TimelineMenu is the message menu "Add to timeline" used on a message
// kept by the stand-in, which the interaction carries resolved.
func (p Place) TimelineMenu(m Message) Interaction {
	i := p.base(2)
	i["data"] = map[string]any{"id": "3", "name": "Add to timeline", "type": 3, "target_id": m.ID,
		"resolved": map[string]any{"messages": map[string]any{m.ID: m}}}
	return i
}
