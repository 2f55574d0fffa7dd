package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/bot/chat"
	"github.com/ttp0/drone/drone"
)

// External reference keys the adapter records on incidents.
const (
	KeyChannel = "slack.channel" // the incident channel's id
	KeyTS      = "slack.ts"      // the ts of the notification in it
)

// Ids of the app's interactive parts, shared with the manifest.
const (
	ShortcutAddIndicators = "drone.add_indicators"
	ShortcutAddToTimeline = "drone.add_to_timeline"

	cbDeclare    = "drone.declare"
	cbStatus     = "drone.status"
	cbClose      = "drone.close"
	cbIndicators = "drone.indicators"
	cbInfo       = "drone.info"
	cbTimeline   = "drone.timeline"

	actionPrefix = "drone."
	actionOffer  = "drone.offer"
)

// followTimeout bounds the work done after an acknowledgement (opening a
// modal, an ephemeral answer): its result is worthless to a waiting user
// after that.
const followTimeout = 15 * time.Second

// errBadRequest marks a payload that cannot be understood: answered with 400.
var errBadRequest = errors.New("malformed Slack request")

// Options are what New needs.
type Options struct {
	Config  Config
	Service *drone.Service
	// Log defaults to discarding.
	Log *slog.Logger
	// HTTPClient calls Slack's Web API. Defaults to a client with a 30s
	// timeout.
	HTTPClient *http.Client
	// Now is the clock of signature checks. Defaults to time.Now.
	Now func() time.Time
}

// Handler serves Slack's requests, over HTTP (Routes) or Socket Mode (Run),
// and works Slack's queue jobs (Planner, Register).
type Handler struct {
	cfg    Config
	svc    *drone.Service
	router *chat.Router
	api    *slack.Client
	client *http.Client // Slack's Web API and incoming webhooks
	log    *slog.Logger
	now    func() time.Time
	groups *groupCache
	pace   *pacer
	jobs   chan struct{} // slots of the Slack jobs worked at once

	mu   sync.Mutex
	self identity // the bot, from auth.test

	follow sync.WaitGroup
}

// identity is who the bot is in the workspace.
type identity struct{ userID, botID string }

// New returns a Handler for an enabled configuration. Unset settings of
// the Config take their defaults (a configuration loaded by package config
// has them already), so that a Config built by hand works too.
func New(o Options) (*Handler, error) {
	cfg := o.Config.WithDefaults()
	if !cfg.Enabled() {
		return nil, errors.New("slack: no bot token is configured")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	if o.Service == nil {
		return nil, errors.New("slack: a drone service is required")
	}
	h := &Handler{cfg: cfg, svc: o.Service, log: o.Log, now: o.Now,
		router: &chat.Router{Service: o.Service, ChannelKey: KeyChannel}, pace: newPacer(cfg.PostInterval),
		jobs: make(chan struct{}, maxJobs)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	h.client = client
	h.api = slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(client),
		slack.OptionAppLevelToken(cfg.AppToken))
	h.groups = newGroupCache(h, cfg.GroupCacheTTL, rolesNameGroups(o.Service.Roles))
	return h, nil
}

// Run runs until ctx is done: it checks the bot token, then serves Socket
// Mode in socket mode (in http mode, Routes serve). It returns when the
// work started after acknowledgements has finished.
func (h *Handler) Run(ctx context.Context) error {
	if err := h.whoami(ctx); err != nil {
		return err
	}
	var err error
	if h.cfg.Mode == "http" {
		<-ctx.Done()
		err = ctx.Err()
	} else {
		err = h.runSocket(ctx)
	}
	h.Wait()
	return err
}

// Wait waits for the work started after acknowledgements.
func (h *Handler) Wait() { h.follow.Wait() }

// whoami checks the token with auth.test and learns the bot's ids, so that
// its own messages are never read back as indicators. A token Slack refuses
// is fatal; an unreachable Slack is not (the queue retries later).
func (h *Handler) whoami(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, followTimeout)
	defer cancel()
	r, err := h.api.AuthTestContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return fmt.Errorf("slack refused the bot token (auth.test: %s)", se.Err)
		}
		h.log.Warn("slack: cannot check the bot token now; going on", "err", err)
		return nil
	}
	h.mu.Lock()
	h.self = identity{userID: r.UserID, botID: r.BotID}
	h.mu.Unlock()
	h.log.Info("slack: connected", "team", r.Team, "bot_user", r.UserID, "mode", h.cfg.Mode)
	return nil
}

func (h *Handler) bot() identity {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.self
}

// later runs fn after the acknowledgement, bounded by followTimeout, and
// logs its failure: the user waits for its result (a modal, an answer).
func (h *Handler) later(what string, fn func(ctx context.Context) error) {
	h.follow.Add(1)
	go func() {
		defer h.follow.Done()
		ctx, cancel := context.WithTimeout(context.Background(), followTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			h.log.Warn("slack: "+what, "err", err)
		}
	}()
}

// actor is the drone actor of a Slack user.
func (h *Handler) actor(ctx context.Context, id, name string) drone.Actor {
	return drone.Actor{Platform: "slack", ID: id, Name: strings.TrimSpace(name), Groups: h.groups.of(ctx, id)}
}

// origin is where an action came from: a channel, or a message of it.
func origin(channel, ts string) drone.Origin {
	ref := channel
	if ts != "" {
		ref += "/" + ts
	}
	return drone.Origin{Channel: "slack", Ref: ref}
}

// ephemeral posts text only the user sees in a channel, after the
// acknowledgement.
func (h *Handler) ephemeral(channel, user, threadTS, text string, blocks ...slack.Block) {
	if channel == "" || user == "" {
		return
	}
	h.later("posting an ephemeral answer", func(ctx context.Context) error {
		opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		_, err := h.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
}

// failure logs an internal error and returns what the user may read.
func (h *Handler) failure(what string, err error) string {
	if drone.ErrorCode(err) == drone.EINTERNAL {
		h.log.Error("slack: "+what, "err", err)
	}
	return drone.ErrorMessage(err)
}
