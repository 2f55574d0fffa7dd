package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketHub serves Socket Mode: the WebSocket that apps.connections.open
// points at. It sends envelopes and hands their acknowledgements back.
type socketHub struct {
	s        *Server
	upgrader websocket.Upgrader

	mu      sync.Mutex
	conns   []*socketConn
	pending map[string]chan json.RawMessage // envelope id -> its ack's payload
	closed  bool
	wg      sync.WaitGroup
}

type socketConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // gorilla allows one writer at a time
	done chan struct{}
	// retired is set (under the hub's lock) once the client was asked to
	// reconnect: no envelope goes there any more, acks still come back.
	retired bool
}

func newSocketHub(s *Server) *socketHub {
	h := &socketHub{s: s, pending: map[string]chan json.RawMessage{}}
	// Slack's clients (slack-go among them) send the Origin of Slack's site.
	h.upgrader.CheckOrigin = func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		return o == "" || o == "https://api.slack.com"
	}
	return h
}

func (h *socketHub) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("ticket") == "" {
		http.Error(w, "missing ticket", http.StatusUnauthorized)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ws.Close()
		return
	}
	h.conns = append(h.conns, c)
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	defer h.drop(c)
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "slacktest", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID}}
	if err := c.write(hello); err != nil {
		return
	}
	h.s.update(func() {}) // wake those waiting for a connection
	go c.ping(h.s.opts.PingInterval)
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		h.mu.Lock()
		ch := h.pending[ack.EnvelopeID]
		delete(h.pending, ack.EnvelopeID)
		h.mu.Unlock()
		if ch != nil {
			ch <- ack.Payload
		}
	}
}

func (c *socketConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
}

// ping pings until the connection ends, as Slack does: slack-go reconnects
// when pings stop.
func (c *socketConn) ping(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			c.wmu.Lock()
			err := c.ws.WriteControl(websocket.PingMessage, []byte("slacktest"), time.Now().Add(5*time.Second))
			c.wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (h *socketHub) drop(c *socketConn) {
	h.mu.Lock()
	for i, x := range h.conns {
		if x == c {
			h.conns = append(h.conns[:i], h.conns[i+1:]...)
			break
		}
	}
	h.mu.Unlock()
	close(c.done)
	c.ws.Close()
	h.s.update(func() {})
}

func (h *socketHub) close() {
	h.mu.Lock()
	h.closed = true
	conns := append([]*socketConn(nil), h.conns...)
	h.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
	h.wg.Wait()
}

// SocketConnections returns how many Socket Mode connections are open and
// not asked to reconnect.
func (s *Server) SocketConnections() int {
	s.sockets.mu.Lock()
	defer s.sockets.mu.Unlock()
	return s.sockets.liveLocked()
}

// liveLocked counts the connections envelopes may go to; h.mu must be held.
func (h *socketHub) liveLocked() int {
	n := 0
	for _, c := range h.conns {
		if !c.retired {
			n++
		}
	}
	return n
}

// newestLocked is the newest live connection, or nil; h.mu must be held.
func (h *socketHub) newestLocked() *socketConn {
	for i := len(h.conns) - 1; i >= 0; i-- {
		if !h.conns[i].retired {
			return h.conns[i]
		}
	}
	return nil
}

// Envelope is a Socket Mode request to send to the app.
type Envelope struct {
	Type    string // "slash_commands", "interactive", "events_api"
	Payload json.RawMessage
	// AcceptsResponsePayload says the app may answer with a payload
	// (slash commands and interactions).
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
}

// SendEnvelope sends an envelope over the newest Socket Mode connection
// (waiting for one until ctx is done) and returns its acknowledgement's
// payload (nil when the app answered with none).
func (s *Server) SendEnvelope(ctx context.Context, e Envelope) (json.RawMessage, error) {
	h := s.sockets
	if err := s.Wait(ctx, "a Socket Mode connection", func(*Server) bool { return h.count() > 0 }); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSocket, err)
	}
	h.mu.Lock()
	c := h.newestLocked()
	if c == nil {
		h.mu.Unlock()
		return nil, ErrNoSocket
	}
	id := randomHex(4) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(2) + "-" + randomHex(6)
	acked := make(chan json.RawMessage, 1)
	h.pending[id] = acked
	h.mu.Unlock()
	env := map[string]any{"envelope_id": id, "type": e.Type, "payload": e.Payload,
		"accepts_response_payload": e.AcceptsResponsePayload, "retry_attempt": e.RetryAttempt, "retry_reason": e.RetryReason}
	if err := c.write(env); err != nil {
		h.forget(id)
		return nil, fmt.Errorf("sending envelope: %w", err)
	}
	select {
	case p := <-acked:
		if string(p) == "null" {
			p = nil
		}
		return p, nil
	case <-ctx.Done():
		h.forget(id)
		return nil, fmt.Errorf("waiting for the acknowledgement of envelope %s: %w", id, ctx.Err())
	}
}

func (h *socketHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.liveLocked()
}

func (h *socketHub) forget(id string) {
	h.mu.Lock()
	delete(h.pending, id)
	h.mu.Unlock()
}

// Disconnect asks every Socket Mode client to reconnect, as Slack does
// before it recycles a connection; envelopes then wait for the new one.
func (s *Server) Disconnect() error {
	h := s.sockets
	h.mu.Lock()
	conns := append([]*socketConn(nil), h.conns...)
	for _, c := range conns {
		c.retired = true
	}
	h.mu.Unlock()
	for _, c := range conns {
		msg := map[string]any{"type": "disconnect", "reason": "refresh_requested",
			"debug_info": map[string]any{"host": "slacktest"}}
		if err := c.write(msg); err != nil {
			return fmt.Errorf("sending disconnect: %w", err)
		}
	}
	return nil
}
