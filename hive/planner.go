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

// synced reports whether an entry of kind changes the case: every change
// of the incident (drone.ChangesIncident), and two the chat notices do not
// follow: the declaration, which creates the case, and kept files
// (EntryAttachment, a reported message) that the case gets as file
// observables; the sync writes none itself.
func synced(kind string) bool {
	return drone.ChangesIncident(kind) || kind == drone.EntryDeclared || kind == drone.EntryAttachment
}

// Planner plans one hive.sync job per incident event that TheHive must
// hear of, a hive.followup job per change of a follow-up action, and a
// hive.review job per review version drafted. Its zero value is ready to
// use.
type Planner struct{}

var _ drone.Planner = Planner{}

// Plan returns the hive.sync job of an event, unique by incident and
// timeline sequence so that an operation retried by its caller enqueues it
// once.
func (Planner) Plan(e drone.Event) []drone.Job {
	if e.Incident == nil {
		return nil
	}
	if e.Kind == drone.EntryReview {
		return reviewJob(e)
	}
	if jobs := planFollowUp(e); jobs != nil {
		return jobs
	}
	if !synced(e.Kind) {
		return nil
	}
	args := SyncArgs{IncidentID: e.Incident.ID, Seq: e.Entry.Seq, EntryKind: e.Kind}
	return []drone.Job{{
		Kind:      SyncKind,
		Args:      args,
		UniqueKey: fmt.Sprintf("%s:%s:%d", SyncKind, args.IncidentID, args.Seq),
	}}
}
