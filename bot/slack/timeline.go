package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/slack-go/slack"

	"github.com/ttp0/drone/bot/chat"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// timelineEvent is the part of the reaction and pin events drone reads.
type timelineEvent struct {
	Type      string `json:"type"`
	User      string `json:"user"`
	Reaction  string `json:"reaction"`   // reaction_added, reaction_removed
	ChannelID string `json:"channel_id"` // pin_added, pin_removed
	Item      struct {
		Type    string `json:"type"` // "message" is the only one drone takes
		Channel string `json:"channel"`
		TS      string `json:"ts"` // reactions
		Message struct {
			TS string `json:"ts"`
		} `json:"message"` // pins
	} `json:"item"`
}

// pinTarget is a message an event puts on (add) or takes off the timeline.
// KindTimeline puts a message on an incident's timeline, or takes it off,
// for a reaction or pin event.
const KindTimeline = "slack.timeline"

// timelineArgs are a pinTarget, as a job carries it.
type timelineArgs struct {
	Add     bool   `json:"add"`
	Via     string `json:"via"`
	User    string `json:"user"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

func (timelineArgs) Kind() string { return KindTimeline }

type timelineWorker struct {
	river.WorkerDefaults[timelineArgs]
	h *Handler
}

// Work reads the message and records it; a failure to read it is retried
// (queue.Steer), a refusal by the core is told to the person.
func (w *timelineWorker) Work(ctx context.Context, job *river.Job[timelineArgs]) error {
	release, err := w.h.jobSlot(ctx)
	if err != nil {
		return queue.Steer(err)
	}
	defer release()
	a := job.Args
	return queue.Steer(classify(w.h.timelineFromEvent(ctx, pinTarget{add: a.Add, via: a.Via, user: a.User, channel: a.Channel, ts: a.TS})))
}

type pinTarget struct {
	add               bool
	via               string
	user, channel, ts string
}

// parseTimelineEvent reads a reaction or pin event. ok is false for any
// other event, a reaction other than reaction, or an item that is not a
// message (a file, a file comment); err says what a timeline event lacks.
func parseTimelineEvent(raw []byte, reaction string) (pinTarget, bool, error) {
	var ev timelineEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return pinTarget{}, false, fmt.Errorf("%w: event: %v", errBadRequest, err)
	}
	t := pinTarget{user: ev.User, channel: ev.Item.Channel}
	switch ev.Type {
	case "reaction_added", "reaction_removed":
		if ev.Reaction != reaction {
			return pinTarget{}, false, nil
		}
		t.add, t.via, t.ts = ev.Type == "reaction_added", drone.PinByReaction, ev.Item.TS
	case "pin_added", "pin_removed":
		t.add, t.via, t.ts = ev.Type == "pin_added", drone.PinByPin, ev.Item.Message.TS
		if t.channel == "" {
			t.channel = ev.ChannelID
		}
	default:
		return pinTarget{}, false, nil
	}
	if ev.Item.Type != "message" {
		return pinTarget{}, false, nil
	}
	if t.user == "" || t.channel == "" {
		return pinTarget{}, false, fmt.Errorf("%w: %s without user or channel", errBadRequest, ev.Type)
	}
	if _, err := tsTime(t.ts); err != nil {
		return pinTarget{}, false, fmt.Errorf("%w: %s: %v", errBadRequest, ev.Type, err)
	}
	return t, true, nil
}

// tsTime is the time a message ts ("1712345678.000100") stands for.
func tsTime(ts string) (time.Time, error) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 || len(frac) > 6 || (frac != "" && strings.TrimLeft(frac, "0123456789") != "") {
		return time.Time{}, fmt.Errorf("%q is not a message ts", ts)
	}
	us := 0
	if frac != "" {
		us, _ = strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
	}
	return time.Unix(s, int64(us)*1000).UTC(), nil
}

// timelineFromEvent puts a message of an incident's channel on its
// timeline, or takes it off (the slack.timeline job of an event). Reactions
// and pins outside incident channels are not drone's business.
func (h *Handler) timelineFromEvent(ctx context.Context, t pinTarget) error {
	inc, err := h.svc.IncidentByRef(ctx, KeyChannel, t.channel)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	a := h.actor(ctx, t.user, h.userName(ctx, t.user))
	o := origin(t.channel, t.ts)
	if !t.add {
		return h.takeBack(ctx, a, o, inc.Number, t)
	}
	msg, err := h.readMessage(ctx, t.channel, t.ts)
	if err != nil {
		return fmt.Errorf("reading message %s of %s: %w", t.ts, t.channel, err)
	}
	if h.own(msg.User, msg.BotID) {
		return nil // drone's own notice: the timeline has what it says
	}
	m := h.chatMessage(ctx, t.channel, msg)
	res, err := h.svc.PinMessage(ctx, a, o, inc.Number, m, t.via)
	if err != nil {
		h.ephemeral(t.channel, t.user, "", "drone could not put the message on the timeline of "+inc.Ref()+": "+
			h.failure("pinning a message", err))
		return nil
	}
	if res.Added {
		h.offerPinned(ctx, inc, t.channel, t.user, msg.ThreadTimestamp, t.ts, m.Text)
	}
	return nil
}

// takeBack removes one source of a message on the timeline. A reaction
// removed while others remain still holds the message: several people may
// have reacted.
func (h *Handler) takeBack(ctx context.Context, a drone.Actor, o drone.Origin, number int64, t pinTarget) error {
	if t.via == drone.PinByReaction {
		msg, err := h.readMessage(ctx, t.channel, t.ts)
		if err == nil && hasReaction(msg, h.cfg.TimelineReaction) {
			return nil
		}
		// An unreadable (deleted) message holds no reaction.
	}
	posted, _ := tsTime(t.ts)
	m := drone.ChatMessage{Platform: "slack", Channel: t.channel, ID: t.ts, PostedAt: posted}
	_, err := h.svc.UnpinMessage(ctx, a, o, number, m, t.via)
	return err
}

func hasReaction(m *slack.Message, name string) bool {
	for _, r := range m.Reactions {
		if r.Name == name && r.Count > 0 {
			return true
		}
	}
	return false
}

// readMessage reads one message: a channel's message with
// conversations.history, a thread reply with conversations.replies.
func (h *Handler) readMessage(ctx context.Context, channel, ts string) (*slack.Message, error) {
	hist, err := h.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1})
	if err != nil {
		return nil, err
	}
	for i := range hist.Messages {
		if hist.Messages[i].Timestamp == ts {
			return &hist.Messages[i], nil
		}
	}
	msgs, _, _, err := h.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: ts, Inclusive: true, Limit: 1})
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if msgs[i].Timestamp == ts {
			return &msgs[i], nil
		}
	}
	return nil, drone.Errorf(drone.ENOTFOUND, "message %s is not in the channel any more", ts)
}

// chatMessage is a Slack message as the timeline keeps it: its author, the
// time of its ts, its text, and its files named and hashed.
func (h *Handler) chatMessage(ctx context.Context, channel string, msg *slack.Message) drone.ChatMessage {
	posted, _ := tsTime(msg.Timestamp)
	author := drone.Actor{Platform: "slack", ID: msg.User, Name: h.userName(ctx, msg.User)}
	if msg.User == "" {
		author = drone.Actor{Platform: "slack", ID: msg.BotID, Name: msg.Username}
	}
	m := drone.ChatMessage{Platform: "slack", Channel: channel, ID: msg.Timestamp, Author: author, PostedAt: posted,
		Text: msg.Text, Link: msg.Permalink}
	for _, f := range msg.Files {
		m.Attachments = append(m.Attachments, h.attachment(ctx, f))
	}
	return m
}

// attachment names a file and hashes its content, read from url_private
// with the bot token. The token goes only to Slack's own hosts: the files
// host, or the configured API's.
func (h *Handler) attachment(ctx context.Context, f slack.File) drone.ChatAttachment {
	a := drone.ChatAttachment{Name: f.Name, Size: int64(f.Size), URL: f.URLPrivate}
	switch {
	case f.URLPrivate == "":
		a.Note = "Slack gave no address to read it from"
	case f.Size > chat.MaxHashedFile:
		a.Note = fmt.Sprintf("larger than %d MB: not read", chat.MaxHashedFile>>20)
	case !h.slackHost(f.URLPrivate):
		a.Note = "not on a Slack host: not read"
	default:
		sum, n, err := h.hashFile(ctx, f.URLPrivate)
		if err != nil {
			a.Note = "could not be read: " + err.Error()
			h.log.Warn("slack: reading a file of a pinned message", "file", f.ID, "err", err)
		} else {
			a.SHA256, a.Size = sum, n
		}
	}
	return a
}

func (h *Handler) slackHost(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	api, err := url.Parse(h.cfg.APIURL)
	return err == nil && (u.Host == api.Host && u.Scheme == api.Scheme || u.Scheme == "https" && u.Host == "files.slack.com")
}

func (h *Handler) hashFile(ctx context.Context, raw string) (string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+h.cfg.BotToken)
	resp, err := h.client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("status %s", resp.Status)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		// Slack answers a request it does not accept with its sign-in page.
		return "", 0, errors.New("slack answered with a sign-in page: the bot needs the files:read scope")
	}
	return chat.HashFile(resp.Body)
}

// userName is a user's display name from users.info, or "" when Slack
// does not say: a name only makes the timeline easier to read.
func (h *Handler) userName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	u, err := h.api.GetUserInfoContext(ctx, id)
	if err != nil {
		h.log.Debug("slack: users.info", "user", id, "err", err)
		return ""
	}
	for _, n := range []string{u.Profile.DisplayName, u.RealName, u.Name} {
		if strings.TrimSpace(n) != "" {
			return n
		}
	}
	return ""
}

// offerPinned offers the person who put a message on the timeline the
// indicators in it that the incident does not hold yet.
func (h *Handler) offerPinned(ctx context.Context, inc *drone.Incident, channel, user, threadTS, ts, text string) {
	res := h.router.Preview(text)
	if len(res.Indicators) == 0 {
		return
	}
	known, err := h.svc.Observables(ctx, inc.ID)
	if err != nil {
		h.log.Warn("slack: reading the indicators of "+inc.Ref(), "err", err)
		return
	}
	fresh := newIndicators(res.Indicators, known)
	if len(fresh) == 0 {
		return
	}
	msg := fmt.Sprintf("The message is on the timeline of %s. It holds %d indicator(s) %s does not have yet: %s. Add them?",
		inc.Ref(), len(fresh), inc.Ref(), listIndicators(fresh, 5))
	button := slack.NewButtonBlockElement(actionOffer, channel+"/"+ts, plain(fmt.Sprintf("Review and add %d", len(fresh))))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(truncate(msg, maxSectionText)), nil, nil),
		slack.NewActionBlock("offer", button.WithStyle(slack.StylePrimary))}
	h.ephemeral(channel, user, threadTS, fmt.Sprintf("Add %d indicator(s) to %s?", len(fresh), inc.Ref()), blocks...)
}

// incidentRef finds "INC-12" in a text.
var incidentRef = regexp.MustCompile(`(?i)\bINC-(\d{1,18})\b`)

// timelineShortcut runs "Add to timeline" on a message: in an incident's
// channel it goes on that incident's timeline, elsewhere on the incident
// the message names (INC-n), or on the one the user picks in a modal.
func (h *Handler) timelineShortcut(ctx context.Context, ic *slack.InteractionCallback) error {
	channel, ts := ic.Channel.ID, ic.Message.Timestamp
	if channel == "" || ts == "" {
		return fmt.Errorf("%w: a message shortcut without channel or message", errBadRequest)
	}
	if _, err := tsTime(ts); err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	number, err := h.router.ChannelIncident(ctx, channel)
	if err != nil {
		return err
	}
	if number == 0 {
		if m := incidentRef.FindStringSubmatch(ic.Message.Text); m != nil {
			number, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	user, trigger := ic.User.ID, ic.TriggerID
	msg := ic.Message
	if number == 0 {
		h.later("opening the timeline modal", func(ctx context.Context) error {
			view, err := h.timelineView(ctx, h.actor(ctx, user, ""), viewMeta{Channel: channel, TS: ts})
			if err != nil {
				return err
			}
			_, err = h.api.OpenViewContext(ctx, trigger, view)
			return err
		})
		return nil
	}
	h.later("putting a message on the timeline", func(ctx context.Context) error {
		a := h.actor(ctx, user, userName(ic.User))
		text, err := h.pinByAction(ctx, a, number, channel, &msg)
		if err != nil {
			text = h.failure("adding a message to the timeline", err)
		}
		h.ephemeral(channel, user, msg.ThreadTimestamp, text)
		return nil
	})
	return nil
}

// pinByAction puts a message on an incident's timeline for the shortcut,
// and says what it did.
func (h *Handler) pinByAction(ctx context.Context, a drone.Actor, number int64, channel string, msg *slack.Message) (string, error) {
	here, err := h.router.ChannelIncident(ctx, channel)
	if err != nil {
		return "", err
	}
	if _, err := h.svc.Visible(ctx, a, number, here); err != nil {
		return "", err // a private incident named from elsewhere: no such incident
	}
	m := h.chatMessage(ctx, channel, msg)
	res, err := h.svc.PinMessage(ctx, a, origin(channel, msg.Timestamp), number, m, drone.PinByAction)
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf("The message is on the timeline of %s, at %s.", res.Incident.Ref(), m.PostedAt.Format("2006-01-02 15:04:05 MST"))
	if !res.Added {
		text = fmt.Sprintf("The message is already on the timeline of %s.", res.Incident.Ref())
	}
	if n := len(res.Indicators.Indicators); n > 0 && res.Added {
		h.offerPinned(ctx, res.Incident, channel, a.ID, msg.ThreadTimestamp, msg.Timestamp, m.Text)
	}
	return text, nil
}

// timelineView asks which incident a message goes to.
// It offers only the incidents a may see.
func (h *Handler) timelineView(ctx context.Context, a drone.Actor, meta viewMeta) (slack.ModalViewRequest, error) {
	choices, _, err := h.incidentChoices(ctx, a, 0)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	if len(choices) == 0 {
		return *infoView("Add to timeline", "There is no open incident: declare one with `/drone`."), nil
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an incident"), inputIncident, choices...)
	return slack.ModalViewRequest{Type: slack.VTModal, CallbackID: cbTimeline, Title: plain("Add to timeline"),
		Submit: plain("Add"), Close: plain("Cancel"), PrivateMetadata: meta.encode(),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn("The message goes on the incident's timeline with its author and the time it was posted."), nil, nil),
			slack.NewInputBlock(inputIncident, plain("Incident"), nil, sel)}}}, nil
}

// submitTimeline puts the message of the modal on the chosen incident's
// timeline: it is read again, since the modal carries only its place.
func (h *Handler) submitTimeline(ctx context.Context, ic *slack.InteractionCallback, a drone.Actor, meta viewMeta) (any, error) {
	var number int64
	if st := ic.View.State; st != nil {
		if v, ok := st.Values[inputIncident][inputIncident]; ok {
			number, _ = strconv.ParseInt(v.SelectedOption.Value, 10, 64)
		}
	}
	if number == 0 {
		return errorsResponse(map[string]string{inputIncident: "Choose an incident."}), nil
	}
	if meta.Channel == "" || meta.TS == "" {
		return nil, fmt.Errorf("%w: timeline modal without its message", errBadRequest)
	}
	msg, err := h.readMessage(ctx, meta.Channel, meta.TS)
	if err != nil {
		return errorsResponse(map[string]string{inputIncident: truncate("drone cannot read the message ("+err.Error()+
			"): invite drone to the channel, or use the shortcut in the incident's channel.", 150)}), nil
	}
	text, err := h.pinByAction(ctx, a, number, meta.Channel, msg)
	if err != nil {
		return errorsResponse(map[string]string{inputIncident: truncate(h.failure("adding a message to the timeline", err), 150)}), nil
	}
	return doneResponse("Add to timeline", text), nil
}
