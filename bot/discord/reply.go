package discord

import (
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// noMentions lets no mention in a message notify anyone: texts typed by
// people reach channels through drone, and "@everyone" in an overview must
// stay text.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// textResponse answers with a message, visible to the channel or only to
// the person who asked.
func textResponse(text string, public bool) *discordgo.InteractionResponse {
	d := &discordgo.InteractionResponseData{Content: content(text), AllowedMentions: noMentions()}
	if !public {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: d}
}

// replyResponse renders a reply of drone's core: a record as the notice's
// embeds, anything else as text.
func (a *Adapter) replyResponse(r *drone.Reply) *discordgo.InteractionResponse {
	if r.Record == nil {
		return textResponse(r.Text, r.Public)
	}
	msg := renderNotice(drone.BuildNotice(r.Record, "", drone.AudienceResponders, a.now()))
	resp := textResponse("", r.Public)
	resp.Data.Embeds, resp.Data.Components = msg.Embeds, msg.Components
	return resp
}

var discordIdentity = regexp.MustCompile(`\bdiscord:([1-9][0-9]{5,19})\b`)

// content renders a reply's text: its first line as text, with Discord
// identities shown as mentions, the rest (aligned tables, lists of
// indicators) in a code block; at most 2000 characters.
func content(text string) string {
	text = strings.TrimSpace(validUTF8(text))
	first, rest, _ := strings.Cut(text, "\n")
	first = discordIdentity.ReplaceAllString(first, "<@$1>")
	if strings.TrimSpace(rest) == "" {
		return clip(first, maxContent)
	}
	first = clip(first, maxContent/2)
	return clipBlock(first+"\n```\n"+strings.ReplaceAll(rest, "```", "'''")+"\n```", maxContent)
}

// editOf turns an answer into the edit of a deferred response.
func editOf(r *discordgo.InteractionResponse) *discordgo.WebhookEdit {
	d := r.Data
	if d == nil || r.Type == discordgo.InteractionResponseModal {
		d = textResponse("This needs a form: run the command again.", false).Data
	}
	embeds, comps := d.Embeds, d.Components
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return &discordgo.WebhookEdit{Content: &d.Content, Embeds: &embeds, Components: &comps, AllowedMentions: noMentions()}
}
