package tracker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ttp0/drone/drone"
)

// maxWindow bounds how far back a late poll looks.
const maxWindow = 30 * 24 * time.Hour

// poll is the poll job: it reads the tickets changed since the last poll
// that succeeded, then schedules the next poll, whether this one succeeded
// or not (a poll that fails is retried, and, should it die, the next one
// reads back over its window). Without a last success (the first poll
// after drone starts) it reads twice the interval plus how late it runs.
// A change seen twice is applied once, since the action then already
// stands as the ticket does.
func (s *Sync[P]) poll(ctx context.Context, args PollArgs[P]) error {
	now := s.o.Now()
	window := 2*s.o.PollInterval + max(now.Sub(args.Slot), 0)
	if args.Since != nil {
		window = max(now.Sub(*args.Since), 0) + time.Minute // a minute's overlap for clocks apart
	}
	window = min(window, maxWindow)
	err := s.Poll(ctx, window)
	if s.o.PollInterval <= 0 {
		return err
	}
	since := args.Since
	if err == nil {
		since = &now
	} else if since == nil {
		from := now.Add(-window)
		since = &from
	}
	if qerr := s.o.Service.Enqueue(ctx, pollJob[P](nextSlot(now, s.o.PollInterval), since)); qerr != nil {
		return errors.Join(err, fmt.Errorf("%s: scheduling the next poll: %w", s.o.Name, qerr))
	}
	return err
}

// Poll reads the tickets changed within the last window and brings each
// one closed or reopened in the tracker onto its action.
func (s *Sync[P]) Poll(ctx context.Context, window time.Duration) error {
	changed, err := s.o.Tracker.Changed(ctx, window)
	if err != nil {
		return fmt.Errorf("%s: reading the tickets changed in the last %s: %w", s.o.Name, window, err)
	}
	var errs []error
	for i := range changed {
		if err := s.bringBack(ctx, &changed[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// bringBack applies a ticket's state to its action when they differ and
// the ticket changed after the action did. The second condition keeps a
// change made in drone, whose job has not moved the ticket yet, from being
// undone by the ticket's older state.
func (s *Sync[P]) bringBack(ctx context.Context, t *Ticket) error {
	number, idStart, ok := ParseActionCorrelation(t.Correlation)
	if !ok {
		return nil // an incident's ticket: closing it in the tracker closes nothing in drone
	}
	ac, err := s.o.Service.FollowUp(ctx, number)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: reading ACT-%d for %s: %w", s.o.Name, number, t.Number, err)
	}
	// The action's own job may be moving the ticket: wait for it, then
	// read the action as that job left it.
	unlock, err := s.o.Service.Lock(ctx, s.lockPurpose(), ac.ID)
	if err != nil {
		return fmt.Errorf("%s: waiting for a job of %s: %w", s.o.Name, ac.Ref(), err)
	}
	defer unlock()
	if ac, err = s.o.Service.FollowUp(ctx, number); err != nil {
		return fmt.Errorf("%s: reading ACT-%d for %s: %w", s.o.Name, number, t.Number, err)
	}
	if short(ac.ID) != idStart || ac.External[s.o.KeyID] != t.ID {
		// Another drone's action, or a ticket the action's job has not
		// linked yet: that job reads the ticket's state itself.
		s.o.Log.DebugContext(ctx, "ticket not linked to its action here", "tracker", s.o.Name, "ticket", t.Number, "action", ac.Ref())
		return nil
	}
	have := State(ac.Status)
	if have.Closed() == t.State.Closed() || !t.Updated.After(ac.UpdatedAt) {
		return nil
	}
	change := drone.FollowUpChange{Status: drone.ActionOpen,
		Note: fmt.Sprintf("%s %s is %s", s.o.Name, t.Number, t.Status)}
	if t.State.Closed() {
		change.Status = drone.FollowUpStatus(t.State)
	}
	if _, err := s.o.Service.SyncFollowUp(ctx, s.o.Actor, drone.Origin{Channel: s.o.Actor.Platform, Ref: t.URL}, number, change); err != nil {
		return fmt.Errorf("%s: bringing %s's state onto %s: %w", s.o.Name, t.Number, ac.Ref(), err)
	}
	return nil
}
