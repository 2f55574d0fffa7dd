package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/queue"
)

// system is the actor of the notifier's own timeline entries.
var system = drone.Actor{Platform: "notify", ID: "drone", Name: "drone"}

// Register adds the notifier's queue workers, whose errors queue.Steer
// turns into River's cancel, snooze or retry.
func (n *Notifier) Register(w *river.Workers) {
	river.AddWorker(w, queue.WorkFunc(n.deliver))
	river.AddWorker(w, queue.WorkFunc(n.digest))
}

// deliver sends one message, unless the record of sent messages shows it
// went already (a job run again after a crash).
func (n *Notifier) deliver(ctx context.Context, job *river.Job[deliverArgs]) error {
	a := job.Args
	if a.Key == "" {
		return drone.Permanent(errors.New("a delivery job without its unique key cannot be made idempotent"))
	}
	if _, sent, err := n.svc.Delivery(ctx, a.Key); err != nil || sent {
		return err
	}
	m, view, prev, err := n.prepare(ctx, a)
	if errors.Is(err, errWithheld) {
		n.log.Info("notification withheld: the incident's TLP is above the target's clearance", "target", a.Target, "event", a.Event)
		return nil
	}
	if err != nil {
		return n.fail(ctx, job, err)
	}
	if !n.on(a.Medium) {
		return n.fail(ctx, job, fmt.Errorf("no %s medium is on: configure it, or remove target %s", a.Medium, a.Target))
	}
	m.Attempt, m.Since = job.Attempt, job.CreatedAt
	ref, err := n.send(ctx, a.Medium, a.Address, m, view, prev)
	if err != nil {
		return n.fail(ctx, job, err)
	}
	return n.remember(ctx, drone.Delivery{Key: a.Key, IncidentID: a.IncidentID, Event: a.Event, Medium: a.Medium,
		Address: a.Address, Ref: ref, At: n.now()})
}

// remember records a sent message, trying a few times: a delivery whose
// record is lost would be sent again.
func (n *Notifier) remember(ctx context.Context, s drone.Delivery) error {
	// The message is out: its record must not be given up because the
	// job's own deadline came (River cancels ctx at the job timeout), or
	// the retry would send it again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var err error
	for i := range 5 {
		if err = n.svc.RecordDelivery(ctx, s); err == nil {
			return nil
		}
		n.log.Error("recording a sent message", "key", s.Key, "attempt", i+1, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 100 * time.Millisecond):
		}
	}
	return err
}

var errWithheld = errors.New("withheld: the incident's TLP is above the target's clearance")

// prepare builds the message of a delivery, with the view e-mail templates
// render, and finds the message it follows.
func (n *Notifier) prepare(ctx context.Context, a deliverArgs) (*drone.Message, *View, drone.MessageRef, error) {
	t, ok := n.router.Target(a.Target)
	if !ok || !slices.Contains(t.To, a.Address) {
		return nil, nil, drone.MessageRef{}, drone.Permanent(fmt.Errorf("%s is no longer an address of target %q", a.Address, a.Target))
	}
	now := n.now()
	if a.Event == EventDigest {
		r, err := n.digestReport(ctx, a, t)
		if err != nil {
			return nil, nil, drone.MessageRef{}, err
		}
		notice := DigestNotice(r, a.Audience)
		view := &View{Org: n.org, SOC: n.soc, Notice: notice, Report: r, Now: now}
		return &drone.Message{Key: a.Key, Event: a.Event, Notice: notice}, view, drone.MessageRef{}, nil
	}
	event := strconv.FormatInt(a.Seq, 10)
	if a.Event == EventIndicators {
		event = "indicators/" + strconv.FormatInt(a.Window, 10)
	}
	rec, err := n.record(ctx, a.IncidentID, event)
	if err != nil { // an incident gone (ENOTFOUND) is permanent
		return nil, nil, drone.MessageRef{}, err
	}
	// The TLP is checked again here, not only when the job was planned:
	// the incident may have been raised since, or the target lowered.
	if !n.router.Sees(t, rec.Incident) {
		return nil, nil, drone.MessageRef{}, errWithheld
	}
	in := NoticeInput{Record: rec, Event: a.Event, Seq: a.Seq, Audience: a.Audience, Now: now}
	if a.Event == EventIndicators {
		in.Added = batch(rec.Observables, time.Unix(a.Window, 0), n.cfg.BatchWindow)
	}
	notice := n.redactor.BuildNotice(in)
	view := n.redactor.IncidentView(n.org, n.soc, notice, rec, n.svc.Targets, now)
	prev, err := n.svc.LastDelivery(ctx, a.IncidentID, a.Medium, a.Address)
	if err != nil {
		return nil, nil, drone.MessageRef{}, err
	}
	return &drone.Message{Key: a.Key, Event: a.Event, Notice: notice}, view, prev, nil
}

// batch returns the observables first seen within [start, start+w).
func batch(obs []drone.Observable, start time.Time, w time.Duration) []drone.Observable {
	var out []drone.Observable
	for _, o := range obs {
		if !o.FirstSeen.Before(start) && o.FirstSeen.Before(start.Add(w)) {
			out = append(out, o)
		}
	}
	return out
}

// fail notes a failed attempt and returns its error, which queue.Steer
// turns into a snooze (a platform's wait), a cancellation (a permanent
// failure) or a retry with backoff. A delivery that is dead for good is
// announced to the SOC.
func (n *Notifier) fail(ctx context.Context, job *river.Job[deliverArgs], err error) error {
	a := job.Args
	if _, wait := drone.RetryDelay(err); wait {
		return err
	}
	dead := drone.IsPermanent(err) || job.Attempt >= job.MaxAttempts
	n.log.Warn("notification not delivered", "event", a.Event, "target", a.Target, "medium", a.Medium,
		"attempt", job.Attempt, "dead", dead, "err", err)
	if !dead {
		return err
	}
	if a.IncidentID != "" && a.Event != eventDelivery {
		text := fmt.Sprintf("The %s notice could not be delivered to %s %s (target %s): %v", a.Event, a.Medium, a.Address, a.Target, err)
		data := map[string]string{"event": a.Event, "medium": a.Medium, "address": a.Address, "target": a.Target, "error": err.Error()}
		if _, rerr := n.svc.RecordOnce(ctx, system, a.IncidentID, drone.EntryDelivery, "delivery/"+a.Key, text, data); rerr != nil {
			n.log.Error("recording a dead delivery", "key", a.Key, "err", rerr)
		}
	}
	return err
}

// digest fans a digest out to the targets of the digest rules, and
// schedules the next digest, in one transaction.
func (n *Notifier) digest(ctx context.Context, job *river.Job[digestArgs]) error {
	at := job.Args.At
	var jobs []drone.Job
	for _, d := range n.router.Route(EventDigest, nil) {
		args := deliverArgs{Event: EventDigest, DigestAt: at.Unix(), Rule: d.Rule, Target: d.Target, Medium: d.Medium,
			Address: d.Address, Audience: d.Audience}
		jobs = append(jobs, drone.Job{Kind: KindDeliver, Args: args, Queue: laneOf(d.Medium),
			UniqueKey: "notify/digest/" + strconv.FormatInt(at.Unix(), 10) + "/" + d.Medium + "/" + d.Address})
	}
	if next, ok := n.nextDigest(at); ok {
		jobs = append(jobs, digestJob(next))
	}
	return n.svc.Enqueue(ctx, jobs...)
}

func digestJob(at time.Time) drone.Job {
	return drone.Job{Kind: KindDigest, Args: digestArgs{At: at}, RunAt: at,
		UniqueKey: "notify/digest/" + strconv.FormatInt(at.Unix(), 10)}
}

// Schedule queues the next digest, unless it is queued already. Each
// digest queues the one after it, so a digest due while drone was down
// goes out when it is back.
func (n *Notifier) Schedule(ctx context.Context) error {
	if len(n.router.Route(EventDigest, nil)) == 0 {
		return nil
	}
	next, ok := n.nextDigest(n.now())
	if !ok {
		return nil
	}
	if err := n.svc.Enqueue(ctx, digestJob(next)); err != nil {
		return fmt.Errorf("scheduling the next digest: %w", err)
	}
	return nil
}

// nextDigest returns the first digest time after t.
func (n *Notifier) nextDigest(t time.Time) (time.Time, bool) {
	loc, err := time.LoadLocation(n.cfg.Digest.TimeZone)
	if err != nil || len(n.cfg.Digest.Times) == 0 {
		return time.Time{}, false
	}
	local := t.In(loc)
	var times []time.Time
	for day := 0; day <= 1; day++ {
		for _, s := range n.cfg.Digest.Times {
			hm, err := time.Parse("15:04", s)
			if err != nil {
				continue
			}
			c := time.Date(local.Year(), local.Month(), local.Day()+day, hm.Hour(), hm.Minute(), 0, 0, loc)
			if c.After(t) {
				times = append(times, c.UTC())
			}
		}
	}
	if len(times) == 0 {
		return time.Time{}, false
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return times[0], true
}

// digestReport computes the digest of one delivery: what its rule covers
// and its target may see.
func (n *Notifier) digestReport(ctx context.Context, a deliverArgs, t Target) (*measure.Report, error) {
	rule, ok := n.router.Rule(a.Rule)
	if !ok {
		return nil, drone.Permanent(fmt.Errorf("rule %q is no longer configured", a.Rule))
	}
	at := time.Unix(a.DigestAt, 0).UTC()
	return n.Report(ctx, at.Add(-n.cfg.Digest.Period), at, n.router.DigestIncludes(rule, t))
}

// Report computes the measures of [from, to) over the incidents include
// accepts (all when nil), with the regulatory clocks of the configuration.
func (n *Notifier) Report(ctx context.Context, from, to time.Time, include func(*drone.Incident) bool) (*measure.Report, error) {
	return measure.BuildReport(ctx, n.svc, measure.ReportInput{Org: n.org, From: from, To: to, Now: n.now(),
		Framework: n.svc.Framework, Targets: n.svc.Targets, Clocks: n.cfg.Regulatory.Clocks, Include: include})
}
