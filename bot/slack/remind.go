package slack

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// KindRemind posts a reminder (an overdue update, a follow-up action's
// due date) in the incident's channel, mentioning whom it reminds.
const KindRemind = "slack.remind"

type remindArgs struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
	Text       string `json:"text"`
}

func (remindArgs) Kind() string { return KindRemind }

// planRemind is the job of a reminder entry of an incident with a Slack
// channel.
func planRemind(e drone.Event) []drone.Job {
	if _, ok := drone.Reminder(e.Entry); !ok || e.Incident.External[KeyChannel] == "" {
		return nil
	}
	args := remindArgs{IncidentID: e.Incident.ID, Seq: e.Entry.Seq, Text: e.Entry.Text}
	return []drone.Job{{Kind: KindRemind, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindRemind, e.Incident.ID, e.Entry.Seq)}}
}

type remindWorker struct {
	river.WorkerDefaults[remindArgs]
	h *Handler
}

func (w *remindWorker) Work(ctx context.Context, job *river.Job[remindArgs]) error {
	release, err := w.h.jobSlot(ctx)
	if err != nil {
		return queue.Steer(err)
	}
	defer release()
	return queue.Steer(classify(w.h.remind(ctx, job.Args, job.Attempt, job.CreatedAt)))
}

// remind posts the reminder once: the record of sent messages says
// whether it went, and after a failed attempt the channel is searched
// for the message by its metadata (the attempt may have posted it and
// died before recording it), as notices are.
func (h *Handler) remind(ctx context.Context, r remindArgs, attempt int, since time.Time) error {
	key := KindRemind + ":" + r.IncidentID + ":" + strconv.FormatInt(r.Seq, 10)
	if _, sent, err := h.svc.Delivery(ctx, key); err != nil || sent {
		return err
	}
	inc, err := h.svc.IncidentByID(ctx, r.IncidentID)
	if err != nil {
		return err
	}
	channel := inc.External[KeyChannel]
	if channel == "" {
		return nil
	}
	record := func(ts string) error {
		return h.svc.RecordDelivery(ctx, drone.Delivery{Key: key, IncidentID: inc.ID, Event: drone.EntryReminder,
			Medium: drone.MediumSlack, Address: channel, Ref: drone.MessageRef{ID: ts}, At: h.now()})
	}
	if attempt > 1 {
		msg := &drone.Message{Key: key, Since: since}
		if ref, ok, err := h.Medium().find(ctx, channel, msg, drone.MessageRef{}); err != nil || ok {
			if err != nil {
				return err
			}
			return record(ref.ID)
		}
	}
	if err := h.pace.wait(ctx, channel); err != nil {
		return err
	}
	_, ts, err := h.api.PostMessageContext(ctx, channel, slack.MsgOptionText(mentions(escape(r.Text)), false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metadataEvent, EventPayload: map[string]any{"key": key}}))
	if err != nil {
		return fmt.Errorf("posting a reminder of %s: %w", inc.Ref(), err)
	}
	return record(ts)
}
