package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// Thread reading bounds: pages of conversations.replies, and their size.
const (
	repliesPage  = 200
	repliesPages = 5
	// maxListed bounds the indicators listed in the modal; the rest can be
	// pasted in its text box or sent with /drone ioc.
	maxListed = 500
)

// Ids of the indicators modal's inputs.
const (
	inputIncident = "incident"
	inputFound    = "found"
	inputMore     = "more"
)

// shortcut runs "Add indicators to incident" on a message: the indicators
// of the message, and of its replies when it starts a thread, are listed
// in a modal for the user to tick and add.
func (h *Handler) shortcut(ctx context.Context, ic *slack.InteractionCallback) error {
	channel := ic.Channel.ID
	if channel == "" || ic.Message.Timestamp == "" {
		return fmt.Errorf("%w: a message shortcut without channel or message", errBadRequest)
	}
	here, err := h.router.ChannelIncident(ctx, channel)
	if err != nil {
		return err
	}
	meta := viewMeta{Ref: here, Channel: channel}
	if ic.Message.ReplyCount > 0 {
		h.openIndicators(ic.TriggerID, ic.User.ID, meta, channel, ic.Message.Timestamp, true)
		return nil
	}
	var texts []string
	if !h.own(ic.Message.User, ic.Message.BotID) {
		texts = append(texts, ic.Message.Text)
	}
	h.openIndicatorsView(ic.TriggerID, channel, ic.User.ID, meta, texts, "the message")
	return nil
}

// own reports whether a message is the bot's: its notices hold look-up
// links that are not indicators.
func (h *Handler) own(user, botID string) bool {
	me := h.bot()
	return (user != "" && user == me.userID) || (botID != "" && botID == me.botID)
}

// openIndicators reads a message (and its thread) after opening a modal
// that says so, since reading may take longer than a trigger id lives, then
// fills the modal in.
func (h *Handler) openIndicators(trigger, user string, meta viewMeta, channel, ts string, thread bool) {
	h.later("reading a thread for indicators", func(ctx context.Context) error {
		loading := infoView("Add indicators", "Reading the message and its thread…")
		v, err := h.api.OpenViewContext(ctx, trigger, *loading)
		if err != nil {
			return fmt.Errorf("opening the indicators modal: %w", err)
		}
		texts, n, err := h.thread(ctx, channel, ts)
		var view slack.ModalViewRequest
		if err != nil {
			h.log.Warn("slack: reading a thread", "channel", channel, "err", err)
			view = *infoView("Add indicators", "drone cannot read this conversation ("+escape(err.Error())+
				"). Invite drone to the channel, or paste the indicators with `/drone ioc`.")
		} else {
			source := "the message"
			if n > 1 {
				source = fmt.Sprintf("the message and its %d replies", n-1)
			}
			view, err = h.indicatorsView(ctx, meta, h.router.Preview(texts...), source)
			if err != nil {
				return err
			}
		}
		_, err = h.api.UpdateViewContext(ctx, view, "", v.Hash, v.ID)
		return err
	})
}

// thread returns the texts of a message and its replies (not the bot's),
// and how many messages were read.
func (h *Handler) thread(ctx context.Context, channel, ts string) ([]string, int, error) {
	var texts []string
	read, cursor := 0, ""
	for range repliesPages {
		msgs, more, next, err := h.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: ts, Limit: repliesPage, Cursor: cursor, Inclusive: true})
		if err != nil {
			return nil, 0, err
		}
		for _, m := range msgs {
			read++
			if !h.own(m.User, m.BotID) {
				texts = append(texts, m.Text)
			}
		}
		if !more || next == "" {
			break
		}
		cursor = next
	}
	return texts, read, nil
}

// openIndicatorsView opens the indicators modal for texts at once (a single
// message, or none: the notice's "Add indicators" button).
func (h *Handler) openIndicatorsView(trigger, channel, user string, meta viewMeta, texts []string, source string) {
	h.later("opening the indicators modal", func(ctx context.Context) error {
		view, err := h.indicatorsView(ctx, meta, h.router.Preview(texts...), source)
		if err != nil {
			return err
		}
		_, err = h.api.OpenViewContext(ctx, trigger, view)
		if err != nil {
			h.ephemeral(channel, user, "", errorMessage("Slack did not open the form ("+err.Error()+"); please try again.").Text)
		}
		return err
	})
}

// indicatorsView lists what was found: public indicators ticked, internal
// ones marked and left unticked, rejected candidates with the reason; the
// incident defaults to the channel's; a box takes more.
func (h *Handler) indicatorsView(ctx context.Context, meta viewMeta, res ioc.Result, source string) (slack.ModalViewRequest, error) {
	choices, initial, err := h.incidentChoices(ctx, meta.Ref)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	if len(choices) == 0 {
		return *infoView("Add indicators", "There is no open incident to add indicators to: declare one with `/drone`."), nil
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an incident"), inputIncident, choices...)
	sel.InitialOption = initial
	head := []slack.Block{slack.NewInputBlock(inputIncident, plain("Incident"), nil, sel)}
	if source != "" {
		intro := fmt.Sprintf("Found %d indicator(s) in %s.", len(res.Indicators), source)
		if len(res.Indicators) > 0 {
			intro += " Public ones are ticked; internal ones are marked and left unticked: looking them up outside would leak them."
		}
		head = append(head, slack.NewSectionBlock(mrkdwn(intro), nil, nil))
	}
	groups, omitted := checkboxGroups(res.Indicators, &meta)
	var tail []slack.Block
	if len(res.Rejected) > 0 {
		tail = append(tail, slack.NewSectionBlock(mrkdwn(rejectedText(res.Rejected)), nil, nil))
	}
	more := slack.NewPlainTextInputBlockElement(plain("IPs, domains, URLs, hashes, e-mail addresses: defanged or not"), inputMore)
	more.Multiline, more.MaxLength = true, maxInputLength
	box := slack.NewInputBlock(inputMore, plain("More indicators"), nil, more)
	box.Optional = true
	tail = append(tail, box)
	v := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: cbIndicators, Title: plain("Add indicators"),
		Submit: plain("Add"), Close: plain("Cancel"), PrivateMetadata: meta.encode()}
	for {
		blocks := append(append([]slack.Block(nil), head...), groups...)
		if omitted > 0 {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf(
				"%d more do not fit in this form: paste them below or use `/drone ioc`.", omitted))))
		}
		v.Blocks = slack.Blocks{BlockSet: append(blocks, tail...)}
		if viewSize(v) <= maxViewBytes || len(groups) == 0 {
			break
		}
		// Only a pathological thread gets here: drop the last group.
		omitted += countOptions(groups[len(groups)-1])
		groups = groups[:len(groups)-1]
	}
	return v, nil
}

func countOptions(b slack.Block) int {
	if in, ok := b.(*slack.InputBlock); ok {
		if el, ok := in.Element.(*slack.CheckboxGroupsBlockElement); ok {
			return len(el.Options)
		}
	}
	return 0
}

// incidentChoices are the open incidents (and the one of the channel, open
// or not), newest first, with the channel's chosen.
func (h *Handler) incidentChoices(ctx context.Context, ref int64) ([]*slack.OptionBlockObject, *slack.OptionBlockObject, error) {
	incs, err := h.svc.Incidents(ctx, drone.IncidentFilter{Open: true, Limit: maxOptions})
	if err != nil {
		return nil, nil, fmt.Errorf("listing open incidents: %w", err)
	}
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	found := false
	for _, inc := range incs {
		o := option(strconv.FormatInt(inc.Number, 10), inc.Ref()+" "+inc.Title)
		if inc.Number == ref {
			initial, found = o, true
		}
		opts = append(opts, o)
	}
	if ref != 0 && !found {
		inc, err := h.svc.Incident(ctx, ref)
		if err == nil {
			initial = option(strconv.FormatInt(inc.Number, 10), inc.Ref()+" "+inc.Title)
			opts = append([]*slack.OptionBlockObject{initial}, opts[:min(len(opts), maxOptions-1)]...)
		} else if drone.ErrorCode(err) != drone.ENOTFOUND {
			return nil, nil, err
		}
	}
	return opts, initial, nil
}

// checkboxGroups lists indicators as checkboxes, ten to a block (Slack's
// limit), public ones ticked. A value too long for a checkbox is kept in
// the metadata; what fits nowhere is counted.
func checkboxGroups(found []ioc.Indicator, meta *viewMeta) ([]slack.Block, int) {
	var blocks []slack.Block
	var opts, ticked []*slack.OptionBlockObject
	omitted := 0
	flush := func() {
		if len(opts) == 0 {
			return
		}
		el := slack.NewCheckboxGroupsBlockElement(inputFound, opts...)
		el.InitialOptions = ticked
		label := "Indicators"
		if len(blocks) > 0 {
			label = "More indicators found"
		}
		b := slack.NewInputBlock(fmt.Sprintf("%s.%d", inputFound, len(blocks)), plain(label), nil, el)
		b.Optional = true
		blocks = append(blocks, b)
		opts, ticked = nil, nil
	}
	for i, in := range found {
		value, ok := checkboxValue(in, meta)
		if !ok || i >= maxListed {
			omitted++
			continue
		}
		desc := string(in.Type)
		if in.Internal {
			desc += " · internal: not ticked"
		}
		o := slack.NewOptionBlockObject(value, plain(truncate(ioc.Defang(in.Type, in.Value), maxOptionText)), plain(desc))
		opts = append(opts, o)
		if !in.Internal {
			ticked = append(ticked, o)
		}
		if len(opts) == maxCheckboxes {
			flush()
		}
	}
	flush()
	return blocks, omitted
}

// checkboxValue encodes an indicator as a checkbox value: "v:type value",
// or "i:N" for the N-th long value kept in the metadata.
func checkboxValue(in ioc.Indicator, meta *viewMeta) (string, bool) {
	v := "v:" + string(in.Type) + " " + in.Value
	if len(v) <= maxOptionValue {
		return v, true
	}
	long := append(meta.Long, string(in.Type)+" "+in.Value)
	if len(viewMeta{Ref: meta.Ref, Channel: meta.Channel, Long: long}.encode()) > maxMetadata {
		return "", false
	}
	meta.Long = long
	return "i:" + strconv.Itoa(len(long)-1), true
}

// rejectedText lists what looked like indicators but is not, with why.
func rejectedText(rej []ioc.Rejected) string {
	text := "*Not added* (not indicators):"
	for i, r := range rej {
		line := "\n• `" + escape(truncate(strings.ReplaceAll(r.Raw, "`", "'"), 80)) + "` — " + escape(r.Reason)
		if len(text)+len(line)+40 > maxSectionText {
			return text + fmt.Sprintf("\n_and %d more_", len(rej)-i)
		}
		text += line
	}
	return text
}

// submitIndicators adds the ticked indicators and the pasted text.
func (h *Handler) submitIndicators(ctx context.Context, ic *slack.InteractionCallback, a drone.Actor, meta viewMeta) (any, error) {
	if ic.View.State == nil {
		return nil, nil // the "reading…" modal has no inputs to submit
	}
	st := ic.View.State.Values
	n, err := strconv.ParseInt(st[inputIncident][inputIncident].SelectedOption.Value, 10, 64)
	if err != nil || n < 1 {
		return errorsResponse(map[string]string{inputIncident: "Choose the incident."}), nil
	}
	var typed []drone.TypedValue
	for bid, actions := range st {
		if !strings.HasPrefix(bid, inputFound+".") {
			continue
		}
		for _, o := range actions[inputFound].SelectedOptions {
			tv, err := decodeCheckbox(o.Value, meta)
			if err != nil {
				return nil, err
			}
			typed = append(typed, tv)
		}
	}
	text := st[inputMore][inputMore].Value
	if len(typed) == 0 && strings.TrimSpace(text) == "" {
		return errorsResponse(map[string]string{inputMore: "Tick an indicator or paste some here."}), nil
	}
	res, err := h.svc.AddObservables(ctx, a, origin(meta.Channel, ""), n, drone.ObservableInput{Text: text, Typed: typed})
	if err != nil {
		msg := h.failure("adding indicators", err)
		return errorsResponse(map[string]string{inputIncident: truncate(msg, maxLabel)}), nil
	}
	return doneResponse("Indicators added", fmt.Sprintf("*INC-%d*\n```%s```", n, escape(h.svc.RenderAdded(ctx, res)))), nil
}

// decodeCheckbox reads a checkbox value back into a typed indicator.
func decodeCheckbox(v string, meta viewMeta) (drone.TypedValue, error) {
	var tv string
	switch {
	case strings.HasPrefix(v, "v:"):
		tv = v[2:]
	case strings.HasPrefix(v, "i:"):
		i, err := strconv.Atoi(v[2:])
		if err != nil || i < 0 || i >= len(meta.Long) {
			return drone.TypedValue{}, fmt.Errorf("%w: checkbox %q", errBadRequest, v)
		}
		tv = meta.Long[i]
	default:
		return drone.TypedValue{}, fmt.Errorf("%w: checkbox %q", errBadRequest, v)
	}
	typ, value, ok := strings.Cut(tv, " ")
	t, err := ioc.ParseType(typ)
	if !ok || err != nil {
		return drone.TypedValue{}, errors.Join(fmt.Errorf("%w: checkbox %q", errBadRequest, v), err)
	}
	return drone.TypedValue{Type: t, Value: value}, nil
}
