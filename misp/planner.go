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
	Items      []Item `json:"items"`
}

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
		args := LookupArgs{IncidentID: e.Incident.ID, Seq: e.Entry.Seq}
		for _, o := range e.Observables {
			if _, ok := lookupTypes[o.Type]; ok && (!o.Internal || p.Config.LookupInternal) {
				args.Items = append(args.Items, Item{Type: string(o.Type), Value: o.Value})
			}
		}
		if len(args.Items) == 0 {
			return nil
		}
		return []drone.Job{{Kind: LookupKind, Args: args,
			UniqueKey: fmt.Sprintf("%s:%s:%d", LookupKind, args.IncidentID, args.Seq)}}
	case e.Kind == drone.EntryStatus && e.Incident.Status == drone.StatusClosed && p.Config.Export.OnClose:
		// Refused incidents are planned too: the job says on the timeline
		// why it sent nothing.
		args := ExportArgs{IncidentID: e.Incident.ID, Number: e.Incident.Number}
		return []drone.Job{{Kind: ExportKind, Args: args,
			UniqueKey: fmt.Sprintf("%s:%s:%d", ExportKind, args.IncidentID, e.Entry.Seq)}}
	}
	return nil
}
