package drone

import (
	"fmt"
	"time"
)

// Evidence is the export format of an incident: its record plus what a
// reader needs to check the timeline's chain without drone. drone incident
// export and the console's download write the same.
type Evidence struct {
	Format     string    `json:"format"`
	ExportedAt time.Time `json:"exported_at"`
	ExportedBy string    `json:"exported_by"`
	Chain      string    `json:"chain"` // how to verify
	HeadHash   string    `json:"head_hash"`
	*Record
}

// EvidenceFormat names the export format's version.
const EvidenceFormat = "drone-evidence/1"

// NewEvidence returns the evidence of a record exported by the identity by
// at time at. A broken timeline is refused: evidence must verify.
func NewEvidence(rec *Record, by string, at time.Time) (*Evidence, error) {
	if err := Verify(rec.Timeline); err != nil {
		return nil, fmt.Errorf("%s: refusing to export a broken timeline: %w", rec.Incident.Ref(), err)
	}
	ev := &Evidence{Format: EvidenceFormat, ExportedAt: at.UTC(), ExportedBy: by,
		Chain: "each timeline entry's hash is SHA-256 of its JSON content (incident_id, seq, at as " +
			"2006-01-02T15:04:05.000000Z, actor, origin, kind, text, data, prev_hash); prev_hash is the previous entry's hash",
		Record: rec}
	if n := len(rec.Timeline); n > 0 {
		ev.HeadHash = rec.Timeline[n-1].Hash
	}
	return ev, nil
}
