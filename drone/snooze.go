package drone

import (
	"context"
	"fmt"
	"time"
)

// EntrySnoozed records that the next status update of an incident was put
// off: its data holds until when and why ({"until", "reason"}).
const EntrySnoozed = "snoozed"

// MaxSnooze bounds how far an update can be put off at once: longer is a
// change of plan, which a status update with next= says better.
const MaxSnooze = 7 * 24 * time.Hour

// Snooze puts off the next status update of an open incident by d from
// now, for a reason the timeline keeps. The update reminders follow the
// new due time: the ones planned for the old one find it moved and stay
// quiet.
func (s *Service) Snooze(ctx context.Context, a Actor, o Origin, number int64, d time.Duration, reason string) (*Incident, error) {
	reason = normalise(reason)
	if d <= 0 || d > MaxSnooze {
		return nil, Errorf(EINVALID, "snooze for a duration between 1m and 7 days, such as 45m or 2h")
	}
	if reason == "" {
		return nil, Errorf(EINVALID, "say why the update waits: snooze 45m waiting for the vendor")
	}
	var out *Incident
	err := s.change(ctx, a, o, number, PermUpdate, func(tx Tx, inc *Incident) error {
		if !inc.Open() {
			return Errorf(ECONFLICT, "%s is %s: no update is due", inc.Ref(), inc.Status)
		}
		now := s.now()
		until := now.Add(d)
		inc.NextUpdateDue, inc.UpdatedAt = &until, now
		if err := tx.SaveIncident(ctx, inc); err != nil {
			return err
		}
		out = inc
		text := fmt.Sprintf("%s snoozed the update reminders of %s until %s: %s", a, inc.Ref(),
			until.Format("2006-01-02 15:04 MST"), reason)
		return s.record(ctx, tx, inc, a, o, EntrySnoozed, text, SnoozeData{Until: until, Reason: reason}, nil)
	})
	return out, err
}

// SnoozeData is the data of an EntrySnoozed entry.
type SnoozeData struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}
