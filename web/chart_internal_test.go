package web

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
)

// Short durations keep their digits on the y axis: a chart of a few
// minutes is drawn in minutes, of a few seconds in seconds, and no label
// reads "0.00".
func TestChartsOfShortDurationsAreReadable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		points []float64 // hours
		unit   string
		labels []string
	}{
		{"hours", []float64{2.5, 7}, "hours", []string{"0", "2.5", "5", "7.5", "10"}},
		{"minutes", []float64{0.05, 0.2}, "minutes", []string{"0", "5", "10", "15", "20"}},
		{"seconds", []float64{2.0 / 3600, 0.5 / 3600}, "seconds", []string{"0", "0.5", "1", "1.5", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := lineChart{ID: "x", Title: "T", Unit: "hours", Labels: []string{"a", "b"},
				Series: []series{{Name: "HIGH", Points: tc.points}}}
			if got := c.ShownUnit(); got != tc.unit {
				t.Errorf("unit %q, want %q", got, tc.unit)
			}
			svg := string(c.SVG())
			var got []string
			for _, m := range regexp.MustCompile(`class="ylabel"[^>]*>([^<]*)<`).FindAllStringSubmatch(svg, -1) {
				got = append(got, m[1])
			}
			if strings.Join(got, " ") != strings.Join(tc.labels, " ") {
				t.Errorf("y labels %v, want %v", got, tc.labels)
			}
			if tc.points[0] != c.Series[0].Points[0] {
				t.Error("readable changed the chart it was given")
			}
		})
	}
	for v, want := range map[float64]string{0.0125: "0.0125", 0.5: "0.5", 2.25: "2.25", 12.5: "12.5", 150.4: "150", 3: "3"} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

// Each severity has its own colour and dashes whichever severities a chart
// shows (HIGH beside LOW used to be red beside orange), and the colours are
// far apart.
func TestSeverityLinesAreEasyToTellApart(t *testing.T) {
	fw := drone.DefaultFramework()
	classes := map[string]bool{}
	for _, sev := range fw.Severities {
		cl := seriesClass(fw, "severity", sev.Name)
		if cl == "" || classes[cl] {
			t.Fatalf("severity %s has class %q", sev.Name, cl)
		}
		classes[cl] = true
	}
	css, err := assets.ReadFile("static/console.css")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`\.(sev-line-\d) \{ --c: #([0-9a-f]{6}); --dash: ([^;]+); \}`)
	type style struct {
		rgb  [3]float64
		dash string
	}
	styles := map[string]style{}
	for _, m := range rule.FindAllStringSubmatch(string(css), -1) {
		var s style
		for i := range 3 {
			n, _ := strconv.ParseUint(m[2][2*i:2*i+2], 16, 8)
			s.rgb[i] = float64(n)
		}
		s.dash = m[3]
		styles[m[1]] = s
	}
	for cl := range classes {
		if _, ok := styles[cl]; !ok {
			t.Fatalf("no colour for %s in console.css", cl)
		}
	}
	for a, sa := range styles {
		for b, sb := range styles {
			if a >= b {
				continue
			}
			d := math.Sqrt(sq(sa.rgb[0]-sb.rgb[0]) + sq(sa.rgb[1]-sb.rgb[1]) + sq(sa.rgb[2]-sb.rgb[2]))
			if d < 100 || sa.dash == sb.dash {
				t.Errorf("%s and %s are too alike: colour distance %.0f, dashes %q and %q", a, b, d, sa.dash, sb.dash)
			}
		}
	}
	// A chart of HIGH and LOW only draws them in their own classes.
	c := lineChart{ID: "x", Unit: "hours", Labels: []string{"a"}, Series: []series{
		{Name: "HIGH", Class: seriesClass(fw, "severity", "HIGH"), Points: []float64{1}},
		{Name: "LOW", Class: seriesClass(fw, "severity", "LOW"), Points: []float64{2}}}}
	svg := string(c.SVG())
	if !strings.Contains(svg, `class="series sev-line-3"`) || !strings.Contains(svg, `class="series sev-line-1"`) {
		t.Errorf("HIGH and LOW not drawn in their classes:\n%s", svg)
	}
}

func sq(x float64) float64 { return x * x }
