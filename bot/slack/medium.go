package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/ttp0/drone/drone"
)

// metadataEvent is the event_type of the metadata drone puts on the
// notices it sends to notification channels; its payload carries the
// delivery key, by which a retried delivery finds a message it already sent.
const metadataEvent = "drone_notice"

// Medium is the Slack drone.Medium: it posts the notices notify routes in
// the channels (or incoming webhooks) of notification targets. The first
// notice about an incident in a channel starts a thread; later ones are
// replies in it, also shown in the channel, so the incident's story sits
// under one message and every change is still seen.
type Medium struct {
	api  *slack.Client
	http *http.Client
	pace *pacer
}

var _ drone.Medium = (*Medium)(nil)

// Medium returns the Slack medium of the handler's workspace: it shares the
// handler's client and its pacing of each channel.
func (h *Handler) Medium() *Medium {
	return &Medium{api: h.api, http: h.client, pace: h.pace}
}

// Name returns "slack".
func (m *Medium) Name() string { return drone.MediumSlack }

// Send posts msg's notice in channel (a channel id, or an incoming webhook
// URL). After a failed attempt it first looks for the message by its
// metadata, since that attempt may have posted it and died before drone
// recorded it.
func (m *Medium) Send(ctx context.Context, channel string, msg *drone.Message, prev drone.MessageRef) (drone.MessageRef, error) {
	n := msg.Notice
	if strings.Contains(channel, "/") {
		return m.webhook(ctx, channel, msg)
	}
	if msg.Attempt > 1 {
		ref, ok, err := m.find(ctx, channel, msg, prev)
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "not_in_channel" {
			// A public channel drone posts in by chat:write.public but may
			// not read: it cannot look, so it posts.
			err = nil
		}
		if err != nil || ok {
			return ref, mediumError(err)
		}
	}
	opts := []slack.MsgOption{slack.MsgOptionText(noticeText(n), false), slack.MsgOptionBlocks(noticeBlocks(n)...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metadataEvent, EventPayload: map[string]any{"key": msg.Key}})}
	if prev.Thread != "" {
		opts = append(opts, slack.MsgOptionTS(prev.Thread), slack.MsgOptionBroadcast())
	}
	if err := m.pace.wait(ctx, channel); err != nil {
		return drone.MessageRef{}, mediumError(err)
	}
	_, ts, err := m.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return drone.MessageRef{}, mediumError(fmt.Errorf("posting in Slack channel %s: %w", channel, err))
	}
	return drone.MessageRef{ID: ts, Thread: orString(prev.Thread, ts)}, nil
}

// find looks for the message of msg posted since the delivery was first
// tried: in the thread it answers, or at the top of the channel.
func (m *Medium) find(ctx context.Context, channel string, msg *drone.Message, prev drone.MessageRef) (drone.MessageRef, bool, error) {
	oldest := strconv.FormatInt(msg.Since.Add(-time.Minute).Unix(), 10) // Slack's clock may run behind ours
	var msgs []slack.Message
	var err error
	if prev.Thread != "" {
		msgs, _, _, err = m.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: prev.Thread, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
	} else {
		var res *slack.GetConversationHistoryResponse
		res, err = m.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
		if res != nil {
			msgs = res.Messages
		}
	}
	if err != nil {
		return drone.MessageRef{}, false, fmt.Errorf("looking for an earlier attempt's message in Slack channel %s: %w", channel, err)
	}
	for _, sm := range msgs {
		if sm.Metadata.EventType == metadataEvent && sm.Metadata.EventPayload["key"] == msg.Key {
			return drone.MessageRef{ID: sm.Timestamp, Thread: orString(prev.Thread, sm.Timestamp)}, true, nil
		}
	}
	return drone.MessageRef{}, false, nil
}

// webhook posts to an incoming webhook. Slack answers a webhook with no
// message id, so its messages neither thread nor can be found again; the
// delivery key stands for the id. A webhook is not the app's, so the notice
// carries no buttons.
func (m *Medium) webhook(ctx context.Context, url string, msg *drone.Message) (drone.MessageRef, error) {
	n := *msg.Notice
	n.Actions = nil
	blocks := noticeBlocks(&n)
	err := slack.PostWebhookCustomHTTPContext(ctx, url, m.http, &slack.WebhookMessage{Text: noticeText(&n),
		Blocks: &slack.Blocks{BlockSet: blocks}})
	if err != nil {
		return drone.MessageRef{}, mediumError(&hookError{err: fmt.Errorf("posting to a Slack webhook: %w", err), hook: url})
	}
	return drone.MessageRef{ID: msg.Key}, nil
}

// hookError is a failed webhook post whose text shows the webhook's URL
// without its secret last part (/services/T…/B…/secret): the queue keeps
// the text and the log writes it, and whoever holds the URL may post.
type hookError struct {
	err  error
	hook string
}

func (e *hookError) Error() string {
	shown := e.hook
	if i := strings.LastIndex(shown, "/"); i > len("https://") {
		shown = shown[:i+1] + "…"
	}
	return strings.ReplaceAll(e.err.Error(), e.hook, shown)
}

func (e *hookError) Unwrap() error { return e.err }

// mediumError is classify's word on a failure to post a notice, with the
// fix for the refusal a notification target's channel earns most.
func mediumError(err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "not_in_channel" || se.Err == "channel_not_found") {
		err = fmt.Errorf("%w (invite the drone app to the channel, or give it the chat:write.public scope)", err)
	}
	return classify(err)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
