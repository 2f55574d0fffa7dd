package drone

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Dialog is a platform-neutral form: the fields a person fills in, their
// choices and which choices depend on which. Slack renders it as a modal
// with selects; Discord as command options plus a modal of text inputs.
type Dialog struct {
	ID     string // "declare", "status", "close"
	Title  string
	Submit string
	Ref    int64 // the incident it acts on, for status and close
	Fields []Field
}

// FieldKind is how a field is entered.
type FieldKind string

// Field kinds.
const (
	FieldSelect   FieldKind = "select"   // one of Options
	FieldText     FieldKind = "text"     // one line
	FieldTextArea FieldKind = "textarea" // several lines
)

// Field is one input of a dialog.
type Field struct {
	ID       string
	Label    string
	Kind     FieldKind
	Required bool
	MaxLen   int    // for text, 0 for no limit
	Hint     string // a sentence under the field
	Initial  string // the pre-selected or pre-filled value
	Options  []Option
	// DependsOn names the field whose value chooses this field's options
	// from OptionsBy (the sub-context follows the category).
	DependsOn string
	OptionsBy map[string][]Option
}

// Option is one choice of a select.
type Option struct {
	Value string
	Label string
}

// OptionsFor returns a field's options given the dialog's current values.
func (f *Field) OptionsFor(values map[string]string) []Option {
	if f.DependsOn != "" {
		return f.OptionsBy[values[f.DependsOn]]
	}
	return f.Options
}

// Field returns the dialog's field with the given id, or nil.
func (d *Dialog) Field(id string) *Field {
	for i := range d.Fields {
		if d.Fields[i].ID == id {
			return &d.Fields[i]
		}
	}
	return nil
}

// Validate checks submitted values and returns an error message per field id,
// empty when all is well, so that adapters can show each error beside its
// field and the person keeps what they typed.
func (d *Dialog) Validate(values map[string]string) map[string]string {
	errs := map[string]string{}
	for _, f := range d.Fields {
		v := strings.TrimSpace(values[f.ID])
		switch {
		case v == "" && f.Required:
			errs[f.ID] = f.Label + " is required."
		case v == "":
		case f.MaxLen > 0 && utf8.RuneCountInString(v) > f.MaxLen:
			errs[f.ID] = fmt.Sprintf("At most %d characters (this is %d).", f.MaxLen, utf8.RuneCountInString(v))
		case f.Kind == FieldSelect && !hasOption(f.OptionsFor(values), v):
			errs[f.ID] = fmt.Sprintf("%q is not one of the choices: %s.", v, optionLabels(f.OptionsFor(values)))
		}
	}
	return errs
}

func hasOption(opts []Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

func optionLabels(opts []Option) string {
	labels := make([]string, len(opts))
	for i, o := range opts {
		labels[i] = o.Label
	}
	return strings.Join(labels, ", ")
}

// Field ids of the dialogs.
const (
	FieldCategory     = "category"
	FieldSubContext   = "subcontext"
	FieldSeverity     = "severity"
	FieldTier         = "tier"
	FieldZone         = "zone"
	FieldBusinessUnit = "business_unit"
	FieldTLP          = "tlp"
	FieldPrivate      = "private"
	FieldTitle        = "title"
	FieldOverview     = "overview"
	FieldIndicators   = "indicators"
	FieldStatus       = "status"
	FieldSummary      = "summary"
	FieldNextUpdate   = "next_update"
	FieldResolution   = "resolution"
	FieldImpact       = "impact"
)

// DeclareDialog describes the declare form with the framework's choices.
func (s *Service) DeclareDialog() Dialog {
	f := &s.Framework
	cats := make([]Option, len(f.Categories))
	subs := map[string][]Option{}
	for i, c := range f.Categories {
		cats[i] = Option{Value: c.Code, Label: c.Code + " " + c.Name}
		subs[c.Code] = names(c.SubContexts)
	}
	d := Dialog{ID: "declare", Title: "Declare an incident", Submit: "Declare", Fields: []Field{
		{ID: FieldCategory, Label: "Category", Kind: FieldSelect, Required: true, Options: cats},
		{ID: FieldSubContext, Label: "Sub-context", Kind: FieldSelect, DependsOn: FieldCategory, OptionsBy: subs},
		{ID: FieldSeverity, Label: "Severity", Kind: FieldSelect, Required: true, Options: choices(f.Severities, false)},
		{ID: FieldTier, Label: "Affected tier", Kind: FieldSelect, Options: choices(f.Tiers, true)},
		{ID: FieldZone, Label: "Affected zone", Kind: FieldSelect, Options: names(f.Zones)},
		{ID: FieldBusinessUnit, Label: "Affected business unit", Kind: FieldSelect, Options: names(f.BusinessUnits)},
		{ID: FieldTLP, Label: "TLP", Kind: FieldSelect, Required: true, Options: names(f.TLP),
			Initial: orDefault(s.DefaultTLP, "AMBER")},
		{ID: FieldPrivate, Label: "Visibility", Kind: FieldSelect, Initial: "no", Options: []Option{
			{Value: "no", Label: "Responders"}, {Value: "yes", Label: "Private: invited people only"}},
			Hint: "A private incident gets a private channel and stays out of lists, summaries and digests. TLP:RED is always private."},
		{ID: FieldOverview, Label: "Overview", Kind: FieldTextArea, Required: true, MaxLen: 3000,
			Hint: "What happened, in a sentence or two."},
		{ID: FieldIndicators, Label: "First indicators", Kind: FieldTextArea, MaxLen: 3000,
			Hint: "Paste IPs, domains, URLs, hashes, e-mails: defanged or not."},
	}}
	return d
}

// DeclareInputFromDialog reads a submitted declare dialog.
func DeclareInputFromDialog(v map[string]string) DeclareInput {
	return DeclareInput{Category: v[FieldCategory], SubContext: v[FieldSubContext], Severity: v[FieldSeverity],
		Tier: v[FieldTier], Zone: v[FieldZone], BusinessUnit: v[FieldBusinessUnit], TLP: v[FieldTLP],
		Title: v[FieldTitle], Overview: v[FieldOverview], Observables: ObservableInput{Text: v[FieldIndicators]},
		Private: v[FieldPrivate] == "yes"}
}

// StatusDialog describes the status-update form for an incident.
func (s *Service) StatusDialog(inc *Incident) Dialog {
	var sts []Option
	for _, st := range []Status{StatusAcknowledged, StatusContained, StatusResolved} {
		if st.rank() >= inc.Status.rank() {
			sts = append(sts, Option{Value: string(st), Label: string(st)})
		}
	}
	next := s.Targets[inc.Severity].Update
	return Dialog{ID: "status", Title: "Update " + inc.Ref(), Submit: "Post update", Ref: inc.Number, Fields: []Field{
		{ID: FieldStatus, Label: "Status", Kind: FieldSelect, Options: sts, Initial: string(inc.Status)},
		{ID: FieldSummary, Label: "Summary", Kind: FieldTextArea, Required: true, MaxLen: 3000,
			Hint: "What changed since the last update."},
		{ID: FieldNextUpdate, Label: "Next update in", Kind: FieldText, MaxLen: 10, Initial: shortDuration(next),
			Hint: "A duration such as 30m or 4h."},
	}}
}

// UpdateInputFromDialog reads a submitted status dialog.
func UpdateInputFromDialog(v map[string]string) (UpdateInput, map[string]string) {
	in := UpdateInput{Summary: v[FieldSummary]}
	errs := map[string]string{}
	if st := v[FieldStatus]; st != "" {
		in.Status = Status(st)
	}
	if n := strings.TrimSpace(v[FieldNextUpdate]); n != "" {
		d, err := time.ParseDuration(n)
		if err != nil || d <= 0 {
			errs[FieldNextUpdate] = "A duration such as 30m or 4h."
		}
		in.NextUpdateIn = d
	}
	return in, errs
}

// CloseDialog describes the closing form for an incident.
func (s *Service) CloseDialog(inc *Incident) Dialog {
	return Dialog{ID: "close", Title: "Close " + inc.Ref(), Submit: "Close", Ref: inc.Number, Fields: []Field{
		{ID: FieldResolution, Label: "Resolution", Kind: FieldSelect, Required: true, Options: names(Resolutions)},
		{ID: FieldImpact, Label: "Impact", Kind: FieldSelect, Required: true, Options: names(Impacts)},
		{ID: FieldSummary, Label: "Summary", Kind: FieldTextArea, Required: true, MaxLen: 3000,
			Hint: "How the incident ended and what was done."},
	}}
}

// CloseInputFromDialog reads a submitted close dialog.
func CloseInputFromDialog(v map[string]string) CloseInput {
	return CloseInput{Resolution: v[FieldResolution], Impact: v[FieldImpact], Summary: v[FieldSummary]}
}

func names(ss []string) []Option {
	out := make([]Option, len(ss))
	for i, s := range ss {
		out[i] = Option{Value: s, Label: s}
	}
	return out
}

func choices(cs []Choice, withCode bool) []Option {
	out := make([]Option, len(cs))
	for i, c := range cs {
		out[i] = Option{Value: c.Code, Label: c.Name}
		if withCode {
			out[i].Label = c.Code + " " + c.Name
		}
	}
	return out
}

func shortDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
