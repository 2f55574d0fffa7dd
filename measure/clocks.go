package measure

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// Job kinds of the measures. They kept the notifier's names, under which
// jobs already queued run.
const (
	KindCheck = "notify.check" // was a promised time kept?
	KindClock = "notify.clock" // a regulatory reminder or deadline
)

// Regulatory holds the deadlines that run once an incident is reportable
// (notify.regulatory in the file).
type Regulatory struct {
	// Contacts are the targets (legal, the DPO) reminded before each
	// deadline and told when one passes.
	Contacts []string `yaml:"contacts"`
	// Clocks are the deadlines, such as GDPR 72h from awareness, NIS2
	// early warning 24h and notification 72h. Defaults to none.
	Clocks []Clock `yaml:"clocks"`
}

// Clock is one reporting deadline.
type Clock struct {
	// Name is the regime, such as "GDPR" or "NIS2 early warning".
	Name string `yaml:"name"`
	// Deadline is the time from awareness.
	Deadline time.Duration `yaml:"deadline"`
	// Reminders are how long before the deadline the contacts are
	// reminded. Defaults to 12h and 2h, those shorter than the deadline.
	Reminders []time.Duration `yaml:"reminders"`
}

// WithDefaults returns r with each clock's reminders at their default.
func (r Regulatory) WithDefaults() Regulatory {
	clocks := make([]Clock, len(r.Clocks))
	for i, k := range r.Clocks {
		if len(k.Reminders) == 0 {
			for _, d := range []time.Duration{12 * time.Hour, 2 * time.Hour} {
				if d < k.Deadline {
					k.Reminders = append(k.Reminders, d)
				}
			}
		}
		clocks[i] = k
	}
	r.Clocks = clocks
	return r
}

// ValidateClocks reports every problem of the clocks, one a line. (The
// contacts are notify's targets: notify checks them.)
func (r Regulatory) ValidateClocks() error {
	var errs []error
	seen := map[string]bool{}
	for i, k := range r.Clocks {
		if k.Name == "" || seen[k.Name] {
			errs = append(errs, fmt.Errorf("notify.regulatory.clocks[%d]: each clock needs a name of its own", i))
		}
		seen[k.Name] = true
		if k.Deadline <= 0 {
			errs = append(errs, fmt.Errorf("notify.regulatory.clocks[%d] (%s): deadline must be a positive duration such as 72h", i, k.Name))
		}
		for _, d := range k.Reminders {
			if d <= 0 || d >= k.Deadline {
				errs = append(errs, fmt.Errorf("notify.regulatory.clocks[%d] (%s): reminder %s must be between 0 and the deadline", i, k.Name, d))
			}
		}
	}
	return errors.Join(errs...)
}

// system is the actor of the measures' own timeline entries.
var system = drone.Actor{Platform: "notify", ID: "drone", Name: "drone"}

// Measures checks the promised times and runs the regulatory clocks: it
// plans their jobs, works them, and offers the reportable and reported
// commands.
type Measures struct {
	svc       *drone.Service
	clocks    []Clock
	reminders Reminders
	now       func() time.Time
}

// Options configure Measures.
type Options struct {
	// Service is drone's core: the measures read incidents through it and
	// record missed targets and reminders on their timelines.
	Service *drone.Service
	// Regulatory holds the clocks; its defaults are applied.
	Regulatory Regulatory
	// Reminders say when leads and owners are reminded; its defaults are
	// applied.
	Reminders Reminders
	Now       drone.Clock
}

// New returns the measures of o.
func New(o Options) *Measures {
	m := &Measures{svc: o.Service, clocks: o.Regulatory.WithDefaults().Clocks, reminders: o.Reminders.WithDefaults(), now: time.Now}
	if o.Now != nil {
		m.now = o.Now
	}
	return m
}

// checkArgs are the arguments of a notify.check job.
type checkArgs struct {
	IncidentID string    `json:"incident_id"`
	Target     string    `json:"target"` // acknowledge, update
	Due        time.Time `json:"due"`
	// Stage of an update check: lead (remind the lead), or soc or ""
	// (record the target missed, which notify routes to the SOC).
	Stage string `json:"stage,omitempty"`
	Round int    `json:"round,omitempty"` // the lead's reminder, from 1
}

// Kind implements river.JobArgs.
func (checkArgs) Kind() string { return KindCheck }

// clockArgs are the arguments of a notify.clock job.
type clockArgs struct {
	IncidentID string        `json:"incident_id"`
	Clock      string        `json:"clock"`
	Due        time.Time     `json:"due"`
	Before     time.Duration `json:"before"` // 0: the deadline itself
}

// Kind implements river.JobArgs.
func (clockArgs) Kind() string { return KindClock }

// Plan schedules the checks of the promised times an event starts: the
// acknowledgement target at declaration, the reminders of the next update
// whenever one is due, those of a follow-up action with a due date, and
// the regulatory clocks when the incident becomes reportable. It
// implements drone.Planner.
func (m *Measures) Plan(e drone.Event) []drone.Job {
	inc := e.Incident
	var jobs []drone.Job
	if e.Kind == drone.EntryDeclared {
		if t := m.svc.Targets[inc.Severity].Acknowledge; t > 0 {
			due := inc.DeclaredAt.Add(t)
			jobs = append(jobs, drone.Job{Kind: KindCheck, Args: checkArgs{IncidentID: inc.ID, Target: "acknowledge", Due: due},
				RunAt: due, UniqueKey: "notify/" + inc.ID + "/check/acknowledge"})
		}
	}
	if inc.NextUpdateDue != nil && inc.Open() {
		jobs = append(jobs, m.planUpdate(inc)...)
	}
	jobs = append(jobs, m.planAction(e)...)
	if e.Kind == drone.EntryReportable {
		jobs = append(jobs, m.planClocks(inc, e.Entry.At)...)
	}
	return jobs
}

// planClocks schedules each clock's reminders still ahead and its deadline.
// When every reminder has already passed (the awareness was long before
// the marking), one reminder goes at once.
func (m *Measures) planClocks(inc *drone.Incident, now time.Time) []drone.Job {
	aware, ok := inc.AwareAt()
	if !ok {
		return nil
	}
	var jobs []drone.Job
	for _, k := range m.clocks {
		due := aware.Add(k.Deadline)
		key := "notify/" + inc.ID + "/clock/" + k.Name + "/"
		ahead := 0
		for _, before := range k.Reminders {
			if at := due.Add(-before); at.After(now) {
				ahead++
				jobs = append(jobs, drone.Job{Kind: KindClock, RunAt: at, UniqueKey: key + before.String(),
					Args: clockArgs{IncidentID: inc.ID, Clock: k.Name, Due: due, Before: before}})
			}
		}
		if ahead == 0 && due.After(now) {
			jobs = append(jobs, drone.Job{Kind: KindClock, UniqueKey: key + "now",
				Args: clockArgs{IncidentID: inc.ID, Clock: k.Name, Due: due, Before: due.Sub(now)}})
		}
		jobs = append(jobs, drone.Job{Kind: KindClock, RunAt: due, UniqueKey: key + "deadline",
			Args: clockArgs{IncidentID: inc.ID, Clock: k.Name, Due: due}})
	}
	return jobs
}

// Register adds the workers of the checks and clocks, whose errors
// queue.Steer turns into River's cancel, snooze or retry.
func (m *Measures) Register(w *river.Workers) {
	river.AddWorker(w, queue.WorkFunc(m.check))
	river.AddWorker(w, queue.WorkFunc(m.clock))
	river.AddWorker(w, queue.WorkFunc(m.action))
}

// check records a missed target when the incident is still not
// acknowledged, or still has no update since the one due; at the lead's
// stage of an update, it reminds the lead instead. A job whose
// incident is gone (ENOTFOUND) is cancelled: no retry brings it back.
func (m *Measures) check(ctx context.Context, job *river.Job[checkArgs]) error {
	a := job.Args
	inc, err := m.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	due := a.Due.UTC().Format("2006-01-02 15:04 MST")
	var key, text string
	switch {
	case a.Target == "acknowledge" && inc.AcknowledgedAt == nil && inc.Open():
		key = "target/acknowledge"
		text = fmt.Sprintf("%s was not acknowledged in time: the %s target ran out at %s", inc.Ref(), inc.SeverityName, due)
	case a.Target == "update" && inc.Open() && inc.NextUpdateDue != nil && inc.NextUpdateDue.Equal(a.Due) && a.Stage == stageLead:
		return m.remindLead(ctx, inc, a)
	case a.Target == "update" && inc.Open() && inc.NextUpdateDue != nil && inc.NextUpdateDue.Equal(a.Due):
		key = "target/update/" + strconv.FormatInt(a.Due.UnixNano(), 10)
		text = fmt.Sprintf("%s has had no status update since one was due at %s", inc.Ref(), due)
	default:
		return nil
	}
	_, err = m.svc.RecordOnce(ctx, system, inc.ID, drone.EntryTargetMissed, key, text, missedData{Target: a.Target, Due: a.Due})
	return err
}

// clock reminds the contacts of a deadline ahead, or records that it
// passed without a report; nothing when the report was made. A job whose
// incident is gone is cancelled.
func (m *Measures) clock(ctx context.Context, job *river.Job[clockArgs]) error {
	a := job.Args
	inc, err := m.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	if _, done := inc.ReportedAt(a.Clock); done {
		return nil
	}
	due := a.Due.UTC().Format("2006-01-02 15:04 MST")
	if a.Before > 0 {
		text := fmt.Sprintf("Reminder: %s must be reported under %s by %s (in %s)", inc.Ref(), a.Clock, due, Human(a.Before))
		data := map[string]any{"clock": a.Clock, "due": a.Due, "before": a.Before.String()}
		_, err = m.svc.RecordOnce(ctx, system, inc.ID, drone.EntryReminder, "clock/"+a.Clock+"/"+a.Before.String(), text, data)
		return err
	}
	text := fmt.Sprintf("The %s reporting deadline of %s passed at %s without a report", a.Clock, inc.Ref(), due)
	_, err = m.svc.RecordOnce(ctx, system, inc.ID, drone.EntryTargetMissed, "clock/"+a.Clock+"/deadline", text,
		missedData{Target: "deadline", Clock: a.Clock, Due: a.Due})
	return err
}
