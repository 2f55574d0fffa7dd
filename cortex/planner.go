package cortex

import (
	"fmt"

	"github.com/ttp0/drone/drone"
)

// AnalyzeKind is the kind of the queue job that runs one analyzer on one
// observable.
const AnalyzeKind = "cortex.analyze"

// AnalyzeArgs are the arguments of a cortex.analyze job.
type AnalyzeArgs struct {
	IncidentID   string `json:"incident_id"`
	ObservableID int64  `json:"observable_id"`
	// Analyzer is the analyzer's name as configured (cortex.analyzers).
	Analyzer string `json:"analyzer"`
}

// Kind returns AnalyzeKind, which River files the job under.
func (AnalyzeArgs) Kind() string { return AnalyzeKind }

// Planner plans a cortex.analyze job per new observable and configured
// analyzer that takes its type and that its markings allow.
type Planner struct {
	Analyzers []Analyzer
}

var _ drone.Planner = Planner{}

// Plan returns the analyses of an event's new observables, each unique by
// incident, observable and analyzer, so that an operation retried by its
// caller queues it once.
func (p Planner) Plan(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryObservables || e.Incident == nil {
		return nil
	}
	var jobs []drone.Job
	for _, o := range e.Observables {
		tlp, pap := Marking(e.Incident, o)
		for _, a := range p.Analyzers {
			if _, ok := a.takes(o.Type); !ok {
				continue
			}
			if ok, _ := Allowed(a, tlp, pap); !ok {
				continue
			}
			args := AnalyzeArgs{IncidentID: e.Incident.ID, ObservableID: o.ID, Analyzer: a.Name}
			jobs = append(jobs, drone.Job{Kind: AnalyzeKind, Args: args,
				UniqueKey: fmt.Sprintf("%s:%s:%d:%s", AnalyzeKind, args.IncidentID, args.ObservableID, args.Analyzer)})
		}
	}
	return jobs
}
