package discord

import (
	"testing"
	"time"
)

// TestWindowNeverExceedsTheLimit sends requests as fast as the window lets
// them, on a clock of its own, and checks every span of one second holds
// at most n of them, while a burst of n goes at once.
func TestWindowNeverExceedsTheLimit(t *testing.T) {
	const n = 50
	w := newWindow(n)
	start := time.Unix(1_700_000_000, 0)
	now := start
	var sent []time.Time
	for len(sent) < 5*n {
		if d := w.take(now); d > 0 {
			now = now.Add(d)
			continue
		}
		sent = append(sent, now)
		now = now.Add(time.Duration(len(sent)%7) * time.Millisecond) // uneven gaps
	}
	for i := range sent {
		j := i
		for j < len(sent) && sent[j].Sub(sent[i]) < time.Second {
			j++
		}
		if j-i > n {
			t.Fatalf("%d requests within one second from request %d", j-i, i)
		}
	}
	if first := sent[n-1].Sub(start); first > 200*time.Millisecond {
		t.Errorf("a burst of %d took %s on the window's clock; want no wait", n, first)
	}
	if d := w.take(sent[len(sent)-1]); d <= 0 {
		t.Error("a full window let one more through")
	}
}
