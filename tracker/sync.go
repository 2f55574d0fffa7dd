package tracker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// Options configure a Sync.
type Options struct {
	// Name is the tracker's name for people: "Jira", "ServiceNow".
	// Required.
	Name string
	// Tracker reaches the tracker. Required.
	Tracker Tracker
	// Service is drone's core. Required.
	Service *drone.Service
	// Actor is who the sync is on timelines ("jira:sync"). It brings back
	// what someone allowed to close the ticket did in the tracker, through
	// drone.Service.SyncFollowUp, which needs no role. Required.
	Actor drone.Actor
	// Users maps an action owner's identity ("slack:U024BE7LH", matched
	// ignoring case) to the tracker's user the ticket is assigned to. An
	// owner not listed leaves the ticket unassigned.
	Users map[string]string
	// Keys are the names of the references recorded on actions and
	// incidents (External): the ticket's ID, number and URL. Required.
	KeyID, KeyNumber, KeyURL string
	// SearchLag is how long the tracker's search may take to show a new
	// ticket (Jira Cloud's index lags). A creation that got no answer, or
	// a 5xx, may have created the ticket: its retry, which looks the
	// ticket up first, waits at least this long. Zero leaves the retry to
	// the queue's backoff.
	SearchLag time.Duration
	// Incidents makes a ticket for each incident too.
	Incidents bool
	// PollInterval is how often the poll reads the tickets that changed.
	// Zero turns the poll off.
	PollInterval time.Duration
	// Log receives what the sync skips. Defaults to discarding.
	Log *slog.Logger
	// Now is the clock. Defaults to the service's (Service.Now), else
	// time.Now.
	Now func() time.Time
}

// Sync keeps a tracker's tickets in line with drone. P names its jobs.
type Sync[P Prefix] struct {
	o Options
}

// New returns the sync of o.
func New[P Prefix](o Options) (*Sync[P], error) {
	if o.Tracker == nil || o.Service == nil || o.Name == "" || o.KeyID == "" {
		return nil, errors.New("tracker: a sync needs a name, a tracker, a service and its reference keys")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = o.Service.Now
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sync[P]{o: o}, nil
}

// Planner returns the planner of the sync's jobs.
func (s *Sync[P]) Planner() Planner[P] {
	return Planner[P]{Incidents: s.o.Incidents, Actor: s.o.Actor, Private: s.o.Service.IsPrivate}
}

// Register adds the sync's workers. Each returns through queue.Steer: a
// 429 snoozes the job for the Retry-After, a refusal cancels it, anything
// else is retried with backoff.
func (s *Sync[P]) Register(w *river.Workers) {
	river.AddWorker(w, queue.WorkFunc(func(ctx context.Context, job *river.Job[ActionArgs[P]]) error {
		return s.Action(ctx, job.Args.Action)
	}))
	river.AddWorker(w, queue.WorkFunc(func(ctx context.Context, job *river.Job[IncidentArgs[P]]) error {
		return s.Incident(ctx, job.Args.IncidentID)
	}))
	river.AddWorker(w, queue.WorkFunc(func(ctx context.Context, job *river.Job[PollArgs[P]]) error {
		return s.poll(ctx, job.Args)
	}))
	river.AddWorker(w, queue.WorkFunc(func(ctx context.Context, job *river.Job[FetchArgs[P]]) error {
		return s.Fetch(ctx, job.Args.ID)
	}))
}

// Schedule queues the next poll unless it is queued already (the job is
// unique by its slot): for integration.Integration.Prepare.
func (s *Sync[P]) Schedule(ctx context.Context) error {
	if s.o.PollInterval <= 0 {
		return nil
	}
	if err := s.o.Service.Enqueue(ctx, pollJob[P](nextSlot(s.o.Now(), s.o.PollInterval), nil)); err != nil {
		return fmt.Errorf("%s: scheduling the next poll: %w", s.o.Name, err)
	}
	return nil
}

// lockPurpose is the purpose of the lock (drone.Service.Lock) a job holds
// on its action or incident: two jobs of one action cannot both miss its
// ticket and both create one.
func (s *Sync[P]) lockPurpose() string {
	var p P
	return p.Prefix() + ".ticket"
}

// Action brings the ticket of ACT-<number> in line with the action: it
// creates the ticket if the tracker has none (looking it up by its
// correlation id first, so a creation whose answer was lost is not
// repeated), records it on the action, and closes or reopens it as the
// action is.
func (s *Sync[P]) Action(ctx context.Context, number int64) error {
	ac, err := s.o.Service.FollowUp(ctx, number)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return drone.Permanent(fmt.Errorf("%s: reading ACT-%d: %w", s.o.Name, number, err))
	}
	if err != nil {
		return fmt.Errorf("%s: reading ACT-%d: %w", s.o.Name, number, err)
	}
	unlock, err := s.o.Service.Lock(ctx, s.lockPurpose(), ac.ID)
	if err != nil {
		return fmt.Errorf("%s: waiting for another job of %s: %w", s.o.Name, ac.Ref(), err)
	}
	defer unlock()
	if ac, err = s.o.Service.FollowUp(ctx, number); err != nil { // as it is now the lock is held
		return fmt.Errorf("%s: reading ACT-%d: %w", s.o.Name, number, err)
	}
	t, how, err := s.ensure(ctx, ac.External, ActionCorrelation(ac), func() (NewTicket, error) {
		return s.actionTicket(ctx, ac)
	})
	if err != nil {
		return fmt.Errorf("%s: the ticket of %s: %w", s.o.Name, ac.Ref(), err)
	}
	if how != "" {
		text := fmt.Sprintf("%s %s %s for %s: %s", s.o.Name, t.Number, how, ac.Ref(), t.URL)
		if _, err := s.o.Service.SetFollowUpExternal(ctx, s.o.Actor, ac.Number, s.refs(t), text); err != nil {
			return fmt.Errorf("%s: recording %s on %s: %w", s.o.Name, t.Number, ac.Ref(), err)
		}
	}
	return s.align(ctx, t, how == "created", State(ac.Status), ac.Due, ac.Ref()+" is "+string(ac.Status)+" in drone")
}

// Incident brings the incident's ticket in line with the incident: created
// once, closed when the incident is, reopened when it is.
func (s *Sync[P]) Incident(ctx context.Context, id string) error {
	unlock, err := s.o.Service.Lock(ctx, s.lockPurpose(), id)
	if err != nil {
		return fmt.Errorf("%s: waiting for another job of incident %s: %w", s.o.Name, id, err)
	}
	defer unlock()
	inc, err := s.o.Service.IncidentByID(ctx, id)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return drone.Permanent(fmt.Errorf("%s: reading incident %s: %w", s.o.Name, id, err))
	}
	if err != nil {
		return fmt.Errorf("%s: reading incident %s: %w", s.o.Name, id, err)
	}
	t, how, err := s.ensure(ctx, inc.External, IncidentCorrelation(inc), func() (NewTicket, error) {
		return incidentTicket(inc), nil
	})
	if err != nil {
		return fmt.Errorf("%s: the ticket of %s: %w", s.o.Name, inc.Ref(), err)
	}
	if how != "" {
		text := fmt.Sprintf("%s %s %s for %s: %s", s.o.Name, t.Number, how, inc.Ref(), t.URL)
		if err := s.o.Service.SetExternal(ctx, s.o.Actor, inc.ID, s.refs(t), text); err != nil {
			return fmt.Errorf("%s: recording %s on %s: %w", s.o.Name, t.Number, inc.Ref(), err)
		}
	}
	want := StateOpen
	if inc.Status == drone.StatusClosed {
		want = StateDone
	}
	return s.align(ctx, t, how == "created", want, nil, inc.Ref()+" is "+string(inc.Status)+" in drone")
}

// ensure returns the ticket recorded in refs, else the one carrying the
// correlation id, else a new one; how says "created" or "linked" when drone
// did not know the ticket yet, "" when it did.
func (s *Sync[P]) ensure(ctx context.Context, refs map[string]string, correlation string, build func() (NewTicket, error)) (*Ticket, string, error) {
	if id := refs[s.o.KeyID]; id != "" {
		return &Ticket{ID: id, Number: refs[s.o.KeyNumber], URL: refs[s.o.KeyURL]}, "", nil
	}
	found, err := s.o.Tracker.Find(ctx, correlation)
	if err != nil {
		return nil, "", fmt.Errorf("looking for %s: %w", correlation, err)
	}
	if found != nil {
		return found, "linked", nil
	}
	nt, err := build()
	if err != nil {
		return nil, "", err
	}
	nt.Correlation = correlation
	t, err := s.o.Tracker.Create(ctx, nt)
	if err != nil {
		err = fmt.Errorf("creating: %w", err)
		if s.o.SearchLag > 0 && mayHaveCreated(err) {
			return nil, "", drone.RetryAfter(s.o.SearchLag, err)
		}
		return nil, "", err
	}
	return t, "created", nil
}

func (s *Sync[P]) refs(t *Ticket) map[string]string {
	out := map[string]string{s.o.KeyID: t.ID}
	if s.o.KeyNumber != "" && t.Number != "" {
		out[s.o.KeyNumber] = t.Number
	}
	if s.o.KeyURL != "" && t.URL != "" {
		out[s.o.KeyURL] = t.URL
	}
	return out
}

// align gives the ticket the due date (when not nil) and moves it to want,
// unless it has them already. A ticket created just now has the due date
// and is open: only a closed want moves it. Done and cancelled are alike
// for a ticket that is closed already.
func (s *Sync[P]) align(ctx context.Context, t *Ticket, created bool, want State, due *time.Time, note string) error {
	if created && !want.Closed() {
		return nil
	}
	if !created {
		cur, err := s.o.Tracker.Get(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("%s: reading %s: %w", s.o.Name, t.Number, err)
		}
		if due != nil {
			if err := s.o.Tracker.SetDue(ctx, cur, *due); err != nil {
				return fmt.Errorf("%s: setting the due date of %s: %w", s.o.Name, t.Number, err)
			}
		}
		if cur.State.Closed() == want.Closed() {
			return nil
		}
		t = cur
	}
	if err := s.o.Tracker.Move(ctx, t, want, note); err != nil {
		return fmt.Errorf("%s: moving %s to %s: %w", s.o.Name, t.Number, want, err)
	}
	return nil
}

// actionTicket is the new ticket of an action.
func (s *Sync[P]) actionTicket(ctx context.Context, ac *drone.FollowUp) (NewTicket, error) {
	inc, err := s.o.Service.IncidentByID(ctx, ac.IncidentID)
	if err != nil {
		return NewTicket{}, fmt.Errorf("reading the incident of %s: %w", ac.Ref(), err)
	}
	var d strings.Builder
	fmt.Fprintf(&d, "Follow-up action %s of %s (%s):\n%s\n", ac.Ref(), inc.Ref(), inc.Title, ac.Text)
	if ac.Owner != "" {
		fmt.Fprintf(&d, "Owner in drone: %s\n", ac.Owner)
	}
	fmt.Fprintf(&d, "Added by %s on %s. Closing this ticket marks %s done in drone.", ac.CreatedBy, ac.CreatedAt.UTC().Format("2006-01-02"), ac.Ref())
	return NewTicket{Summary: clip(ac.Ref()+": "+ac.Text, 160), Description: d.String(), Due: ac.Due,
		Assignee: s.assignee(ac.Owner)}, nil
}

// assignee is the tracker's user of an owner's identity, or "".
func (s *Sync[P]) assignee(owner string) string {
	if owner == "" {
		return ""
	}
	for id, user := range s.o.Users {
		if strings.EqualFold(id, owner) {
			return user
		}
	}
	return ""
}

func incidentTicket(inc *drone.Incident) NewTicket {
	d := fmt.Sprintf("Incident %s declared in drone: %s\nStatus: %s\nThis ticket is closed when the incident is.", inc.Ref(), inc.Title, inc.Status)
	return NewTicket{Summary: clip(inc.Ref()+": "+inc.Title, 160), Description: d}
}

// clip cuts s to at most n runes, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// mayHaveCreated reports whether a failed creation may have created the
// ticket all the same: it got no answer, or a 5xx. A refusal (4xx) and a
// 429 created nothing.
func mayHaveCreated(err error) bool {
	return !drone.IsPermanent(err) && StatusOf(err) != http.StatusTooManyRequests
}
