package discord

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// Permissions drone gives in an incident's channel.
const (
	permMember = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionReadMessageHistory | discordgo.PermissionSendMessagesInThreads
	permBot = permMember | discordgo.PermissionEmbedLinks | discordgo.PermissionManageMessages
)

// restricted reports whether an incident's space is hidden from the rest
// of the guild: at AMBER+STRICT (kept to the responders) and for a private
// incident (drone.Service.IsPrivate, RED included: kept to its people).
func (a *Adapter) restricted(inc *drone.Incident) bool {
	return strings.EqualFold(inc.TLP, "AMBER+STRICT") || a.svc.IsPrivate(inc)
}

// people are the Discord users of an incident's people: its reporter,
// lead, role holders and members.
func people(inc *drone.Incident) []string {
	var out []string
	for _, m := range inc.Members() {
		if id, ok := strings.CutPrefix(m, "discord:"); ok && isSnowflake(id) {
			out = append(out, id)
		}
	}
	return out
}

// LockSpace is the purpose of the lock a space job holds on its incident
// (drone.Service.Lock): across every drone process, one job at a time
// creates an incident's channel or thread and posts its notice.
const LockSpace = "discord.space"

// openSpace opens an incident's space and posts its notice. Each step is
// recorded on the incident as it succeeds (SetExternal), so that a retried
// job (after a 429, a crash) takes up where it stopped. It holds the
// incident's LockSpace throughout, and reads the incident once it holds it.
func (a *Adapter) openSpace(ctx context.Context, args spaceArgs) error {
	unlock, err := a.svc.Lock(ctx, LockSpace, args.IncidentID)
	if err != nil {
		return drone.RetryAfter(0, fmt.Errorf("waiting for another opening of the space of incident %s: %w", args.IncidentID, err))
	}
	defer unlock()
	inc, err := a.svc.IncidentByID(ctx, args.IncidentID)
	if err != nil {
		return err
	}
	ch := inc.External[KeyChannel]
	if ch == "" {
		if ch, err = a.createSpace(ctx, inc, args.GuildID); err != nil {
			return err
		}
		err = a.svc.SetExternal(ctx, botActor, inc.ID, map[string]string{KeyChannel: ch, KeyGuild: args.GuildID},
			fmt.Sprintf("Discord space %s opened for %s", ch, inc.Ref()))
		if err != nil {
			return fmt.Errorf("recording the Discord space of %s: %w", inc.Ref(), err)
		}
	}
	if inc.External[KeyMessage] == "" {
		if err := a.postNotice(ctx, inc, ch); err != nil {
			return err
		}
	}
	return a.refreshNotice(ctx, inc.Number)
}

// createSpace creates the incident's channel, or its thread when threads are
// configured, visible only to its people when the TLP restricts it. A
// channel left by an earlier attempt (its topic names the incident) is
// taken up instead of made twice.
func (a *Adapter) createSpace(ctx context.Context, inc *drone.Incident, guild string) (string, error) {
	if a.cfg.ThreadChannelID != "" {
		return a.createThread(ctx, inc, guild)
	}
	chans, err := a.session.GuildChannels(guild, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("listing the channels of guild %s: %w", guild, err)
	}
	for _, c := range chans {
		if c != nil && strings.Contains(c.Topic, inc.ID) {
			return c.ID, nil
		}
	}
	over, err := a.overwrites(ctx, inc, guild)
	if err != nil {
		return "", err
	}
	c, err := a.session.GuildChannelCreateComplex(guild, discordgo.GuildChannelCreateData{
		Name: channelName(inc), Type: discordgo.ChannelTypeGuildText, ParentID: a.cfg.CategoryID,
		Topic:                clip(validUTF8(fmt.Sprintf("%s · %s · TLP:%s · drone incident %s", inc.Ref(), inc.Title, inc.TLP, inc.ID)), maxChannelTopic),
		PermissionOverwrites: over,
	}, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("creating the channel of %s: %w", inc.Ref(), err)
	}
	return c.ID, nil
}

// overwrites are an incident channel's permissions: the bot, the
// incident's people (reporter, lead, role holders) and, unless the incident
// is private, the responders' role may see it; when the TLP restricts it,
// nobody else (@everyone, whose role id is the guild's, is denied).
func (a *Adapter) overwrites(ctx context.Context, inc *drone.Incident, guild string) ([]*discordgo.PermissionOverwrite, error) {
	bot, err := a.botUserID(ctx)
	if err != nil {
		return nil, err
	}
	over := []*discordgo.PermissionOverwrite{{ID: bot, Type: discordgo.PermissionOverwriteTypeMember, Allow: permBot}}
	for _, id := range people(inc) {
		over = append(over, &discordgo.PermissionOverwrite{ID: id, Type: discordgo.PermissionOverwriteTypeMember, Allow: permMember})
	}
	if r := a.cfg.ResponderRoleID; r != "" && !a.svc.IsPrivate(inc) {
		over = append(over, &discordgo.PermissionOverwrite{ID: r, Type: discordgo.PermissionOverwriteTypeRole, Allow: permMember})
	}
	if a.restricted(inc) {
		over = append(over, &discordgo.PermissionOverwrite{ID: guild, Type: discordgo.PermissionOverwriteTypeRole,
			Deny: discordgo.PermissionViewChannel})
	}
	return over, nil
}

// createThread starts the incident's thread: private when the TLP
// restricts it or the incident is private, with its people added (the
// responders join through the mention of their role in the notice, which a
// private incident's notice leaves out). A thread an earlier attempt started is taken
// up instead of started twice.
func (a *Adapter) createThread(ctx context.Context, inc *drone.Incident, guild string) (string, error) {
	name := clip(validUTF8(inc.Ref()+" "+inc.Title), maxChannelName)
	id, err := a.ownThread(ctx, inc, guild, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		typ := discordgo.ChannelTypeGuildPublicThread
		if a.restricted(inc) {
			typ = discordgo.ChannelTypeGuildPrivateThread
		}
		th, err := a.session.ThreadStartComplex(a.cfg.ThreadChannelID, &discordgo.ThreadStart{
			Name: name, Type: typ, AutoArchiveDuration: 10080}, discordgo.WithContext(ctx))
		if err != nil {
			return "", fmt.Errorf("starting the thread of %s: %w", inc.Ref(), err)
		}
		id = th.ID
	}
	for _, user := range people(inc) {
		if err := a.session.ThreadMemberAdd(id, user, discordgo.WithContext(ctx)); err != nil {
			return "", fmt.Errorf("adding %s to the thread of %s: %w", user, inc.Ref(), err)
		}
	}
	return id, nil
}

// ownThread finds the thread named name that drone's bot started for inc
// under the threads channel since the incident was declared, or "".
func (a *Adapter) ownThread(ctx context.Context, inc *drone.Incident, guild, name string) (string, error) {
	bot, err := a.botUserID(ctx)
	if err != nil {
		return "", err
	}
	list, err := a.session.GuildThreadsActive(guild, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("listing the threads of guild %s: %w", guild, err)
	}
	since := inc.DeclaredAt.Add(-time.Minute) // Discord's clock may run behind ours
	for _, th := range list.Threads {
		made, err := discordgo.SnowflakeTimestamp(th.ID)
		if err == nil && th.ParentID == a.cfg.ThreadChannelID && th.Name == name && th.OwnerID == bot && !made.Before(since) {
			return th.ID, nil
		}
	}
	return "", nil
}

// admit lets a user (a new lead or role holder) into the incident's space:
// a thread member, or a member's permission overwrite on its channel. Both
// are PUTs, so a retry does nothing twice.
func (a *Adapter) admit(ctx context.Context, inc *drone.Incident, user string) error {
	ch := inc.External[KeyChannel]
	if ch == "" {
		return nil
	}
	var err error
	if a.cfg.ThreadChannelID != "" {
		err = a.session.ThreadMemberAdd(ch, user, discordgo.WithContext(ctx))
	} else {
		err = a.session.ChannelPermissionSet(ch, user, discordgo.PermissionOverwriteTypeMember, permMember, 0, discordgo.WithContext(ctx))
	}
	if err != nil {
		return fmt.Errorf("letting %s into the space of %s: %w", user, inc.Ref(), err)
	}
	return nil
}

// postNotice posts the incident's notice in its space, mentioning the
// reporter and the responders' role (the only mentions allowed), and pins it.
func (a *Adapter) postNotice(ctx context.Context, inc *drone.Incident, ch string) error {
	rec, err := a.svc.Get(ctx, inc.Number)
	if err != nil {
		return err
	}
	msg := renderNotice(drone.BuildNotice(rec, drone.EntryDeclared, drone.AudienceResponders, a.now()))
	allowed := noMentions()
	var who []string
	if r := a.cfg.ResponderRoleID; r != "" && !a.svc.IsPrivate(inc) {
		who = append(who, "<@&"+r+">")
		allowed.Roles = []string{r}
	}
	if id, ok := discordUser(inc.Reporter); ok {
		who = append(who, "<@"+id+">")
		allowed.Users = []string{id}
	}
	text := strings.TrimSpace(strings.Join(who, " ") + " " + inc.Ref() + " is declared: this is its space.")
	m, err := a.session.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: clip(text, maxContent),
		Embeds: msg.Embeds, Components: msg.Components, AllowedMentions: allowed}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("posting the notice of %s: %w", inc.Ref(), err)
	}
	if err := a.svc.SetExternal(ctx, botActor, inc.ID, map[string]string{KeyMessage: m.ID},
		fmt.Sprintf("Discord notice %s posted for %s", m.ID, inc.Ref())); err != nil {
		return fmt.Errorf("recording the notice of %s: %w", inc.Ref(), err)
	}
	if err := a.session.ChannelMessagePin(ch, m.ID, discordgo.WithContext(ctx)); err != nil {
		// The notice is posted and recorded; a missing pin permission
		// must not repost it, so this is said, not retried.
		a.log.Warn("pinning the notice", "incident", inc.Ref(), "err", a.limiter.named(err))
	}
	return nil
}

// refreshNotice edits the incident's notice to show its latest state.
func (a *Adapter) refreshNotice(ctx context.Context, number int64) error {
	inc, err := a.svc.Incident(ctx, number)
	if err != nil {
		return err
	}
	mu := a.noticeLock(inc.ID)
	mu.Lock()
	defer mu.Unlock()
	rec, err := a.svc.Get(ctx, number) // the latest, now that no other edit runs
	if err != nil {
		return err
	}
	ch, mid := rec.Incident.External[KeyChannel], rec.Incident.External[KeyMessage]
	if ch == "" || mid == "" {
		return nil
	}
	msg := renderNotice(drone.BuildNotice(rec, latestKind(rec), drone.AudienceResponders, a.now()))
	_, err = a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: mid, Channel: ch, Embeds: &msg.Embeds,
		Components: &msg.Components, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("editing the notice of %s: %w", inc.Ref(), err)
	}
	return nil
}

// latestKind is the kind of the last change a notice shows, for its headline.
func latestKind(rec *drone.Record) string {
	for i := len(rec.Timeline) - 1; i >= 0; i-- {
		if k := rec.Timeline[i].Kind; k == drone.EntryDeclared || drone.ChangesIncident(k) {
			return k
		}
	}
	return drone.EntryDeclared
}

// discordUser returns the Discord user id of an actor.
func discordUser(a drone.Actor) (string, bool) {
	return a.ID, a.Platform == "discord" && isSnowflake(a.ID)
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

// channelName is "inc-3-intrusion-phishing": Discord's channel names are
// lower-case words joined by dashes.
func channelName(inc *drone.Incident) string {
	s := strings.ToLower(inc.Ref() + " " + inc.CategoryName + " " + inc.SubContext)
	s = strings.Trim(notSlug.ReplaceAllString(s, "-"), "-")
	if len(s) > maxChannelName {
		s = strings.TrimRight(s[:maxChannelName], "-")
	}
	return s
}

// postInSpace posts text in the incident's space (an access request, for
// its lead), mentioning only the user mention names, if any.
func (a *Adapter) postInSpace(ctx context.Context, inc *drone.Incident, text, mention string) error {
	ch := inc.External[KeyChannel]
	if ch == "" {
		return nil
	}
	allowed := noMentions()
	if isSnowflake(mention) {
		text = "<@" + mention + "> " + text
		allowed.Users = []string{mention}
	}
	text = discordIdentity.ReplaceAllString(validUTF8(text), "<@$1>")
	_, err := a.session.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: clip(text, maxContent),
		AllowedMentions: allowed}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("posting in the space of %s: %w", inc.Ref(), err)
	}
	return nil
}
