package hive

import (
	"fmt"

	"github.com/ttp0/drone/drone"
)

// SyncKind is the kind of the queue job that brings an incident's TheHive
// case in line with the incident.
const SyncKind = "hive.sync"

// SyncArgs are the arguments of a hive.sync job: the incident and the
// timeline entry whose change the job carries to TheHive.
type SyncArgs struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
	// EntryKind is the entry's kind, so that a sync that needs no timeline reads
	// none; without it the worker reads the entry.
	EntryKind string `json:"entry_kind,omitempty"`
}

// Kind returns SyncKind, which River files the job under.
func (SyncArgs) Kind() string { return SyncKind }

// syncedKinds are the timeline entries that change the case. External and
// delivery entries are the sync's own writes: planning jobs for them would
// make every sync cause another. Attachment entries are files kept for the
// incident (a reported message) that the case gets as file observables;
// the sync writes none itself.
var syncedKinds = map[string]bool{
	drone.EntryAttachment:   true,
	drone.EntryDeclared:     true,
	drone.EntryObservables:  true,
	drone.EntryAcknowledged: true,
	drone.EntryLead:         true,
	drone.EntryStatus:       true,
	drone.EntryUpdate:       true,
	drone.EntryReopened:     true,
}

// Planner plans one hive.sync job per incident event that TheHive must
// hear of. Its zero value is ready to use.
type Planner struct{}

var _ drone.Planner = Planner{}

// Plan returns the hive.sync job of an event, unique by incident and
// timeline sequence so that an operation retried by its caller enqueues it
// once.
func (Planner) Plan(e drone.Event) []drone.Job {
	if !syncedKinds[e.Kind] || e.Incident == nil {
		return nil
	}
	args := SyncArgs{IncidentID: e.Incident.ID, Seq: e.Entry.Seq, EntryKind: e.Kind}
	return []drone.Job{{
		Kind:      SyncKind,
		Args:      args,
		UniqueKey: fmt.Sprintf("%s:%s:%d", SyncKind, args.IncidentID, args.Seq),
	}}
}
