package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// callback is the outer part of an Events API delivery that drone reads.
type callback struct {
	Type      string          `json:"type"`
	EventID   string          `json:"event_id"`
	Challenge string          `json:"challenge"`
	Event     json.RawMessage `json:"event"`
}

// messageEvent is the part of a message event that drone reads.
type messageEvent struct {
	Type     string `json:"type"`
	SubType  string `json:"subtype"`
	Channel  string `json:"channel"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
}

// event handles one Events API delivery. Slack redelivers an event it
// thinks was missed: the event id is claimed once, and a redelivery does
// nothing.
func (h *Handler) event(ctx context.Context, body []byte) (any, error) {
	var cb callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("%w: event: %v", errBadRequest, err)
	}
	switch cb.Type {
	case "url_verification":
		return map[string]string{"challenge": cb.Challenge}, nil
	case "event_callback":
	case "":
		return nil, fmt.Errorf("%w: an event without a type", errBadRequest)
	default:
		return nil, nil // app_rate_limited and the like
	}
	if cb.EventID == "" {
		return nil, fmt.Errorf("%w: an event without event_id", errBadRequest)
	}
	first, err := h.svc.Claim(ctx, "slack.event:"+cb.EventID)
	if err != nil || !first {
		return nil, err
	}
	t, ok, err := parseTimelineEvent(cb.Event, h.cfg.TimelineReaction)
	if err != nil {
		return nil, err
	}
	if ok {
		// A job, not work after the answer: Slack was told the event
		// arrived, so a stop before the work is done must not lose it.
		args := timelineArgs{Add: t.add, Via: t.via, User: t.user, Channel: t.channel, TS: t.ts}
		return nil, h.svc.Enqueue(ctx, drone.Job{Kind: KindTimeline, Args: args, UniqueKey: KindTimeline + ":" + cb.EventID})
	}
	var m messageEvent
	if len(cb.Event) > 0 && json.Unmarshal(cb.Event, &m) == nil && m.Type == "message" {
		return nil, h.offer(ctx, m)
	}
	return nil, nil
}

// offer answers a person's message in an incident channel that holds
// indicators new to the incident with an ephemeral "Add N indicators?".
func (h *Handler) offer(ctx context.Context, m messageEvent) error {
	if !h.cfg.OfferIndicators || m.SubType != "" || m.BotID != "" || m.User == "" || m.Channel == "" || m.TS == "" ||
		h.own(m.User, m.BotID) {
		return nil
	}
	inc, err := h.svc.IncidentByRef(ctx, KeyChannel, m.Channel)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	res := h.router.Preview(m.Text)
	if len(res.Indicators) == 0 {
		return nil
	}
	known, err := h.svc.Observables(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("reading the indicators of %s: %w", inc.Ref(), err)
	}
	fresh := newIndicators(res.Indicators, known)
	if len(fresh) == 0 {
		return nil
	}
	text := fmt.Sprintf("Your message holds %d indicator(s) that %s does not have yet: %s. Add them?",
		len(fresh), inc.Ref(), listIndicators(fresh, 5))
	button := slack.NewButtonBlockElement(actionOffer, m.Channel+"/"+m.TS, plain(fmt.Sprintf("Review and add %d", len(fresh))))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(truncate(text, maxSectionText)), nil, nil),
		slack.NewActionBlock("offer", button.WithStyle(slack.StylePrimary))}
	h.ephemeral(m.Channel, m.User, m.ThreadTS, fmt.Sprintf("Add %d indicator(s) to %s?", len(fresh), inc.Ref()), blocks...)
	return nil
}

// newIndicators are the found indicators an incident does not hold yet.
func newIndicators(found []ioc.Indicator, known []drone.Observable) []ioc.Indicator {
	has := map[string]bool{}
	for _, o := range known {
		has[string(o.Type)+"\x00"+o.Value] = true
	}
	var out []ioc.Indicator
	for _, in := range found {
		if !has[string(in.Type)+"\x00"+in.Value] {
			out = append(out, in)
		}
	}
	return out
}

// listIndicators names the first n indicators, defanged.
func listIndicators(ins []ioc.Indicator, n int) string {
	parts := make([]string, 0, n+1)
	for i, in := range ins {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(ins)-n))
			break
		}
		parts = append(parts, "`"+escape(ioc.Defang(in.Type, in.Value))+"`")
	}
	return strings.Join(parts, ", ")
}
