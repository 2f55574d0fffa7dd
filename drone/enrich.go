package drone

import "context"

// EntryEnrichment records what a threat-intelligence source said of an
// incident's indicators: its data is the []Verdict found.
const EntryEnrichment = "enrichment"

// Verdict is what one threat-intelligence source says of one indicator.
type Verdict struct {
	Source string `json:"source"` // "misp", "cortex/AbuseIPDB_1_0"
	Type   string `json:"type"`   // the indicator's type (ioc.Type)
	Value  string `json:"value"`
	// Known is true when the source knows the indicator (a MISP attribute,
	// an analyzer's non-"info" taxonomy).
	Known bool `json:"known"`
	// Level is the worst level the source gives, in Cortex's taxonomy
	// words: info, safe, suspicious, malicious.
	Level   string `json:"level,omitempty"`
	Summary string `json:"summary"`        // one line for people: "known to MISP event 1234, APT-X, threat level high"
	Link    string `json:"link,omitempty"` // the full report
	// Details are the source's own findings (tags, taxonomies) as
	// "namespace:predicate=value" strings, for machines and the curious.
	Details []string `json:"details,omitempty"`
}

// Enricher looks indicators up in a threat-intelligence source (MISP,
// Cortex). Integrations offer one; the core asks every enabled one when a
// responder asks about an indicator (the enrich command).
type Enricher interface {
	// Name is the source's name, as users see it ("MISP").
	Name() string
	// Enrich returns what the source says of the indicator: no verdict
	// when it knows nothing. It must honour ctx's deadline.
	Enrich(ctx context.Context, typ, value string) ([]Verdict, error)
}
