package discord

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/ttp0/drone/drone"
)

// Medium is the Discord drone.Medium: it posts the notices notify routes in
// the channels (or incoming webhooks) of notification targets, through the
// adapter's session and so within its share of the global rate limit. The
// first notice about an incident in a channel is a message of its own;
// later ones reply to it, so each change notifies and all lead back to the
// first.
type Medium struct {
	session *discordgo.Session
	tr      *transport // names the URL called in errors
}

var _ drone.Medium = (*Medium)(nil)

// Medium returns the Discord medium of the adapter's bot.
func (a *Adapter) Medium() *Medium { return &Medium{session: a.session, tr: a.limiter} }

// Name returns "discord".
func (m *Medium) Name() string { return drone.MediumDiscord }

// createMessage is the body of POST /channels/{id}/messages with what
// discordgo's MessageSend lacks: the nonce Discord enforces, so that an
// attempt repeated after a crash gets the first attempt's message back
// instead of a second one (within Discord's window of a few minutes).
type createMessage struct {
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Reference       *discordgo.MessageReference       `json:"message_reference,omitempty"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
}

// Send posts msg's notice in channel (a channel id, or a webhook URL).
func (m *Medium) Send(ctx context.Context, channel string, msg *drone.Message, prev drone.MessageRef) (drone.MessageRef, error) {
	if strings.Contains(channel, "/") {
		return m.webhook(ctx, channel, msg)
	}
	tag := deliveryTag(msg.Key)
	if msg.Attempt > 1 {
		ref, ok, err := m.find(ctx, channel, msg, prev, tag)
		if err != nil || ok {
			return ref, m.mediumError(err)
		}
	}
	r := renderNotice(msg.Notice)
	if len(r.Embeds) > 0 && r.Embeds[0].Footer != nil {
		r.Embeds[0].Footer.Text = clip(r.Embeds[0].Footer.Text+" · "+tag, maxFooter)
	}
	body := createMessage{Embeds: r.Embeds, Components: r.Components, AllowedMentions: noMentions(),
		Nonce: nonce(msg.Key), EnforceNonce: true}
	if prev.Thread != "" {
		no := false
		body.Reference = &discordgo.MessageReference{MessageID: prev.Thread, ChannelID: channel, FailIfNotExists: &no}
	}
	ep := discordgo.EndpointChannelMessages(channel)
	raw, err := m.session.RequestWithBucketID(http.MethodPost, ep, body, ep, discordgo.WithContext(ctx))
	if err != nil {
		return drone.MessageRef{}, m.mediumError(fmt.Errorf("posting in Discord channel %s: %w", channel, err))
	}
	sent, err := sentMessage(raw)
	if err != nil {
		return drone.MessageRef{}, fmt.Errorf("reading Discord's answer to a post in channel %s: %w", channel, err)
	}
	thread := prev.Thread
	if thread == "" {
		thread = sent.ID
	}
	return drone.MessageRef{ID: sent.ID, Thread: thread}, nil
}

// nonce is the delivery key in Discord's 25 characters: a hash of it.
func nonce(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:25]
}

// deliveryTag is the short mark of a delivery in its notice's footer
// ("ref 3fQx9kLm2a"): Discord forgets a nonce after a few minutes, and a
// delivery retried later (after a crash and the rescue of its job) finds
// its message by this mark instead.
func deliveryTag(key string) string { return "ref " + nonce(key)[:10] }

// find looks, among the channel's messages since the delivery was first
// tried, for one whose notice carries the delivery's tag. A channel whose
// history drone may not read (403) is not looked in: the nonce still
// guards a retry within Discord's window.
func (m *Medium) find(ctx context.Context, channel string, msg *drone.Message, prev drone.MessageRef, tag string) (drone.MessageRef, bool, error) {
	after := snowflakeAt(msg.Since.Add(-time.Minute)) // Discord's clock may run behind ours
	found, err := m.session.ChannelMessages(channel, 100, "", after, "", discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusForbidden {
		return drone.MessageRef{}, false, nil
	}
	if err != nil {
		return drone.MessageRef{}, false, fmt.Errorf("looking for an earlier attempt's message in Discord channel %s: %w", channel, err)
	}
	for _, dm := range found {
		for _, e := range dm.Embeds {
			if e.Footer != nil && strings.HasSuffix(e.Footer.Text, tag) {
				thread := prev.Thread
				if thread == "" {
					thread = dm.ID
				}
				return drone.MessageRef{ID: dm.ID, Thread: thread}, true, nil
			}
		}
	}
	return drone.MessageRef{}, false, nil
}

// snowflakeAt is the smallest Discord id of a moment: messages after it
// have larger ids.
func snowflakeAt(t time.Time) string {
	ms := max(t.UnixMilli()-discordEpoch, 0)
	return strconv.FormatInt(ms<<22, 10)
}

// discordEpoch is the first millisecond of 2015, where Discord's ids count
// from.
const discordEpoch = 1420070400000

// webhook executes an incoming webhook and waits for the message. A
// webhook is not the bot's: its notice carries no buttons.
func (m *Medium) webhook(ctx context.Context, hook string, msg *drone.Message) (drone.MessageRef, error) {
	u, err := url.Parse(hook)
	if err != nil {
		return drone.MessageRef{}, drone.Permanent(fmt.Errorf("discord webhook: %w", err))
	}
	q := u.Query()
	q.Set("wait", "true")
	u.RawQuery = q.Encode()
	r := renderNotice(msg.Notice)
	b, err := json.Marshal(createMessage{Embeds: r.Embeds, AllowedMentions: noMentions()})
	if err != nil {
		return drone.MessageRef{}, drone.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return drone.MessageRef{}, drone.Permanent(fmt.Errorf("discord webhook: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.session.Client.Do(req)
	if err != nil {
		return drone.MessageRef{}, m.mediumError(fmt.Errorf("executing a Discord webhook: %w", err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return drone.MessageRef{}, fmt.Errorf("reading a Discord webhook's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		// The same shape as discordgo's, so that one function reads both.
		return drone.MessageRef{}, m.mediumError(&discordgo.RESTError{Request: req, Response: resp, ResponseBody: raw})
	}
	sent, err := sentMessage(raw)
	if err != nil {
		return drone.MessageRef{}, fmt.Errorf("reading a Discord webhook's answer: %w", err)
	}
	return drone.MessageRef{ID: sent.ID}, nil
}

// sentMessage decodes the message Discord answered a post with.
func sentMessage(raw []byte) (*discordgo.Message, error) {
	var m discordgo.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m.ID == "" {
		return nil, errors.New("the answer names no message")
	}
	return &m, nil
}

// mediumError is classify's word on a failure to post a notice, naming the
// URL called, with the fix for the refusals a notification target's
// channel earns.
func (m *Medium) mediumError(err error) error {
	err = m.tr.named(err)
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		if c := re.Response.StatusCode; c == http.StatusForbidden || c == http.StatusNotFound {
			err = fmt.Errorf("%w (give the drone bot View Channel and Send Messages in the channel, or check the webhook)", err)
		}
	}
	return classify(err)
}
