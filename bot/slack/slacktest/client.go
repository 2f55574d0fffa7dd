package slacktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Sign returns the X-Slack-Signature of a request body sent at ts: "v0="
// and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:<ts>:<body>".
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Reply is an app's answer to a request: the HTTP status and body, or for
// Socket Mode 200 and the acknowledgement's payload.
type Reply struct {
	Status int
	Body   []byte
}

// JSON decodes the body into v.
func (r Reply) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decoding reply %q: %w", r.Body, err)
	}
	return nil
}

// Transport delivers Slack's requests to an app, over HTTP or Socket Mode.
type Transport interface {
	// Name is "http" or "socket".
	Name() string
	// Command delivers a slash command's fields.
	Command(ctx context.Context, form url.Values) (Reply, error)
	// Interaction delivers an interaction payload (JSON).
	Interaction(ctx context.Context, payload []byte) (Reply, error)
	// Event delivers an Events API body (JSON); retry > 0 marks a redelivery.
	Event(ctx context.Context, body []byte, retry int) (Reply, error)
}

// HTTP posts requests to an app's endpoints as Slack does: form posts (and
// JSON for events) signed with the signing secret.
type HTTP struct {
	// URL is the app's base URL; the paths are /slack/commands,
	// /slack/interactions and /slack/events.
	URL    string
	Secret string
	Client *http.Client // defaults to http.DefaultClient
	Now    func() time.Time
}

// HTTPTransport returns a transport posting, signed with the stand-in's
// secret, to the app at baseURL.
func (s *Server) HTTPTransport(baseURL string) *HTTP {
	return &HTTP{URL: baseURL, Secret: s.opts.SigningSecret, Now: s.opts.Now}
}

// Name returns "http".
func (h *HTTP) Name() string { return "http" }

// Command posts a slash command.
func (h *HTTP) Command(ctx context.Context, form url.Values) (Reply, error) {
	return h.Post(ctx, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

// Interaction posts an interaction payload as the form field "payload".
func (h *HTTP) Interaction(ctx context.Context, payload []byte) (Reply, error) {
	body := url.Values{"payload": {string(payload)}}.Encode()
	return h.Post(ctx, "/slack/interactions", "application/x-www-form-urlencoded", []byte(body), nil)
}

// Event posts an Events API body, with the retry headers on a redelivery.
func (h *HTTP) Event(ctx context.Context, body []byte, retry int) (Reply, error) {
	hdr := http.Header{}
	if retry > 0 {
		hdr.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		hdr.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	return h.Post(ctx, "/slack/events", "application/json", body, hdr)
}

// Post sends a signed POST; headers set in extra win, so a test can send a
// wrong or stale signature.
func (h *HTTP) Post(ctx context.Context, path, contentType string, body []byte, extra http.Header) (Reply, error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL+path, bytes.NewReader(body))
	if err != nil {
		return Reply{}, fmt.Errorf("building request: %w", err)
	}
	ts := now().Unix()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", Sign(h.Secret, ts, body))
	for k, v := range extra {
		req.Header[k] = v
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("posting to %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Reply{}, fmt.Errorf("reading reply from %s: %w", path, err)
	}
	return Reply{Status: resp.StatusCode, Body: b}, nil
}

// Socket delivers requests as Socket Mode envelopes over the stand-in's
// WebSocket.
type Socket struct{ S *Server }

// SocketTransport returns the Socket Mode transport of the stand-in.
func (s *Server) SocketTransport() *Socket { return &Socket{S: s} }

// Name returns "socket".
func (t *Socket) Name() string { return "socket" }

// Command sends a slash command: its fields as a JSON object.
func (t *Socket) Command(ctx context.Context, form url.Values) (Reply, error) {
	fields := map[string]string{}
	for k, v := range form {
		fields[k] = v[0]
	}
	payload, err := json.Marshal(fields)
	if err != nil {
		return Reply{}, fmt.Errorf("encoding slash command: %w", err)
	}
	return t.send(ctx, Envelope{Type: "slash_commands", Payload: payload, AcceptsResponsePayload: true})
}

// Interaction sends an interaction payload.
func (t *Socket) Interaction(ctx context.Context, payload []byte) (Reply, error) {
	return t.send(ctx, Envelope{Type: "interactive", Payload: payload, AcceptsResponsePayload: true})
}

// Event sends an Events API body.
func (t *Socket) Event(ctx context.Context, body []byte, retry int) (Reply, error) {
	e := Envelope{Type: "events_api", Payload: body, RetryAttempt: retry}
	if retry > 0 {
		e.RetryReason = "timeout"
	}
	return t.send(ctx, e)
}

func (t *Socket) send(ctx context.Context, e Envelope) (Reply, error) {
	p, err := t.S.SendEnvelope(ctx, e)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: p}, nil
}

// SlashCommand builds the fields of "/command text" typed by a user in a
// channel, with a fresh trigger id.
func (s *Server) SlashCommand(command, userID, channelID, text string) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := ""
	if u := s.users[userID]; u != nil {
		name = u.Name
	}
	chName := ""
	if ch := s.channels[channelID]; ch != nil {
		chName = ch.Name
	}
	return url.Values{
		"token": {"legacy-verification-token"}, "team_id": {TeamID}, "team_domain": {"drone-test"},
		"channel_id": {channelID}, "channel_name": {chName}, "user_id": {userID}, "user_name": {name},
		"command": {command}, "text": {text}, "api_app_id": {AppID}, "is_enterprise_install": {"false"},
		"response_url": {"https://hooks.slack.com/commands/" + TeamID + "/1/" + randomHex(8)},
		"trigger_id":   {s.newTrigger(userID)},
	}
}

// user is the user object of payloads; s.mu must be held.
func (s *Server) user(id string) map[string]any {
	name := ""
	if u := s.users[id]; u != nil {
		name = u.Name
	}
	return map[string]any{"id": id, "username": name, "name": name, "team_id": TeamID}
}

func (s *Server) channelRef(id string) map[string]any {
	name := ""
	if ch := s.channels[id]; ch != nil {
		name = ch.Name
	}
	return map[string]any{"id": id, "name": name}
}

func (s *Server) base(kind, userID string) map[string]any {
	return map[string]any{"type": kind, "token": "legacy-verification-token", "api_app_id": AppID,
		"team": map[string]any{"id": TeamID, "domain": "drone-test"}, "user": s.user(userID),
		"is_enterprise_install": false, "trigger_id": s.newTrigger(userID),
		"action_ts": fmt.Sprintf("%d.%06d", s.opts.Now().Unix(), s.opts.Now().Nanosecond()/1000)}
}

// MessageShortcut builds the payload of a message shortcut run by a user on
// a message of a channel.
func (s *Server) MessageShortcut(callbackID, userID, channelID, ts string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return nil, fmt.Errorf("no channel %s", channelID)
	}
	m := ch.find(ts)
	if m == nil {
		return nil, fmt.Errorf("no message %s in %s", ts, channelID)
	}
	p := s.base("message_action", userID)
	p["callback_id"] = callbackID
	p["channel"] = s.channelRef(channelID)
	p["message"] = s.messageJSON(m, ch.replies(ts))
	p["message_ts"] = ts
	p["response_url"] = "https://hooks.slack.com/app/" + TeamID + "/1/" + randomHex(8)
	return json.Marshal(p)
}

// ButtonClick builds the block_actions payload of a user pressing a button
// of a message (ephemeral ones included) in a channel.
func (s *Server) ButtonClick(userID, channelID, messageTS, actionID, value string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return nil, fmt.Errorf("no channel %s", channelID)
	}
	p := s.base("block_actions", userID)
	ephemeral := ch.find(messageTS) == nil
	p["container"] = map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channelID, "is_ephemeral": ephemeral}
	p["channel"] = s.channelRef(channelID)
	if m := ch.find(messageTS); m != nil {
		p["message"] = s.messageJSON(m, ch.replies(messageTS))
	}
	p["actions"] = []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "actions", "value": value,
		"action_ts": p["action_ts"]}}
	return json.Marshal(p)
}

// ViewSelect builds the block_actions payload of a user choosing an option
// of a select that dispatches actions in a modal; the view's state is
// updated as Slack's would be.
func (s *Server) ViewSelect(viewID, input, value string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[viewID]
	if v == nil {
		return nil, fmt.Errorf("no view %s", viewID)
	}
	if err := v.setInputs(map[string][]string{input: {value}}); err != nil {
		return nil, err
	}
	b := v.Input(input)
	bid, _ := b["block_id"].(string)
	el, _ := b["element"].(map[string]any)
	aid, _ := el["action_id"].(string)
	p := s.base("block_actions", v.User)
	p["container"] = map[string]any{"type": "view", "view_id": v.ID}
	p["view"] = v.json()
	p["actions"] = []any{map[string]any{"type": "static_select", "action_id": aid, "block_id": bid,
		"selected_option": v.State[bid][aid].(map[string]any)["selected_option"], "action_ts": p["action_ts"]}}
	s.notify()
	return json.Marshal(p)
}

// ViewSubmission builds the view_submission payload of a user entering
// values in a modal and pressing its submit button (see View.setInputs for
// the keys of values); the view's state keeps them.
func (s *Server) ViewSubmission(viewID string, values map[string][]string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[viewID]
	if v == nil {
		return nil, fmt.Errorf("no view %s", viewID)
	}
	if err := v.setInputs(values); err != nil {
		return nil, err
	}
	p := s.base("view_submission", v.User)
	p["view"] = v.json()
	p["response_urls"] = []any{}
	s.notify()
	return json.Marshal(p)
}

// MessageEvent posts a user's message in a channel (in a thread when
// threadTS is set) and builds the Events API body announcing it, with a
// fresh event id.
func (s *Server) MessageEvent(userID, channelID, text, threadTS string) (eventID string, body []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return "", nil, fmt.Errorf("no channel %s", channelID)
	}
	m := ch.add(s.nextTS(), Message{User: userID, Text: text, ThreadTS: threadTS})
	s.notify()
	ev := map[string]any{"type": "message", "channel": channelID, "user": userID, "text": text, "ts": m.TS,
		"event_ts": m.TS, "channel_type": "channel"}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	eventID = s.nextID("Ev")
	body, err = json.Marshal(map[string]any{"token": "legacy-verification-token", "team_id": TeamID, "api_app_id": AppID,
		"event": ev, "type": "event_callback", "event_id": eventID, "event_time": s.opts.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": TeamID, "user_id": BotUserID, "is_bot": true}}})
	return eventID, body, err
}
