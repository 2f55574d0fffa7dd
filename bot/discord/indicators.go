package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// Field ids of the indicators modal besides drone's own.
const (
	fieldIncident = "incident"
	fieldInternal = "internal"
)

// indicatorsFromMessage answers the message menu "Add indicators to
// incident": the indicators found in the message are previewed in a modal
// to confirm (public ones listed, one per line, to keep or delete; internal
// ones left out unless pasted back), then added with the counts of what was
// new, known and rejected.
func (a *Adapter) indicatorsFromMessage(ctx context.Context, i *discordgo.Interaction, actor drone.Actor, data discordgo.ApplicationCommandInteractionData) *discordgo.InteractionResponse {
	if err := a.svc.Authorize(actor, drone.PermIOC); err != nil {
		return a.fail(err)
	}
	var msg *discordgo.Message
	if data.Resolved != nil {
		msg = data.Resolved.Messages[data.TargetID]
	}
	if msg == nil {
		return a.fail(drone.Errorf(drone.EINVALID, "Discord did not send the message; try again"))
	}
	preview := a.router.Preview(messageTexts(msg)...)
	if len(preview.Indicators) == 0 {
		return textResponse("No indicators in this message.\n"+drone.RenderAddResult(drone.AddResult{Rejected: preview.Rejected}), false)
	}
	ref, err := a.router.ChannelIncident(ctx, i.ChannelID)
	if err != nil {
		return a.fail(err)
	}
	d := iocDialog(ref, &preview)
	ask := []string{fieldIncident, drone.FieldIndicators, fieldInternal}
	return a.openModal(&d, modalID{Dialog: "ioc", Ref: ref, Key: i.ID}, ask)
}

// messageTexts is the text of a message where indicators hide: its content
// and its embeds.
func messageTexts(m *discordgo.Message) []string {
	texts := []string{m.Content}
	for _, e := range m.Embeds {
		if e == nil {
			continue
		}
		texts = append(texts, e.Title, e.Description, e.URL)
		for _, f := range e.Fields {
			if f != nil {
				texts = append(texts, f.Name, f.Value)
			}
		}
	}
	return texts
}

// iocDialog is the form that adds indicators to an incident (ref, or one
// to name when 0), pre-filled from a preview when there is one.
func iocDialog(ref int64, preview *ioc.Result) drone.Dialog {
	d := drone.Dialog{ID: "ioc", Title: "Add indicators", Submit: "Add"}
	if ref > 0 {
		d.Title = fmt.Sprintf("Add indicators to INC-%d", ref)
	} else {
		d.Fields = append(d.Fields, drone.Field{ID: fieldIncident, Label: "Incident", Kind: drone.FieldText,
			Required: true, MaxLen: 24, Hint: "INC-12"})
	}
	list := drone.Field{ID: drone.FieldIndicators, Label: "Indicators, one per line", Kind: drone.FieldTextArea,
		Required: true, MaxLen: maxInputValue, Hint: "Paste IPs, domains, URLs, hashes, e-mails: defanged or not."}
	if preview == nil {
		d.Fields = append(d.Fields, list)
		return d
	}
	var public, internal []string
	for _, in := range preview.Indicators {
		if in.Internal {
			internal = append(internal, in.Value)
		} else {
			public = append(public, in.Value)
		}
	}
	shown := fitLines(public, maxInputValue)
	list.Label = "Indicators to add (delete to skip)"
	list.Initial = strings.Join(public[:shown], "\n")
	list.Required = shown > 0
	d.Title = confirmTitle(shown, len(public), ref)
	d.Fields = append(d.Fields, list)
	if len(internal) > 0 {
		d.Fields = append(d.Fields, drone.Field{ID: fieldInternal, Label: "Also add (internal values are left out)",
			Kind: drone.FieldTextArea, MaxLen: maxInputValue, Hint: "Left out: " + strings.Join(internal, ", ")})
	}
	return d
}

// fitLines returns how many of lines fit in max characters, one per line.
func fitLines(lines []string, max int) int {
	n := 0
	for i, l := range lines {
		n += textLen(l) + 1
		if n-1 > max {
			return i
		}
	}
	return len(lines)
}

// confirmTitle says how many indicators the modal offers to add.
func confirmTitle(shown, found int, ref int64) string {
	t := fmt.Sprintf("Add %d indicators", shown)
	if shown < found {
		t = fmt.Sprintf("Add %d of %d indicators", shown, found)
	}
	if ref > 0 {
		t += fmt.Sprintf(" to INC-%d", ref)
	}
	return t
}
