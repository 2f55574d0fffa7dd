package measure

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttp0/drone/drone"
)

// Metrics exposes the DRONE measures as Prometheus histograms (of every
// incident but the private ones, drone.Service.IsPrivate) and the
// messages sent per medium, all computed from the database at scrape time:
// they survive restarts and agree with drone report. (Failed and dead
// deliveries are River jobs, which drone_jobs already counts.)
type Metrics struct {
	svc *drone.Service
}

// Buckets of the duration histograms, in seconds: one minute to a month.
var durationBuckets = []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600,
	72 * 3600, 7 * 24 * 3600, 30 * 24 * 3600}

var durationDescs = map[string]*prometheus.Desc{
	"acknowledge": prometheus.NewDesc("drone_incident_time_to_acknowledge_seconds",
		"Time from declaration to acknowledgement, by severity.", []string{"severity"}, nil),
	"contain": prometheus.NewDesc("drone_incident_time_to_contain_seconds",
		"Time from declaration to containment, by severity.", []string{"severity"}, nil),
	"resolve": prometheus.NewDesc("drone_incident_time_to_resolve_seconds",
		"Time from declaration to resolution, by severity.", []string{"severity"}, nil),
}

var sentDesc = prometheus.NewDesc("drone_notify_messages_sent_total",
	"Notification messages sent, by medium.", []string{"medium"}, nil)

// NewMetrics returns the collector of the measures of the service's
// incidents and of the messages recorded as sent. Register it on drone
// serve's /metrics registry.
func NewMetrics(svc *drone.Service) *Metrics { return &Metrics{svc: svc} }

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- sentDesc
	for _, d := range durationDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m.collectSent(ctx, ch)
	m.collectDurations(ctx, ch)
}

// collectSent counts the recorded messages. A store that cannot answer
// is reported by the store's own collector.
func (m *Metrics) collectSent(ctx context.Context, ch chan<- prometheus.Metric) {
	counts, err := m.svc.DeliveryCounts(ctx)
	if err != nil {
		return
	}
	for medium, n := range counts {
		ch <- prometheus.MustNewConstMetric(sentDesc, prometheus.CounterValue, float64(n), medium)
	}
}

func (m *Metrics) collectDurations(ctx context.Context, ch chan<- prometheus.Metric) {
	incs, err := m.svc.Incidents(ctx, drone.IncidentFilter{Limit: maxReportIncidents})
	if err != nil {
		return // the store's own collector reports the database down
	}
	type hist struct {
		n      uint64
		sum    float64
		counts map[float64]uint64
	}
	hs := map[string]map[string]*hist{}
	observe := func(measure, sev string, d *time.Duration) {
		if d == nil {
			return
		}
		if hs[measure] == nil {
			hs[measure] = map[string]*hist{}
		}
		h := hs[measure][sev]
		if h == nil {
			h = &hist{counts: map[float64]uint64{}}
			hs[measure][sev] = h
		}
		s := d.Seconds()
		h.n++
		h.sum += s
		for _, b := range durationBuckets {
			if s <= b {
				h.counts[b]++
			}
		}
	}
	for _, inc := range incs {
		// /metrics is read by monitoring, cleared for no TLP: a private
		// incident stays out even of the histograms, where a lone CRITICAL
		// resolution time could tell that one happened.
		if m.svc.IsPrivate(inc) {
			continue
		}
		d := inc.Durations()
		sev := inc.SeverityName
		if sev == "" {
			sev = strconv.Itoa(inc.Severity)
		}
		observe("acknowledge", sev, d.Acknowledge)
		observe("contain", sev, d.Contain)
		observe("resolve", sev, d.Resolve)
	}
	for measure, bySev := range hs {
		for sev, h := range bySev {
			ch <- prometheus.MustNewConstHistogram(durationDescs[measure], h.n, h.sum, h.counts, sev)
		}
	}
}
