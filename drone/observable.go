package drone

import (
	"time"

	"github.com/ttp0/drone/drone/ioc"
)

// Observable is an indicator attached to an incident. An incident holds at
// most one observable per (type, value).
type Observable struct {
	ID         int64     `json:"id"`
	IncidentID string    `json:"incident_id"`
	Type       ioc.Type  `json:"type"`
	Value      string    `json:"value"` // normalised
	Raw        string    `json:"raw"`   // as the analyst wrote it
	TLP        string    `json:"tlp"`
	IOC        bool      `json:"ioc"`      // a confirmed indicator of compromise, not just an observable
	Internal   bool      `json:"internal"` // private or the organisation's own
	Tags       []string  `json:"tags,omitempty"`
	AddedBy    Actor     `json:"added_by"`
	Origin     Origin    `json:"origin"`
	FirstSeen  time.Time `json:"first_seen"`
}

// Sighting is an earlier appearance of an indicator, for "seen before?".
type Sighting struct {
	IncidentID string    `json:"incident_id"`
	Number     int64     `json:"number"`
	Type       ioc.Type  `json:"type"`
	Value      string    `json:"value"`
	FirstSeen  time.Time `json:"first_seen"`
}

// Extractor finds indicators in text; *ioc.Extractor is the implementation.
type Extractor interface {
	Extract(text string) ioc.Result
}

// ObservableInput is what an analyst submits: free text to extract from,
// and values already typed (from a dialog's checkboxes or a typed section).
type ObservableInput struct {
	Text  string       // free text, extracted
	Typed []TypedValue // values with a known type, validated
	IOC   bool         // mark them all as indicators of compromise
	Tags  []string     // tags for all of them
}

// TypedValue is a value whose type the analyst stated ("source IPv4").
type TypedValue struct {
	Type  ioc.Type
	Value string
	Tags  []string // tags for this value besides the input's
}

// AddResult says what became of an ObservableInput.
type AddResult struct {
	Added    []Observable   `json:"added"`    // new on this incident
	Known    []Observable   `json:"known"`    // already on it
	Rejected []ioc.Rejected `json:"rejected"` // not indicators, with the reason
}
