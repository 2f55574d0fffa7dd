package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/bot/chat"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// TimelineMenuName is the message menu that puts a message on an
// incident's timeline.
const TimelineMenuName = "Add to timeline"

// enqueueTimeout bounds the queueing of one gateway event: its work is a
// discord.timeline job, bounded by the queue's job timeout.
const enqueueTimeout = 10 * time.Second

// pinActor is who a pin is recorded by: Discord's CHANNEL_PINS_UPDATE does
// not say who pinned. Roles that restrict "ioc" name it as "discord:pins".
var pinActor = drone.Actor{Platform: "discord", ID: "pins", Name: "a Discord pin"}

// clearActor is who takes a reaction's hold off when every reaction of a
// message is cleared (MESSAGE_REACTION_REMOVE_ALL names nobody).
var clearActor = drone.Actor{Platform: "discord", ID: "reactions", Name: "reactions cleared in Discord"}

// What a discord.timeline job does.
const (
	opReact   = "react"   // a timeline reaction added: the message goes on
	opUnreact = "unreact" // one removed: its hold goes, unless another remains
	opClear   = "clear"   // every reaction of the message cleared
	opPins    = "pins"    // the channel's pins changed: read them, diff with the timeline
)

// timelineArgs are the arguments of a discord.timeline job: one gateway
// event, as much of it as the work needs.
type timelineArgs struct {
	Op      string `json:"op"`
	Guild   string `json:"guild,omitempty"`
	Channel string `json:"channel"`
	Message string `json:"message,omitempty"` // reactions
	// Actor is who reacted, with the roles the event gave (opReact), or
	// only their id (opUnreact).
	Actor drone.Actor `json:"actor,omitzero"`
	Emoji string      `json:"emoji,omitempty"`
	// PinsAt is the pins update's last_pin_timestamp.
	PinsAt string `json:"pins_at,omitempty"`
	// Seq is the gateway's sequence number of the event.
	Seq int64 `json:"seq"`
}

// Kind implements river.JobArgs.
func (timelineArgs) Kind() string { return KindTimeline }

// uniqueKey is the event's identity: the gateway dispatches an event again
// when a session resumes, and that must be one job. The queue skips a key
// queued, running or recently completed, so the key holds the dispatch's
// sequence number (which the replay keeps): without it, alice's second 📌
// after taking her first back, or a second unpin with the same
// last_pin_timestamp, would be skipped as the first. Sequence numbers
// restart with a new session: two keys meet only when the same event
// fields come at the same sequence number while the queue still keeps the
// first job.
func (t timelineArgs) uniqueKey() string {
	id := []string{t.Op, t.Channel}
	if t.Op == opPins {
		id = append(id, t.PinsAt)
	} else {
		id = append(id, t.Message, t.Actor.ID, t.Emoji)
	}
	return KindTimeline + ":" + strings.Join(id, ":") + ":" + strconv.FormatInt(t.Seq, 10)
}

type timelineWorker struct {
	river.WorkerDefaults[timelineArgs]
	a *Adapter
}

// Work does what a reaction or pin event asks; a failure to read the
// message or the pins is tried again (429s wait their retry_after), a 4xx
// or a refusal by the core is permanent.
func (w *timelineWorker) Work(ctx context.Context, job *river.Job[timelineArgs]) error {
	return w.a.jobError(w.a.timelineEvent(ctx, job.Args))
}

func (a *Adapter) timelineEvent(ctx context.Context, t timelineArgs) error {
	switch t.Op {
	case opReact:
		return a.reactionAdded(ctx, t)
	case opUnreact, opClear:
		return a.reactionRemoved(ctx, t)
	case opPins:
		return a.pinsUpdated(ctx, t.Channel, t.Guild)
	}
	return drone.Permanent(fmt.Errorf("a discord.timeline job with the unknown op %q", t.Op))
}

// addTimelineHandlers makes the gateway's reaction and pin events
// discord.timeline jobs: the durable queue works them, so an event is not
// lost when drone stops before it is done, nor when Discord fails to give
// the message. It returns the function that removes the handler.
func (a *Adapter) addTimelineHandlers(ctx context.Context) func() {
	return a.session.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) {
		t, ok := a.timelineArgsOf(e)
		if !ok {
			return // not a timeline event: no count either, interactions come this way too
		}
		defer a.handled.Add(1)
		if t.Op == "" || !a.work.start() {
			return
		}
		defer a.work.done()
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
		defer cancel()
		if err := a.enqueueTimeline(ectx, t); err != nil {
			a.log.Error("queueing a timeline event", "event", e.Type, "channel", t.Channel, "err", err)
		}
	})
}

// timelineArgsOf reads a reaction or pin event (ok), as the job of the
// timeline it makes, or none (an empty Op) when it is not the timeline's
// reaction. Seq is the dispatch's sequence number, which a resumed
// session's replay keeps.
func (a *Adapter) timelineArgsOf(e *discordgo.Event) (t timelineArgs, ok bool) {
	t.Seq = e.Sequence
	switch ev := e.Struct.(type) {
	case *discordgo.MessageReactionAdd:
		if ev.MessageReaction == nil || ev.Emoji.Name != a.cfg.TimelineEmoji {
			return timelineArgs{}, true
		}
		t.Op, t.Guild, t.Channel, t.Message, t.Emoji = opReact, ev.GuildID, ev.ChannelID, ev.MessageID, ev.Emoji.Name
		t.Actor = drone.Actor{Platform: "discord", ID: ev.UserID}
		if ev.Member != nil && ev.Member.User != nil {
			t.Actor, _ = actorOf(&discordgo.Interaction{Member: ev.Member})
		}
	case *discordgo.MessageReactionRemove:
		if ev.MessageReaction == nil || ev.Emoji.Name != a.cfg.TimelineEmoji {
			return timelineArgs{}, true
		}
		t.Op, t.Guild, t.Channel, t.Message, t.Emoji = opUnreact, ev.GuildID, ev.ChannelID, ev.MessageID, ev.Emoji.Name
		t.Actor = drone.Actor{Platform: "discord", ID: ev.UserID}
	case *discordgo.MessageReactionRemoveAll:
		// A moderator clearing every reaction of a message takes the
		// reaction's hold off too.
		if ev.MessageReaction == nil {
			return timelineArgs{}, true
		}
		t.Op, t.Guild, t.Channel, t.Message, t.Actor = opClear, ev.GuildID, ev.ChannelID, ev.MessageID, clearActor
	case *discordgo.ChannelPinsUpdate:
		t.Op, t.Guild, t.Channel, t.PinsAt = opPins, ev.GuildID, ev.ChannelID, ev.LastPinTimestamp
	default:
		return timelineArgs{}, false
	}
	return t, true
}

// enqueueTimeline queues the job of an event in an incident's channel;
// reactions and pins elsewhere are not drone's business. When the channel
// cannot be looked up the job is queued all the same: its worker looks
// again.
func (a *Adapter) enqueueTimeline(ctx context.Context, t timelineArgs) error {
	inc, err := a.channelIncident(ctx, t.Channel)
	if err != nil {
		a.log.Warn("looking up the incident of a channel; queueing its timeline event anyway", "channel", t.Channel, "err", err)
	} else if inc == nil {
		return nil
	}
	if err := a.svc.Enqueue(ctx, drone.Job{Kind: KindTimeline, Args: t, UniqueKey: t.uniqueKey()}); err != nil {
		return fmt.Errorf("queueing a %s job: %w", KindTimeline, err)
	}
	return nil
}

// channelIncident is the incident of a channel, or nil when the channel
// is no incident's: reactions and pins elsewhere are not drone's business.
func (a *Adapter) channelIncident(ctx context.Context, channel string) (*drone.Incident, error) {
	if !isSnowflake(channel) {
		return nil, nil
	}
	inc, err := a.svc.IncidentByRef(ctx, KeyChannel, channel)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, nil
	}
	return inc, err
}

func (a *Adapter) reactionAdded(ctx context.Context, t timelineArgs) error {
	inc, err := a.channelIncident(ctx, t.Channel)
	if inc == nil || err != nil || !isSnowflake(t.Message) {
		return err
	}
	msg, err := a.session.ChannelMessage(t.Channel, t.Message, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading message %s: %w", t.Message, err)
	}
	if a.own(ctx, msg) {
		return nil
	}
	res, err := a.svc.PinMessage(ctx, t.Actor, a.messageOrigin(t.Guild, t.Channel, t.Message), inc.Number,
		a.chatMessage(ctx, t.Guild, msg), drone.PinByReaction)
	if err != nil {
		return err
	}
	return a.offerPinned(ctx, res, msg)
}

// reactionRemoved takes the reaction's hold off a message, unless someone
// else's reaction with the same emoji remains.
func (a *Adapter) reactionRemoved(ctx context.Context, t timelineArgs) error {
	inc, err := a.channelIncident(ctx, t.Channel)
	if inc == nil || err != nil || !isSnowflake(t.Message) {
		return err
	}
	msg, err := a.session.ChannelMessage(t.Channel, t.Message, discordgo.WithContext(ctx))
	switch {
	case err == nil:
		for _, re := range msg.Reactions {
			if re != nil && re.Emoji != nil && re.Emoji.Name == a.cfg.TimelineEmoji && re.Count > 0 {
				return nil
			}
		}
	case !drone.IsPermanent(classify(err)):
		// A 429 or an outage says nothing of the reactions: try again.
		return fmt.Errorf("reading message %s: %w", t.Message, err)
	} // an unreadable (deleted) message holds no reaction
	m := drone.ChatMessage{Platform: "discord", Channel: t.Channel, ID: t.Message, PostedAt: snowflakeTime(t.Message)}
	actor := t.Actor
	if !isSnowflake(actor.ID) {
		actor = clearActor // every reaction cleared: Discord does not say by whom
	}
	_, err = a.svc.UnpinMessage(ctx, actor, a.messageOrigin(t.Guild, t.Channel, t.Message), inc.Number, m, drone.PinByReaction)
	return err
}

// pinsUpdated compares a channel's pins with the messages of its timeline:
// Discord says only that the pins changed. A pinned message goes on the
// timeline (again it changes nothing); a message on the timeline that is
// no longer pinned loses the pin's hold (nothing, when the pin never held
// it).
func (a *Adapter) pinsUpdated(ctx context.Context, channel, guild string) error {
	inc, err := a.channelIncident(ctx, channel)
	if inc == nil || err != nil {
		return err
	}
	pins, err := a.session.ChannelMessagesPinned(channel, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading the pins of %s: %w", channel, err)
	}
	pinned := map[string]bool{}
	for _, msg := range pins {
		if msg == nil || !isSnowflake(msg.ID) {
			continue
		}
		pinned[msg.ID] = true
		if a.own(ctx, msg) {
			continue // drone's own notice, pinned by drone
		}
		held, err := a.svc.PinHeld(ctx, inc.Number, drone.ChatMessage{Platform: "discord", Channel: channel, ID: msg.ID}, drone.PinByPin)
		if err != nil {
			return err
		}
		if held {
			continue // what the pin holds is not read (nor its files hashed) again
		}
		res, err := a.svc.PinMessage(ctx, pinActor, a.messageOrigin(guild, channel, msg.ID), inc.Number,
			a.chatMessage(ctx, guild, msg), drone.PinByPin)
		if err != nil {
			return err
		}
		if err := a.offerPinned(ctx, res, msg); err != nil {
			return err
		}
	}
	onTimeline, err := a.timelineMessages(ctx, inc, channel)
	if err != nil {
		return err
	}
	for _, id := range onTimeline {
		if pinned[id] {
			continue
		}
		m := drone.ChatMessage{Platform: "discord", Channel: channel, ID: id, PostedAt: snowflakeTime(id)}
		if _, err := a.svc.UnpinMessage(ctx, pinActor, a.messageOrigin(guild, channel, id), inc.Number, m, drone.PinByPin); err != nil {
			return err
		}
	}
	return nil
}

// timelineMessages are the ids of the channel's messages an incident's
// timeline holds: any message a pin holds has a pinned entry.
func (a *Adapter) timelineMessages(ctx context.Context, inc *drone.Incident, channel string) ([]string, error) {
	tl, err := a.svc.Timeline(ctx, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the timeline of %s: %w", inc.Ref(), err)
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range tl {
		if e.Kind != drone.EntryPinned {
			continue
		}
		var d drone.PinnedMessage
		if err := json.Unmarshal(e.Data, &d); err != nil || d.Platform != "discord" || d.Channel != channel || seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// own reports whether a message is the bot's (its notices).
func (a *Adapter) own(ctx context.Context, m *discordgo.Message) bool {
	if m.Author == nil {
		return false
	}
	me, err := a.botUserID(ctx)
	return err == nil && m.Author.ID == me
}

// messageOrigin is a message's link, the origin of what is done with it.
func (a *Adapter) messageOrigin(guild, channel, message string) drone.Origin {
	return originOf(&discordgo.Interaction{GuildID: guild, ChannelID: channel}, message)
}

// snowflakeTime is when a snowflake was made: a message's id says when it
// was posted.
func snowflakeTime(id string) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(n>>22) + 1420070400000).UTC()
}

// chatMessage is a Discord message as the timeline keeps it: its author,
// its time, its text and its files named and hashed.
func (a *Adapter) chatMessage(ctx context.Context, guild string, msg *discordgo.Message) drone.ChatMessage {
	posted := msg.Timestamp
	if posted.IsZero() {
		posted = snowflakeTime(msg.ID)
	}
	m := drone.ChatMessage{Platform: "discord", Channel: msg.ChannelID, ID: msg.ID, PostedAt: posted,
		Text: strings.Join(nonEmpty(messageTexts(msg)), "\n"), Link: a.messageOrigin(guild, msg.ChannelID, msg.ID).Ref}
	if u := msg.Author; u != nil {
		name := u.GlobalName
		if name == "" {
			name = u.Username
		}
		m.Author = drone.Actor{Platform: "discord", ID: u.ID, Name: clip(validUTF8(name), 100)}
	}
	for _, f := range msg.Attachments {
		if f != nil {
			m.Attachments = append(m.Attachments, a.attachment(ctx, f))
		}
	}
	return m
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// attachment names a file and hashes its content, read from Discord's CDN
// (or the configured API's host). CDN links are signed: no token is sent.
func (a *Adapter) attachment(ctx context.Context, f *discordgo.MessageAttachment) drone.ChatAttachment {
	at := drone.ChatAttachment{Name: f.Filename, Size: int64(f.Size), URL: f.URL}
	switch {
	case f.Size > chat.MaxHashedFile:
		at.Note = fmt.Sprintf("larger than %d MB: not read", chat.MaxHashedFile>>20)
	case !a.cdnHost(f.URL):
		at.Note = "not on Discord's CDN: not read"
	default:
		sum, n, err := a.hashFile(ctx, f.URL)
		if err != nil {
			at.Note = "could not be read: " + err.Error()
			a.log.Warn("reading a file of a pinned message", "file", f.ID, "err", err)
		} else {
			at.SHA256, at.Size = sum, n
		}
	}
	return at
}

func (a *Adapter) cdnHost(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	api, err := url.Parse(a.cfg.APIURL)
	return err == nil && (u.Host == api.Host && u.Scheme == api.Scheme ||
		u.Scheme == "https" && (u.Host == "cdn.discordapp.com" || u.Host == "media.discordapp.net"))
}

func (a *Adapter) hashFile(ctx context.Context, raw string) (string, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := a.files.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("status %s", resp.Status)
	}
	return chat.HashFile(resp.Body)
}

// freshIndicators are the indicators of a pin result the incident does not
// hold yet.
func (a *Adapter) freshIndicators(ctx context.Context, res drone.PinResult) ([]ioc.Indicator, error) {
	if !res.Added || len(res.Indicators.Indicators) == 0 {
		return nil, nil
	}
	known, err := a.svc.Observables(ctx, res.Incident.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the indicators of %s: %w", res.Incident.Ref(), err)
	}
	has := map[string]bool{}
	for _, o := range known {
		has[string(o.Type)+"\x00"+o.Value] = true
	}
	var out []ioc.Indicator
	for _, in := range res.Indicators.Indicators {
		if !has[string(in.Type)+"\x00"+in.Value] {
			out = append(out, in)
		}
	}
	return out, nil
}

// offerText says which indicators of a message are new to the incident.
func offerText(inc *drone.Incident, fresh []ioc.Indicator) string {
	vals := make([]string, 0, 6)
	for i, in := range fresh {
		if i == 5 {
			vals = append(vals, fmt.Sprintf("and %d more", len(fresh)-5))
			break
		}
		vals = append(vals, "`"+ioc.Defang(in.Type, in.Value)+"`")
	}
	return fmt.Sprintf("It holds %d indicator(s) %s does not have yet: %s. Use the message menu \"%s\" on it to add them.",
		len(fresh), inc.Ref(), strings.Join(vals, ", "), MessageMenuName)
}

// offerPinned answers a message a reaction or a pin put on the timeline,
// when it holds new indicators, with a reply offering them: Discord has no
// message only one user sees outside an interaction.
func (a *Adapter) offerPinned(ctx context.Context, res drone.PinResult, msg *discordgo.Message) error {
	fresh, err := a.freshIndicators(ctx, res)
	if err != nil || len(fresh) == 0 {
		return err
	}
	text := "📌 On the timeline of " + res.Incident.Ref() + ". " + offerText(res.Incident, fresh)
	_, err = a.session.ChannelMessageSendComplex(msg.ChannelID, &discordgo.MessageSend{Content: content(text),
		AllowedMentions: noMentions(), Reference: &discordgo.MessageReference{MessageID: msg.ID, ChannelID: msg.ChannelID}},
		discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("offering the indicators of a pinned message: %w", a.limiter.named(err))
	}
	return nil
}

// incidentRef finds "INC-12" in a text.
var incidentRef = regexp.MustCompile(`(?i)\bINC-(\d{1,18})\b`)

// timelineFromMenu answers the message menu "Add to timeline": the
// message goes on the timeline of the channel's incident, or of the one
// it names (INC-n), or of the one the user names in a modal.
func (a *Adapter) timelineFromMenu(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, data discordgo.ApplicationCommandInteractionData) *discordgo.InteractionResponse {
	var msg *discordgo.Message
	if data.Resolved != nil {
		msg = data.Resolved.Messages[data.TargetID]
	}
	if msg == nil || !isSnowflake(msg.ID) {
		return a.fail(drone.Errorf(drone.EINVALID, "Discord did not send the message; try again"))
	}
	if msg.ChannelID == "" {
		msg.ChannelID = i.ChannelID
	}
	number, err := a.router.ChannelIncident(ctx, i.ChannelID)
	if err != nil {
		return a.fail(err)
	}
	if number == 0 {
		if m := incidentRef.FindStringSubmatch(msg.Content); m != nil {
			number, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	if number == 0 {
		d := drone.Dialog{ID: "timeline", Title: "Add to timeline", Submit: "Add", Fields: []drone.Field{{ID: fieldIncident,
			Label: "Incident", Kind: drone.FieldText, Required: true, MaxLen: 24, Hint: "INC-12"}}}
		return a.openModal(&d, modalID{Dialog: "timeline", Key: msg.ID}, []string{fieldIncident})
	}
	return a.pinByMenu(ctx, i, actor, number, msg)
}

// pinByMenu puts a message on an incident's timeline and says so.
// A private incident named from elsewhere is, to whoever may not see it,
// no incident.
func (a *Adapter) pinByMenu(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, number int64, msg *discordgo.Message) *discordgo.InteractionResponse {
	here, err := a.router.ChannelIncident(ctx, i.ChannelID)
	if err != nil {
		return a.fail(err)
	}
	if _, err := a.svc.Visible(ctx, actor, number, here); err != nil {
		return a.fail(err)
	}
	m := a.chatMessage(ctx, i.GuildID, msg)
	res, err := a.svc.PinMessage(ctx, actor, originOf(i, msg.ID), number, m, drone.PinByAction)
	if err != nil {
		return a.fail(err)
	}
	if !res.Added {
		return textResponse(fmt.Sprintf("The message is already on the timeline of %s.", res.Incident.Ref()), false)
	}
	text := fmt.Sprintf("The message is on the timeline of %s, at %s.", res.Incident.Ref(), m.PostedAt.Format("2006-01-02 15:04:05 MST"))
	fresh, err := a.freshIndicators(ctx, res)
	if err != nil {
		return a.fail(err)
	}
	if len(fresh) > 0 {
		text += "\n" + offerText(res.Incident, fresh)
	}
	return textResponse(text, false)
}

// submitTimeline puts the message of the modal on the incident named in
// it; the message is read again, from the channel the modal came from.
func (a *Adapter) submitTimeline(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, mid modalID, typed map[string]string) *discordgo.InteractionResponse {
	number, err := drone.ParseRef(typed[fieldIncident])
	if err != nil {
		return a.fail(err)
	}
	if !isSnowflake(mid.Key) {
		return a.fail(drone.Errorf(drone.EINVALID, "the form lost its message; use the menu again"))
	}
	msg, err := a.session.ChannelMessage(i.ChannelID, mid.Key, discordgo.WithContext(ctx))
	if err != nil {
		return a.fail(drone.Errorf(drone.EINVALID, "drone cannot read the message (%v): give it access to the channel, or use the menu in the incident's channel", a.limiter.named(err)))
	}
	return a.pinByMenu(ctx, i, actor, number, msg)
}
