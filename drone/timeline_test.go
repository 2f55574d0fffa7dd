package drone_test

import (
	"testing"

	"github.com/ttp0/drone/drone"
)

// TestChangesIncident pins the one list every planner follows: the
// declaration and kept files are each planner's own choice, and the
// integrations' own writes never cause more jobs.
func TestChangesIncident(t *testing.T) {
	t.Parallel()
	for _, k := range []string{drone.EntryObservables, drone.EntryAcknowledged, drone.EntryLead, drone.EntryStatus,
		drone.EntryUpdate, drone.EntryReopened} {
		if !drone.ChangesIncident(k) {
			t.Errorf("%s changes the incident", k)
		}
	}
	for _, k := range []string{drone.EntryDeclared, drone.EntryAttachment, drone.EntryExternal, drone.EntryDelivery,
		drone.EntryDenied, drone.EntryAdvice, drone.EntryTargetMissed, drone.EntryReminder, drone.EntryPinned,
		drone.EntryUnpinned, ""} {
		if drone.ChangesIncident(k) {
			t.Errorf("%q is not a change every copy of the incident follows", k)
		}
	}
}
