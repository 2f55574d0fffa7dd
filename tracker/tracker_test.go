package tracker_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tracker"
)

type testPrefix struct{}

func (testPrefix) Prefix() string { return "test" }

func TestCorrelationRoundTrip(t *testing.T) {
	t.Parallel()
	ac := &drone.FollowUp{ID: "3f2a9c1e-0000-4000-8000-000000000000", Number: 42}
	c := tracker.ActionCorrelation(ac)
	if c != "drone-act-42-3f2a9c1e" {
		t.Fatalf("ActionCorrelation = %q", c)
	}
	n, id, ok := tracker.ParseActionCorrelation(c)
	if !ok || n != 42 || id != "3f2a9c1e" {
		t.Errorf("ParseActionCorrelation(%q) = %d, %q, %v", c, n, id, ok)
	}
	for _, bad := range []string{"", "drone", "drone-act-", "drone-act-x-1", "drone-act-0-ab", "drone-act-7", "drone-inc-3-ab"} {
		if _, _, ok := tracker.ParseActionCorrelation(bad); ok {
			t.Errorf("ParseActionCorrelation(%q) accepted", bad)
		}
	}
	inc := &drone.Incident{ID: "aabbccdd-1111", Number: 3}
	if c := tracker.IncidentCorrelation(inc); c != "drone-inc-3-aabbccdd" || !tracker.IsCorrelation(c) {
		t.Errorf("IncidentCorrelation = %q", c)
	}
}

func TestPlannerPlansWhatTheTrackerMustHear(t *testing.T) {
	t.Parallel()
	sync := drone.Actor{Platform: "local", ID: "test", Name: "Test"}
	someone := drone.Actor{Platform: "slack", ID: "U1"}
	inc := &drone.Incident{ID: "inc-1", Number: 1}
	data, _ := json.Marshal(drone.FollowUp{Number: 7})
	event := func(kind string, by drone.Actor) drone.Event {
		return drone.Event{Kind: kind, Incident: inc, Entry: drone.Entry{Seq: 4, Kind: kind, Actor: by, Data: data}}
	}
	for name, tc := range map[string]struct {
		incidents bool
		e         drone.Event
		want      string // the job's kind, "" for none
	}{
		"action added":                {false, event(drone.EntryAction, someone), "test.action"},
		"action changed":              {false, event(drone.EntryActionUpdated, someone), "test.action"},
		"its own change":              {false, event(drone.EntryActionUpdated, sync), ""},
		"declared, incidents off":     {false, event(drone.EntryDeclared, someone), ""},
		"declared, incidents on":      {true, event(drone.EntryDeclared, someone), "test.incident"},
		"closed, incidents on":        {true, event(drone.EntryStatus, someone), "test.incident"},
		"an observable, incidents on": {true, event(drone.EntryObservables, someone), ""},
		"an action of no incident":    {false, drone.Event{Kind: drone.EntryAction}, ""},
	} {
		jobs := tracker.Planner[testPrefix]{Incidents: tc.incidents, Actor: sync}.Plan(tc.e)
		switch {
		case tc.want == "" && len(jobs) != 0:
			t.Errorf("%s: planned %+v, want nothing", name, jobs)
		case tc.want != "" && (len(jobs) != 1 || jobs[0].Kind != tc.want || jobs[0].UniqueKey == ""):
			t.Errorf("%s: planned %+v, want one unique %s job", name, jobs, tc.want)
		}
	}
	jobs := tracker.Planner[testPrefix]{Actor: sync}.Plan(event(drone.EntryAction, someone))
	if args, ok := jobs[0].Args.(tracker.ActionArgs[testPrefix]); !ok || args.Action != 7 || args.Seq != 4 {
		t.Errorf("action job's arguments %+v, want action 7 from entry 4", jobs[0].Args)
	}
}

func TestAPIErrorsInDronesWords(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]string{
		http.StatusTooManyRequests: "wait", http.StatusServiceUnavailable: "retry", http.StatusInternalServerError: "retry",
		http.StatusRequestTimeout: "retry", http.StatusConflict: "retry", http.StatusBadRequest: "permanent",
		http.StatusUnauthorized: "permanent", http.StatusForbidden: "permanent", http.StatusNotFound: "permanent",
	} {
		err := (&tracker.APIError{Tracker: "t", Method: "GET", Path: "/x", Status: status}).Steered()
		wait, waiting := drone.RetryDelay(err)
		got := "retry"
		switch {
		case waiting:
			got = "wait"
			if wait != tracker.DefaultRetryAfter {
				t.Errorf("%d without Retry-After waits %s, want %s", status, wait, tracker.DefaultRetryAfter)
			}
		case drone.IsPermanent(err):
			got = "permanent"
		}
		if got != want {
			t.Errorf("%d: %s, want %s", status, got, want)
		}
		if tracker.StatusOf(err) != status || !errors.As(err, new(*tracker.APIError)) {
			t.Errorf("%d: the APIError is lost in %v", status, err)
		}
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{"": 0, "7": 7 * time.Second, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second, now.Add(-time.Minute).Format(http.TimeFormat): 0} {
		if got := tracker.ParseRetryAfter(h, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}
