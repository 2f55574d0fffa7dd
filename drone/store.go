package drone

import (
	"context"
	"time"
)

// Store keeps incidents, their observables and timelines, and the queue of
// jobs they cause. The SQLite store is the embedded default.
type Store interface {
	// Update runs fn in one transaction: everything fn writes commits
	// together or not at all.
	Update(ctx context.Context, fn func(Tx) error) error

	// Incident returns the incident with the given number (ENOTFOUND if none).
	Incident(ctx context.Context, number int64) (*Incident, error)
	// IncidentByID returns the incident with the given UUID.
	IncidentByID(ctx context.Context, id string) (*Incident, error)
	// Incidents lists incidents, newest first.
	Incidents(ctx context.Context, f IncidentFilter) ([]*Incident, error)
	// Observables returns an incident's observables in the order they were added.
	Observables(ctx context.Context, incidentID string) ([]Observable, error)
	// Timeline returns an incident's entries in order.
	Timeline(ctx context.Context, incidentID string) ([]Entry, error)
	// Sightings returns the incidents an indicator was seen in, newest first.
	Sightings(ctx context.Context, typ, value string, limit int) ([]Sighting, error)
	// IncidentByRef returns the incident an external reference names, such
	// as its chat channel ("slack.channel", "C123"); ENOTFOUND if none.
	IncidentByRef(ctx context.Context, key, value string) (*Incident, error)
	// Claim records key and reports whether this is its first claim, so
	// that a delivery a platform retries is handled once.
	Claim(ctx context.Context, key string) (bool, error)

	// Delivery returns the message recorded for a delivery key; ok is
	// false when none was sent.
	Delivery(ctx context.Context, key string) (d Delivery, ok bool, err error)
	// LastDelivery returns the last message sent to an address about an
	// incident (the zero MessageRef when none).
	LastDelivery(ctx context.Context, incidentID, medium, address string) (MessageRef, error)
	// Deliveries returns the messages sent about an incident, oldest first.
	Deliveries(ctx context.Context, incidentID string) ([]Delivery, error)
	// DeliveryCounts returns the number of messages sent, by medium.
	DeliveryCounts(ctx context.Context) (map[string]int64, error)

	// FollowUp returns the follow-up action ACT-<number> (ENOTFOUND if none).
	FollowUp(ctx context.Context, number int64) (*FollowUp, error)
	// FollowUps lists follow-up actions, oldest first.
	FollowUps(ctx context.Context, f FollowUpFilter) ([]*FollowUp, error)
	// Review returns the latest review of an incident (ENOTFOUND if none).
	Review(ctx context.Context, incidentID string) (*Review, error)
}

// Tx is what an operation may do inside one Store transaction.
type Tx interface {
	// NextNumber returns the next incident number.
	NextNumber(ctx context.Context) (int64, error)
	CreateIncident(ctx context.Context, inc *Incident) error
	// Incident reads an incident inside the transaction, for a change.
	Incident(ctx context.Context, number int64) (*Incident, error)
	SaveIncident(ctx context.Context, inc *Incident) error
	// AddObservables stores the observables that are new to their incident
	// and returns those, with their ids; the others are left as they were.
	AddObservables(ctx context.Context, obs []Observable) ([]Observable, error)
	// LastEntry returns the sequence and hash of an incident's last entry
	// (0 and "" when it has none).
	LastEntry(ctx context.Context, incidentID string) (int64, string, error)
	AppendEntry(ctx context.Context, e *Entry) error
	// PutRef records that (key, value) names the incident; a pair already
	// taken keeps its incident. Every External entry is also a reference.
	PutRef(ctx context.Context, incidentID, key, value string) error
	// FindRef returns the number of the incident (key, value) names, or 0.
	FindRef(ctx context.Context, key, value string) (int64, error)
	// RecordDelivery records a message sent; a key already recorded keeps
	// its first record.
	RecordDelivery(ctx context.Context, d Delivery) error
	// NextFollowUpNumber returns the next follow-up action number.
	NextFollowUpNumber(ctx context.Context) (int64, error)
	// FollowUp reads a follow-up action inside the transaction, for a change.
	FollowUp(ctx context.Context, number int64) (*FollowUp, error)
	// SaveFollowUp inserts or updates a follow-up action, by id.
	SaveFollowUp(ctx context.Context, f *FollowUp) error
	// SaveReview adds a version of an incident's review and sets its
	// Version to one more than the last.
	SaveReview(ctx context.Context, r *Review) error
	// Enqueue adds jobs to the durable queue; a job whose UniqueKey is
	// already queued or running is skipped.
	Enqueue(ctx context.Context, jobs []Job) error
}

// IncidentFilter selects incidents.
type IncidentFilter struct {
	Status []Status // any of these; empty means all
	Open   bool     // only incidents not resolved or closed
	Since  time.Time
	Limit  int // 0 means 100
}

// Job is work an operation causes on another system, carried out later by a
// queue worker of the same Kind.
type Job struct {
	Kind string // the worker's kind, e.g. "hive.sync"
	Args any    // JSON-encoded for the worker
	// UniqueKey, when set, makes the job unique among jobs of its kind that
	// are not finished: inserting it again is skipped, which is what makes
	// a retried operation duplicate nothing.
	UniqueKey   string
	Queue       string    // "" is the default queue
	MaxAttempts int       // 0 is the queue's default
	RunAt       time.Time // zero is now
}

// Event is a change that planners turn into jobs.
type Event struct {
	Kind        string // an Entry kind
	Incident    *Incident
	Entry       Entry
	Observables []Observable // the new ones, for EntryObservables
}

// Planner decides which jobs an event causes: each integration brings one.
type Planner interface {
	Plan(e Event) []Job
}

// PlannerFunc adapts a function to Planner.
type PlannerFunc func(Event) []Job

// Plan calls f.
func (f PlannerFunc) Plan(e Event) []Job { return f(e) }
