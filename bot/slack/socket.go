package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Socket Mode serving bounds: requests served at once, and how long one
// may take (Slack wants the acknowledgement within 3 seconds; the rest is
// the margin for a store under load).
const (
	socketWorkers = 64
	socketTimeout = 10 * time.Second
)

// runSocket serves Socket Mode until ctx is done: slack-go keeps the
// WebSocket (reconnecting when Slack asks), and each envelope is served by
// the same handlers as HTTP requests, its answer sent as the
// acknowledgement's payload.
func (h *Handler) runSocket(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sm := socketmode.New(h.api, socketmode.OptionLog(logWriter{h.log}))
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	var wg sync.WaitGroup
	sem := make(chan struct{}, socketWorkers)
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			<-done
			return ctx.Err()
		case err := <-done:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-sm.Events:
			h.socketEvent(ctx, sm, evt, func(serve func(context.Context) (any, error), req *socketmode.Request) {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					h.serveEnvelope(ctx, sm, req, serve)
				}()
			})
		}
	}
}

// socketEvent dispatches one event of the Socket Mode client.
func (h *Handler) socketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event,
	spawn func(func(context.Context) (any, error), *socketmode.Request)) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if ok && evt.Request != nil {
			spawn(func(ctx context.Context) (any, error) { return h.command(ctx, cmd) }, evt.Request)
		}
	case socketmode.EventTypeInteractive:
		ic, ok := evt.Data.(slack.InteractionCallback)
		if ok && evt.Request != nil {
			spawn(func(ctx context.Context) (any, error) { return h.interaction(ctx, &ic) }, evt.Request)
		}
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			payload := evt.Request.Payload
			spawn(func(ctx context.Context) (any, error) { return h.event(ctx, payload) }, evt.Request)
		}
	case socketmode.EventTypeErrorBadMessage:
		h.badEnvelope(evt, spawn)
	case socketmode.EventTypeConnected:
		h.log.Info("slack: socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		h.log.Warn("slack: socket mode trouble", "event", string(evt.Type), "detail", fmt.Sprint(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		h.log.Error("slack: socket mode refused the app token")
	}
}

// badEnvelope handles an envelope slack-go could not parse: an event of a
// type it does not know is still served (drone reads events itself), and
// anything else is acknowledged, so that Slack does not send it again.
func (h *Handler) badEnvelope(evt socketmode.Event, spawn func(func(context.Context) (any, error), *socketmode.Request)) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var req socketmode.Request
	if err := json.Unmarshal(bad.Message, &req); err != nil || req.EnvelopeID == "" {
		h.log.Warn("slack: unreadable socket mode message", "err", bad.Cause)
		return
	}
	if req.Type == socketmode.RequestTypeEventsAPI {
		spawn(func(ctx context.Context) (any, error) { return h.event(ctx, req.Payload) }, &req)
		return
	}
	h.log.Warn("slack: malformed socket mode request", "type", req.Type, "err", bad.Cause)
	spawn(func(context.Context) (any, error) { return nil, nil }, &req)
}

// serveEnvelope serves one request and acknowledges it with the answer.
// A request already being served when drone stops is finished.
func (h *Handler) serveEnvelope(ctx context.Context, sm *socketmode.Client, req *socketmode.Request,
	serve func(context.Context) (any, error)) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), socketTimeout)
	defer cancel()
	out, err := h.safely(sctx, serve)
	if err != nil {
		if errors.Is(err, errBadRequest) {
			h.log.Warn("slack: malformed request", "type", req.Type, "err", err)
		} else {
			h.log.Error("slack: serving a request", "type", req.Type, "err", err)
		}
		out = nil
	}
	if err := sm.AckCtx(sctx, req.EnvelopeID, out); err != nil {
		h.log.Warn("slack: acknowledging a socket mode request", "type", req.Type, "err", err)
	}
}

// safely runs serve, turning a panic into an error: one bad envelope must
// not take the connection down.
func (h *Handler) safely(ctx context.Context, serve func(context.Context) (any, error)) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panic serving a request: %v", p)
		}
	}()
	return serve(ctx)
}

// logWriter passes slack-go's socket mode log lines to slog at debug level.
type logWriter struct{ log *slog.Logger }

func (l logWriter) Output(_ int, s string) error {
	l.log.Debug("slack socketmode: " + strings.TrimSpace(s))
	return nil
}
