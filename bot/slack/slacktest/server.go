// Package slacktest is an in-process stand-in for Slack, serving on
// loopback what drone's Slack adapter uses: the Web API methods it calls
// (with token checks, realistic ts values, ok:false errors and 429s with
// Retry-After on demand, and a record of every call), apps.connections.open
// with a WebSocket that speaks Socket Mode (envelopes out, acknowledgements
// in), and the signed HTTP requests Slack sends to an app's endpoints.
//
// It is not Slack: it keeps a workspace in memory (users, user groups,
// channels with their messages and threads, modal views, trigger ids) and
// checks what drone relies on, such as the three seconds a trigger id
// lives, view limits, channel membership and name rules.
package slacktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// Identities of the app the stand-in plays.
const (
	TeamID    = "T0DRONE01"
	AppID     = "A0DRONE01"
	BotUserID = "U0DRONEBOT"
	BotID     = "B0DRONEBOT"
)

// Options configures a Server; the zero value is ready to use.
type Options struct {
	// BotToken, AppToken and SigningSecret default to random values with
	// Slack's prefixes (xoxb-, xapp-).
	BotToken, AppToken, SigningSecret string
	// TriggerTTL is how long a trigger id may open a view. Defaults to 3s,
	// Slack's.
	TriggerTTL time.Duration
	// PingInterval is how often the Socket Mode WebSocket is pinged.
	// Defaults to 5s (slack-go gives up on a silent connection after 30s).
	PingInterval time.Duration
	// PostInterval, when set, is the least time between two
	// chat.postMessage calls in one channel: a post sooner is answered 429
	// with Retry-After, as Slack answers more than about one message a
	// second in a channel. Defaults to no limit.
	PostInterval time.Duration
	// BeforeAnswer, when set, is called with the method of each Web API
	// call after the call took effect and before its answer leaves: a test
	// that holds it there can kill drone between Slack's doing and drone's
	// hearing of it.
	BeforeAnswer func(method string)
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.BotToken == "" {
		o.BotToken = "xoxb-" + randomHex(12)
	}
	if o.AppToken == "" {
		o.AppToken = "xapp-1-" + randomHex(12)
	}
	if o.SigningSecret == "" {
		o.SigningSecret = randomHex(16)
	}
	if o.TriggerTTL <= 0 {
		o.TriggerTTL = 3 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// Server is a running stand-in.
type Server struct {
	opts Options
	http *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever state changes
	calls    []Call
	faults   map[string][]fault
	users    map[string]*User
	groups   map[string]*UserGroup
	channels map[string]*Channel
	webhooks map[string]string // incoming webhook path -> channel id
	views    map[string]*View
	triggers map[string]trigger
	lastTS   time.Time
	seq      int
	limited  int // posts answered 429 for coming too soon
	sockets  *socketHub
	files    map[string]*File // uploads, by file id
}

// Call is one Web API call the stand-in received.
type Call struct {
	Method string
	Token  string
	// Params holds the form fields, or the top-level fields of a JSON body
	// (objects re-encoded as JSON text).
	Params map[string]string
	// Status is the HTTP status answered; Error the ok:false error, if any.
	Status int
	Error  string
	At     time.Time
}

// User is a workspace member.
type User struct {
	ID, Name string
}

// UserGroup is a user group (a "subteam") with its members.
type UserGroup struct {
	ID, Handle string
	Users      []string
}

type fault struct {
	err        string // ok:false error, when not rate limited
	retryAfter int    // seconds, for a 429
	drop       bool   // the call takes effect, its answer is lost
}

// NewServer starts a stand-in on 127.0.0.1; Close stops it.
func NewServer(opts Options) *Server {
	s := &Server{opts: opts.withDefaults(), changed: make(chan struct{}), faults: map[string][]fault{},
		users: map[string]*User{}, groups: map[string]*UserGroup{}, channels: map[string]*Channel{},
		webhooks: map[string]string{}, views: map[string]*View{}, triggers: map[string]trigger{}}
	s.users[BotUserID] = &User{ID: BotUserID, Name: "drone"}
	s.sockets = newSocketHub(s)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/socket", s.sockets.serve)
	mux.HandleFunc("POST /services/", s.serveWebhook)
	mux.HandleFunc("POST /upload/", s.serveUpload)
	s.http = httptest.NewServer(mux)
	return s
}

// New starts a stand-in that stops when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// Close closes Socket Mode connections and stops the server.
func (s *Server) Close() {
	s.sockets.close()
	s.http.Close()
}

// APIURL is the Web API base URL, with the trailing slash slack-go needs.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// BotToken returns the bot token the Web API accepts.
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppToken returns the app-level token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// SigningSecret returns the secret requests to the app are signed with.
func (s *Server) SigningSecret() string { return s.opts.SigningSecret }

// AddUser adds a workspace member.
func (s *Server) AddUser(id, name string) {
	s.update(func() { s.users[id] = &User{ID: id, Name: name} })
}

// AddUserGroup adds a user group with its members.
func (s *Server) AddUserGroup(id, handle string, members ...string) {
	s.update(func() { s.groups[id] = &UserGroup{ID: id, Handle: handle, Users: members} })
}

// AddChannel creates a public channel with the given members (the bot
// among them when it should read it) and returns its id.
func (s *Server) AddChannel(name string, members ...string) string {
	var id string
	s.update(func() {
		ch := s.newChannel(name, false, "")
		for _, m := range members {
			ch.Members[m] = true
		}
		id = ch.ID
	})
	return id
}

// Post adds a message by a user to a channel (in the thread of threadTS
// when it is set) and returns its ts.
func (s *Server) Post(channelID, userID, text, threadTS string) (string, error) {
	var ts string
	var err error
	s.update(func() {
		ch := s.channels[channelID]
		if ch == nil {
			err = fmt.Errorf("no channel %s", channelID)
			return
		}
		ts = ch.add(s.nextTS(), Message{User: userID, Text: text, ThreadTS: threadTS}).TS
	})
	return ts, err
}

// RateLimit makes the next n calls of method answer 429 with Retry-After.
func (s *Server) RateLimit(method string, n int, retryAfter time.Duration) {
	s.update(func() {
		for range n {
			s.faults[method] = append(s.faults[method], fault{retryAfter: max(int(retryAfter/time.Second), 1)})
		}
	})
}

// Fail makes the next n calls of method answer ok:false with the error.
func (s *Server) Fail(method, errCode string, n int) {
	s.update(func() {
		for range n {
			s.faults[method] = append(s.faults[method], fault{err: errCode})
		}
	})
}

// Drop makes the next n calls of method take effect and answer 502, as
// when Slack did the work and its answer was lost on the way.
func (s *Server) Drop(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{drop: true})
	}
}

// Calls returns the calls received, of the given methods (all when none).
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Wait blocks until cond holds, or ctx is done; cond is checked again
// after every change of the stand-in's state, and every 20ms for what
// changes elsewhere (the app's own database).
func (s *Server) Wait(ctx context.Context, what string, cond func(*Server) bool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// Count returns how many calls of method succeeded.
func (s *Server) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == method && c.Status == http.StatusOK && c.Error == "" {
			n++
		}
	}
	return n
}

// update runs fn under the lock and wakes waiters.
func (s *Server) update(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
	s.notify()
}

// notify wakes waiters; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTS returns a message timestamp as Slack writes them ("1712345678.000100"):
// seconds and microseconds, strictly increasing. s.mu must be held.
func (s *Server) nextTS() string {
	t := s.opts.Now().Truncate(time.Microsecond)
	if !t.After(s.lastTS) {
		t = s.lastTS.Add(time.Microsecond)
	}
	s.lastTS = t
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// nextID returns a new Slack-like id with the prefix. s.mu must be held.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08X", prefix, s.seq)
}

// trigger is an issued trigger id: when, and for whom.
type trigger struct {
	at   time.Time
	user string
}

// newTrigger issues a trigger id for a user, valid for Options.TriggerTTL;
// s.mu must be held.
func (s *Server) newTrigger(user string) string {
	s.seq++
	id := fmt.Sprintf("%d.%d.%s", 1000000000+s.seq, s.opts.Now().Unix(), randomHex(16))
	s.triggers[id] = trigger{at: s.opts.Now(), user: user}
	return id
}

// useTrigger returns the user of a trigger id, or the views.open error
// when it is unknown, used or expired. s.mu must be held.
func (s *Server) useTrigger(id string) (string, string) {
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return "", "invalid_trigger_id"
	case s.opts.Now().Sub(t.at) > s.opts.TriggerTTL:
		return "", "expired_trigger_id"
	}
	delete(s.triggers, id) // a trigger opens one view
	return t.user, ""
}

// ErrNoSocket is returned when Socket Mode delivery finds no connection.
var ErrNoSocket = errors.New("slacktest: no Socket Mode connection")
