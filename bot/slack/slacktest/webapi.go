package slacktest

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// method answers one Web API method: the fields of an ok:true answer, or an
// ok:false error code. It runs with s.mu held.
type method func(s *Server, p map[string]string) (map[string]any, string)

var methods = map[string]method{
	"auth.test":                    (*Server).authTest,
	"apps.connections.open":        (*Server).connectionsOpen,
	"conversations.create":         (*Server).conversationsCreate,
	"conversations.list":           (*Server).conversationsList,
	"conversations.invite":         (*Server).conversationsInvite,
	"conversations.replies":        (*Server).conversationsReplies,
	"conversations.history":        (*Server).conversationsHistory,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"views.open":                   (*Server).viewsOpen,
	"views.update":                 (*Server).viewsUpdate,
	"usergroups.list":              (*Server).usergroupsList,
	"usergroups.users.list":        (*Server).usergroupsUsersList,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	"files.info":                   (*Server).filesInfo,
}

// maxAPIBody bounds a Web API request body, as Slack does.
const maxAPIBody = 4 << 20

// serveAPI answers a Web API call; with BeforeAnswer set, the answer waits
// for it, after the call took effect.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	hold := s.opts.BeforeAnswer
	if hold == nil {
		s.answerAPI(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.answerAPI(rec, r)
	hold(strings.TrimPrefix(r.URL.Path, "/api/"))
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *Server) answerAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	params, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := params["token"]
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: name, Token: token, Params: params, Status: http.StatusOK, At: s.opts.Now()}
	defer func() {
		s.calls = append(s.calls, call)
		s.notify()
	}()
	drop := false
	if q := s.faults[name]; len(q) > 0 && q[0].drop {
		s.faults[name], drop = q[1:], true
	} else if len(q) > 0 {
		f := q[0]
		s.faults[name] = q[1:]
		if f.retryAfter > 0 {
			call.Status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
			return
		}
		call.Error = f.err
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.err})
		return
	}
	want := s.opts.BotToken
	if name == "apps.connections.open" {
		want = s.opts.AppToken
	}
	m := methods[name]
	var fields map[string]any
	switch {
	case token == "":
		call.Error = "not_authed"
	case token != want:
		call.Error = "invalid_auth"
	case m == nil:
		call.Error = "unknown_method"
	default:
		fields, call.Error = m(s, params)
	}
	if drop {
		call.Status = http.StatusBadGateway
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	if call.Error == errRateLimited {
		call.Status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": call.Error})
		return
	}
	if call.Error != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": call.Error})
		return
	}
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	writeJSON(w, http.StatusOK, fields)
}

// readParams reads a form or a JSON object body, and the query string.
func readParams(r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if len(strings.TrimSpace(string(body))) == 0 {
			return out, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				out[k] = str
			} else {
				out[k] = string(v)
			}
		}
		return out, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, v := range form {
		out[k] = v[0]
	}
	return out, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) authTest(map[string]string) (map[string]any, string) {
	return map[string]any{"url": "https://drone-test.slack.com/", "team": "drone test", "user": "drone",
		"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID}, ""
}

func (s *Server) connectionsOpen(map[string]string) (map[string]any, string) {
	ws := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/socket?ticket=" + randomHex(8)
	return map[string]any{"url": ws}, ""
}

var channelName = regexp.MustCompile(`^[a-z0-9_-]+$`)

func (s *Server) conversationsCreate(p map[string]string) (map[string]any, string) {
	name := p["name"]
	switch {
	case name == "":
		return nil, "invalid_name_required"
	case len(name) > 80:
		return nil, "invalid_name_maxlength"
	case !channelName.MatchString(name):
		return nil, "invalid_name_specials"
	}
	for _, ch := range s.channels {
		if ch.Name == name {
			return nil, "name_taken"
		}
	}
	ch := s.newChannel(name, p["is_private"] == "true", BotUserID)
	return map[string]any{"channel": ch.info()}, ""
}

// conversationsList lists the channels of the types asked for (public by
// default), in pages of limit (at most 1000), private ones only where the
// bot is a member, as Slack shows a bot.
func (s *Server) conversationsList(p map[string]string) (map[string]any, string) {
	types := p["types"]
	if types == "" {
		types = "public_channel"
	}
	var list []*Channel
	for _, ch := range s.channels {
		public := !ch.Private && strings.Contains(types, "public_channel")
		private := ch.Private && strings.Contains(types, "private_channel") && ch.Members[BotUserID]
		if public || private {
			list = append(list, ch)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start, _ := strconv.Atoi(p["cursor"])
	start = min(max(start, 0), len(list))
	end := min(start+limit, len(list))
	out := make([]map[string]any, 0, end-start)
	for _, ch := range list[start:end] {
		out = append(out, ch.info())
	}
	next := ""
	if end < len(list) {
		next = strconv.Itoa(end)
	}
	return map[string]any{"channels": out, "response_metadata": map[string]any{"next_cursor": next}}, ""
}

func (s *Server) conversationsInvite(p map[string]string) (map[string]any, string) {
	ch := s.channels[p["channel"]]
	if ch == nil {
		return nil, "channel_not_found"
	}
	if !ch.Members[BotUserID] {
		return nil, "not_in_channel"
	}
	ids := strings.Split(p["users"], ",")
	if p["users"] == "" {
		return nil, "no_user"
	}
	if len(ids) > 1000 {
		return nil, "too_many_users"
	}
	added := 0
	for _, id := range ids {
		switch {
		case s.users[id] == nil:
			return nil, "user_not_found"
		case id == BotUserID:
			return nil, "cant_invite_self"
		case !ch.Members[id]:
			added++
		}
	}
	if added == 0 {
		return nil, "already_in_channel"
	}
	for _, id := range ids {
		ch.Members[id] = true
	}
	return map[string]any{"channel": ch.info()}, ""
}

func (s *Server) conversationsReplies(p map[string]string) (map[string]any, string) {
	ch := s.channels[p["channel"]]
	if ch == nil {
		return nil, "channel_not_found"
	}
	if !ch.Members[BotUserID] {
		return nil, "not_in_channel"
	}
	parent := ch.find(p["ts"])
	if parent == nil {
		return nil, "thread_not_found"
	}
	thread := []*Message{parent}
	if parent.ThreadTS == "" || parent.ThreadTS == parent.TS {
		for _, m := range ch.Messages {
			if m.ThreadTS == parent.TS && m.TS != parent.TS {
				thread = append(thread, m)
			}
		}
	}
	start, _ := strconv.Atoi(p["cursor"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	start = min(max(start, 0), len(thread))
	end := min(start+limit, len(thread))
	out := make([]map[string]any, 0, end-start)
	meta := p["include_all_metadata"] == "1" || p["include_all_metadata"] == "true"
	for _, m := range thread[start:end] {
		if oldest := p["oldest"]; oldest != "" && m != parent && tsBefore(m.TS, oldest) {
			continue
		}
		out = append(out, m.withMetadata(m.json(len(thread)-1), meta))
	}
	next := ""
	if end < len(thread) {
		next = strconv.Itoa(end)
	}
	return map[string]any{"messages": out, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}}, ""
}

// postable returns the channel drone may post in, or the error (with the
// channel, when it exists).
func (s *Server) postable(id string) (*Channel, string) {
	ch := s.channels[id]
	switch {
	case ch == nil:
		return nil, "channel_not_found"
	case !ch.Members[BotUserID]:
		return ch, "not_in_channel"
	}
	return ch, ""
}

func (s *Server) chatPostMessage(p map[string]string) (map[string]any, string) {
	ch, e := s.postable(p["channel"])
	if e == "not_in_channel" && !ch.Private {
		// The app has chat:write.public: it posts in any public channel.
		e = ""
	}
	if e != "" {
		return nil, e
	}
	blocks, e := checkBlocks(p["text"], p["blocks"], 50)
	if e != "" {
		return nil, e
	}
	if ts := p["thread_ts"]; ts != "" && ch.find(ts) == nil {
		return nil, "thread_not_found"
	}
	if e := s.paced(ch); e != "" {
		return nil, e
	}
	var meta json.RawMessage
	if raw := p["metadata"]; raw != "" {
		var md struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if json.Unmarshal([]byte(raw), &md) != nil || md.EventType == "" {
			return nil, "invalid_metadata_format"
		}
		meta = json.RawMessage(raw)
	}
	m := ch.add(s.nextTS(), Message{User: BotUserID, BotID: BotID, Text: p["text"], Blocks: blocks, ThreadTS: p["thread_ts"],
		Metadata: meta, Broadcast: p["thread_ts"] != "" && p["reply_broadcast"] == "true"})
	return map[string]any{"channel": ch.ID, "ts": m.TS, "message": m.json(0)}, ""
}

// errRateLimited is the error of a call answered 429.
const errRateLimited = "ratelimited"

// paced answers ratelimited when a post in ch comes sooner than
// PostInterval after the last one; s.mu must be held.
func (s *Server) paced(ch *Channel) string {
	if s.opts.PostInterval <= 0 {
		return ""
	}
	now := s.opts.Now()
	if !ch.lastPost.IsZero() && now.Sub(ch.lastPost) < s.opts.PostInterval {
		s.limited++
		return errRateLimited
	}
	ch.lastPost = now
	return ""
}

// RateLimited counts the posts answered 429 because they came too soon in
// their channel.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// conversationsHistory lists a channel's messages, newest first: those at
// its top level and the thread replies also shown there.
func (s *Server) conversationsHistory(p map[string]string) (map[string]any, string) {
	ch := s.channels[p["channel"]]
	if ch == nil {
		return nil, "channel_not_found"
	}
	if !ch.Members[BotUserID] {
		return nil, "not_in_channel"
	}
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	meta := p["include_all_metadata"] == "1" || p["include_all_metadata"] == "true"
	out := []map[string]any{}
	for i := len(ch.Messages) - 1; i >= 0 && len(out) < limit; i-- {
		m := ch.Messages[i]
		top := m.ThreadTS == "" || m.ThreadTS == m.TS || m.Broadcast
		if !top || (p["oldest"] != "" && tsBefore(m.TS, p["oldest"])) {
			continue
		}
		out = append(out, m.withMetadata(m.json(ch.replies(m.TS)), meta))
	}
	return map[string]any{"messages": out, "has_more": false}, ""
}

// tsBefore reports whether the message ts a is older than the time b (both
// "seconds.micros" or plain seconds).
func tsBefore(a, b string) bool {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	return x < y
}

// AddWebhook adds an incoming webhook posting in channel and returns its
// URL.
func (s *Server) AddWebhook(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "/services/" + TeamID + "/" + s.nextID("B") + "/" + randomHex(12)
	s.webhooks[path] = channel
	return s.http.URL + path
}

// serveWebhook answers an incoming webhook as Slack does: "ok" as text,
// or an error code as text with a 4xx.
func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	status, text := http.StatusOK, "ok"
	ch := s.channels[s.webhooks[r.URL.Path]]
	var msg struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	switch {
	case ch == nil:
		status, text = http.StatusNotFound, "no_service"
	case err != nil || json.Unmarshal(body, &msg) != nil:
		status, text = http.StatusBadRequest, "invalid_payload"
	default:
		blocks, e := checkBlocks(msg.Text, string(msg.Blocks), 50)
		if e == "" {
			e = s.paced(ch)
		}
		switch e {
		case "":
			ch.add(s.nextTS(), Message{BotID: BotID, Text: msg.Text, Blocks: blocks, Webhook: true})
		case errRateLimited:
			status, text = http.StatusTooManyRequests, "rate_limited"
			w.Header().Set("Retry-After", "1")
		default:
			status, text = http.StatusBadRequest, e
		}
	}
	call := Call{Method: "webhook", Params: map[string]string{"path": r.URL.Path}, Status: status, At: s.opts.Now()}
	if status != http.StatusOK {
		call.Error = text
	}
	s.calls = append(s.calls, call)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

func (s *Server) chatUpdate(p map[string]string) (map[string]any, string) {
	ch, e := s.postable(p["channel"])
	if e != "" {
		return nil, e
	}
	m := ch.find(p["ts"])
	switch {
	case m == nil:
		return nil, "message_not_found"
	case m.User != BotUserID:
		return nil, "cant_update_message"
	}
	blocks, e := checkBlocks(p["text"], p["blocks"], 50)
	if e != "" {
		return nil, e
	}
	m.Text, m.Blocks = p["text"], blocks
	m.Edits++
	return map[string]any{"channel": ch.ID, "ts": m.TS, "text": m.Text}, ""
}

func (s *Server) chatPostEphemeral(p map[string]string) (map[string]any, string) {
	ch, e := s.postable(p["channel"])
	if e != "" {
		return nil, e
	}
	if s.users[p["user"]] == nil {
		return nil, "user_not_found"
	}
	blocks, e := checkBlocks(p["text"], p["blocks"], 50)
	if e != "" {
		return nil, e
	}
	ts := s.nextTS()
	ch.Ephemeral = append(ch.Ephemeral, &Message{TS: ts, User: BotUserID, BotID: BotID, To: p["user"], Text: p["text"],
		Blocks: blocks, ThreadTS: p["thread_ts"]})
	return map[string]any{"message_ts": ts}, ""
}

// checkBlocks checks a message's text and blocks as Slack does.
func checkBlocks(text, raw string, limit int) (json.RawMessage, string) {
	if raw == "" {
		if strings.TrimSpace(text) == "" {
			return nil, "no_text"
		}
		if len(text) > 40000 {
			return nil, "msg_too_long"
		}
		return nil, ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) == 0 || len(blocks) > limit {
		return nil, "invalid_blocks"
	}
	for _, b := range blocks {
		if e := checkBlock(b); e != "" {
			return nil, e
		}
	}
	return json.RawMessage(raw), ""
}

// checkBlock checks the text limits of one block that drone uses.
func checkBlock(b map[string]any) string {
	text := func(v any, limit int) bool {
		t, _ := v.(map[string]any)
		s, _ := t["text"].(string)
		return t == nil || len([]rune(s)) <= limit
	}
	switch b["type"] {
	case "header":
		if !text(b["text"], 150) {
			return "invalid_blocks"
		}
	case "section":
		if !text(b["text"], 3000) {
			return "invalid_blocks"
		}
		fields, _ := b["fields"].([]any)
		if len(fields) > 10 {
			return "invalid_blocks"
		}
		for _, f := range fields {
			if !text(f, 2000) {
				return "invalid_blocks"
			}
		}
	case "actions":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 || len(elems) > 25 {
			return "invalid_blocks"
		}
	case "context":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 || len(elems) > 10 {
			return "invalid_blocks"
		}
	case "divider", "input":
	default:
		return "invalid_blocks"
	}
	return ""
}

func (s *Server) usergroupsList(p map[string]string) (map[string]any, string) {
	ids := make([]string, 0, len(s.groups))
	for id := range s.groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		g := s.groups[id]
		m := map[string]any{"id": g.ID, "team_id": TeamID, "is_usergroup": true, "name": g.Handle, "handle": g.Handle,
			"user_count": len(g.Users)}
		if p["include_users"] == "true" {
			m["users"] = g.Users
		}
		out = append(out, m)
	}
	return map[string]any{"usergroups": out}, ""
}

func (s *Server) usergroupsUsersList(p map[string]string) (map[string]any, string) {
	g := s.groups[p["usergroup"]]
	if g == nil {
		return nil, "no_such_subteam"
	}
	return map[string]any{"users": g.Users}, ""
}
