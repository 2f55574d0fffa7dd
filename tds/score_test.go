package tds_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ttp0/drone/tds"
)

// handThreat and handInventory are the worked example of the scoring tests.
//
// Inventory:
//
//	X  quality 5/5/5/5/5 → Q = 25/25 = 1.0   fields a, b       surfaces [s]
//	Y  quality unknown   → Q = (5×2)/25 = 0.4 fields a, b, c, d
//	W  alias "double_u LOGS", quality 3 everywhere → Q = 15/25 = 0.6, no fields
//	Z  absent
func handInventory() *tds.Inventory {
	return tds.NewInventory(
		tds.Source{Name: "X", Fields: []string{"a", "b"}, Quality: quality(5), Surfaces: []string{"s"}, Detections: true},
		tds.Source{Name: "Y", Fields: []string{"A", "b", "c", "D"}},
		tds.Source{Name: "W", Aliases: []string{"double_u LOGS"}, Quality: quality(3)},
	)
}

func handThreat() *tds.Threat {
	return &tds.Threat{Name: "hand", Version: "1.0.0", Statement: "worked example", Surfaces: []tds.Surface{
		{Name: "s", Category: "service", Events: []tds.Event{
			{Name: "E1", Stage: "delivery", Metadata: []string{"a", "b", "c", "d"}, Techniques: []string{"T1566"},
				Observations: []tds.Observation{
					{Name: "O1", Sensors: []string{"X", "Y"}},
					{Name: "O2", Sensors: []string{"Z"}, Fields: []string{"a"}},
				}},
			{Name: "E2", Stage: "reconnaissance", Metadata: []string{"a"},
				Observations: []tds.Observation{{Name: "O3", Sensors: []string{"Z"}}}},
			{Name: "E3", Stage: "impact", Observations: []tds.Observation{{Name: "O4", Sensors: []string{"Double-U logs"}}}},
		}},
		{Name: "other", Category: "network", Events: []tds.Event{
			{Name: "E4", Metadata: []string{"a"}, Observations: []tds.Observation{{Name: "O5", Sensors: []string{"X"}}}},
		}},
	}}
}

func TestQualityFactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q    tds.Quality
		want float64
	}{
		{quality(5), 1},                    // 25/25
		{quality(0), 0.4},                  // unknown counts as 2: 10/25
		{quality(1), 0.2},                  // 5/25
		{tds.Quality{5, 4, 3, 2, 0}, 0.64}, // (5+4+3+2+2)/25 = 16/25
		{quality(9), 1},                    // clamped to 5
	} {
		if got := tc.q.Factor(); !near(got, tc.want) {
			t.Errorf("%v.Factor() = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestEventScoresByHand(t *testing.T) {
	t.Parallel()
	ts := tds.AssessThreat(handThreat(), handInventory())
	// Scenario order: E2 (reconnaissance), E1 (delivery), E3 (impact), E4 (unstaged,
	// after E3 in the file, so it inherits impact's rank).
	var order []string
	for _, es := range ts.Events {
		order = append(order, es.Event)
	}
	if want := []string{"E2", "E1", "E3", "E4"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("scenario order = %v, want %v", order, want)
	}
	want := map[string]float64{
		// E1: X gives Q 1.0 × F (0.25 + 0.75 × 2/4 = 0.625) = 0.625;
		//     Y gives 0.4 × (0.25 + 0.75 × 4/4) = 0.4; best(O1) = 0.625.
		//     O2 needs Z, absent: 0.
		//     4 × (0.75 × 0.625 + 0.25 × (0.625 + 0) / 2) = 4 × 0.546875 = 2.1875
		"E1": 2.1875,
		// E2: only Z, absent: 0.
		"E2": 0,
		// E3: W through its alias, Q 0.6, no fields needed so F = 1:
		//     4 × (0.75 × 0.6 + 0.25 × 0.6) = 2.4
		"E3": 2.4,
		// E4: X is present but lists only surface s, so it does not count on "other".
		"E4": 0,
	}
	for _, es := range ts.Events {
		if !near(float64(es.Score), want[es.Event]) {
			t.Errorf("%s score = %v, want %v", es.Event, es.Score, want[es.Event])
		}
		if es.Visible != (want[es.Event] >= 1) {
			t.Errorf("%s visible = %v", es.Event, es.Visible)
		}
	}
	// Threat: (2.1875 + 0 + 2.4 + 0) / 4 = 1.146875.
	if !near(float64(ts.Score), 1.146875) || ts.Visible != 2 {
		t.Errorf("threat score = %v with %d visible, want 1.146875 with 2", ts.Score, ts.Visible)
	}
	// Surface s: (2.1875 + 0 + 2.4) / 3; surface other: 0.
	if !near(float64(ts.Surfaces[0].Score), 4.5875/3) || ts.Surfaces[1].Score != 0 {
		t.Errorf("surface scores = %v, %v", ts.Surfaces[0].Score, ts.Surfaces[1].Score)
	}
}

func TestEarliestVisibleAndBlindBefore(t *testing.T) {
	t.Parallel()
	ts := tds.AssessThreat(handThreat(), handInventory())
	if ts.FirstVisible == nil || ts.FirstVisible.Event != "E1" || ts.FirstVisible.Stage != "delivery" {
		t.Fatalf("first visible = %+v, want E1 at delivery", ts.FirstVisible)
	}
	if len(ts.BlindBefore) != 1 || ts.BlindBefore[0].Event != "E2" ||
		!reflect.DeepEqual(ts.BlindBefore[0].Add, []string{"Z"}) {
		t.Errorf("blind before = %+v, want E2 lit up by Z", ts.BlindBefore)
	}
}

func TestRecommendationByHand(t *testing.T) {
	t.Parallel()
	lib := tds.NewLibrary(handThreat())
	a := tds.Assess(lib, handInventory())
	if len(a.Recommendations) != 1 {
		t.Fatalf("recommendations = %+v, want only Z (the one absent sensor)", a.Recommendations)
	}
	r := a.Recommendations[0]
	// Z added at quality 3 (Q 0.6) carrying field a:
	//   E1: O2 best = 0.6 → 4 × (0.75 × 0.625 + 0.25 × (0.625 + 0.6) / 2) = 2.4875
	//   E2: 4 × 0.6 = 2.4 (now visible)
	//   threat: (2.4875 + 2.4 + 2.4 + 0) / 4 = 1.821875; gain 1.821875 − 1.146875 = 0.675
	if r.Sensor != "Z" || !near(float64(r.Gain), 0.675) || !near(float64(r.Score), 1.821875) || r.NewlyVisible != 1 {
		t.Errorf("recommendation = %+v, want Z +0.675 → 1.821875 with 1 newly visible", r)
	}
	if a.Threats[0].BestAddition == nil || a.Threats[0].BestAddition.Sensor != "Z" {
		t.Errorf("best addition = %+v, want Z", a.Threats[0].BestAddition)
	}
}

func TestGreedyPicksLargestGainFirst(t *testing.T) {
	t.Parallel()
	// One event, two observations, neither sensor present. Adding A lights the
	// observation shared by two events; adding B lights one event only.
	th := &tds.Threat{Name: "g", Version: "1.0.0", Statement: "s", Surfaces: []tds.Surface{{Name: "s", Category: "c",
		Events: []tds.Event{
			{Name: "e1", Observations: []tds.Observation{{Name: "o", Sensors: []string{"A"}}}},
			{Name: "e2", Observations: []tds.Observation{{Name: "o", Sensors: []string{"A", "B"}}}},
			{Name: "e3", Observations: []tds.Observation{{Name: "o", Sensors: []string{"B"}}}},
			{Name: "e4", Observations: []tds.Observation{{Name: "o", Sensors: []string{"A"}}}},
		}}}}
	a := tds.Assess(tds.NewLibrary(th), tds.NewInventory())
	var got []string
	for _, r := range a.Recommendations {
		got = append(got, r.Sensor)
	}
	// A: events e1, e2, e4 reach 4 × 0.6 = 2.4 → mean 7.2/4 = 1.8.
	// Then B: e3 reaches 2.4 (e2 unchanged) → +0.6.
	if !reflect.DeepEqual(got, []string{"A", "B"}) || !near(float64(a.Recommendations[0].Gain), 1.8) ||
		!near(float64(a.Recommendations[1].Gain), 0.6) {
		t.Errorf("recommendations = %+v", a.Recommendations)
	}
}

func TestCaseTasksAndBlindSpots(t *testing.T) {
	t.Parallel()
	ts := tds.AssessThreat(handThreat(), handInventory())
	tasks := ts.CaseTasks()
	want := []string{
		"Check s: E1 in X, Y (fields a, b, c, d)",
		"Check s: E3 in W",
	}
	if !reflect.DeepEqual(tasks, want) {
		t.Errorf("case tasks = %q, want %q", tasks, want)
	}
	blind := ts.BlindSpots()
	if len(blind) != 2 ||
		blind[0] != `We cannot see "E2" on s (reconnaissance). Z would show it.` ||
		blind[1] != `We cannot see "E4" on other (unstaged). X is collected but does not list surface other.` {
		t.Errorf("blind spots = %q", blind)
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	a := tds.Assess(tds.NewLibrary(handThreat()), handInventory())
	s, err := a.Summary("HAND")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"hand 1.0.0: visibility 1.1/4, 2 of 4 events visible.",
		`First visible: delivery, "E1" on s (2.2/4, via X, Y).`,
		`Blind earlier: "E2" (reconnaissance): add Z.`,
		"Surfaces: s 1.5, other 0.0.",
		"Best log source to add: Z (+0.67).", // 0.675 in floating point is just below
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if _, err := a.Summary("nope"); err == nil || !strings.Contains(err.Error(), "known threats: hand") {
		t.Errorf("unknown threat error = %v", err)
	}
}

func TestNoObservationsScoresZero(t *testing.T) {
	t.Parallel()
	th := &tds.Threat{Name: "n", Surfaces: []tds.Surface{{Name: "s", Events: []tds.Event{{Name: "e"}}}}}
	ts := tds.AssessThreat(th, nil)
	if ts.Score != 0 || ts.FirstVisible != nil || len(ts.BlindBefore) != 1 {
		t.Errorf("got %+v", ts)
	}
}
