package drone

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ttp0/drone/drone/ioc"
)

// Service performs the operations responders take on incidents. Each
// operation validates its input against the Framework, checks the actor's
// role, and writes the change, its timeline entries and the jobs planners
// derive from it in one store transaction.
type Service struct {
	Store     Store
	Framework Framework
	Roles     Roles
	Targets   Targets
	Extractor Extractor // defaults to an ioc.Extractor with no options
	Planners  []Planner
	// Extensions are the commands whose logic lives outside the core
	// ("tds", "summary"), registered by the enabled integrations.
	Extensions []Extension
	// Advisor, when set, advises on new incidents from the threat library.
	Advisor Advisor
	// Enrichers are the threat-intelligence sources of the enabled
	// integrations (MISP, Cortex), asked by the enrich command.
	Enrichers []Enricher
	// EnrichTimeout bounds each source's answer to the enrich command.
	// Defaults to DefaultEnrichTimeout.
	EnrichTimeout time.Duration
	// DefaultTLP and DefaultPAP apply when a declaration names none.
	// Default to AMBER, as TheHive does.
	DefaultTLP, DefaultPAP string
	Now                    Clock // defaults to time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) extractor() Extractor {
	if s.Extractor == nil {
		return &ioc.Extractor{}
	}
	return s.Extractor
}

// DeclareInput describes a new incident. Names match the framework ignoring
// case; Category, Severity and Overview are required.
type DeclareInput struct {
	Title        string // built in the DRONE format when empty
	Category     string
	SubContext   string
	Severity     string // "3" or "high"
	Tier         string
	Zone         string
	BusinessUnit string
	TLP          string
	PAP          string
	Overview     string
	Observables  ObservableInput
	// Private keeps the incident to its people (IsPrivate): its channel
	// is private, and it stays out of lists, summaries, digests and
	// exports for audiences not cleared for RED. A RED incident is
	// private whatever this says.
	Private bool
	// Key, when set, makes the declaration idempotent: declaring again with
	// the same key (a double-clicked submit, a replayed interaction)
	// returns the incident the first declaration made.
	Key string
}

// refDeclareKey is the reference key of a declaration's idempotency key.
const refDeclareKey = "declare.key"

// Declare creates an incident with its first observables. With in.Key set,
// a repeated declaration returns the first one's incident and adds nothing.
func (s *Service) Declare(ctx context.Context, a Actor, o Origin, in DeclareInput) (*Incident, AddResult, error) {
	if !s.Roles.Allows(a, PermDeclare) {
		return nil, AddResult{}, s.forbidden(PermDeclare)
	}
	inc, err := s.newIncident(a, in)
	if err != nil {
		return nil, AddResult{}, err
	}
	obs, rejected := s.observables(inc, a, o, in.Observables)
	res := AddResult{Rejected: rejected}
	err = s.Store.Update(ctx, func(tx Tx) error {
		if in.Key != "" {
			if n, err := tx.FindRef(ctx, refDeclareKey, in.Key); err != nil || n != 0 {
				if err == nil {
					inc, err = tx.Incident(ctx, n)
					res = AddResult{}
				}
				return err
			}
		}
		n, err := tx.NextNumber(ctx)
		if err != nil {
			return err
		}
		inc.Number = n
		if inc.Title == "" {
			inc.Title = inc.DroneTitle()
		}
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		if in.Key != "" {
			if err := tx.PutRef(ctx, inc.ID, refDeclareKey, in.Key); err != nil {
				return err
			}
		}
		text := fmt.Sprintf("%s declared %s: %s", a, inc.Ref(), inc.Title)
		if err := s.record(ctx, tx, inc, a, o, EntryDeclared, text, inc, nil); err != nil {
			return err
		}
		if err := s.advise(ctx, tx, inc, a, o); err != nil {
			return err
		}
		res.Added, res.Known, err = s.addObservables(ctx, tx, inc, a, o, obs)
		return err
	})
	if err != nil {
		return nil, AddResult{}, fmt.Errorf("declaring incident: %w", err)
	}
	return inc, res, nil
}

func (s *Service) newIncident(a Actor, in DeclareInput) (*Incident, error) {
	f := &s.Framework
	cat, err := f.Category(in.Category)
	if err != nil {
		return nil, err
	}
	inc := &Incident{Category: cat.Code, CategoryName: cat.Name, Reporter: a, Status: StatusOpen,
		Title: normalise(in.Title), Overview: strings.TrimSpace(in.Overview)}
	if in.SubContext != "" {
		if inc.SubContext, err = cat.SubContext(in.SubContext); err != nil {
			return nil, err
		}
	}
	sev, err := f.Severity(in.Severity)
	if err != nil {
		return nil, err
	}
	if inc.Severity, err = strconv.Atoi(sev.Code); err != nil {
		return nil, Errorf(EINVALID, "severity %q has no level from 1 to 4 in the configuration", sev.Code)
	}
	inc.SeverityName = sev.Name
	if in.Tier != "" {
		t, err := f.Tier(in.Tier)
		if err != nil {
			return nil, err
		}
		inc.Tier = t.Code
	}
	if in.Zone != "" {
		if inc.Zone, err = f.Zone(in.Zone); err != nil {
			return nil, err
		}
	}
	if in.BusinessUnit != "" {
		if inc.BusinessUnit, err = f.BusinessUnit(in.BusinessUnit); err != nil {
			return nil, err
		}
	}
	if inc.TLP, err = f.TLPLevel(orDefault(in.TLP, s.DefaultTLP, "AMBER")); err != nil {
		return nil, err
	}
	if inc.PAP, err = f.PAPLevel(orDefault(in.PAP, s.DefaultPAP, "AMBER")); err != nil {
		return nil, err
	}
	if inc.Overview == "" {
		return nil, Errorf(EINVALID, "an overview is required: say in a sentence what happened")
	}
	if len(inc.Title) > 512 {
		return nil, Errorf(EINVALID, "the title is %d characters long; at most 512 are allowed", len(inc.Title))
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("making incident id: %w", err)
	}
	inc.ID = id.String()
	inc.DeclaredAt = s.now()
	inc.UpdatedAt = inc.DeclaredAt
	inc.Tags = inc.DroneTags()
	inc.Private = in.Private || f.Private(inc)
	return inc, nil
}

func orDefault(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// AddObservables extracts and validates indicators and adds the new ones to
// an incident. A closed incident takes none (ECONFLICT): reopen it first.
func (s *Service) AddObservables(ctx context.Context, a Actor, o Origin, number int64, in ObservableInput) (AddResult, error) {
	var res AddResult
	err := s.change(ctx, a, o, number, PermIOC, func(tx Tx, inc *Incident) error {
		if inc.Status == StatusClosed {
			return Errorf(ECONFLICT, "%s is closed; reopen it first to add indicators", inc.Ref())
		}
		obs, rejected := s.observables(inc, a, o, in)
		res.Rejected = rejected
		var err error
		res.Added, res.Known, err = s.addObservables(ctx, tx, inc, a, o, obs)
		return err
	})
	if err != nil {
		return AddResult{}, fmt.Errorf("adding observables to INC-%d: %w", number, err)
	}
	return res, nil
}

// observables turns input into candidate observables, extracting from text
// and validating typed values.
func (s *Service) observables(inc *Incident, a Actor, o Origin, in ObservableInput) ([]Observable, []ioc.Rejected) {
	var found []ioc.Indicator
	var rejected []ioc.Rejected
	if strings.TrimSpace(in.Text) != "" {
		r := s.extractor().Extract(in.Text)
		found, rejected = r.Indicators, r.Rejected
	}
	tags := map[int][]string{} // index in found -> the value's own tags
	for _, t := range in.Typed {
		typ, v, err := ioc.Resolve(t.Type, t.Value) // "hash" given, SHA-256 found
		if err != nil {
			rejected = append(rejected, ioc.Rejected{Raw: t.Value, Reason: err.Error()})
			continue
		}
		tags[len(found)] = t.Tags
		found = append(found, ioc.Indicator{Type: typ, Value: v, Raw: t.Value, Internal: s.internal(typ, v)})
	}
	seen := map[string]bool{}
	obs := make([]Observable, 0, len(found))
	for i, f := range found {
		k := string(f.Type) + "\x00" + f.Value
		if seen[k] {
			continue
		}
		seen[k] = true
		obs = append(obs, Observable{IncidentID: inc.ID, Type: f.Type, Value: f.Value, Raw: f.Raw, TLP: inc.TLP,
			IOC: in.IOC, Internal: f.Internal, Tags: append(append([]string(nil), in.Tags...), tags[i]...),
			AddedBy: a, Origin: o})
	}
	return obs, rejected
}

// internal asks the extractor whether a typed value is internal.
func (s *Service) internal(t ioc.Type, v string) bool {
	for _, f := range s.extractor().Extract(v).Indicators {
		if f.Type == t && f.Value == v {
			return f.Internal
		}
	}
	return false
}

func (s *Service) addObservables(ctx context.Context, tx Tx, inc *Incident, a Actor, o Origin, obs []Observable) (added, known []Observable, err error) {
	if len(obs) == 0 {
		return nil, nil, nil
	}
	now := s.now()
	for i := range obs {
		obs[i].FirstSeen = now
	}
	added, err = tx.AddObservables(ctx, obs)
	if err != nil {
		return nil, nil, err
	}
	isNew := map[string]bool{}
	for _, ob := range added {
		isNew[string(ob.Type)+"\x00"+ob.Value] = true
	}
	for _, ob := range obs {
		if !isNew[string(ob.Type)+"\x00"+ob.Value] {
			known = append(known, ob)
		}
	}
	if len(added) == 0 {
		return added, known, nil
	}
	text := fmt.Sprintf("%s added %d indicator(s)", a, len(added))
	data := make([]map[string]string, len(added))
	for i, ob := range added {
		data[i] = map[string]string{"type": string(ob.Type), "value": ob.Value}
	}
	return added, known, s.record(ctx, tx, inc, a, o, EntryObservables, text, data, added)
}

// Acknowledge marks an incident acknowledged and, when it has no lead yet,
// makes the actor its lead.
func (s *Service) Acknowledge(ctx context.Context, a Actor, o Origin, number int64) (*Incident, error) {
	return s.transition(ctx, a, o, number, PermAcknowledge, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if inc.Status != StatusOpen {
			return "", "", Errorf(ECONFLICT, "%s is already %s", inc.Ref(), inc.Status)
		}
		s.advance(inc, StatusAcknowledged, now)
		if inc.Lead == "" {
			inc.Lead = a.Identity()
		}
		// The first status update is due a cadence after the
		// acknowledgement: from then on the lead is reminded of it.
		if next := s.Targets[inc.Severity].Update; next > 0 && inc.NextUpdateDue == nil {
			due := now.Add(next)
			inc.NextUpdateDue = &due
		}
		return EntryAcknowledged, fmt.Sprintf("%s acknowledged %s", a, inc.Ref()), nil
	})
}

// SetLead names the incident lead, an identity "platform:id".
func (s *Service) SetLead(ctx context.Context, a Actor, o Origin, number int64, lead string) (*Incident, error) {
	lead = strings.TrimSpace(lead)
	if lead == "" {
		return nil, Errorf(EINVALID, "name the lead (a user of this chat)")
	}
	return s.transition(ctx, a, o, number, PermLead, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		from := inc.Lead
		if strings.EqualFold(from, lead) {
			return "", "", Errorf(ECONFLICT, "%s is already led by %s", inc.Ref(), lead)
		}
		inc.Lead = lead
		if from != "" {
			return EntryLead, handoffText(a, inc, RoleLead, from, lead), nil
		}
		return EntryLead, fmt.Sprintf("%s made %s the lead of %s", a, lead, inc.Ref()), nil
	})
}

// UpdateInput is a status update: a summary, optionally a new status, and
// when the next update is due (defaults to the severity's update target).
type UpdateInput struct {
	Status       Status // "" keeps the status
	Summary      string
	NextUpdateIn time.Duration
}

// PostUpdate records a status update and, when asked, moves the incident
// forward (acknowledged, contained, resolved). Closing goes through Close.
func (s *Service) PostUpdate(ctx context.Context, a Actor, o Origin, number int64, in UpdateInput) (*Incident, error) {
	if strings.TrimSpace(in.Summary) == "" && in.Status == "" {
		return nil, Errorf(EINVALID, "a status update needs a summary or a new status")
	}
	if in.Status == StatusClosed {
		return nil, Errorf(EINVALID, "use close to close an incident: it asks for the resolution and impact")
	}
	if in.Status == StatusOpen {
		return nil, Errorf(EINVALID, "use reopen to reopen an incident")
	}
	return s.transition(ctx, a, o, number, PermUpdate, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if inc.Status == StatusClosed {
			return "", "", Errorf(ECONFLICT, "%s is closed; reopen it first", inc.Ref())
		}
		kind, text := EntryUpdate, fmt.Sprintf("%s posted an update on %s", a, inc.Ref())
		if in.Status != "" && in.Status != inc.Status {
			if in.Status.rank() < inc.Status.rank() {
				return "", "", Errorf(ECONFLICT, "%s is already %s; it cannot go back to %s (reopen it instead)", inc.Ref(), inc.Status, in.Status)
			}
			s.advance(inc, in.Status, now)
			kind, text = EntryStatus, fmt.Sprintf("%s marked %s %s", a, inc.Ref(), in.Status)
		}
		if sum := strings.TrimSpace(in.Summary); sum != "" {
			inc.Summary = sum
			text += ": " + sum
		}
		next := in.NextUpdateIn
		if next <= 0 {
			next = s.Targets[inc.Severity].Update
		}
		if next > 0 && inc.Open() {
			due := now.Add(next)
			inc.NextUpdateDue = &due
		}
		return kind, text, nil
	})
}

// CloseInput says how an incident ended.
type CloseInput struct {
	Resolution string // one of Resolutions
	Impact     string // one of Impacts
	Summary    string
}

// Close closes an incident with its resolution, impact and summary.
func (s *Service) Close(ctx context.Context, a Actor, o Origin, number int64, in CloseInput) (*Incident, error) {
	res, ok := matchName(Resolutions, in.Resolution)
	if !ok {
		return nil, invalidChoice("resolution", in.Resolution, Resolutions)
	}
	imp, ok := matchName(Impacts, orDefault(in.Impact, "NotApplicable"))
	if !ok {
		return nil, invalidChoice("impact", in.Impact, Impacts)
	}
	if strings.TrimSpace(in.Summary) == "" {
		return nil, Errorf(EINVALID, "a closing summary is required: say how the incident ended")
	}
	return s.transition(ctx, a, o, number, PermClose, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if inc.Status == StatusClosed {
			return "", "", Errorf(ECONFLICT, "%s is already closed", inc.Ref())
		}
		s.advance(inc, StatusClosed, now)
		inc.Resolution, inc.Impact, inc.Summary = res, imp, strings.TrimSpace(in.Summary)
		inc.NextUpdateDue = nil
		return EntryStatus, fmt.Sprintf("%s closed %s as %s (%s): %s", a, inc.Ref(), res, imp, inc.Summary), nil
	})
}

// Reopen reopens a resolved or closed incident.
func (s *Service) Reopen(ctx context.Context, a Actor, o Origin, number int64, reason string) (*Incident, error) {
	return s.transition(ctx, a, o, number, PermClose, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if inc.Open() {
			return "", "", Errorf(ECONFLICT, "%s is %s, not resolved or closed", inc.Ref(), inc.Status)
		}
		inc.Status = StatusOpen
		if inc.AcknowledgedAt != nil {
			inc.Status = StatusAcknowledged
		}
		if inc.ContainedAt != nil {
			inc.Status = StatusContained
		}
		inc.ResolvedAt, inc.ClosedAt, inc.Resolution, inc.Impact = nil, nil, "", ""
		text := fmt.Sprintf("%s reopened %s", a, inc.Ref())
		if r := strings.TrimSpace(reason); r != "" {
			text += ": " + r
		}
		return EntryReopened, text, nil
	})
}

// SetExternal records a reference kept by an integration (a TheHive case id,
// a chat channel) on the incident, with a timeline entry saying so.
func (s *Service) SetExternal(ctx context.Context, a Actor, incidentID string, values map[string]string, text string) error {
	inc, err := s.Store.IncidentByID(ctx, incidentID)
	if err != nil {
		return err
	}
	_, err = s.transition(ctx, a, Origin{Channel: a.Platform}, inc.Number, "", func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if inc.External == nil {
			inc.External = map[string]string{}
		}
		for k, v := range values {
			inc.External[k] = v
		}
		return EntryExternal, text, nil
	})
	return err
}

// advance moves an incident forward to status to, stamping every status it
// passes, so that skipping a step still yields every measure.
func (s *Service) advance(inc *Incident, to Status, now time.Time) {
	stamp := func(p **time.Time) {
		if *p == nil {
			t := now
			*p = &t
		}
	}
	r := to.rank()
	if r >= StatusAcknowledged.rank() {
		stamp(&inc.AcknowledgedAt)
	}
	if r >= StatusContained.rank() && to != StatusClosed {
		stamp(&inc.ContainedAt)
	}
	if r >= StatusResolved.rank() {
		stamp(&inc.ResolvedAt)
		inc.NextUpdateDue = nil
	}
	if to == StatusClosed {
		stamp(&inc.ClosedAt)
	}
	inc.Status = to
}

// transition runs a change that edits the incident itself and records it,
// with the fields it changed as the entry's data.
func (s *Service) transition(ctx context.Context, a Actor, o Origin, number int64, p Permission,
	fn func(tx Tx, inc *Incident, now time.Time) (kind, text string, err error)) (*Incident, error) {
	return s.transitionData(ctx, a, o, number, p, fn, nil)
}

// transitionData is transition whose entry's data, when data is not nil,
// is data's answer (called after fn) instead of the changed fields.
func (s *Service) transitionData(ctx context.Context, a Actor, o Origin, number int64, p Permission,
	fn func(tx Tx, inc *Incident, now time.Time) (kind, text string, err error), data func() any) (*Incident, error) {
	var out *Incident
	err := s.change(ctx, a, o, number, p, func(tx Tx, inc *Incident) error {
		now := s.now()
		before := *inc
		kind, text, err := fn(tx, inc, now)
		if err != nil {
			return err
		}
		inc.UpdatedAt = now
		if err := tx.SaveIncident(ctx, inc); err != nil {
			return err
		}
		out = inc
		if data != nil {
			return s.record(ctx, tx, inc, a, o, kind, text, data(), nil)
		}
		changes, err := diff(&before, inc)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, inc, a, o, kind, text, changes, nil)
	})
	return out, err
}

// change loads an incident in a transaction, checks the permission (an empty
// one is an internal change) and runs fn. A refused attempt is itself
// recorded on the timeline.
func (s *Service) change(ctx context.Context, a Actor, o Origin, number int64, p Permission, fn func(Tx, *Incident) error) error {
	denied := false
	err := s.Store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(ctx, number)
		if err != nil {
			return err
		}
		if p != "" && !s.Roles.Allows(a, p) {
			denied = true
			text := fmt.Sprintf("%s tried to %s %s without a role that allows it", a, p, inc.Ref())
			return s.record(ctx, tx, inc, a, o, EntryDenied, text, map[string]string{"permission": string(p)}, nil)
		}
		return fn(tx, inc)
	})
	if err == nil && denied {
		return s.forbidden(p)
	}
	return err
}

func (s *Service) forbidden(p Permission) error {
	holders := s.Roles.Holders(p)
	if len(holders) == 0 {
		return Errorf(EFORBIDDEN, "nobody may %s here yet: ask an administrator to give the permission to a role", p)
	}
	return Errorf(EFORBIDDEN, "you may not %s incidents: that needs the role %s", p, strings.Join(holders, " or "))
}

// record appends a timeline entry chained to the previous one and enqueues
// the jobs the planners derive from it.
func (s *Service) record(ctx context.Context, tx Tx, inc *Incident, a Actor, o Origin, kind, text string, data any, obs []Observable) error {
	seq, prev, err := tx.LastEntry(ctx, inc.ID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encoding timeline data: %w", err)
	}
	e := Entry{IncidentID: inc.ID, Seq: seq + 1, At: s.now(), Actor: a, Origin: o, Kind: kind, Text: text,
		Data: raw, PrevHash: prev}
	e.Hash = e.ComputeHash()
	if err := tx.AppendEntry(ctx, &e); err != nil {
		return err
	}
	var jobs []Job
	for _, p := range s.Planners {
		jobs = append(jobs, p.Plan(Event{Kind: kind, Incident: inc, Entry: e, Observables: obs})...)
	}
	if len(jobs) == 0 {
		return nil
	}
	return tx.Enqueue(ctx, jobs)
}

// diff returns the fields of an incident that a change altered, for the
// timeline's machine-readable data.
func diff(before, after *Incident) (map[string]any, error) {
	mb, err := fields(before)
	if err != nil {
		return nil, err
	}
	ma, err := fields(after)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range ma {
		if k == "updated_at" {
			continue
		}
		if fmt.Sprint(mb[k]) != fmt.Sprint(v) {
			out[k] = v
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out[k] = nil
		}
	}
	return out, nil
}

// fields returns an incident as its JSON fields.
func fields(inc *Incident) (map[string]any, error) {
	b, err := json.Marshal(inc)
	if err != nil {
		return nil, fmt.Errorf("encoding incident: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding incident: %w", err)
	}
	return m, nil
}

// Record is an incident with everything attached to it.
type Record struct {
	Incident    *Incident    `json:"incident"`
	Observables []Observable `json:"observables"`
	Timeline    []Entry      `json:"timeline"`
	// FollowUps are its follow-up actions, when read (Get reads them).
	FollowUps []*FollowUp `json:"actions,omitempty"`
}

// Get returns an incident with its observables and timeline.
func (s *Service) Get(ctx context.Context, number int64) (*Record, error) {
	inc, err := s.Store.Incident(ctx, number)
	if err != nil {
		return nil, err
	}
	obs, err := s.Store.Observables(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	tl, err := s.Store.Timeline(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	acts, err := s.Store.FollowUps(ctx, FollowUpFilter{IncidentID: inc.ID})
	if err != nil {
		return nil, err
	}
	return &Record{Incident: inc, Observables: obs, Timeline: tl, FollowUps: acts}, nil
}
