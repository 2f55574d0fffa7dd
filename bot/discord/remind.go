package discord

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// KindRemind posts a reminder (an overdue update, a follow-up action's due
// date) in the incident's space, mentioning whom it reminds.
const KindRemind = "discord.remind"

// remindArgs are the arguments of a discord.remind job.
type remindArgs struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
	Text       string `json:"text"`
	Who        string `json:"who,omitempty"` // identity "discord:ID"
}

// Kind implements river.JobArgs.
func (remindArgs) Kind() string { return KindRemind }

// planRemind is the job of a reminder entry of an incident with a
// Discord space.
func planRemind(e drone.Event) []drone.Job {
	d, ok := drone.Reminder(e.Entry)
	if !ok || e.Incident.External[KeyChannel] == "" {
		return nil
	}
	args := remindArgs{IncidentID: e.Incident.ID, Seq: e.Entry.Seq, Text: e.Entry.Text, Who: d.Who}
	return []drone.Job{{Kind: KindRemind, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindRemind, e.Incident.ID, e.Entry.Seq)}}
}

type remindWorker struct {
	river.WorkerDefaults[remindArgs]
	a *Adapter
}

// Work posts the reminder once: the record of sent messages says whether
// an earlier attempt posted it, and the nonce Discord enforces makes a
// post repeated within its window return the first one.
func (w *remindWorker) Work(ctx context.Context, job *river.Job[remindArgs]) error {
	return w.a.jobError(w.a.remind(ctx, job.Args))
}

func (a *Adapter) remind(ctx context.Context, r remindArgs) error {
	key := KindRemind + ":" + r.IncidentID + ":" + strconv.FormatInt(r.Seq, 10)
	if _, sent, err := a.svc.Delivery(ctx, key); err != nil || sent {
		return err
	}
	inc, err := a.svc.IncidentByID(ctx, r.IncidentID)
	if err != nil {
		return err
	}
	ch := inc.External[KeyChannel]
	if ch == "" {
		return nil // the space is gone from the incident: nowhere to remind
	}
	allowed := noMentions()
	if id, ok := strings.CutPrefix(r.Who, "discord:"); ok && isSnowflake(id) {
		allowed.Users = []string{id}
	}
	body := createMessage{AllowedMentions: allowed, Nonce: nonce(key), EnforceNonce: true}
	content := clip(discordIdentity.ReplaceAllString(r.Text, "<@$1>"), maxContent)
	ep := discordgo.EndpointChannelMessages(ch)
	raw, err := a.session.RequestWithBucketID(http.MethodPost, ep, reminderBody{createMessage: body, Content: content}, ep,
		discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("posting a reminder of %s: %w", inc.Ref(), err)
	}
	sent, err := sentMessage(raw)
	if err != nil {
		return fmt.Errorf("reading Discord's answer to a reminder of %s: %w", inc.Ref(), err)
	}
	return a.svc.RecordDelivery(ctx, drone.Delivery{Key: key, IncidentID: inc.ID, Event: drone.EntryReminder,
		Medium: drone.MediumDiscord, Address: ch, Ref: drone.MessageRef{ID: sent.ID}, At: a.now()})
}

// reminderBody is a message of text alone.
type reminderBody struct {
	createMessage
	Content string `json:"content"`
}
