package slack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/ttp0/drone/queue"
)

// TestPacerSnoozes gives a channel's next slot out in turn, and snoozes a
// job whose turn is too far off instead of holding its worker.
func TestPacerSnoozes(t *testing.T) {
	p := newPacer(time.Hour)
	ctx := context.Background()
	if err := p.wait(ctx, "C1"); err != nil {
		t.Fatalf("first post: %v", err)
	}
	if err := p.wait(ctx, "C2"); err != nil {
		t.Fatalf("another channel waits for nothing: %v", err)
	}
	err := p.wait(ctx, "C1")
	var busy *busyError
	if !errors.As(err, &busy) || busy.After < 59*time.Minute {
		t.Fatalf("second post in C1 = %v; want a wait of about an hour", err)
	}
	var snooze *river.JobSnoozeError
	if steered := queue.Steer(classify(err)); !errors.As(steered, &snooze) || snooze.Duration != busy.After {
		t.Fatalf("a job told to wait %s is steered by %v; want a snooze as long", busy.After, steered)
	}
}
