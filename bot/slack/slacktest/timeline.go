package slacktest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// This file holds what drone's timeline from chat uses: messages with
// files, reactions and pins, the Events API deliveries announcing them,
// the files' url_private and users.info.

// PostFiles adds a message by a user sharing files (by name) to a channel
// and returns its ts. Each file is served at its url_private.
func (s *Server) PostFiles(channelID, userID, text string, files map[string][]byte) (string, error) {
	var ts string
	var err error
	s.update(func() {
		ch := s.channels[channelID]
		if ch == nil {
			err = fmt.Errorf("no channel %s", channelID)
			return
		}
		if s.files == nil {
			s.files = map[string]*File{}
		}
		m := Message{User: userID, Text: text}
		var shared []*File
		for _, name := range sortedFileNames(files) {
			f := &File{ID: s.nextID("F"), Name: name, Title: name, Length: len(files[name]), Content: files[name],
				Completed: true, Shares: map[string][]string{}}
			s.files[f.ID] = f
			m.Files = append(m.Files, f.ID)
			shared = append(shared, f)
		}
		ts = ch.add(s.nextTS(), m).TS
		for _, f := range shared {
			f.Shares[ch.ID] = append(f.Shares[ch.ID], ts)
		}
	})
	return ts, err
}

// fileURL is a file's url_private.
func (s *Server) fileURL(f *File) string {
	return s.http.URL + "/files-pri/" + TeamID + "-" + f.ID + "/" + f.Name
}

// messageJSON is a message as the Web API and payloads show it, its files
// described as Slack describes them (name, size, url_private); s.mu must
// be held.
func (s *Server) messageJSON(m *Message, replies int) map[string]any {
	out := m.json(replies)
	if len(m.Files) == 0 {
		return out
	}
	files := make([]map[string]any, 0, len(m.Files))
	for _, id := range m.Files {
		f := s.files[id]
		if f == nil {
			files = append(files, map[string]any{"id": id})
			continue
		}
		u := s.fileURL(f)
		files = append(files, map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "mimetype": "application/octet-stream",
			"size": len(f.Content), "url_private": u, "url_private_download": u + "?download=1"})
	}
	out["files"] = files
	return out
}

func sortedFileNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// serveFile serves a file's content to a request with the bot token, as
// Slack serves url_private; other requests get Slack's sign-in page.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: "files-pri", Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
		Params: map[string]string{"path": r.URL.Path}, Status: http.StatusOK, At: s.opts.Now()})
	if r.Header.Get("Authorization") != "Bearer "+s.opts.BotToken {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>sign in to Slack</html>"))
		return
	}
	for _, f := range s.files {
		if f.Completed && strings.HasSuffix(s.fileURL(f), r.URL.Path) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(f.Content)
			return
		}
	}
	http.NotFound(w, r)
}

// FileHash returns the SHA-256 of a file's content, hex.
func FileHash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// React adds a user's reaction to a message and builds the reaction_added
// delivery announcing it.
func (s *Server) React(userID, channelID, ts, name string) (eventID string, body []byte, err error) {
	return s.reaction(userID, channelID, ts, name, true)
}

// Unreact removes a user's reaction from a message and builds the
// reaction_removed delivery.
func (s *Server) Unreact(userID, channelID, ts, name string) (eventID string, body []byte, err error) {
	return s.reaction(userID, channelID, ts, name, false)
}

func (s *Server) reaction(userID, channelID, ts, name string, add bool) (string, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, m, err := s.message(channelID, ts)
	if err != nil {
		return "", nil, err
	}
	if m.Reactions == nil {
		m.Reactions = map[string][]string{}
	}
	users := slices.DeleteFunc(m.Reactions[name], func(u string) bool { return u == userID })
	typ := "reaction_removed"
	if add {
		users, typ = append(users, userID), "reaction_added"
	}
	m.Reactions[name] = users
	s.notify()
	ev := map[string]any{"type": typ, "user": userID, "reaction": name, "item_user": m.User,
		"item": map[string]any{"type": "message", "channel": ch.ID, "ts": m.TS}, "event_ts": s.nextTS()}
	return s.eventBody(ev)
}

// Pin pins a message to its channel and builds the pin_added delivery.
func (s *Server) Pin(userID, channelID, ts string) (eventID string, body []byte, err error) {
	return s.pin(userID, channelID, ts, true)
}

// Unpin unpins a message and builds the pin_removed delivery.
func (s *Server) Unpin(userID, channelID, ts string) (eventID string, body []byte, err error) {
	return s.pin(userID, channelID, ts, false)
}

func (s *Server) pin(userID, channelID, ts string, add bool) (string, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, m, err := s.message(channelID, ts)
	if err != nil {
		return "", nil, err
	}
	typ := "pin_removed"
	m.Pinned = ""
	if add {
		typ, m.Pinned = "pin_added", ch.ID
	}
	s.notify()
	ev := map[string]any{"type": typ, "user": userID, "channel_id": ch.ID, "event_ts": s.nextTS(),
		"item": map[string]any{"type": "message", "channel": ch.ID, "message": s.messageJSON(m, ch.replies(m.TS)),
			"created": s.opts.Now().Unix(), "created_by": userID}}
	if !add {
		pins := 0
		for _, o := range ch.Messages {
			if o.Pinned != "" {
				pins++
			}
		}
		ev["has_pins"] = pins > 0
	}
	return s.eventBody(ev)
}

// message finds a message; s.mu must be held.
func (s *Server) message(channelID, ts string) (*Channel, *Message, error) {
	ch := s.channels[channelID]
	if ch == nil {
		return nil, nil, fmt.Errorf("no channel %s", channelID)
	}
	m := ch.find(ts)
	if m == nil {
		return nil, nil, fmt.Errorf("no message %s in %s", ts, channelID)
	}
	return ch, m, nil
}

// eventBody wraps an event in an Events API delivery with a fresh event
// id; s.mu must be held.
func (s *Server) eventBody(ev map[string]any) (string, []byte, error) {
	id := s.nextID("Ev")
	body, err := json.Marshal(map[string]any{"token": "legacy-verification-token", "team_id": TeamID, "api_app_id": AppID,
		"event": ev, "type": "event_callback", "event_id": id, "event_time": s.opts.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": TeamID, "user_id": BotUserID, "is_bot": true}}})
	return id, body, err
}

func (s *Server) usersInfo(p map[string]string) (map[string]any, string) {
	u := s.users[p["user"]]
	if u == nil {
		return nil, "user_not_found"
	}
	return map[string]any{"user": map[string]any{"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.Name,
		"profile": map[string]any{"real_name": u.Name, "display_name": u.Name}}}, ""
}
