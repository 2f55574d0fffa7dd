package drone

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Entry kinds of regulatory reporting and of the notifier's own records.
const (
	// EntryReportable: a responder marked the incident reportable to an
	// authority; the regulatory clocks run from the awareness time.
	EntryReportable = "reportable"
	// EntryReported: the incident was reported under one regime ("GDPR").
	EntryReported = "reported"
	// EntryTargetMissed: a promised time passed (acknowledgement, update,
	// a regulatory deadline).
	EntryTargetMissed = "target_missed"
	// EntryReminder: a regulatory deadline is near.
	EntryReminder = "reminder"
)

// External keys of reporting: when the organisation became aware of a
// reportable incident, and when it reported under each regime.
const (
	ExternalAwareAt        = "reportable.aware_at"
	ExternalReportedPrefix = "reported."
)

// refOnce is the reference key that makes RecordOnce idempotent.
const refOnce = "entry.once"

// ReportableInput marks an incident reportable.
type ReportableInput struct {
	// AwareAt is when the organisation became aware of the incident, from
	// which the regulatory deadlines run. Zero is now.
	AwareAt time.Time
	Note    string
}

// MarkReportable marks an incident reportable to an authority and records
// since when the organisation is aware of it.
func (s *Service) MarkReportable(ctx context.Context, a Actor, o Origin, number int64, in ReportableInput) (*Incident, error) {
	return s.transition(ctx, a, o, number, PermUpdate, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if at, ok := inc.AwareAt(); ok {
			return "", "", Errorf(ECONFLICT, "%s is already reportable (aware since %s)", inc.Ref(), at.Format(time.RFC3339))
		}
		aware := in.AwareAt.UTC()
		if aware.IsZero() {
			aware = now
		}
		if aware.After(now) {
			return "", "", Errorf(EINVALID, "the awareness time %s is in the future", aware.Format(time.RFC3339))
		}
		if inc.External == nil {
			inc.External = map[string]string{}
		}
		inc.External[ExternalAwareAt] = aware.Format(time.RFC3339)
		text := fmt.Sprintf("%s marked %s reportable (aware since %s)", a, inc.Ref(), aware.Format("2006-01-02 15:04 MST"))
		if n := strings.TrimSpace(in.Note); n != "" {
			text += ": " + n
		}
		return EntryReportable, text, nil
	})
}

// MarkReported records that a reportable incident was reported to the
// authority of one regime (a regulatory clock's name, such as "GDPR").
func (s *Service) MarkReported(ctx context.Context, a Actor, o Origin, number int64, regime, note string) (*Incident, error) {
	regime = normalise(regime)
	if regime == "" {
		return nil, Errorf(EINVALID, "name the regime the incident was reported under, such as GDPR")
	}
	return s.transition(ctx, a, o, number, PermUpdate, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if _, ok := inc.AwareAt(); !ok {
			return "", "", Errorf(ECONFLICT, "%s is not marked reportable", inc.Ref())
		}
		key := ExternalReportedPrefix + regime
		if at := inc.External[key]; at != "" {
			return "", "", Errorf(ECONFLICT, "%s was already reported under %s at %s", inc.Ref(), regime, at)
		}
		inc.External[key] = now.Format(time.RFC3339)
		text := fmt.Sprintf("%s reported %s under %s", a, inc.Ref(), regime)
		if n := strings.TrimSpace(note); n != "" {
			text += ": " + n
		}
		return EntryReported, text, nil
	})
}

// AwareAt returns when the organisation became aware of a reportable
// incident; ok is false when it is not reportable.
func (inc *Incident) AwareAt() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, inc.External[ExternalAwareAt])
	return t, err == nil
}

// ReportedAt returns when the incident was reported under regime.
func (inc *Incident) ReportedAt(regime string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, inc.External[ExternalReportedPrefix+normalise(regime)])
	return t, err == nil
}

// RecordOnce appends a timeline entry made by an integration (a missed
// target, a reminder), once per key and incident: a job that runs again
// after a crash records nothing more. It reports whether it recorded.
// Planners see the entry like any other, in the same transaction.
func (s *Service) RecordOnce(ctx context.Context, a Actor, incidentID, kind, key, text string, data any) (bool, error) {
	found, err := s.Store.IncidentByID(ctx, incidentID)
	if err != nil {
		return false, err
	}
	recorded := false
	err = s.Store.Update(ctx, func(tx Tx) error {
		recorded = false
		once := incidentID + "/" + key
		if n, err := tx.FindRef(ctx, refOnce, once); err != nil || n != 0 {
			return err
		}
		inc, err := tx.Incident(ctx, found.Number)
		if err != nil {
			return err
		}
		if err := tx.PutRef(ctx, inc.ID, refOnce, once); err != nil {
			return err
		}
		recorded = true
		return s.record(ctx, tx, inc, a, Origin{Channel: a.Platform}, kind, text, data, nil)
	})
	if err != nil {
		return false, fmt.Errorf("recording %s on %s: %w", kind, found.Ref(), err)
	}
	return recorded, nil
}
