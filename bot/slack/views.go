package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
)

// Block Kit limits of modals.
const (
	maxViewBlocks   = 100
	maxViewBytes    = 250_000
	maxTitle        = 24
	maxOptions      = 100
	maxOptionText   = 75
	maxOptionValue  = 150
	maxCheckboxes   = 10
	maxMetadata     = 3000
	maxInputLength  = 3000
	maxLabel        = 2000
	maxPlaceholder  = 150
	maxHintText     = 2000
	maxBlockIDBytes = 255
)

// viewMeta travels in a modal's private_metadata: what the modal acts on.
type viewMeta struct {
	Ref     int64  `json:"ref,omitempty"`     // the incident, for status, close and indicators
	Channel string `json:"channel,omitempty"` // where the modal was opened from
	TS      string `json:"ts,omitempty"`      // the message a timeline modal adds
	// Long holds indicators too long for a checkbox value, as "type value".
	Long []string `json:"long,omitempty"`
}

func (m viewMeta) encode() string {
	b, err := json.Marshal(m)
	if err != nil {
		// viewMeta holds only strings and a number.
		panic(fmt.Sprintf("slack: encoding view metadata: %v", err))
	}
	return string(b)
}

func decodeMeta(s string) (viewMeta, error) {
	var m viewMeta
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, fmt.Errorf("%w: private_metadata: %v", errBadRequest, err)
	}
	return m, nil
}

// blockID is the block of a field. A field whose options follow another
// field's value gets a block per value, so that Slack drops a choice that
// belonged to other options when the view is updated.
func blockID(f *drone.Field, values map[string]string) string {
	if f.DependsOn == "" {
		return f.ID
	}
	return truncateBytes(f.ID+"."+values[f.DependsOn], maxBlockIDBytes)
}

// truncateBytes cuts s to at most n bytes, on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// dialogView renders a core dialog as a modal, with values (the entries so
// far) shown as chosen.
func dialogView(d *drone.Dialog, values map[string]string, meta viewMeta) slack.ModalViewRequest {
	v := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: actionPrefix + d.ID,
		Title: plain(truncate(d.Title, maxTitle)), Submit: plain(truncate(d.Submit, maxTitle)),
		Close: plain("Cancel"), PrivateMetadata: meta.encode()}
	dispatch := map[string]bool{}
	for _, f := range d.Fields {
		if f.DependsOn != "" {
			dispatch[f.DependsOn] = true
		}
	}
	for i := range d.Fields {
		f := &d.Fields[i]
		if b := fieldBlock(f, values, dispatch[f.ID]); b != nil {
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, b)
		}
	}
	return v
}

// fieldBlock renders a field as an input block; nil for a select without
// options (the sub-context before a category is chosen, an unconfigured
// list).
func fieldBlock(f *drone.Field, values map[string]string, dispatch bool) slack.Block {
	var el slack.BlockElement
	current := values[f.ID]
	if current == "" {
		current = f.Initial
	}
	switch f.Kind {
	case drone.FieldSelect:
		opts := f.OptionsFor(values)
		if len(opts) == 0 {
			return nil
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), f.ID)
		for _, o := range opts[:min(len(opts), maxOptions)] {
			ob := option(o.Value, o.Label)
			sel.Options = append(sel.Options, ob)
			if o.Value == current {
				sel.InitialOption = ob
			}
		}
		el = sel
	default:
		in := slack.NewPlainTextInputBlockElement(nil, f.ID)
		in.Multiline = f.Kind == drone.FieldTextArea
		in.MaxLength = maxInputLength
		if f.MaxLen > 0 {
			in.MaxLength = min(f.MaxLen, maxInputLength)
		}
		in.InitialValue = truncate(current, in.MaxLength)
		el = in
	}
	var hint *slack.TextBlockObject
	if f.Hint != "" {
		hint = plain(truncate(f.Hint, maxHintText))
	}
	b := slack.NewInputBlock(blockID(f, values), plain(truncate(f.Label, maxLabel)), hint, el)
	b.Optional = !f.Required
	b.DispatchAction = dispatch
	return b
}

func option(value, text string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(truncateBytes(value, maxOptionValue), plain(truncate(text, maxOptionText)), nil)
}

// dialogValues reads a modal's entries for a dialog's fields: a field's
// value is found under its action id, and for a dependent field in the
// block of the value it depends on.
func dialogValues(view *slack.View, d *drone.Dialog) map[string]string {
	values := map[string]string{}
	if view.State == nil {
		return values
	}
	read := func(bid, aid string) (string, bool) {
		a, ok := view.State.Values[bid][aid]
		if !ok {
			return "", false
		}
		if a.SelectedOption.Value != "" {
			return a.SelectedOption.Value, true
		}
		return a.Value, true
	}
	for _, f := range d.Fields {
		if f.DependsOn != "" {
			continue
		}
		for bid := range view.State.Values {
			if v, ok := read(bid, f.ID); ok {
				values[f.ID] = strings.TrimSpace(v)
				break
			}
		}
	}
	for i := range d.Fields {
		f := &d.Fields[i]
		if f.DependsOn != "" {
			v, _ := read(blockID(f, values), f.ID)
			values[f.ID] = strings.TrimSpace(v)
		}
	}
	return values
}

// fieldErrors maps errors by field id to the modal's block ids, as
// response_action "errors" wants them.
func fieldErrors(d *drone.Dialog, values, errs map[string]string) map[string]string {
	out := map[string]string{}
	for i := range d.Fields {
		f := &d.Fields[i]
		if msg, ok := errs[f.ID]; ok {
			out[blockID(f, values)] = truncate(msg, maxLabel)
		}
	}
	return out
}

// errorField picks the field an operation's error concerns: the one its
// message names, else the dialog's first text area, so that the message
// shows in the modal next to something the user can change.
func errorField(d *drone.Dialog, msg string) string {
	low := strings.ToLower(msg)
	for _, f := range d.Fields {
		name := strings.ToLower(f.Label)
		if strings.Contains(low, name) || strings.Contains(low, strings.ReplaceAll(f.ID, "_", " ")) {
			return f.ID
		}
	}
	for _, f := range d.Fields {
		if f.Kind == drone.FieldTextArea {
			return f.ID
		}
	}
	return d.Fields[len(d.Fields)-1].ID
}

// infoView is a modal that only says something: a confirmation, a result.
func infoView(title, text string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{Type: slack.VTModal, CallbackID: cbInfo, Title: plain(truncate(title, maxTitle)),
		Close: plain("Close"), Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(truncate(text, maxSectionText)), nil, nil)}}}
}

// errorsResponse keeps the modal open with a message beside each field.
func errorsResponse(errs map[string]string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(errs)
}

// doneResponse replaces the modal with a confirmation.
func doneResponse(title, text string) *slack.ViewSubmissionResponse {
	return slack.NewUpdateViewSubmissionResponse(infoView(title, text))
}

// viewSize is the size of a view as sent, to keep within Slack's limit.
func viewSize(v slack.ModalViewRequest) int {
	b, err := json.Marshal(v)
	if err != nil {
		return maxViewBytes + 1
	}
	return len(b)
}
