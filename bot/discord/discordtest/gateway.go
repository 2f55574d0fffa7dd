package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// gateway is the stand-in's gateway: the WebSocket sessions that identified.
type gateway struct {
	mu       sync.Mutex
	sessions map[*websocket.Conn]*gatewaySession
	ready    chan struct{} // closed and replaced when a session identifies
}

// gatewaySession is one identified connection.
type gatewaySession struct {
	mu       sync.Mutex // one writer at a time
	conn     *websocket.Conn
	seq      int64
	last     *frame // the last event dispatched, for Replay
	identify json.RawMessage
}

type frame struct {
	Op   int             `json:"op"`
	Data json.RawMessage `json:"d,omitempty"`
	Seq  int64           `json:"s,omitempty"`
	Type string          `json:"t,omitempty"`
}

func (g *gatewaySession) send(op int, typ string, data any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	f := frame{Op: op, Data: raw, Type: typ}
	if op == 0 {
		g.seq++
		f.Seq = g.seq
		g.last = &f
	}
	return g.conn.WriteJSON(f)
}

// replay sends the last event again, with its sequence number.
func (g *gatewaySession) replay() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		return errors.New("no event dispatched yet")
	}
	return g.conn.WriteJSON(*g.last)
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveGateway speaks the gateway's opening: Hello, then Identify with the
// bot token (a wrong token closes with 4004, as Discord does), then READY;
// afterwards it acknowledges heartbeats and dispatches what Dispatch sends.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	gs := &gatewaySession{conn: conn}
	if gs.send(10, "", map[string]int{"heartbeat_interval": 41250}) != nil {
		return
	}
	var f frame
	if conn.ReadJSON(&f) != nil || f.Op != 2 {
		return
	}
	var id struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(f.Data, &id) != nil || id.Token != "Bot "+s.Token {
		msg := websocket.FormatCloseMessage(4004, "Authentication failed.")
		conn.WriteMessage(websocket.CloseMessage, msg)
		return
	}
	gs.identify = f.Data
	ready := map[string]any{"v": 10, "session_id": NewID(), "guilds": []any{}, "resume_gateway_url": "ws://" + r.Host + "/ws",
		"user": map[string]any{"id": s.BotID, "username": "drone", "bot": true}, "application": map[string]any{"id": s.AppID}}
	if gs.send(0, "READY", ready) != nil {
		return
	}
	s.gateway.add(gs)
	defer s.gateway.remove(conn)
	for {
		if err := conn.ReadJSON(&f); err != nil {
			return
		}
		if f.Op == 1 && gs.send(11, "", nil) != nil {
			return
		}
	}
}

func (g *gateway) add(gs *gatewaySession) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions[gs.conn] = gs
	if g.ready != nil {
		close(g.ready)
		g.ready = nil
	}
}

func (g *gateway) remove(c *websocket.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.sessions, c)
}

func (g *gateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.sessions {
		c.Close()
	}
}

// WaitGateway waits until a gateway session has identified.
func (s *Server) WaitGateway(ctx context.Context) error {
	g := &s.gateway
	for {
		g.mu.Lock()
		if len(g.sessions) > 0 {
			g.mu.Unlock()
			return nil
		}
		if g.ready == nil {
			g.ready = make(chan struct{})
		}
		ready := g.ready
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for drone to identify on the gateway: %w", ctx.Err())
		case <-ready:
		}
	}
}

// Identified returns the identify payloads of the sessions connected.
func (s *Server) Identified() []json.RawMessage {
	g := &s.gateway
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []json.RawMessage
	for _, gs := range g.sessions {
		out = append(out, gs.identify)
	}
	return out
}

// DispatchEvent sends a gateway event of type typ (MESSAGE_REACTION_ADD,
// CHANNEL_PINS_UPDATE...) with its data to every identified session.
func (s *Server) DispatchEvent(typ string, data any) error {
	g := &s.gateway
	g.mu.Lock()
	sessions := make([]*gatewaySession, 0, len(g.sessions))
	for _, gs := range g.sessions {
		sessions = append(sessions, gs)
	}
	g.mu.Unlock()
	if len(sessions) == 0 {
		return errors.New("no gateway session to dispatch to")
	}
	for _, gs := range sessions {
		if err := gs.send(0, typ, data); err != nil {
			return fmt.Errorf("dispatching %s: %w", typ, err)
		}
	}
	return nil
}

// Replay sends every session's last event again, with its sequence
// number, as Discord replays the events a resumed session may have missed:
// the same event, dispatched twice.
func (s *Server) Replay() error {
	g := &s.gateway
	g.mu.Lock()
	sessions := make([]*gatewaySession, 0, len(g.sessions))
	for _, gs := range g.sessions {
		sessions = append(sessions, gs)
	}
	g.mu.Unlock()
	if len(sessions) == 0 {
		return errors.New("no gateway session to replay to")
	}
	for _, gs := range sessions {
		if err := gs.replay(); err != nil {
			return fmt.Errorf("replaying: %w", err)
		}
	}
	return nil
}

// Dispatch sends an interaction (a JSON-ready value, such as one of this
// package's builders makes) to every identified session as
// INTERACTION_CREATE.
func (s *Server) Dispatch(interaction any) error {
	return s.DispatchEvent("INTERACTION_CREATE", interaction)
}
