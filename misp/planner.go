package misp

import (
	"fmt"

	"github.com/ttp0/drone/drone"
)

// Kinds of MISP's queue jobs.
const (
	// LookupKind looks a batch of new indicators up in MISP.
	LookupKind = "misp.lookup"
	// ExportKind exports a closed incident as a MISP event.
	ExportKind = "misp.export"
)

// Item is one indicator to look up.
type Item struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// LookupArgs are the arguments of a misp.lookup job: the indicators one
// timeline entry added to an incident.
type LookupArgs struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
	// Part numbers the jobs of one entry's indicators, LookupChunk each.
	Part  int    `json:"part,omitempty"`
	Items []Item `json:"items"`
}

// LookupChunk is how many indicators one misp.lookup job looks up: at the
// default rate (5/s) a job's attempt takes some 20 s, well within the
// queue's job timeout, and a large paste becomes jobs that each finish.
const LookupChunk = 100

// Kind returns LookupKind.
func (LookupArgs) Kind() string { return LookupKind }

// ExportArgs are the arguments of a misp.export job.
type ExportArgs struct {
	IncidentID string `json:"incident_id"`
	Number     int64  `json:"number"`
}

// Kind returns ExportKind.
func (ExportArgs) Kind() string { return ExportKind }

// Planner plans a misp.lookup job per batch of new indicators and, when
// export.on_close is set, a misp.export job when an incident is closed.
type Planner struct {
	Config Config
}

var _ drone.Planner = Planner{}

// Plan returns the jobs of an event, unique by incident and timeline
// sequence (by incident for an export), so that a retried operation
// enqueues them once.
func (p Planner) Plan(e drone.Event) []drone.Job {
	if e.Incident == nil {
		return nil
	}
	switch {
	case e.Kind == drone.EntryObservables:
		var items []Item
		for _, o := range e.Observables {
			if _, ok := lookupTypes[o.Type]; ok && (!o.Internal || p.Config.LookupInternal) {
				items = append(items, Item{Type: string(o.Type), Value: o.Value})
			}
		}
		var jobs []drone.Job
		for part := 0; len(items) > 0; part++ {
			n := min(LookupChunk, len(items))
			args := LookupArgs{IncidentID: e.Incident.ID, Seq: e.Entry.Seq, Part: part, Items: items[:n]}
			items = items[n:]
			jobs = append(jobs, drone.Job{Kind: LookupKind, Args: args,
				UniqueKey: fmt.Sprintf("%s:%s:%d:%d", LookupKind, args.IncidentID, args.Seq, part)})
		}
		return jobs
	case e.Kind == drone.EntryStatus && e.Incident.Status == drone.StatusClosed && p.Config.Export.OnClose:
		// Refused incidents are planned too: the job says on the timeline
		// why it sent nothing.
		args := ExportArgs{IncidentID: e.Incident.ID, Number: e.Incident.Number}
		return []drone.Job{{Kind: ExportKind, Args: args,
			UniqueKey: fmt.Sprintf("%s:%s:%d", ExportKind, args.IncidentID, e.Entry.Seq)}}
	}
	return nil
}
