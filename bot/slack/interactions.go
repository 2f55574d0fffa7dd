package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
)

// interaction answers an interaction: a button or select (block_actions),
// a modal's submission, or the message shortcut. Only a submission's answer
// has a body (response_action).
func (h *Handler) interaction(ctx context.Context, ic *slack.InteractionCallback) (any, error) {
	if ic.User.ID == "" {
		return nil, fmt.Errorf("%w: an interaction without a user", errBadRequest)
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		return nil, h.blockActions(ctx, ic)
	case slack.InteractionTypeViewSubmission:
		return h.submission(ctx, ic)
	case slack.InteractionTypeMessageAction:
		switch ic.CallbackID {
		case ShortcutAddIndicators:
			return nil, h.shortcut(ctx, ic)
		case ShortcutAddToTimeline:
			return nil, h.timelineShortcut(ctx, ic)
		}
		return nil, nil
	case "":
		return nil, fmt.Errorf("%w: an interaction without a type", errBadRequest)
	}
	return nil, nil // view_closed, global shortcuts...: nothing to do
}

// blockActions runs the buttons of drone's messages and the selects of its
// modals that dispatch actions.
func (h *Handler) blockActions(ctx context.Context, ic *slack.InteractionCallback) error {
	for _, act := range ic.ActionCallback.BlockActions {
		if act == nil {
			continue
		}
		if err := h.blockAction(ctx, ic, act); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) blockAction(ctx context.Context, ic *slack.InteractionCallback, act *slack.BlockAction) error {
	if ic.View.ID != "" && ic.View.CallbackID == cbDeclare && act.ActionID == drone.FieldCategory {
		h.refreshDeclare(ic)
		return nil
	}
	if !strings.HasPrefix(act.ActionID, actionPrefix) {
		return nil
	}
	if act.ActionID == actionOffer {
		channel, ts, ok := strings.Cut(act.Value, "/")
		if !ok || channel == "" || ts == "" {
			return fmt.Errorf("%w: offer %q", errBadRequest, act.Value)
		}
		here, err := h.router.ChannelIncident(ctx, channel)
		if err != nil {
			return err
		}
		h.openIndicators(ic.TriggerID, ic.User.ID, viewMeta{Ref: here, Channel: channel}, channel, ts, true)
		return nil
	}
	n, err := parseNumber(act.Value)
	if err != nil {
		return err
	}
	switch strings.TrimPrefix(act.ActionID, actionPrefix) {
	case "ack":
		h.runAction(ctx, ic, drone.Command{Name: "ack", Ref: n})
	case "status":
		h.runAction(ctx, ic, drone.Command{Name: "status", Ref: n})
	case "close":
		h.runAction(ctx, ic, drone.Command{Name: "close", Ref: n})
	case "ioc":
		h.openIndicatorsView(ic.TriggerID, ic.Channel.ID, ic.User.ID, viewMeta{Ref: n, Channel: ic.Channel.ID}, nil, "")
	}
	return nil
}

// refreshDeclare shows the sub-contexts of the category just chosen.
func (h *Handler) refreshDeclare(ic *slack.InteractionCallback) {
	d := h.svc.DeclareDialog()
	values := dialogValues(&ic.View, &d)
	meta, err := decodeMeta(ic.View.PrivateMetadata)
	if err != nil {
		h.log.Warn("slack: declare modal with unreadable metadata", "err", err)
	}
	view := dialogView(&d, values, meta)
	id, hash := ic.View.ID, ic.View.Hash
	h.later("updating the declare modal", func(ctx context.Context) error {
		_, err := h.api.UpdateViewContext(ctx, view, "", hash, id)
		return err
	})
}

// submission answers a modal's submission: errors beside the fields (the
// user keeps what they typed), or the modal replaced by a confirmation.
func (h *Handler) submission(ctx context.Context, ic *slack.InteractionCallback) (any, error) {
	meta, err := decodeMeta(ic.View.PrivateMetadata)
	if err != nil {
		return nil, err
	}
	a := h.actor(ctx, ic.User.ID, userName(ic.User))
	o := origin(meta.Channel, "")
	switch ic.View.CallbackID {
	case cbDeclare:
		return h.submitDeclare(ctx, ic, a, o)
	case cbStatus, cbClose:
		return h.submitChange(ctx, ic, a, o, meta)
	case cbIndicators:
		return h.submitIndicators(ctx, ic, a, meta)
	case cbTimeline:
		return h.submitTimeline(ctx, ic, a, meta)
	}
	return nil, nil
}

func (h *Handler) submitDeclare(ctx context.Context, ic *slack.InteractionCallback, a drone.Actor, o drone.Origin) (any, error) {
	d := h.svc.DeclareDialog()
	values := dialogValues(&ic.View, &d)
	if errs := d.Validate(values); len(errs) > 0 {
		return errorsResponse(fieldErrors(&d, values, errs)), nil
	}
	in := drone.DeclareInputFromDialog(values)
	// The view id makes the declaration idempotent: a double-clicked
	// submit or a replayed payload returns the first one's incident.
	in.Key = "slack.view:" + ic.View.ID
	inc, res, err := h.svc.Declare(ctx, a, o, in)
	if err != nil {
		return h.operationErrors(&d, values, err), nil
	}
	text := fmt.Sprintf("*%s declared*: %s\nIts channel and notification are on their way; you will be invited.",
		inc.Ref(), escape(inc.Title))
	if len(res.Added)+len(res.Rejected) > 0 {
		text += "\n```" + escape(drone.RenderAddResult(res)) + "```"
	}
	return doneResponse(inc.Ref()+" declared", text), nil
}

// submitChange posts a status update or closes an incident.
func (h *Handler) submitChange(ctx context.Context, ic *slack.InteractionCallback, a drone.Actor, o drone.Origin, meta viewMeta) (any, error) {
	inc, err := h.svc.Incident(ctx, meta.Ref)
	if err != nil {
		if drone.ErrorCode(err) == drone.ENOTFOUND {
			return nil, fmt.Errorf("%w: modal for unknown incident %d", errBadRequest, meta.Ref)
		}
		return nil, err
	}
	d := h.svc.CloseDialog(inc)
	if ic.View.CallbackID == cbStatus {
		d = h.svc.StatusDialog(inc)
	}
	values := dialogValues(&ic.View, &d)
	errs := d.Validate(values)
	var upd drone.UpdateInput
	if d.ID == "status" {
		var more map[string]string
		upd, more = drone.UpdateInputFromDialog(values)
		for k, v := range more {
			errs[k] = v
		}
	}
	if len(errs) > 0 {
		return errorsResponse(fieldErrors(&d, values, errs)), nil
	}
	if first, err := h.svc.Claim(ctx, submissionKey(ic.View.ID, values)); err != nil || !first {
		if err != nil {
			return h.operationErrors(&d, values, err), nil
		}
		return slack.NewClearViewSubmissionResponse(), nil // the same submission again
	}
	var done string
	if d.ID == "status" {
		inc, err = h.svc.PostUpdate(ctx, a, o, inc.Number, upd)
		if err == nil {
			done = fmt.Sprintf("%s is %s.", inc.Ref(), inc.Status)
		}
	} else {
		inc, err = h.svc.Close(ctx, a, o, inc.Number, drone.CloseInputFromDialog(values))
		if err == nil {
			done = fmt.Sprintf("%s is closed as %s (%s).", inc.Ref(), inc.Resolution, inc.Impact)
		}
	}
	if err != nil {
		return h.operationErrors(&d, values, err), nil
	}
	return doneResponse(d.Title, done+" The incident's channel is being updated."), nil
}

// submissionKey identifies one submission of a modal: the same view with
// the same values, so that a replayed payload is done once while a
// corrected resubmission goes through.
func submissionKey(viewID string, values map[string]string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(s, "%s=%q;", k, values[k])
	}
	return "slack.submit:" + viewID + ":" + hex.EncodeToString(s.Sum(nil))[:32]
}

// operationErrors shows an operation's error in the modal, beside the
// field it concerns.
func (h *Handler) operationErrors(d *drone.Dialog, values map[string]string, err error) *slack.ViewSubmissionResponse {
	msg := h.failure("submitting the "+d.ID+" modal", err)
	return errorsResponse(fieldErrors(d, values, map[string]string{errorField(d, msg): msg}))
}
