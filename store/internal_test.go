package store

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestBackoffGrowsWithJitterUpToTheMaximum(t *testing.T) {
	t.Parallel()
	b := backoff{base: time.Second, max: 30 * time.Second}
	for n, ceiling := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		job := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, n+1)}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := time.Until(b.NextRetry(job))
			if d < ceiling/2-50*time.Millisecond || d > ceiling+50*time.Millisecond {
				t.Fatalf("after %d errors: delay %v outside [%v, %v]", n+1, d, ceiling/2, ceiling)
			}
			seen[d.Round(10*time.Millisecond)] = true
		}
		if len(seen) < 5 {
			t.Errorf("after %d errors: delays are not jittered (%d distinct)", n+1, len(seen))
		}
	}
}

func TestQueuedJobJSON(t *testing.T) {
	t.Parallel()
	j := queuedJob{kind: "k.k", UniqueKey: "a\"b", args: []byte(`{"x": 1}`)}
	b, err := j.MarshalJSON()
	if err != nil || string(b) != `{"unique_key":"a\"b","x": 1}` {
		t.Errorf("%s %v", b, err)
	}
	if _, err := (queuedJob{kind: "k.k", UniqueKey: "u", args: []byte(`[1]`)}).MarshalJSON(); err == nil {
		t.Error("non-object arguments accepted")
	}
}
