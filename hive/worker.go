package hive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// The references the sync records on an incident (Incident.External).
const (
	ExtCaseID     = "hive.case_id"
	ExtCaseNumber = "hive.case_number"
	ExtCaseURL    = "hive.case_url"
	// ExtObservables counts the incident's observables, oldest first, that
	// the case holds: the next sync sends the ones after them.
	ExtObservables = "hive.observables"
)

// Actor is who the sync is on incidents' timelines.
var Actor = drone.Actor{Platform: "hive", ID: "sync", Name: "TheHive sync"}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Client reaches TheHive. Required.
	Client *Client
	// Service is drone's core: the worker reads incidents from its Store and
	// records case references and dead jobs through it. Required.
	Service *drone.Service
	// Config holds the mappings the worker applies: custom_fields,
	// case_templates, users and playbooks.
	Config Config
	// ExtraTasks, when set, returns the titles of tasks a new case of a
	// category and sub-context gets after its playbook (Threat Driven
	// Security's visibility checks, for one). Defaults to none.
	ExtraTasks func(category, subcontext string) []string
	// Log receives a line per failed attempt. Defaults to discarding.
	Log *slog.Logger
}

// Worker works hive.sync jobs: it brings an incident's TheHive case in
// line with the incident. Register it with river.AddWorker.
type Worker struct {
	river.WorkerDefaults[SyncArgs]
	client *Client
	svc    *drone.Service
	mapper caseMapper
	log    *slog.Logger
}

// LockCase is the purpose of the lock a sync holds on its incident
// (drone.Service.Lock): across every drone process, syncs of one incident
// run one at a time, so that two cannot both miss its case and both
// create one.
const LockCase = "hive.case"

// NewWorker returns a worker for o.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Client == nil || o.Service == nil || o.Service.Store == nil {
		return nil, errors.New("hive: a worker needs a client and a service with a store")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{client: o.Client, svc: o.Service, log: o.Log,
		mapper: caseMapper{cfg: o.Config, extra: o.ExtraTasks}}, nil
}

// Work syncs the job's incident. Syncs of one incident run one at a time,
// in every drone process on the database.
func (w *Worker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	unlock, err := w.svc.Lock(ctx, LockCase, job.Args.IncidentID)
	if err != nil {
		return w.steer(ctx, job, fmt.Errorf("waiting for another sync of incident %s: %w", job.Args.IncidentID, err))
	}
	defer unlock()
	return w.steer(ctx, job, w.sync(ctx, job.Args))
}

// sync makes sure the incident has its case, adds the observables and the
// kept files the case does not have yet, and, for an event that changed
// the incident's state, sets the case to the incident's current state. Each job
// reconciles the whole incident, so jobs that run out of order, again, or
// after an earlier one died, leave the case as the incident is.
func (w *Worker) sync(ctx context.Context, args SyncArgs) error {
	st, err := w.load(ctx, args.IncidentID)
	if err != nil {
		return err
	}
	kind, err := w.entryKind(ctx, st, args)
	if err != nil {
		return err
	}
	cs, err := w.ensureCase(ctx, st)
	if err != nil {
		return err
	}
	pushed := st.pushed()
	pushErr := w.pushObservables(ctx, cs.id, st, st.obs[pushed:])
	if pushErr == nil {
		pushed = len(st.obs)
	}
	var sent map[string]string
	var fileErr error
	if needsFiles(kind, cs) && reachable(pushErr) {
		sent, fileErr = w.attachOriginals(ctx, cs, st, args.Seq)
	}
	errs := syncErrors{pushErr, fileErr, w.record(ctx, st, cs, pushed, sent)}
	if needsState(kind, cs.created, st.inc) && reachable(pushErr) {
		errs = append(errs, w.applyState(ctx, cs.id, st))
	}
	return errs.compact().err()
}

// needsState reports whether the sync of an entry must PATCH the case. A
// case created just now already has the description and assignee; only a
// status other than New is missing. Observables and files change no state.
func needsState(kind string, created bool, inc *drone.Incident) bool {
	if created {
		return inc.Status != drone.StatusOpen
	}
	return kind != drone.EntryObservables && kind != drone.EntryAttachment
}

// needsFiles reports whether a sync looks for kept files the case lacks,
// which takes the timeline: every sync does but that of observables added
// to a case drone knows, the one sync that reads no timeline. So a file
// whose own job died is sent by the incident's next change.
func needsFiles(kind string, cs caseRef) bool {
	return kind != drone.EntryObservables || cs.created || cs.found
}

// reachable reports whether TheHive took the push's requests: it failed
// not, or only refused some of what was sent. After an outage or a 429 a
// PATCH would fail alike; the job's retry carries it.
func reachable(pushErr error) bool {
	return pushErr == nil || refused(classify(pushErr))
}

// compact drops the steps that succeeded and flattens nested failures.
func (e syncErrors) compact() syncErrors {
	var out syncErrors
	for _, err := range e {
		var many syncErrors
		switch {
		case err == nil:
		case errors.As(err, &many):
			out = append(out, many.compact()...)
		default:
			out = append(out, err)
		}
	}
	return out
}

// entryKind returns the kind of the job's timeline entry.
func (w *Worker) entryKind(ctx context.Context, st *incidentState, args SyncArgs) (string, error) {
	if args.EntryKind != "" {
		return args.EntryKind, nil
	}
	if err := w.loadTimeline(ctx, st); err != nil {
		return "", err
	}
	e, ok := st.entry(args.Seq)
	if !ok {
		return "", drone.Permanent(fmt.Errorf("%s has no timeline entry %d", st.inc.Ref(), args.Seq))
	}
	return e.Kind, nil
}

// load reads the incident and its observables, oldest first.
func (w *Worker) load(ctx context.Context, id string) (*incidentState, error) {
	inc, err := w.svc.IncidentByID(ctx, id)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, drone.Permanent(fmt.Errorf("reading incident %s: %w", id, err))
	}
	if err != nil {
		return nil, fmt.Errorf("reading incident %s: %w", id, err)
	}
	obs, err := w.svc.Observables(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading the observables of %s: %w", inc.Ref(), err)
	}
	slices.SortStableFunc(obs, func(a, b drone.Observable) int { return cmp.Compare(a.ID, b.ID) })
	return &incidentState{inc: inc, obs: obs}, nil
}

// loadTimeline reads the incident's timeline, which only the description
// needs, once.
func (w *Worker) loadTimeline(ctx context.Context, st *incidentState) error {
	if st.timeline != nil {
		return nil
	}
	tl, err := w.svc.Timeline(ctx, st.inc.ID)
	if err != nil {
		return fmt.Errorf("reading the timeline of %s: %w", st.inc.Ref(), err)
	}
	st.timeline = tl
	return nil
}

// caseRef is the case of the incident being synced.
type caseRef struct {
	id     string
	number int
	// created is set when this sync created the case, found when it found
	// it by its tag; either way drone does not know it yet.
	created, found bool
}

// ensureCase returns the incident's case, creating it if TheHive has none.
// Before creating, it looks the case up by its tag: an earlier attempt may
// have created it and lost the answer, or failed to record it in drone.
func (w *Worker) ensureCase(ctx context.Context, st *incidentState) (caseRef, error) {
	inc := st.inc
	if id := inc.External[ExtCaseID]; id != "" {
		n, err := strconv.Atoi(inc.External[ExtCaseNumber])
		if err != nil {
			// drone recorded it with the id; no retry can mend it.
			return caseRef{}, drone.Permanent(fmt.Errorf("%s: the TheHive case number recorded with case %s (%s) is not a number: %w",
				inc.Ref(), id, ExtCaseNumber, err))
		}
		return caseRef{id: id, number: n}, nil
	}
	found, err := w.client.FindCasesByTag(ctx, CaseTag(inc.ID))
	if err != nil {
		return caseRef{}, fmt.Errorf("%s: %w", inc.Ref(), err)
	}
	if len(found) > 0 {
		if len(found) > 1 {
			w.log.WarnContext(ctx, "several TheHive cases carry the tag of one incident; using the oldest",
				"incident", inc.Ref(), "tag", CaseTag(inc.ID), "cases", len(found))
		}
		return caseRef{id: found[0].ID, number: found[0].Number, found: true}, nil
	}
	if err := w.loadTimeline(ctx, st); err != nil {
		return caseRef{}, err
	}
	cs, err := w.client.CreateCase(ctx, w.mapper.input(st))
	if err != nil {
		return caseRef{}, fmt.Errorf("%s: %w", inc.Ref(), err)
	}
	return caseRef{id: cs.ID, number: cs.Number, created: true}, nil
}

// record writes on the incident what drone did not know yet: the case
// (id, number, link), how many of its observables the case holds, and the
// file observables of the kept files sent, by SHA-256. One SetExternal, so
// one timeline entry, per sync that changed any.
func (w *Worker) record(ctx context.Context, st *incidentState, cs caseRef, pushed int, sent map[string]string) error {
	inc := st.inc
	refs := map[string]string{}
	var text []string
	url := w.client.CaseURL(cs.id)
	switch {
	case cs.created:
		text = append(text, fmt.Sprintf("TheHive case #%d created: %s", cs.number, url))
	case cs.found:
		text = append(text, fmt.Sprintf("Linked to TheHive case #%d, found by its tag %s: %s", cs.number, CaseTag(inc.ID), url))
	}
	if cs.created || cs.found {
		refs[ExtCaseID], refs[ExtCaseNumber], refs[ExtCaseURL] = cs.id, strconv.Itoa(cs.number), url
	}
	if n := pushed - st.pushed(); n > 0 {
		refs[ExtObservables] = strconv.Itoa(pushed)
		text = append(text, fmt.Sprintf("%d observable(s) sent to TheHive case #%d", n, cs.number))
	}
	for sha, id := range sent {
		refs[ExtOriginalPrefix+sha] = id
	}
	if n := len(sent); n > 0 {
		text = append(text, fmt.Sprintf("%d stored file(s) attached to TheHive case #%d", n, cs.number))
	}
	if len(refs) == 0 {
		return nil
	}
	if err := w.svc.SetExternal(ctx, Actor, inc.ID, refs, strings.Join(text, "; ")); err != nil {
		return fmt.Errorf("recording TheHive case %s on %s: %w", cs.id, inc.Ref(), err)
	}
	return nil
}

// applyState sets the case's description, status, assignee and closing
// fields from the incident.
func (w *Worker) applyState(ctx context.Context, caseID string, st *incidentState) error {
	if err := w.loadTimeline(ctx, st); err != nil {
		return err
	}
	if err := w.client.UpdateCase(ctx, caseID, w.mapper.update(st)); err != nil {
		return fmt.Errorf("%s: %w", st.inc.Ref(), err)
	}
	return nil
}
