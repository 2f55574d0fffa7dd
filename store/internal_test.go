package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"

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

// The observable decoder reads what json.Unmarshal reads, and gives every
// observable its own slices even when their texts repeat.
func TestObservableDecoderMatchesJSON(t *testing.T) {
	rows := [][3]string{
		{`[]`, `{"platform":"web","id":"ada","name":"Ada","groups":["admin","responders"]}`, `{"channel":"web","ref":"x"}`},
		{`["phishing-report"]`, `{"platform":"web","id":"ada","name":"Ada","groups":["admin","responders"]}`, `{"channel":"web","ref":"x"}`},
		{`null`, `{"platform":"local","id":"op"}`, `{}`},
		{`[]`, `{"platform": "web", "id": "ada", "groups": []}`, `{"channel": "cli"}`},
	}
	var dec observableDecoder
	var got []drone.Observable
	for _, r := range rows {
		var want, o drone.Observable
		if err := errors.Join(json.Unmarshal([]byte(r[0]), &want.Tags), json.Unmarshal([]byte(r[1]), &want.AddedBy),
			json.Unmarshal([]byte(r[2]), &want.Origin)); err != nil {
			t.Fatal(err)
		}
		if err := dec.decode(&o, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(o, want) {
			t.Errorf("decoded %#v, want %#v", o, want)
		}
		got = append(got, o)
	}
	got[0].AddedBy.Groups[0] = "changed"
	if got[1].AddedBy.Groups[0] != "admin" {
		t.Error("two observables share their actor's groups")
	}
	if err := dec.decode(&drone.Observable{}, `[`, `{}`, `{}`); err == nil {
		t.Error("broken tags decoded")
	}
}
