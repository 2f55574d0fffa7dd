package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// HTTP request limits.
const (
	// MaxBody is the largest request body accepted: Slack's are far smaller.
	MaxBody = 1 << 20
	// SignatureWindow is how far a request's timestamp may be from now.
	SignatureWindow = 5 * time.Minute
)

// Signature errors; each is answered with 401.
var (
	ErrNoSignature    = errors.New("slack: request is not signed")
	ErrBadSignature   = errors.New("slack: request signature does not match")
	ErrStaleSignature = errors.New("slack: request timestamp is more than 5 minutes away")
)

// VerifySignature checks a request from Slack: X-Slack-Signature must be
// "v0=" and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:<X-Slack-Request-Timestamp>:<body>", and the timestamp within five
// minutes of now, so that a captured request cannot be replayed later.
func VerifySignature(header http.Header, body []byte, secret string, now time.Time) error {
	sig, tsText := header.Get("X-Slack-Signature"), header.Get("X-Slack-Request-Timestamp")
	if sig == "" || tsText == "" || secret == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > SignatureWindow || d < -SignatureWindow {
		return ErrStaleSignature
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "v0="))
	if err != nil || !strings.HasPrefix(sig, "v0=") {
		return ErrBadSignature
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + tsText + ":"))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// Routes are the HTTP endpoints of http mode, for drone serve's mux:
// slash commands, interactions and events, each signed by Slack.
func (h *Handler) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /slack/commands":     h.endpoint("command", h.httpCommand),
		"POST /slack/interactions": h.endpoint("interaction", h.httpInteraction),
		"POST /slack/events":       h.endpoint("event", h.event),
	}
}

// endpoint reads and verifies a request, then answers it with serve's
// result: a JSON body, an empty 200, 400 for a malformed payload.
func (h *Handler) endpoint(kind string, serve func(context.Context, []byte) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBody {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		if err := VerifySignature(r.Header, body, h.cfg.SigningSecret, h.now()); err != nil {
			h.log.Warn("slack: refused a request", "kind", kind, "remote", r.RemoteAddr, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		out, err := serve(r.Context(), body)
		if err != nil {
			h.refuse(w, kind, err)
			return
		}
		if out == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		b, err := json.Marshal(out)
		if err != nil {
			h.refuse(w, kind, fmt.Errorf("encoding the answer: %w", err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}

// refuse answers a request that could not be served: 400 for a malformed
// payload, 500 for drone's own failure; both are logged.
func (h *Handler) refuse(w http.ResponseWriter, kind string, err error) {
	if errors.Is(err, errBadRequest) {
		h.log.Warn("slack: malformed request", "kind", kind, "err", err)
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	h.log.Error("slack: serving a request", "kind", kind, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// httpCommand reads a slash command's form.
func (h *Handler) httpCommand(ctx context.Context, body []byte) (any, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: slash command form: %v", errBadRequest, err)
	}
	c := slack.SlashCommand{TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"),
		ChannelName: form.Get("channel_name"), UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id")}
	return h.command(ctx, c)
}

// httpInteraction reads an interaction: the JSON in the form field "payload".
func (h *Handler) httpInteraction(ctx context.Context, body []byte) (any, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: interaction form: %v", errBadRequest, err)
	}
	ic, err := decodeInteraction([]byte(form.Get("payload")))
	if err != nil {
		return nil, err
	}
	return h.interaction(ctx, ic)
}

// interactionPayload is the part of an interaction payload drone reads.
// Decoding only it, and not the view's blocks, is ten times cheaper than
// slack-go's full InteractionCallback, and answers come sooner for it.
type interactionPayload struct {
	Type       slack.InteractionType `json:"type"`
	CallbackID string                `json:"callback_id"`
	TriggerID  string                `json:"trigger_id"`
	User       struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container slack.Container `json:"container"`
	Message   struct {
		Text       string `json:"text"`
		TS         string `json:"ts"`
		ThreadTS   string `json:"thread_ts"`
		User       string `json:"user"`
		BotID      string `json:"bot_id"`
		ReplyCount int    `json:"reply_count"`
	} `json:"message"`
	View struct {
		ID              string           `json:"id"`
		Hash            string           `json:"hash"`
		CallbackID      string           `json:"callback_id"`
		PrivateMetadata string           `json:"private_metadata"`
		State           *slack.ViewState `json:"state"`
	} `json:"view"`
	Actions []*slack.BlockAction `json:"actions"`
}

// decodeInteraction decodes an interaction payload into the parts of
// slack-go's InteractionCallback that drone reads (Socket Mode hands over
// the same type, decoded by slack-go). A panic in slack-go's decoders of
// block elements on a hostile payload is turned into a malformed request
// rather than a crash.
func decodeInteraction(b []byte) (ic *slack.InteractionCallback, err error) {
	defer func() {
		if p := recover(); p != nil {
			ic, err = nil, fmt.Errorf("%w: interaction payload: %v", errBadRequest, p)
		}
	}()
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: an interaction without payload", errBadRequest)
	}
	var p interactionPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: interaction payload: %v", errBadRequest, err)
	}
	ic = &slack.InteractionCallback{Type: p.Type, CallbackID: p.CallbackID, TriggerID: p.TriggerID,
		User: slack.User{ID: p.User.ID, Name: p.User.Name, Username: p.User.Username}, Container: p.Container,
		View: slack.View{ID: p.View.ID, Hash: p.View.Hash, CallbackID: p.View.CallbackID,
			PrivateMetadata: p.View.PrivateMetadata, State: p.View.State}}
	ic.Channel.ID = p.Channel.ID
	m := &ic.Message.Msg
	m.Text, m.Timestamp, m.ThreadTimestamp, m.User, m.BotID = p.Message.Text, p.Message.TS, p.Message.ThreadTS, p.Message.User, p.Message.BotID
	m.ReplyCount = p.Message.ReplyCount
	ic.ActionCallback.BlockActions = p.Actions
	return ic, nil
}
