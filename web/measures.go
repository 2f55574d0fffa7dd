package web

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
)

// span is a choice of the measures page: how far back, in how many buckets.
type span struct {
	Key, Label string
	Bucket     time.Duration
	N          int
	Format     string // of a bucket's label
}

var spans = []span{
	{"30d", "30 days, by day", 24 * time.Hour, 30, "Jan 2"},
	{"12w", "12 weeks, by week", 7 * 24 * time.Hour, 12, "Jan 2"},
	{"12m", "12 months, by 30 days", 30 * 24 * time.Hour, 12, "Jan 2006"},
}

// dimensions the charts may group by: two of the report's own.
var dimensions = []string{"severity", "category"}

type measuresData struct {
	Span       span
	Spans      []span
	By         string
	Dimensions []string
	Report     *measure.Report
	Charts     []lineChart
	Missed     barChart
	Table      *measure.Dimension
	Deadlines  []deadline
	Clocks     []measure.Clock
	Clearance  string
}

// deadline is a regulatory deadline with the time left, for the page.
type deadline struct {
	measure.Deadline
	Number int64
	Left   string
	Late   bool
}

// measures shows the DRONE measures (times to acknowledge, contain and
// resolve, and the targets missed) over time as charts per severity or
// category, and the regulatory clocks running. Every figure comes from
// measure.BuildReport, the report of the digests and drone report, over
// the incidents within the user's clearance.
func (c *Console) measures(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	if err := c.index.ensure(ctx); err != nil {
		c.internal(w, r, u, err)
		return
	}
	q := r.URL.Query()
	d := measuresData{Span: spans[1], Spans: spans, By: "severity", Dimensions: dimensions, Clocks: c.clocks, Clearance: u.acc.Clearance}
	for _, s := range spans {
		if s.Key == q.Get("span") {
			d.Span = s
		}
	}
	if q.Get("by") == "category" {
		d.By = "category"
	}
	now := c.now().UTC()
	rd := &reportReader{c: c, timelines: map[string][]drone.Entry{}}
	include := func(inc *drone.Incident) bool { return c.sees(u, inc) }
	in := measure.ReportInput{Org: c.org, Now: now, Framework: c.svc.Framework, Targets: c.svc.Targets, Clocks: c.clocks, Include: include}
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-time.Duration(d.Span.N) * d.Span.Bucket)
	in.From, in.To = start, end
	var err error
	if d.Report, err = measure.BuildReport(ctx, rd, in); err != nil {
		c.internal(w, r, u, err)
		return
	}
	// One report per bucket, each the same computation over its period.
	labels := make([]string, d.Span.N)
	buckets := make([]*measure.Report, d.Span.N)
	for i := range d.Span.N {
		in.From = start.Add(time.Duration(i) * d.Span.Bucket)
		in.To = in.From.Add(d.Span.Bucket)
		labels[i] = in.From.Format(d.Span.Format)
		if buckets[i], err = measure.BuildReport(ctx, rd, in); err != nil {
			c.internal(w, r, u, err)
			return
		}
	}
	d.Charts = timeCharts(c.svc.Framework, d.By, labels, buckets, c.seriesKeys(d.By, d.Report))
	d.Missed = barChart{ID: "missed", Title: "Targets missed", Labels: labels, Values: make([]int, len(buckets))}
	for i, b := range buckets {
		d.Missed.Values[i] = len(b.Missed)
	}
	for _, dim := range d.Report.Measures {
		if dim.Name == d.By {
			d.Table = &dim
		}
	}
	for _, dl := range d.Report.Deadlines {
		x := deadline{Deadline: dl}
		if n, err := drone.ParseRef(dl.Ref); err == nil {
			x.Number = n
		}
		if left := dl.Due.Sub(now); left >= 0 {
			x.Left = measure.Human(left)
		} else {
			x.Late = true
			x.Left = "passed " + measure.Human(-left) + " ago"
		}
		d.Deadlines = append(d.Deadlines, x)
	}
	c.render(w, r, u, http.StatusOK, "measures", "Measures", d)
}

// seriesKeys are the groups of the dimension, in the framework's order
// (most severe first) and only those with data in the span.
func (c *Console) seriesKeys(by string, whole *measure.Report) []string {
	have := map[string]bool{}
	for _, dim := range whole.Measures {
		if dim.Name == by {
			for _, g := range dim.Groups {
				have[g.Key] = true
			}
		}
	}
	var keys []string
	fw := c.svc.Framework
	if by == "severity" {
		for i := len(fw.Severities) - 1; i >= 0; i-- {
			if have[fw.Severities[i].Name] {
				keys = append(keys, fw.Severities[i].Name)
			}
		}
		return keys
	}
	for _, cat := range fw.Categories {
		if k := cat.Code + " " + cat.Name; have[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// timeCharts are the mean times to acknowledge, contain and resolve per
// bucket, one line per group of the dimension, in hours.
func timeCharts(fw drone.Framework, by string, labels []string, buckets []*measure.Report, keys []string) []lineChart {
	measures := []struct {
		id, title string
		stat      func(measure.Group) measure.Stat
	}{
		{"mtta", "Mean time to acknowledge", func(g measure.Group) measure.Stat { return g.Acknowledge }},
		{"mttc", "Mean time to contain", func(g measure.Group) measure.Stat { return g.Contain }},
		{"mttr", "Mean time to resolve", func(g measure.Group) measure.Stat { return g.Resolve }},
	}
	var charts []lineChart
	for _, m := range measures {
		ch := lineChart{ID: m.id, Title: m.title + " by " + by, Unit: "hours", Labels: labels}
		for _, k := range keys {
			s := series{Name: k, Class: seriesClass(fw, by, k), Points: make([]float64, len(buckets))}
			for i, b := range buckets {
				s.Points[i] = math.NaN()
				for _, dim := range b.Measures {
					if dim.Name != by {
						continue
					}
					for _, g := range dim.Groups {
						if st := m.stat(g); g.Key == k && st.N > 0 {
							s.Points[i] = st.Mean.Hours()
						}
					}
				}
			}
			ch.Series = append(ch.Series, s)
		}
		charts = append(charts, ch)
	}
	return charts
}

// reportReader serves measure.BuildReport from the console's index, with
// the timelines it asks for read once per page.
type reportReader struct {
	c         *Console
	mu        sync.Mutex
	timelines map[string][]drone.Entry
}

var _ drone.Reader = (*reportReader)(nil)

func (rr *reportReader) Incident(ctx context.Context, n int64) (*drone.Incident, error) {
	return rr.c.svc.Incident(ctx, n)
}

func (rr *reportReader) IncidentByID(ctx context.Context, id string) (*drone.Incident, error) {
	return rr.c.svc.IncidentByID(ctx, id)
}

// Incidents returns every incident of the index; the report's Include
// filter keeps those the user may see.
func (rr *reportReader) Incidents(ctx context.Context, f drone.IncidentFilter) ([]*drone.Incident, error) {
	var out []*drone.Incident
	rr.c.index.each(func(inc *drone.Incident) bool {
		out = append(out, inc)
		return f.Limit <= 0 || len(out) < f.Limit
	})
	return out, nil
}

func (rr *reportReader) Observables(ctx context.Context, id string) ([]drone.Observable, error) {
	return rr.c.svc.Observables(ctx, id)
}

func (rr *reportReader) Timeline(ctx context.Context, id string) ([]drone.Entry, error) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if tl, ok := rr.timelines[id]; ok {
		return tl, nil
	}
	tl, err := rr.c.svc.Timeline(ctx, id)
	if err == nil {
		rr.timelines[id] = tl
	}
	return tl, err
}
