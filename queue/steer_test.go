package queue_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// TestSteer checks each word of the vocabulary, alone, wrapped and joined.
func TestSteer(t *testing.T) {
	t.Parallel()
	plain := errors.New("connection reset")
	gone := drone.Errorf(drone.ENOTFOUND, "no incident")
	refused := drone.Permanent(errors.New("400 bad request"))
	wait := func(d time.Duration) error { return drone.RetryAfter(d, errors.New("429")) }
	const (
		retry = iota
		snooze
		cancel
	)
	cases := map[string]struct {
		err  error
		want int
		wait time.Duration
	}{
		"plain":                  {plain, retry, 0},
		"permanent":              {refused, cancel, 0},
		"permanent wrapped":      {fmt.Errorf("posting: %w", refused), cancel, 0},
		"not found":              {fmt.Errorf("reading: %w", gone), cancel, 0},
		"invalid":                {drone.Errorf(drone.EINVALID, "bad"), retry, 0},
		"not found under a code": {&drone.Error{Code: drone.EINTERNAL, Message: "x", Err: gone}, retry, 0},
		"retry after":            {fmt.Errorf("posting: %w", wait(3*time.Second)), snooze, 3 * time.Second},
		"negative wait":          {wait(-time.Second), snooze, 0},
		"refused + plain":        {errors.Join(refused, plain), retry, 0},
		"refused + gone":         {errors.Join(refused, gone), cancel, 0},
		"refused + wait":         {errors.Join(refused, wait(time.Second)), snooze, time.Second},
		"plain + two waits":      {errors.Join(plain, wait(time.Second), wait(4*time.Second)), snooze, 4 * time.Second},
		"nested join":            {fmt.Errorf("sync: %w", errors.Join(refused, errors.Join(gone, refused))), cancel, 0},
		"wait inside permanent":  {drone.Permanent(wait(2 * time.Second)), snooze, 2 * time.Second},
	}
	for name, c := range cases {
		got := queue.Steer(c.err)
		var sn *river.JobSnoozeError
		var ca *river.JobCancelError
		switch {
		case errors.As(got, &sn):
			if c.want != snooze || sn.Duration != c.wait {
				t.Errorf("%s: snoozed %v, want verdict %d wait %v", name, sn.Duration, c.want, c.wait)
			}
		case errors.As(got, &ca):
			if c.want != cancel {
				t.Errorf("%s: cancelled, want verdict %d", name, c.want)
			}
			if !errors.Is(got, c.err) {
				t.Errorf("%s: the cancellation lost its cause: %v", name, got)
			}
		case got != c.err:
			t.Errorf("%s: got %v, want the error itself, retried", name, got)
		case c.want != retry:
			t.Errorf("%s: retried, want verdict %d", name, c.want)
		}
	}
	if queue.Steer(nil) != nil {
		t.Error("nil is success")
	}
}

type testArgs struct{}

func (testArgs) Kind() string { return "queue.test" }

// TestWorkFunc checks that a worker built by WorkFunc is steered.
func TestWorkFunc(t *testing.T) {
	t.Parallel()
	w := queue.WorkFunc(func(context.Context, *river.Job[testArgs]) error {
		return drone.Permanent(errors.New("refused"))
	})
	var cancel *river.JobCancelError
	if err := w.Work(context.Background(), &river.Job[testArgs]{}); !errors.As(err, &cancel) {
		t.Errorf("a permanent failure must cancel the job: %v", err)
	}
}
