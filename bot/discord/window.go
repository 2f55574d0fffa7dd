package discord

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// window lets at most n requests through in any span of one second (plus a
// margin for the network's jitter), as Discord's global limit counts them.
// A token bucket cannot say this: with a burst of n it lets 2n through in
// the first second; with a smaller burst it makes a burst of n wait for no
// reason. The window lets a burst of n go at once and the next request go
// when the oldest of the n is a second old.
type window struct {
	n    int
	span time.Duration

	mu   sync.Mutex
	sent []time.Time // the last n starts, oldest first (a ring from head)
	head int
}

// windowMargin covers requests that leave in one second and reach Discord
// in the next.
const windowMargin = 20 * time.Millisecond

func newWindow(n int) *window {
	return &window{n: max(n, 1), span: time.Second + windowMargin}
}

// Wait waits for a slot, or returns an error at once when ctx ends before
// the slot comes (as rate.Limiter does), or ctx's error.
func (w *window) Wait(ctx context.Context) error {
	for {
		d := w.take(time.Now())
		if d <= 0 {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return fmt.Errorf("the next request slot is in %s, after the deadline", d.Round(time.Millisecond))
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// take takes a slot at now, or returns how long to wait for one.
func (w *window) take(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.sent) < w.n {
		w.sent = append(w.sent, now)
		return 0
	}
	if d := w.sent[w.head].Add(w.span).Sub(now); d > 0 {
		return d
	}
	w.sent[w.head] = now
	w.head = (w.head + 1) % w.n
	return 0
}
