package measure_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/measure"
)

// reminders is a drone with the measures planning and working their jobs.
// The service's clock is set in the past so that a job due by it is due
// by the queue's wall clock too, and a job due later waits.
type reminders struct {
	h     *dronetest.Harness
	svc   *drone.Service
	clock *dronetest.Clock
	w     *river.Workers
}

func setupReminders(t *testing.T) *reminders {
	h := dronetest.New(t)
	clock := dronetest.NewClock(time.Now().UTC())
	h.Service.Now = clock.Now
	m := measure.New(measure.Options{Service: h.Service, Now: clock.Now})
	h.Service.Planners = []drone.Planner{m}
	w := river.NewWorkers()
	m.Register(w)
	return &reminders{h: h, svc: h.Service, clock: clock, w: w}
}

func (r *reminders) drain() {
	r.h.Drain(r.w, dronetest.QueueConfig(), 20*time.Second)
	r.h.NoDeadJobs()
}

// updated declares a CRITICAL incident (update cadence 30m, escalation
// 15m), acknowledged by alice (its lead), with an update posted ago
// before the wall clock.
func (r *reminders) updated(t *testing.T, ago time.Duration) *drone.Incident {
	t.Helper()
	ctx := context.Background()
	r.clock.Set(time.Now().UTC().Add(-ago))
	inc := r.h.Declare(responder, drone.DeclareInput{Category: "CAT1", Severity: "critical", Overview: "x"})
	if _, err := r.svc.Acknowledge(ctx, responder, cli, inc.Number); err != nil {
		t.Fatal(err)
	}
	inc, err := r.svc.PostUpdate(ctx, responder, cli, inc.Number, drone.UpdateInput{Summary: "looking"})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func entries(rec *drone.Record, kind string) []drone.Entry {
	var out []drone.Entry
	for _, e := range rec.Timeline {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestUpdateReminderThenEscalation(t *testing.T) {
	r := setupReminders(t)
	// Due 10 minutes ago: the lead is reminded; the SOC's turn (15m after
	// the due time) is still 5 minutes ahead.
	early := r.updated(t, 40*time.Minute)
	// Due 90 minutes ago: three reminders to the lead, one to the SOC.
	late := r.updated(t, 2*time.Hour)
	r.drain()

	rec := r.h.Record(early.Number)
	rem := entries(rec, drone.EntryReminder)
	if len(rem) != 1 || len(entries(rec, drone.EntryTargetMissed)) != 0 {
		t.Fatalf("due 10m ago: %d reminders, %d missed targets; want 1 and 0", len(rem), len(entries(rec, drone.EntryTargetMissed)))
	}
	d, ok := drone.Reminder(rem[0])
	if !ok || d.Target != drone.ReminderUpdate || d.Stage != drone.StageLead || d.Lead != responder.Identity() || d.Round != 1 {
		t.Errorf("reminder data = %+v", d)
	}
	if !strings.HasPrefix(rem[0].Text, "local:alice, "+early.Ref()+" is due a status update") {
		t.Errorf("reminder text = %q", rem[0].Text)
	}
	pending := 0
	for _, j := range r.h.Jobs("scheduled") {
		if j.Kind == measure.KindCheck {
			pending++
		}
	}
	if pending == 0 {
		t.Error("no check is waiting for the escalation of the early incident")
	}

	rec = r.h.Record(late.Number)
	if n := len(entries(rec, drone.EntryReminder)); n != 3 {
		t.Errorf("due 90m ago: %d reminders to the lead, want 3 (bounded)", n)
	}
	missed := entries(rec, drone.EntryTargetMissed)
	if len(missed) != 1 || measure.MissedTarget(missed[0]) != "update" {
		t.Fatalf("due 90m ago: missed targets %+v, want one update", missed)
	}
}

func TestUpdateRemindersStopWhenResolvedOrUpdated(t *testing.T) {
	r := setupReminders(t)
	ctx := context.Background()
	resolved := r.updated(t, 2*time.Hour)
	if _, err := r.svc.PostUpdate(ctx, responder, cli, resolved.Number, drone.UpdateInput{Status: drone.StatusResolved, Summary: "fixed"}); err != nil {
		t.Fatal(err)
	}
	// An update posted since: its own due time is 30m after it, 1h30m
	// ago; the reminders of the first due time stay quiet.
	updatedAgain := r.updated(t, 3*time.Hour)
	r.clock.Set(time.Now().UTC().Add(-5 * time.Minute))
	if _, err := r.svc.PostUpdate(ctx, responder, cli, updatedAgain.Number, drone.UpdateInput{Summary: "still looking"}); err != nil {
		t.Fatal(err)
	}
	r.drain()
	rec := r.h.Record(resolved.Number)
	if n, m := len(entries(rec, drone.EntryReminder)), len(entries(rec, drone.EntryTargetMissed)); n+m != 0 {
		t.Errorf("resolved incident: %d reminders, %d missed targets; want none", n, m)
	}
	rec = r.h.Record(updatedAgain.Number)
	if n, m := len(entries(rec, drone.EntryReminder)), len(entries(rec, drone.EntryTargetMissed)); n+m != 0 {
		t.Errorf("incident updated since: %d reminders, %d missed targets; want none", n, m)
	}
}

func TestSnoozeMovesTheReminders(t *testing.T) {
	r := setupReminders(t)
	ctx := context.Background()
	inc := r.updated(t, 2*time.Hour)
	if _, err := r.svc.Snooze(ctx, responder, cli, inc.Number, 45*time.Minute, ""); drone.ErrorCode(err) != drone.EINVALID {
		t.Errorf("snooze without a reason: %v, want EINVALID", err)
	}
	if _, err := r.svc.Snooze(ctx, drone.Actor{Platform: "slack", ID: "U1"}, cli, inc.Number, time.Hour, "vendor"); drone.ErrorCode(err) != drone.EFORBIDDEN {
		t.Errorf("snooze without the update permission: %v, want EFORBIDDEN", err)
	}
	// Two hours ago plus three: the new due time is an hour ahead.
	snoozed, err := r.svc.Snooze(ctx, responder, cli, inc.Number, 3*time.Hour, "waiting for the vendor")
	if err != nil {
		t.Fatal(err)
	}
	r.drain()
	rec := r.h.Record(inc.Number)
	if n, m := len(entries(rec, drone.EntryReminder)), len(entries(rec, drone.EntryTargetMissed)); n+m != 0 {
		t.Errorf("snoozed incident: %d reminders, %d missed targets before the new due time; want none", n, m)
	}
	sn := entries(rec, drone.EntrySnoozed)
	var data drone.SnoozeData
	if len(sn) != 1 || json.Unmarshal(sn[0].Data, &data) != nil || data.Reason != "waiting for the vendor" || !data.Until.Equal(*snoozed.NextUpdateDue) {
		t.Fatalf("snooze entries %+v", sn)
	}
	found := false
	for _, j := range r.h.Jobs("scheduled") {
		var a struct {
			IncidentID string    `json:"incident_id"`
			Due        time.Time `json:"due"`
		}
		if j.Kind == measure.KindCheck && json.Unmarshal(j.Args, &a) == nil && a.IncidentID == inc.ID && a.Due.Equal(data.Until) {
			found = true
		}
	}
	if !found {
		t.Error("no reminder is planned at the new due time")
	}
}

func TestActionReminders(t *testing.T) {
	r := setupReminders(t)
	ctx := context.Background()
	owner := drone.Actor{Platform: "slack", ID: "U0BOB", Name: "bob"}
	r.clock.Set(time.Now().UTC().Add(-5 * 24 * time.Hour))
	inc := r.h.Declare(responder, drone.DeclareInput{Category: "CAT1", Severity: "low", Overview: "x"})
	// Due three days ago: reminded the day before, and the day after;
	// the next overdue reminder (3 days later) is a day ahead.
	due := r.clock.Now().Add(2 * 24 * time.Hour)
	open, err := r.svc.AddFollowUp(ctx, responder, cli, inc.Number, drone.FollowUpInput{Text: "Rotate keys", Owner: owner.Identity(), Due: &due})
	if err != nil {
		t.Fatal(err)
	}
	done, err := r.svc.AddFollowUp(ctx, responder, cli, inc.Number, drone.FollowUpInput{Text: "Patch VPN", Owner: owner.Identity(), Due: &due})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.UpdateFollowUp(ctx, owner, cli, done.Number, drone.FollowUpChange{Status: drone.ActionDone}); err != nil {
		t.Fatal(err)
	}
	// Closing the incident leaves its actions open, and their reminders.
	if _, err := r.svc.Close(ctx, responder, cli, inc.Number, drone.CloseInput{Resolution: "TruePositive", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	r.drain()
	if ac, err := r.svc.FollowUp(ctx, open.Number); err != nil || !ac.Open() {
		t.Fatalf("after closing the incident %s is %v (%v), want open", open.Ref(), ac, err)
	}
	var stages []string
	for _, e := range entries(r.h.Record(inc.Number), drone.EntryReminder) {
		d, ok := drone.Reminder(e)
		if !ok || d.Action != open.Ref() || d.Who != owner.Identity() {
			t.Errorf("reminder %q: %+v", e.Text, d)
		}
		stages = append(stages, d.Stage)
	}
	sort.Strings(stages) // both were due: the queue works them in any order
	if strings.Join(stages, ",") != "before,overdue" {
		t.Errorf("reminders %v, want before,overdue (none for the action done)", stages)
	}
}

// TestFirstUpdateDueAfterTheAcknowledgement reminds the lead of an
// incident acknowledged and never updated.
func TestFirstUpdateDueAfterTheAcknowledgement(t *testing.T) {
	r := setupReminders(t)
	r.clock.Set(time.Now().UTC().Add(-40 * time.Minute))
	inc := r.h.Declare(responder, drone.DeclareInput{Category: "CAT1", Severity: "critical", Overview: "x"})
	if _, err := r.svc.Acknowledge(context.Background(), responder, cli, inc.Number); err != nil {
		t.Fatal(err)
	}
	r.drain()
	if n := len(entries(r.h.Record(inc.Number), drone.EntryReminder)); n != 1 {
		t.Errorf("%d reminders, want 1: the first update was due 30m after the acknowledgement", n)
	}
}

func TestRemindersValidate(t *testing.T) {
	if err := (measure.Reminders{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	err := measure.Reminders{EscalateAfter: -time.Minute, LeadReminders: 50}.Validate()
	if err == nil || !strings.Contains(err.Error(), "escalate_after") || !strings.Contains(err.Error(), "lead_reminders") {
		t.Errorf("bad reminders: %v", err)
	}
}
