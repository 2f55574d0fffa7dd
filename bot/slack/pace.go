package slack

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// maxPaceWait is the longest a job sleeps for its turn in a channel; a
// longer wait gives the worker back and snoozes the job instead.
const maxPaceWait = 2 * time.Second

// busyError says a channel's next free slot is further away than a job
// should sleep: the job is snoozed for After instead.
type busyError struct{ After time.Duration }

func (e *busyError) Error() string {
	return fmt.Sprintf("the channel's next free slot is in %s", e.After.Round(time.Millisecond))
}

// pacer spaces posts in each channel: Slack allows about one message per
// second per channel and answers bursts with 429s.
type pacer struct {
	every time.Duration
	mu    sync.Mutex
	next  map[string]time.Time // a channel's next free slot
}

func newPacer(every time.Duration) *pacer {
	return &pacer{every: every, next: map[string]time.Time{}}
}

// wait takes the channel's next slot and waits for it, or returns a
// *busyError when the slot is too far away.
func (p *pacer) wait(ctx context.Context, channel string) error {
	now := time.Now()
	p.mu.Lock()
	slot := p.next[channel]
	if slot.Before(now) {
		slot = now
	}
	d := slot.Sub(now)
	if d > maxPaceWait {
		p.mu.Unlock()
		return &busyError{After: d}
	}
	p.next[channel] = slot.Add(p.every)
	if len(p.next) > 1000 {
		for ch, t := range p.next {
			if t.Before(now) {
				delete(p.next, ch)
			}
		}
	}
	p.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
