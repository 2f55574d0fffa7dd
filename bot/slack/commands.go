package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
)

// command answers a slash command: "/drone ..." goes through the shared
// grammar with the channel's incident as default. A command that needs a
// form (declare, status, close without text) opens its modal right after
// the acknowledgement, which is then empty.
func (h *Handler) command(ctx context.Context, c slack.SlashCommand) (any, error) {
	if c.UserID == "" || c.TriggerID == "" {
		return nil, fmt.Errorf("%w: a slash command without user_id or trigger_id", errBadRequest)
	}
	a := h.actor(ctx, c.UserID, c.UserName)
	line := strings.TrimSpace(identities(c.Text))
	var reply *drone.Reply
	var err error
	if line == "" || strings.EqualFold(line, "declare") {
		// "/drone" alone declares: the modal needs no incident, so the
		// channel's is not looked up.
		reply, err = h.svc.Execute(ctx, a, origin(c.ChannelID, ""), drone.Command{Name: "declare"}, 0)
	} else {
		reply, err = h.router.Handle(ctx, a, origin(c.ChannelID, ""), c.ChannelID, line)
	}
	if err != nil {
		return errorMessage(h.failure("running "+c.Command, err)), nil
	}
	if reply.Dialog != nil {
		h.openDialog(c.TriggerID, reply.Dialog, viewMeta{Ref: reply.Dialog.Ref, Channel: c.ChannelID}, c.ChannelID, c.UserID)
		return nil, nil
	}
	return replyMessage(reply), nil
}

// openDialog opens a core dialog as a modal with the trigger id; when Slack
// refuses, the user is told in the channel.
func (h *Handler) openDialog(trigger string, d *drone.Dialog, meta viewMeta, channel, user string) {
	view := dialogView(d, map[string]string{}, meta)
	h.later("opening the "+d.ID+" modal", func(ctx context.Context) error {
		_, err := h.api.OpenViewContext(ctx, trigger, view)
		if err != nil {
			h.ephemeral(channel, user, "", errorMessage("Slack did not open the form ("+err.Error()+"); please try again.").Text)
		}
		return err
	})
}

// runAction runs one command of the grammar for a button of a message and
// answers the user in the channel, or opens the form the command needs.
func (h *Handler) runAction(ctx context.Context, ic *slack.InteractionCallback, cmd drone.Command) {
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	a := h.actor(ctx, ic.User.ID, userName(ic.User))
	reply, err := h.svc.Execute(ctx, a, origin(channel, ic.Container.MessageTs), cmd, cmd.Ref)
	switch {
	case err != nil:
		h.ephemeral(channel, ic.User.ID, "", errorMessage(h.failure("running "+cmd.Name, err)).Text)
	case reply.Dialog != nil:
		h.openDialog(ic.TriggerID, reply.Dialog, viewMeta{Ref: reply.Dialog.Ref, Channel: channel}, channel, ic.User.ID)
	default:
		h.ephemeral(channel, ic.User.ID, "", replyText(reply.Text))
	}
}

// userName is the name a payload gives its user.
func userName(u slack.User) string {
	if strings.TrimSpace(u.Name) != "" {
		return u.Name
	}
	return u.Username
}
