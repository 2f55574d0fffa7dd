package discord

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/drone"
)

// modal renders the fields ask of a dialog as a Discord modal: text inputs
// only, at most five, titles of at most 45 characters. A select field asked
// in a modal becomes a one-line input whose placeholder lists the choices
// (Discord's modals hold no menus); a select field chosen as a command
// option travels in the custom id instead.
func modal(d *drone.Dialog, id modalID, ask []string) (*discordgo.InteractionResponse, error) {
	var rows []discordgo.MessageComponent
	for _, fid := range ask {
		if f := d.Field(fid); f != nil {
			rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{textInput(f)}})
		}
	}
	cid := id.String()
	if len(rows) == 0 || len(rows) > maxModalInputs || len(cid) > maxCustomID {
		return nil, fmt.Errorf("dialog %s: %d inputs and a custom id of %d characters do not fit a Discord modal",
			d.ID, len(rows), len(cid))
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
		CustomID: cid, Title: clip(validUTF8(d.Title), maxModalTitle), Components: rows}}, nil
}

// textInput renders one field as a text input.
func textInput(f *drone.Field) discordgo.TextInput {
	max := f.MaxLen
	if max <= 0 || max > maxInputValue {
		max = maxInputValue
	}
	t := discordgo.TextInput{CustomID: f.ID, Label: clip(f.Label, maxInputLabel), Style: discordgo.TextInputShort,
		Required: f.Required, MaxLength: max, Value: clip(validUTF8(f.Initial), max)}
	if f.Kind == drone.FieldTextArea {
		t.Style = discordgo.TextInputParagraph
	}
	hint := f.Hint
	if f.Kind == drone.FieldSelect {
		opts := f.Options
		vals := make([]string, len(opts))
		for i, o := range opts {
			vals[i] = o.Value
		}
		hint = "One of: " + strings.Join(vals, ", ")
	}
	t.Placeholder = clip(validUTF8(hint), maxPlaceholder)
	return t
}

// modalValues reads the text inputs of a submitted modal, by field id.
func modalValues(data discordgo.ModalSubmitInteractionData) map[string]string {
	values := map[string]string{}
	for _, c := range data.Components {
		var inner []discordgo.MessageComponent
		switch row := c.(type) {
		case *discordgo.ActionsRow:
			inner = row.Components
		case discordgo.ActionsRow:
			inner = row.Components
		}
		for _, cc := range inner {
			if ti, ok := cc.(*discordgo.TextInput); ok && len(ti.CustomID) <= maxCustomID {
				values[ti.CustomID] = strings.TrimSpace(validUTF8(ti.Value))
			}
		}
	}
	return values
}

// normaliseSelects turns what was typed for a select field into its option's
// value, ignoring case and accepting the label too ("Contained", "cat1").
func normaliseSelects(d *drone.Dialog, values map[string]string) {
	for _, f := range d.Fields {
		v, ok := values[f.ID]
		if f.Kind != drone.FieldSelect || !ok || v == "" {
			continue
		}
		for _, o := range f.OptionsFor(values) {
			if strings.EqualFold(o.Value, v) || strings.EqualFold(o.Label, v) {
				values[f.ID] = o.Value
				break
			}
		}
	}
}

// fixMessage asks to fix what a dialog's validation refused, field by field,
// and gives back the long texts typed, since Discord closes the modal.
func fixMessage(d *drone.Dialog, errs map[string]string, values map[string]string) string {
	var b strings.Builder
	b.WriteString("Please fix, then try again:")
	ids := make([]string, 0, len(errs))
	for id := range errs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return fieldIndex(d, ids[i]) < fieldIndex(d, ids[j]) })
	for _, id := range ids {
		label := id
		if f := d.Field(id); f != nil {
			label = f.Label
		}
		fmt.Fprintf(&b, "\n• %s: %s", label, errs[id])
	}
	for _, f := range d.Fields {
		if v := values[f.ID]; f.Kind == drone.FieldTextArea && v != "" {
			fmt.Fprintf(&b, "\n\nWhat you typed as %s:\n```\n%s\n```", f.Label, strings.ReplaceAll(v, "```", "'''"))
		}
	}
	return clipBlock(b.String(), maxContent)
}

func fieldIndex(d *drone.Dialog, id string) int {
	for i, f := range d.Fields {
		if f.ID == id {
			return i
		}
	}
	return len(d.Fields)
}

// clipBlock clips text to max and closes a code block the cut left open.
func clipBlock(s string, max int) string {
	if textLen(s) <= max {
		return s
	}
	s = clip(s, max-4)
	if strings.Count(s, "```")%2 == 1 {
		s += "\n```"
	}
	return s
}
