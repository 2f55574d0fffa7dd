// Package discordtest is a local Discord for tests: the REST routes drone
// calls (with the bot token checked, snowflake ids, 429 answers on demand,
// every payload checked against Discord's limits and every call recorded), a
// gateway that says hello, takes the identify, sends READY and dispatches
// interactions over a WebSocket, and a Signer that posts interactions to
// drone's HTTP endpoint with a real Ed25519 key.
//
// drone reaches it by its configuration alone: discord.api_url set to
// Server.APIURL; the gateway's address comes from the REST route /gateway.
package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// apiPrefix is the path the REST routes live under.
const apiPrefix = "/api/v10"

// Call is one request the stand-in received.
type Call struct {
	Method  string
	Path    string // below /api/v10, such as /channels/1/messages
	Route   string // the route's pattern, such as "POST /channels/{channel}/messages"
	Body    []byte
	Status  int // what the stand-in answered
	At      time.Time
	Problem string // why the stand-in refused the payload, if it did
}

// Channel is a channel or thread drone created.
type Channel struct {
	ID         string
	GuildID    string
	Name       string
	Type       discordgo.ChannelType
	ParentID   string
	Topic      string
	Overwrites []*discordgo.PermissionOverwrite
	Members    []string // thread members added
	OwnerID    string   // a thread's creator: the bot
}

// Server is a local Discord. Create it with New; Close stops it.
type Server struct {
	Token string // the bot token requests must carry as "Bot <Token>"
	AppID string
	BotID string

	srv      *httptest.Server
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every call recorded
	calls    []Call
	channels map[string]*Channel
	messages map[string]*Message
	answered map[string]bool // interaction ids answered
	commands map[string][]*discordgo.ApplicationCommand
	throttle map[string][]float64 // route -> retry_after of the 429s to give
	drops    map[string]int       // route -> answers to lose after the call took effect
	gateway  gateway

	globalLimit int         // bot requests a second; 0: no limit
	recent      []time.Time // the bot requests of the last second
	limited     int         // requests answered 429 for the global limit
	nonces      map[string]nonced
	webhooks    map[string]webhook

	beforeAnswer func(route string)
}

// nonced is a message sent with enforce_nonce, for the nonce's window.
type nonced struct {
	message string
	at      time.Time
}

// webhook is an incoming webhook: its token and the channel it posts in.
type webhook struct{ token, channel string }

// nonceWindow is how long Discord remembers an enforced nonce ("the past
// few minutes" in its documentation).
const nonceWindow = 5 * time.Minute

// New starts a stand-in on 127.0.0.1 expecting the given bot token.
func New(token string) *Server {
	s := &Server{Token: token, AppID: NewID(), BotID: NewID(), changed: make(chan struct{}),
		channels: map[string]*Channel{}, messages: map[string]*Message{}, answered: map[string]bool{},
		commands: map[string][]*discordgo.ApplicationCommand{}, throttle: map[string][]float64{},
		nonces: map[string]nonced{}, webhooks: map[string]webhook{}, drops: map[string]int{}}
	s.gateway.sessions = map[*websocket.Conn]*gatewaySession{}
	mux := http.NewServeMux()
	for route, h := range s.routes() {
		method, path, _ := strings.Cut(route, " ")
		mux.Handle(method+" "+apiPrefix+path, s.record(route, h))
	}
	mux.HandleFunc("GET /ws/", s.serveGateway)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.add(Call{Method: r.Method, Path: r.URL.Path, Status: 404, At: time.Now()})
		writeError(w, 404, 0, "404: Not Found")
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// APIURL is the REST base URL to configure as discord.api_url.
func (s *Server) APIURL() string { return s.srv.URL + apiPrefix }

// Close stops the stand-in and its gateway sessions.
func (s *Server) Close() {
	s.gateway.closeAll()
	s.srv.Close()
}

var lastID atomic.Int64

// NewID returns a new snowflake: milliseconds since Discord's epoch (2015)
// shifted left 22 bits, and a counter, as Discord's ids are made.
func NewID() string {
	for {
		prev := lastID.Load()
		id := (time.Now().UnixMilli() - 1420070400000) << 22
		if id <= prev {
			id = prev + 1
		}
		if lastID.CompareAndSwap(prev, id) {
			return fmt.Sprint(id)
		}
	}
}

type handler func(r *http.Request, body []byte) (int, any, string)

// routes are the REST routes drone calls. Each returns a status, a JSON
// answer and, when it refuses the payload, why.
func (s *Server) routes() map[string]handler {
	return map[string]handler{
		"GET /gateway":     s.getGateway,
		"GET /gateway/bot": s.getGateway,
		"GET /users/@me": func(*http.Request, []byte) (int, any, string) {
			return 200, map[string]any{"id": s.BotID, "username": "drone", "bot": true}, ""
		},
		"PUT /applications/{app}/commands":                 s.putCommands,
		"PUT /applications/{app}/guilds/{guild}/commands":  s.putCommands,
		"POST /interactions/{id}/{token}/callback":         s.callback,
		"PATCH /webhooks/{app}/{token}/messages/{message}": s.editOriginal,
		"POST /webhooks/{app}/{token}":                     s.followup,
		"GET /guilds/{guild}/channels":                     s.listChannels,
		"POST /guilds/{guild}/channels":                    s.createChannel,
		"POST /channels/{channel}/threads":                 s.createThread,
		"GET /guilds/{guild}/threads/active":               s.activeThreads,
		"PUT /channels/{channel}/thread-members/{user}":    s.addThreadMember,
		"PUT /channels/{channel}/permissions/{target}":     s.setPermission,
		"POST /channels/{channel}/messages":                s.postMessage,
		"GET /channels/{channel}/messages":                 s.listMessages,
		"PATCH /channels/{channel}/messages/{message}":     s.editMessage,
		"PUT /channels/{channel}/pins/{message}":           s.pin,
	}
}

// tokenFree routes answer interactions: their token is their credential.
func tokenFree(route string) bool {
	return strings.Contains(route, "/interactions/") || strings.Contains(route, "/webhooks/")
}

// record wraps a route: it checks the bot token, gives the 429s asked for,
// answers, and records the call.
func (s *Server) record(route string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		call := Call{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, apiPrefix), Route: route, Body: body, At: time.Now()}
		defer func() { s.add(call) }()
		if !tokenFree(route) && r.Header.Get("Authorization") != "Bot "+s.Token {
			call.Status = 401
			writeError(w, 401, 0, "401: Unauthorized")
			return
		}
		if after, ok := s.overGlobal(route); ok {
			call.Status = 429
			w.Header().Set("Retry-After", fmt.Sprint(int(after+0.999)))
			w.Header().Set("X-RateLimit-Global", "true")
			w.Header().Set("X-RateLimit-Scope", "global")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.", "retry_after": after, "global": true})
			return
		}
		if after, ok := s.takeThrottle(route); ok {
			call.Status = 429
			w.Header().Set("Retry-After", fmt.Sprint(int(after+0.999)))
			w.Header().Set("X-RateLimit-Scope", "user")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.", "retry_after": after, "global": false})
			return
		}
		status, answer, problem := h(r, body)
		call.Status, call.Problem = status, problem
		s.mu.Lock()
		hold := s.beforeAnswer
		drop := s.drops[route] > 0
		if drop {
			s.drops[route]--
		}
		s.mu.Unlock()
		if hold != nil {
			hold(route)
		}
		if drop {
			call.Status = http.StatusBadGateway
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if problem != "" {
			writeError(w, status, 50035, "Invalid Form Body: "+problem)
			return
		}
		if answer == nil {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(answer)
	})
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}

// Throttle makes the next n calls of route ("POST /guilds/{guild}/channels")
// answer 429 with the given retry_after, in seconds.
func (s *Server) Throttle(route string, n int, retryAfter float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.throttle[route] = append(s.throttle[route], retryAfter)
	}
}

// Drop makes the next n calls of route take effect and answer 502, as when
// Discord did the work and its answer was lost on the way.
func (s *Server) Drop(route string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops[route] += n
}

// BeforeAnswer makes f be called with the route of each REST call after the
// call took effect and before its answer leaves: a test that holds it there
// can kill drone between Discord's doing and drone's hearing of it.
func (s *Server) BeforeAnswer(f func(route string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeAnswer = f
}

// SetGlobalLimit makes the stand-in enforce Discord's global rate limit:
// at most n requests authenticated with the bot token in any one second;
// more are answered 429 with global set and the retry_after until a slot
// frees. Interaction answers and webhooks are not counted, as Discord
// counts them not.
func (s *Server) SetGlobalLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.globalLimit = n
}

// GlobalLimited counts the requests answered 429 for the global limit.
func (s *Server) GlobalLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// overGlobal counts a bot request against the global limit and returns the
// wait, in seconds, when it is over.
func (s *Server) overGlobal(route string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.globalLimit <= 0 || tokenFree(route) {
		return 0, false
	}
	now := time.Now()
	i := 0
	for i < len(s.recent) && now.Sub(s.recent[i]) >= time.Second {
		i++
	}
	s.recent = s.recent[i:]
	if len(s.recent) >= s.globalLimit {
		s.limited++
		return max(time.Second-now.Sub(s.recent[0]), time.Millisecond).Seconds(), true
	}
	s.recent = append(s.recent, now)
	return 0, false
}

// AddChannel adds a text channel of guild that drone did not create, such
// as a notification channel, and returns its id.
func (s *Server) AddChannel(guild, name string) string {
	c := &Channel{ID: NewID(), GuildID: guild, Name: name, Type: discordgo.ChannelTypeGuildText}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = c
	return c.ID
}

// AddWebhook adds an incoming webhook posting in channel and returns its
// URL.
func (s *Server) AddWebhook(channel string) string {
	id, token := NewID(), NewID()+"tok"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks[id] = webhook{token: token, channel: channel}
	return s.APIURL() + "/webhooks/" + id + "/" + token
}

// Messages returns the messages posted in a channel, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ChannelID == channel {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return snowflakeLess(out[i].ID, out[j].ID) })
	return out
}

func snowflakeLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func (s *Server) takeThrottle(route string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.throttle[route]
	if len(q) == 0 {
		return 0, false
	}
	s.throttle[route] = q[1:]
	return q[0], true
}

func (s *Server) add(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Calls returns every call received, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls of a route, in order.
func (s *Server) CallsTo(route string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Route == route {
			out = append(out, c)
		}
	}
	return out
}

// Wait waits until a call matching ok has been received (before or after
// Wait was called) and returns the first such, or ctx's error.
func (s *Server) Wait(ctx context.Context, ok func(Call) bool) (Call, error) {
	for {
		s.mu.Lock()
		calls, changed := append([]Call(nil), s.calls...), s.changed
		s.mu.Unlock()
		for _, c := range calls {
			if ok(c) { // outside the lock: ok may look at the stand-in
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			return Call{}, fmt.Errorf("waiting for a call: %w", ctx.Err())
		case <-changed:
		}
	}
}

// WaitN waits until n calls of route have been received and returns them.
func (s *Server) WaitN(ctx context.Context, route string, n int) ([]Call, error) {
	_, err := s.Wait(ctx, func(Call) bool { return len(s.CallsTo(route)) >= n })
	if err != nil {
		return nil, fmt.Errorf("waiting for %d calls of %s: %w", n, route, err)
	}
	return s.CallsTo(route), nil
}

// WaitResponse waits for the answer to an interaction sent through the REST
// callback (the gateway's way) and returns it.
func (s *Server) WaitResponse(ctx context.Context, interactionID string) (Response, error) {
	c, err := s.Wait(ctx, func(c Call) bool {
		return c.Route == "POST /interactions/{id}/{token}/callback" && strings.HasPrefix(c.Path, "/interactions/"+interactionID+"/")
	})
	if err != nil {
		return Response{}, err
	}
	return ParseResponse(c.Body)
}

// Channel returns a channel or thread drone created, or nil.
func (s *Server) Channel(id string) *Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		cp := *c
		return &cp
	}
	return nil
}

// Message returns a message drone posted, as last edited, or nil.
func (s *Server) Message(id string) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.messages[id]; ok {
		cp := *m
		return &cp
	}
	return nil
}

// Commands returns the commands registered globally ("") or in a guild.
func (s *Server) Commands(guild string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guild]
}

func (s *Server) getGateway(r *http.Request, _ []byte) (int, any, string) {
	url := "ws://" + r.Host + "/ws"
	return 200, map[string]any{"url": url, "shards": 1,
		"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}, ""
}

func (s *Server) putCommands(r *http.Request, body []byte) (int, any, string) {
	if r.PathValue("app") != s.AppID {
		return 403, nil, "unknown application"
	}
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(body, &cmds); err != nil {
		return 400, nil, "not a list of commands: " + err.Error()
	}
	if err := CheckCommands(cmds); err != nil {
		return 400, nil, err.Error()
	}
	for _, c := range cmds {
		c.ID, c.ApplicationID, c.GuildID = NewID(), s.AppID, r.PathValue("guild")
	}
	s.mu.Lock()
	s.commands[r.PathValue("guild")] = cmds
	s.mu.Unlock()
	return 200, cmds, ""
}

func (s *Server) callback(r *http.Request, body []byte) (int, any, string) {
	resp, err := ParseResponse(body)
	if err != nil {
		return 400, nil, err.Error()
	}
	if err := CheckResponse(resp); err != nil {
		return 400, nil, err.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if s.answered[id] {
		return 400, nil, "interaction has already been acknowledged"
	}
	s.answered[id] = true
	return 204, nil, ""
}

// readMessage decodes a message drone sends and checks it against
// Discord's limits; a new message must also hold something.
func readMessage(body []byte, create bool) (Message, string) {
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return m, err.Error()
	}
	if err := CheckMessage(m); err != nil {
		return m, err.Error()
	}
	if create && m.Content == "" && len(m.Embeds) == 0 {
		return m, "cannot send an empty message"
	}
	return m, ""
}

func (s *Server) editOriginal(r *http.Request, body []byte) (int, any, string) {
	m, problem := readMessage(body, false)
	if problem != "" {
		return 400, nil, problem
	}
	m.ID = NewID()
	return 200, m, ""
}

// followup answers an interaction's follow-up message, or executes an
// incoming webhook added with AddWebhook: its message is posted in the
// webhook's channel and returned when the URL asks ?wait=true.
func (s *Server) followup(r *http.Request, body []byte) (int, any, string) {
	s.mu.Lock()
	hook, ok := s.webhooks[r.PathValue("app")]
	s.mu.Unlock()
	if !ok {
		return s.editOriginal(r, body)
	}
	if hook.token != r.PathValue("token") {
		return 401, nil, "invalid webhook token"
	}
	m, problem := readMessage(body, true)
	if problem != "" {
		return 400, nil, problem
	}
	m.ID, m.ChannelID, m.WebhookID = NewID(), hook.channel, r.PathValue("app")
	s.mu.Lock()
	s.messages[m.ID] = &m
	s.mu.Unlock()
	if r.URL.Query().Get("wait") != "true" {
		return 204, nil, ""
	}
	return 200, m, ""
}

func (s *Server) listChannels(r *http.Request, _ []byte) (int, any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, c := range s.channels {
		if c.GuildID == r.PathValue("guild") {
			out = append(out, channelJSON(c))
		}
	}
	return 200, out, ""
}

func channelJSON(c *Channel) map[string]any {
	return map[string]any{"id": c.ID, "guild_id": c.GuildID, "name": c.Name, "type": c.Type, "parent_id": c.ParentID,
		"topic": c.Topic, "permission_overwrites": c.Overwrites, "owner_id": c.OwnerID}
}

func (s *Server) createChannel(r *http.Request, body []byte) (int, any, string) {
	var in struct {
		Name       string                           `json:"name"`
		Type       discordgo.ChannelType            `json:"type"`
		Topic      string                           `json:"topic"`
		ParentID   string                           `json:"parent_id"`
		Overwrites []*discordgo.PermissionOverwrite `json:"permission_overwrites"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return 400, nil, err.Error()
	}
	if n := Len(in.Name); n == 0 || n > 100 || strings.ToLower(in.Name) != in.Name || strings.ContainsAny(in.Name, " #") {
		return 400, nil, fmt.Sprintf("channel name %q: 1 to 100 lower-case characters, no spaces", in.Name)
	}
	if Len(in.Topic) > 1024 {
		return 400, nil, "topic longer than 1024 characters"
	}
	c := &Channel{ID: NewID(), GuildID: r.PathValue("guild"), Name: in.Name, Type: in.Type, ParentID: in.ParentID,
		Topic: in.Topic, Overwrites: in.Overwrites}
	s.mu.Lock()
	s.channels[c.ID] = c
	s.mu.Unlock()
	return 201, channelJSON(c), ""
}

func (s *Server) createThread(r *http.Request, body []byte) (int, any, string) {
	var in struct {
		Name string                `json:"name"`
		Type discordgo.ChannelType `json:"type"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return 400, nil, err.Error()
	}
	if n := Len(in.Name); n == 0 || n > 100 {
		return 400, nil, "thread name must hold 1 to 100 characters"
	}
	if in.Type != discordgo.ChannelTypeGuildPublicThread && in.Type != discordgo.ChannelTypeGuildPrivateThread {
		return 400, nil, "a thread is public (11) or private (12)"
	}
	c := &Channel{ID: NewID(), Name: in.Name, Type: in.Type, ParentID: r.PathValue("channel"), OwnerID: s.BotID}
	s.mu.Lock()
	if parent, ok := s.channels[c.ParentID]; ok {
		c.GuildID = parent.GuildID
	}
	s.channels[c.ID] = c
	s.mu.Unlock()
	return 201, channelJSON(c), ""
}

// activeThreads lists the guild's threads; a thread whose parent channel
// the stand-in does not know counts as every guild's.
func (s *Server) activeThreads(r *http.Request, _ []byte) (int, any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	threads := []map[string]any{}
	for _, c := range s.channels {
		thread := c.Type == discordgo.ChannelTypeGuildPublicThread || c.Type == discordgo.ChannelTypeGuildPrivateThread
		if thread && (c.GuildID == r.PathValue("guild") || c.GuildID == "") {
			threads = append(threads, channelJSON(c))
		}
	}
	return 200, map[string]any{"threads": threads, "members": []any{}}, ""
}

func (s *Server) addThreadMember(r *http.Request, _ []byte) (int, any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[r.PathValue("channel")]
	if !ok {
		return 404, nil, "unknown channel"
	}
	c.Members = append(c.Members, r.PathValue("user"))
	return 204, nil, ""
}

func (s *Server) setPermission(r *http.Request, body []byte) (int, any, string) {
	var o discordgo.PermissionOverwrite
	if err := json.Unmarshal(body, &o); err != nil {
		return 400, nil, err.Error()
	}
	o.ID = r.PathValue("target")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[r.PathValue("channel")]
	if !ok {
		return 404, nil, "unknown channel"
	}
	c.Overwrites = append(c.Overwrites, &o)
	return 204, nil, ""
}

func (s *Server) postMessage(r *http.Request, body []byte) (int, any, string) {
	var m Message
	var problem string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		m, problem = readMultipartMessage(r.Header.Get("Content-Type"), body)
	} else {
		m, problem = readMessage(body, true)
	}
	if problem != "" {
		return 400, nil, problem
	}
	m.ID, m.ChannelID = NewID(), r.PathValue("channel")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[m.ChannelID]; !ok {
		return 404, nil, "unknown channel"
	}
	if ref := m.Reference; ref != nil {
		if old, ok := s.messages[ref.MessageID]; !ok || old.ChannelID != m.ChannelID {
			return 400, nil, "message_reference: unknown message"
		}
	}
	key := string(m.Nonce)
	if m.EnforceNonce && key != "" {
		if Len(strings.Trim(key, `"`)) > 25 {
			return 400, nil, "nonce longer than 25 characters"
		}
		if n, ok := s.nonces[key]; ok && time.Since(n.at) < nonceWindow {
			return 200, s.messages[n.message], ""
		}
		s.nonces[key] = nonced{message: m.ID, at: time.Now()}
	}
	s.messages[m.ID] = &m
	return 200, m, ""
}

func (s *Server) editMessage(r *http.Request, body []byte) (int, any, string) {
	m, problem := readMessage(body, false)
	if problem != "" {
		return 400, nil, problem
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.messages[r.PathValue("message")]
	if !ok || old.ChannelID != r.PathValue("channel") {
		return 404, nil, "unknown message"
	}
	m.ID, m.ChannelID = old.ID, old.ChannelID
	if m.Content == "" {
		m.Content = old.Content // an edit without content keeps it
	}
	s.messages[m.ID] = &m
	return 200, m, ""
}

// listMessages answers a channel's messages, newest first, after the id
// in ?after= when given, at most ?limit= (1 to 100, default 50).
func (s *Server) listMessages(r *http.Request, _ []byte) (int, any, string) {
	ch := r.PathValue("channel")
	s.mu.Lock()
	_, ok := s.channels[ch]
	s.mu.Unlock()
	if !ok {
		return 404, nil, "unknown channel"
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 || limit > 100 {
		limit = 50
	}
	after := r.URL.Query().Get("after")
	out := []Message{}
	msgs := s.Messages(ch)
	for i := len(msgs) - 1; i >= 0 && len(out) < limit; i-- {
		if after == "" || snowflakeLess(after, msgs[i].ID) {
			out = append(out, msgs[i])
		}
	}
	return 200, out, ""
}

// ForgetNonces forgets the enforced nonces, as Discord does after a few
// minutes: a message sent again with one is made again.
func (s *Server) ForgetNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.nonces)
}

func (s *Server) pin(r *http.Request, _ []byte) (int, any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.messages[r.PathValue("message")]; !ok {
		return 404, nil, "unknown message"
	}
	return 204, nil, ""
}
