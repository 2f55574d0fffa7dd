// Package misptest is an in-process stand-in for MISP's REST API, on
// 127.0.0.1 over real HTTP: attribute and event searches, sightings,
// event creation, the version and the key's user, with MISP's JSON shapes.
// It checks the Authorization header, keeps its data in memory, counts the
// calls per route, enforces a rate limit of its own when asked, and
// injects faults: a lost answer after the work is done, an error status
// (429 with Retry-After), latency.
package misptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Version is the MISP version the stand-in reports.
const Version = "2.4.190"

// Routes of the stand-in, as Calls and the faults name them.
const (
	RouteVersion         = "GET /servers/getVersion"
	RouteMe              = "GET /users/view/me"
	RouteAttributeSearch = "POST /attributes/restSearch"
	RouteEventSearch     = "POST /events/restSearch"
	RouteEventAdd        = "POST /events/add"
	RouteSightingAdd     = "POST /sightings/add"
	RouteSightingSearch  = "POST /sightings/restSearch/attribute"
)

// Attribute is an attribute the stand-in holds.
type Attribute struct {
	ID, EventID, UUID     string
	Type, Category, Value string
	ToIDS                 bool
	FirstSeen, LastSeen   string
	Tags                  []string
}

// Event is an event the stand-in holds.
type Event struct {
	ID, UUID, Info                        string
	ThreatLevelID, Distribution, Analysis string
	Date                                  string
	Tags                                  []string
	Attributes                            []*Attribute
}

// Sighting is a sighting the stand-in holds.
type Sighting struct {
	ID, AttributeID, Source, Type string
}

// Server is a running stand-in.
type Server struct {
	URL string
	Key string

	mu        sync.Mutex
	nextID    int
	events    []*Event
	sightings []Sighting
	calls     map[string]int
	limited   int
	limiter   *rate.Limiter
	faults    []fault
	latency   time.Duration
	hold      *hold
	srv       *httptest.Server
}

// hold keeps the answers of a route's calls after the first pass.
type hold struct {
	route   string
	pass    int
	held    chan struct{} // closed when a call is first held
	release chan struct{} // closed by the release func
	once    sync.Once
}

// fault is one injected failure for the next n calls of a route ("" any).
type fault struct {
	route  string
	n      int
	status int  // 0 with drop: lose the answer after the work
	drop   bool // do the work, then close the connection unanswered
	delay  time.Duration
}

// New starts a stand-in accepting key, closed when the test ends.
func New(t testing.TB, key string) *Server {
	s := Start(key)
	t.Cleanup(s.Close)
	return s
}

// Start starts a stand-in accepting key; Close stops it. Benchmark
// programs use it outside tests.
func Start(key string) *Server {
	s := &Server{Key: key, calls: map[string]int{}, nextID: 1}
	mux := http.NewServeMux()
	handle := func(route string, h func(http.ResponseWriter, *http.Request) any) {
		mux.HandleFunc(route, s.wrap(route, h))
	}
	handle(RouteVersion, s.version)
	handle(RouteMe, s.me)
	handle(RouteAttributeSearch, s.attributeSearch)
	handle(RouteEventSearch, s.eventSearch)
	handle(RouteEventAdd, s.eventAdd)
	handle(RouteSightingAdd, s.sightingAdd)
	handle(RouteSightingSearch, s.sightingSearch)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the stand-in.
func (s *Server) Close() { s.srv.Close() }

// Limit makes the stand-in answer 429 (Retry-After: 1) to requests beyond
// perSecond, with a burst of one second's worth; 0 lifts the limit.
func (s *Server) Limit(perSecond float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perSecond <= 0 {
		s.limiter = nil
		return
	}
	s.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
}

// FailNext makes the next n calls of route ("" for any) answer status
// before doing anything; a 429 carries Retry-After: 1.
func (s *Server) FailNext(route string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{route: route, n: n, status: status})
}

// DropAfterCommit makes the next n calls of route ("" for any) do their
// work, then close the connection without answering, as a proxy timeout
// after MISP's commit would.
func (s *Server) DropAfterCommit(route string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{route: route, n: n, drop: true})
}

// HoldAfterCommit lets the next pass calls of route through, then makes
// every later one do its work and wait, unanswered, until its client goes
// away or release is called: a MISP that committed and then hung, for a
// test that kills drone meanwhile. held is closed when the first call is
// held.
func (s *Server) HoldAfterCommit(route string, pass int) (held <-chan struct{}, release func()) {
	h := &hold{route: route, pass: pass, held: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.hold = h
	s.mu.Unlock()
	var once sync.Once
	return h.held, func() { once.Do(func() { close(h.release) }) }
}

// takeHold reports whether a call of route that did its work is held.
func (s *Server) takeHold(route string) *hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hold
	if h == nil || h.route != route {
		return nil
	}
	if h.pass > 0 {
		h.pass--
		return nil
	}
	return h
}

// SlowNext delays the next n calls of route ("" for any) by d before
// anything is done, as a MISP busy with a long search would.
func (s *Server) SlowNext(route string, n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{route: route, n: n, delay: d})
}

// Latency delays every answer by d, until called again with 0.
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Calls returns how many authenticated calls a route received, faults
// included.
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// Limited returns how many calls the stand-in's rate limit refused.
func (s *Server) Limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// AddEvent stores an event with its attributes, as if an analyst had
// made it, and returns it with ids given.
func (s *Server) AddEvent(e Event) *Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store(e)
}

func (s *Server) store(e Event) *Event {
	ev := e
	ev.ID = s.id()
	ev.UUID = fmt.Sprintf("00000000-0000-4000-8000-%012s", ev.ID)
	if ev.ThreatLevelID == "" {
		ev.ThreatLevelID = "4"
	}
	ev.Attributes = nil
	for _, a := range e.Attributes {
		at := *a
		at.ID, at.EventID = s.id(), ev.ID
		at.UUID = fmt.Sprintf("00000000-0000-4000-9000-%012s", at.ID)
		ev.Attributes = append(ev.Attributes, &at)
	}
	s.events = append(s.events, &ev)
	return &ev
}

func (s *Server) id() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}

// Events returns a copy of the events held.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.events))
	for i, e := range s.events {
		out[i] = *e
	}
	return out
}

// Sightings returns the sightings held.
func (s *Server) Sightings() []Sighting {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sighting(nil), s.sightings...)
}

// wrap checks the key, counts the call, applies the faults and the rate
// limit, then runs h and writes its answer as JSON.
func (s *Server) wrap(route string, h func(http.ResponseWriter, *http.Request) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != s.Key || s.Key == "" {
			// MISP's answer to a wrong key.
			writeJSON(w, http.StatusForbidden, map[string]any{"name": "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.",
				"message": "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.", "url": r.URL.Path})
			return
		}
		// Read the body first: the server notices a client that went away
		// (its context ends) only once the body is read.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		drop, status, limited, latency := s.admit(route)
		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case limited:
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"name": "Too many requests", "message": "Rate limit exceeded.", "url": r.URL.Path})
			return
		case status != 0:
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			writeJSON(w, status, map[string]any{"name": "misptest: injected failure", "message": "misptest: injected failure", "url": r.URL.Path})
			return
		}
		out := h(w, r)
		if out == nil {
			return // h answered
		}
		if drop {
			dropConnection(w)
			return
		}
		if h := s.takeHold(route); h != nil {
			h.once.Do(func() { close(h.held) })
			select {
			case <-h.release:
			case <-r.Context().Done():
				return
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// admit counts a call and takes what happens to it.
func (s *Server) admit(route string) (drop bool, status int, limited bool, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[route]++
	latency = s.latency
	for i := range s.faults {
		f := &s.faults[i]
		if f.n > 0 && (f.route == "" || f.route == route) {
			f.n--
			if f.drop {
				return true, 0, false, latency
			}
			if f.delay > 0 {
				return false, 0, false, latency + f.delay
			}
			return false, f.status, false, latency
		}
	}
	if s.limiter != nil && !s.limiter.Allow() {
		s.limited++
		return false, 0, true, latency
	}
	return false, 0, false, latency
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// badRequest answers MISP's 400 and tells wrap it did.
func badRequest(w http.ResponseWriter, r *http.Request, msg string) any {
	writeJSON(w, http.StatusBadRequest, map[string]any{"name": msg, "message": msg, "url": r.URL.Path})
	return nil
}

// strings1 reads a filter MISP takes as a string or a list of strings.
func strings1(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// matches reports whether an attribute's value holds v: itself, or one
// half of a composite value ("evil.example|203.0.113.7").
func matches(value, v string) bool {
	if strings.EqualFold(value, v) {
		return true
	}
	for _, part := range strings.Split(value, "|") {
		if strings.EqualFold(part, v) {
			return true
		}
	}
	return false
}
