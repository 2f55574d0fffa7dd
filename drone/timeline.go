package drone

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Entry kinds on the timeline.
const (
	EntryDeclared     = "declared"
	EntryObservables  = "observables"
	EntryAcknowledged = "acknowledged"
	EntryLead         = "lead"
	EntryStatus       = "status"
	EntryUpdate       = "update"
	EntryReopened     = "reopened"
	EntryDenied       = "denied"
	EntryExternal     = "external"
	EntryDelivery     = "delivery"
	// EntryAttachment records a file kept for the incident, such as a
	// reported message: its data names the file (sha256, size, name, path,
	// content_type), so that an integration planning on it can send the
	// file on after a crash as well as right away.
	EntryAttachment = "attachment"
)

// ChangesIncident reports whether an entry of kind changes a declared
// incident as every copy of it shows it (a TheHive case, a chat notice):
// its indicators, its lead, its status, its story. Planners follow these
// and say what they add: the declaration, which creates the copies, and
// kept files (EntryAttachment), which only TheHive takes. External and
// delivery entries are the integrations' own writes: following them would
// make every job cause another.
func ChangesIncident(kind string) bool {
	switch kind {
	case EntryObservables, EntryAcknowledged, EntryLead, EntryRole, EntryStatus, EntryUpdate, EntryReopened, EntrySnoozed:
		return true
	}
	return false
}

// Entry is one change on an incident's timeline. Entries are hash-chained per
// incident: each holds the hash of the one before it, so rewriting or removing
// an entry breaks the chain, which Verify reports.
type Entry struct {
	IncidentID string          `json:"incident_id"`
	Seq        int64           `json:"seq"` // 1, 2, ... per incident
	At         time.Time       `json:"at"`
	Actor      Actor           `json:"actor"`
	Origin     Origin          `json:"origin"`
	Kind       string          `json:"kind"`
	Text       string          `json:"text"`           // a sentence for people
	Data       json.RawMessage `json:"data,omitempty"` // the change, for machines
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// ComputeHash returns the SHA-256 of the entry's content chained to PrevHash.
// Times are hashed in UTC at microsecond precision, which every store keeps.
func (e *Entry) ComputeHash() string {
	content := struct {
		IncidentID string          `json:"incident_id"`
		Seq        int64           `json:"seq"`
		At         string          `json:"at"`
		Actor      Actor           `json:"actor"`
		Origin     Origin          `json:"origin"`
		Kind       string          `json:"kind"`
		Text       string          `json:"text"`
		Data       json.RawMessage `json:"data,omitempty"`
		PrevHash   string          `json:"prev_hash"`
	}{e.IncidentID, e.Seq, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"), e.Actor, e.Origin, e.Kind, e.Text, e.Data, e.PrevHash}
	b, err := json.Marshal(content)
	if err != nil {
		// Every field is a plain value or already-valid JSON.
		panic(fmt.Sprintf("drone: hashing timeline entry: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Verify checks a whole timeline in order and returns the first break: an entry
// whose hash does not match its content, or whose PrevHash is not the hash of
// the entry before it, or a gap in the sequence.
func Verify(entries []Entry) error {
	prev := ""
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			return fmt.Errorf("entry %d: sequence is %d, so an entry is missing or reordered", i+1, e.Seq)
		}
		if e.PrevHash != prev {
			return fmt.Errorf("entry %d (%s): previous hash does not match entry %d", e.Seq, e.Kind, e.Seq-1)
		}
		if h := e.ComputeHash(); h != e.Hash {
			return fmt.Errorf("entry %d (%s): content does not match its hash: it was changed after it was written", e.Seq, e.Kind)
		}
		prev = e.Hash
	}
	return nil
}
