package measure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// KindAction is the job kind of a follow-up action's reminder.
const KindAction = "notify.action"

// Reminders say when people are reminded of what they owe: the lead of
// an overdue status update, the owner of a follow-up action (notify.reminders
// in the file).
type Reminders struct {
	// EscalateAfter is how long an overdue update waits after the lead's
	// first reminder before the SOC is told (the update target is then
	// recorded missed, which the notify rules route). Defaults to half
	// the severity's update cadence, at least 15m.
	EscalateAfter time.Duration `yaml:"escalate_after"`
	// LeadReminders is how many times the lead is reminded of one overdue
	// update, once a cadence. Defaults to 3.
	LeadReminders int `yaml:"lead_reminders"`
	// ActionBefore is how long before an action's due date its owner is
	// reminded. Defaults to 24h.
	ActionBefore time.Duration `yaml:"action_before"`
	// ActionAfter is how long after an action's due date its owner is
	// first reminded that it is overdue. Defaults to 24h.
	ActionAfter time.Duration `yaml:"action_after"`
	// ActionEvery is the time between later overdue reminders. Defaults
	// to 72h.
	ActionEvery time.Duration `yaml:"action_every"`
	// ActionOverdue is how many overdue reminders an action gets.
	// Defaults to 3.
	ActionOverdue int `yaml:"action_overdue"`
}

// WithDefaults returns r with every unset field at its default.
func (r Reminders) WithDefaults() Reminders {
	if r.LeadReminders <= 0 {
		r.LeadReminders = 3
	}
	if r.ActionBefore <= 0 {
		r.ActionBefore = 24 * time.Hour
	}
	if r.ActionAfter <= 0 {
		r.ActionAfter = 24 * time.Hour
	}
	if r.ActionEvery <= 0 {
		r.ActionEvery = 72 * time.Hour
	}
	if r.ActionOverdue <= 0 {
		r.ActionOverdue = 3
	}
	return r
}

// Validate reports every problem of the reminders, one a line.
func (r Reminders) Validate() error {
	var errs []error
	for name, d := range map[string]time.Duration{"escalate_after": r.EscalateAfter, "action_before": r.ActionBefore,
		"action_after": r.ActionAfter, "action_every": r.ActionEvery} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("notify.reminders.%s: %s must not be negative", name, d))
		}
	}
	if r.LeadReminders < 0 || r.LeadReminders > 20 || r.ActionOverdue < 0 || r.ActionOverdue > 20 {
		errs = append(errs, errors.New("notify.reminders: lead_reminders and action_overdue must be between 1 and 20 (leave them out for 3)"))
	}
	return errors.Join(errs...)
}

// escalateAfter is the wait between the lead's first reminder of an
// update due every cadence and the SOC's.
func (r Reminders) escalateAfter(cadence time.Duration) time.Duration {
	if r.EscalateAfter > 0 {
		return r.EscalateAfter
	}
	return max(cadence/2, 15*time.Minute)
}

// Stages of the update check (checkArgs.Stage); "" is the SOC's, as jobs
// queued before the lead's reminders were.
const (
	stageLead = drone.StageLead
	stageSOC  = "soc"
)

// planUpdate schedules the reminders of the next update due: the lead's
// at the due time and once a cadence after it, up to LeadReminders, and
// the SOC's (the missed target) EscalateAfter after the due time. Each
// finds the update posted, the due time moved (a snooze) or the incident
// resolved, and stays quiet.
func (m *Measures) planUpdate(inc *drone.Incident) []drone.Job {
	due := *inc.NextUpdateDue
	key := "notify/" + inc.ID + "/check/update/" + strconv.FormatInt(due.UnixNano(), 10)
	cadence := m.svc.Targets[inc.Severity].Update
	job := func(stage string, round int, at time.Time, suffix string) drone.Job {
		return drone.Job{Kind: KindCheck, RunAt: at, UniqueKey: key + suffix,
			Args: checkArgs{IncidentID: inc.ID, Target: "update", Due: due, Stage: stage, Round: round}}
	}
	jobs := []drone.Job{job(stageLead, 1, due, "")}
	for r := 2; r <= m.reminders.LeadReminders && cadence > 0; r++ {
		jobs = append(jobs, job(stageLead, r, due.Add(time.Duration(r-1)*cadence), "/lead/"+strconv.Itoa(r)))
	}
	return append(jobs, job(stageSOC, 0, due.Add(m.reminders.escalateAfter(cadence)), "/soc"))
}

// remindLead records the lead's reminder of an overdue update, once per
// due time and round.
func (m *Measures) remindLead(ctx context.Context, inc *drone.Incident, a checkArgs) error {
	due := a.Due.UTC().Format("2006-01-02 15:04 MST")
	who := inc.Lead
	text := fmt.Sprintf("%s, %s is due a status update since %s: post one (status), or snooze the reminders with a reason (snooze 30m REASON)",
		who, inc.Ref(), due)
	if who == "" {
		text = fmt.Sprintf("%s has no lead and is due a status update since %s: take the lead (ack, lead USER) and post one", inc.Ref(), due)
	}
	if a.Round > 1 {
		text = fmt.Sprintf("Reminder %d: ", a.Round) + text
	}
	data := drone.ReminderData{Target: drone.ReminderUpdate, Stage: drone.StageLead, Who: who, Lead: who, Due: a.Due, Round: a.Round}
	key := "reminder/update/" + strconv.FormatInt(a.Due.UnixNano(), 10) + "/" + strconv.Itoa(a.Round)
	_, err := m.svc.RecordOnce(ctx, system, inc.ID, drone.EntryReminder, key, text, data)
	return err
}

// actionArgs are the arguments of a notify.action job.
type actionArgs struct {
	IncidentID string    `json:"incident_id"`
	Action     int64     `json:"action"`
	Due        time.Time `json:"due"`
	Stage      string    `json:"stage"` // before, overdue
	Round      int       `json:"round,omitempty"`
}

// Kind implements river.JobArgs.
func (actionArgs) Kind() string { return KindAction }

// planAction schedules the reminders of an open action with a due date:
// one before it (unless that time has passed) and ActionOverdue after it.
// A change of the due date plans them anew; the old ones find the date
// moved and stay quiet.
func (m *Measures) planAction(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryAction && e.Kind != drone.EntryActionUpdated {
		return nil
	}
	var ac drone.FollowUp
	if json.Unmarshal(e.Entry.Data, &ac) != nil || !ac.Open() || ac.Due == nil {
		return nil
	}
	due := *ac.Due
	key := "notify/" + e.Incident.ID + "/action/" + strconv.FormatInt(ac.Number, 10) + "/" + strconv.FormatInt(due.Unix(), 10) + "/"
	r := m.reminders
	var jobs []drone.Job
	if at := due.Add(-r.ActionBefore); at.After(e.Entry.At) {
		jobs = append(jobs, drone.Job{Kind: KindAction, RunAt: at, UniqueKey: key + drone.StageBefore,
			Args: actionArgs{IncidentID: e.Incident.ID, Action: ac.Number, Due: due, Stage: drone.StageBefore}})
	}
	for i := 1; i <= r.ActionOverdue; i++ {
		at := due.Add(r.ActionAfter + time.Duration(i-1)*r.ActionEvery)
		jobs = append(jobs, drone.Job{Kind: KindAction, RunAt: at, UniqueKey: key + drone.StageOverdue + "/" + strconv.Itoa(i),
			Args: actionArgs{IncidentID: e.Incident.ID, Action: ac.Number, Due: due, Stage: drone.StageOverdue, Round: i}})
	}
	return jobs
}

// action reminds an action's owner in the incident's channel, unless the
// action is no longer open or its due date moved. A job whose action or
// incident is gone is cancelled.
func (m *Measures) action(ctx context.Context, job *river.Job[actionArgs]) error {
	a := job.Args
	ac, err := m.svc.FollowUp(ctx, a.Action)
	if err != nil {
		return err
	}
	if !ac.Open() || ac.Due == nil || !ac.Due.Equal(a.Due) {
		return nil
	}
	inc, err := m.svc.IncidentByID(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	who := ac.Owner
	if who == "" {
		who = inc.Lead // an action nobody owns is the lead's to give
	}
	due := a.Due.UTC().Format("2006-01-02")
	text := fmt.Sprintf("%s, %s of %s is due %s: %s (action done %s when it is)", who, ac.Ref(), inc.Ref(), due, ac.Text, ac.Ref())
	if a.Stage == drone.StageOverdue {
		text = fmt.Sprintf("%s, %s of %s is overdue since %s: %s (action done %s, or give it a new date)", who, ac.Ref(), inc.Ref(), due, ac.Text, ac.Ref())
	}
	if who == "" {
		text = text[len(", "):]
	}
	data := drone.ReminderData{Target: drone.ReminderAction, Stage: a.Stage, Who: who, Action: ac.Ref(), Due: a.Due, Round: a.Round}
	key := "reminder/action/" + strconv.FormatInt(ac.Number, 10) + "/" + strconv.FormatInt(a.Due.Unix(), 10) + "/" + a.Stage + strconv.Itoa(a.Round)
	_, err = m.svc.RecordOnce(ctx, system, inc.ID, drone.EntryReminder, key, text, data)
	return err
}
