package tracker

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/ttp0/drone/drone"
)

// Prefix names a tracker's jobs: its Prefix method returns "jira" or
// "servicenow". The job arguments below are generic over it so that each
// tracker has kinds of its own, which River needs, with one definition.
type Prefix interface{ Prefix() string }

// ActionArgs are the arguments of a <prefix>.action job: bring the ticket
// of follow-up action ACT-<Action> in line with the action.
type ActionArgs[P Prefix] struct {
	Action int64 `json:"action"`
	Seq    int64 `json:"seq"` // the timeline entry that caused the job
}

// Kind returns <prefix>.action.
func (ActionArgs[P]) Kind() string { var p P; return p.Prefix() + ".action" }

// IncidentArgs are the arguments of a <prefix>.incident job: bring the
// incident's ticket in line with the incident.
type IncidentArgs[P Prefix] struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
}

// Kind returns <prefix>.incident.
func (IncidentArgs[P]) Kind() string { var p P; return p.Prefix() + ".incident" }

// PollArgs are the arguments of a <prefix>.poll job, which reads the
// tickets changed in the tracker since the last poll. Slot is the time it
// was scheduled for, on a grid of the poll interval, so that every drone
// process schedules the same job once. Since, when set, is when the last
// poll that succeeded began: a poll reads back to it, so that tickets
// changed while the tracker could not be read are not missed.
type PollArgs[P Prefix] struct {
	Slot  time.Time  `json:"slot"`
	Since *time.Time `json:"since,omitempty"`
}

// Kind returns <prefix>.poll.
func (PollArgs[P]) Kind() string { var p P; return p.Prefix() + ".poll" }

// FetchArgs are the arguments of a <prefix>.fetch job, which a tracker's
// webhook queues: read one ticket and bring its state back, as a poll
// does. Stamp tells two events of one ticket apart.
type FetchArgs[P Prefix] struct {
	ID    string `json:"id"`
	Stamp string `json:"stamp"`
}

// Kind returns <prefix>.fetch.
func (FetchArgs[P]) Kind() string { var p P; return p.Prefix() + ".fetch" }

// Planner plans a tracker's jobs: one per change of a follow-up action,
// and, when Incidents is set, one per declaration, status change and
// reopening of an incident.
type Planner[P Prefix] struct {
	// Incidents turns the incidents' own tickets on.
	Incidents bool
	// Actor is the sync's actor: the changes it records (a ticket linked,
	// a status brought back from the tracker) plan nothing, since the
	// tracker has them already.
	Actor drone.Actor
}

var _ drone.Planner = Planner[jobPrefix]{}

type jobPrefix struct{}

func (jobPrefix) Prefix() string { return "tracker" }

// Plan returns the jobs of an event, unique by timeline entry so that an
// operation retried by its caller plans them once.
func (p Planner[P]) Plan(e drone.Event) []drone.Job {
	if e.Incident == nil || e.Entry.Actor.Identity() == p.Actor.Identity() {
		return nil
	}
	switch {
	case e.Kind == drone.EntryAction || e.Kind == drone.EntryActionUpdated:
		var ac struct {
			Number int64 `json:"number"`
		}
		if json.Unmarshal(e.Entry.Data, &ac) != nil || ac.Number < 1 {
			return nil
		}
		args := ActionArgs[P]{Action: ac.Number, Seq: e.Entry.Seq}
		return []drone.Job{{Kind: args.Kind(), Args: args,
			UniqueKey: args.Kind() + ":" + e.Incident.ID + ":" + strconv.FormatInt(e.Entry.Seq, 10)}}
	case p.Incidents && (e.Kind == drone.EntryDeclared || e.Kind == drone.EntryStatus || e.Kind == drone.EntryReopened):
		args := IncidentArgs[P]{IncidentID: e.Incident.ID, Seq: e.Entry.Seq}
		return []drone.Job{{Kind: args.Kind(), Args: args,
			UniqueKey: args.Kind() + ":" + e.Incident.ID + ":" + strconv.FormatInt(e.Entry.Seq, 10)}}
	}
	return nil
}

// pollJob is the poll due at slot, reading back to since (when not nil).
func pollJob[P Prefix](slot time.Time, since *time.Time) drone.Job {
	args := PollArgs[P]{Slot: slot.UTC(), Since: since}
	return drone.Job{Kind: args.Kind(), Args: args, RunAt: slot,
		UniqueKey: args.Kind() + ":" + strconv.FormatInt(slot.Unix(), 10)}
}

// nextSlot returns the first slot of the interval's grid after t.
func nextSlot(t time.Time, interval time.Duration) time.Time {
	return t.Truncate(interval).Add(interval)
}
