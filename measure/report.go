// Package measure keeps the DRONE measures: the report of a period (open
// incidents, targets missed, regulatory deadlines, times to acknowledge,
// contain and resolve), its Prometheus collector, the checks of the
// promised times and the regulatory clocks, with the reportable and
// reported commands. Missed targets and reminders are timeline entries
// (EntryTargetMissed, EntryReminder) that notify routes like any event;
// notify computes its digests and summaries here.
package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/ttp0/drone/drone"
)

// Report is the DRONE measures over a period: what is open, what opened
// and closed, the targets missed, the regulatory deadlines, and per
// severity, category, zone and business unit the mean and 90th percentile
// times to acknowledge, contain and resolve with the share within target.
// Digests, drone report and /drone summary all show one.
type Report struct {
	Org                string         `json:"organisation"`
	From               time.Time      `json:"from"`
	To                 time.Time      `json:"to"`
	Open               []IncidentLine `json:"open"`
	OpenBySeverity     []Count        `json:"open_by_severity"`
	OpenByBusinessUnit []Count        `json:"open_by_business_unit"`
	Opened             []IncidentLine `json:"opened"`
	Closed             []IncidentLine `json:"closed"`
	Missed             []Missed       `json:"targets_missed"`
	Deadlines          []Deadline     `json:"regulatory_deadlines"`
	// OverdueActions are the open follow-up actions past their due date at
	// the end of the period, of the incidents the report covers.
	OverdueActions []ActionLine `json:"overdue_actions"`
	Measures       []Dimension  `json:"measures"`
}

// ActionLine is a follow-up action as a report lists it.
type ActionLine struct {
	Ref      string    `json:"ref"`
	Incident string    `json:"incident"`
	Text     string    `json:"text"`
	Owner    string    `json:"owner,omitempty"`
	Due      time.Time `json:"due"`
}

// followUps is what a report reads of follow-up actions: drone.Service
// has it.
type followUps interface {
	FollowUps(ctx context.Context, f drone.FollowUpFilter) ([]*drone.FollowUp, error)
}

// IncidentLine is an incident as a report lists it.
type IncidentLine struct {
	Ref          string    `json:"ref"`
	Title        string    `json:"title"`
	Severity     string    `json:"severity"`
	Category     string    `json:"category"`
	Zone         string    `json:"zone,omitempty"`
	BusinessUnit string    `json:"business_unit,omitempty"`
	Status       string    `json:"status"`
	Lead         string    `json:"lead,omitempty"`
	TLP          string    `json:"tlp"`
	Resolution   string    `json:"resolution,omitempty"`
	Declared     time.Time `json:"declared_at"`
}

// Count is a number of incidents under a key.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// Missed is a promised time that passed.
type Missed struct {
	Ref    string    `json:"ref"`
	Target string    `json:"target"`
	Due    time.Time `json:"due"`
	At     time.Time `json:"recorded_at"`
}

// Deadline is where a reportable incident stands against one clock.
type Deadline struct {
	Ref   string    `json:"ref"`
	Clock string    `json:"clock"`
	Due   time.Time `json:"due"`
	State string    `json:"state"`
}

// Dimension groups the measures by one property of the incidents.
type Dimension struct {
	Name   string  `json:"name"`
	Groups []Group `json:"groups"`
}

// Group is the measures of the incidents sharing one value.
type Group struct {
	Key         string `json:"key"`
	Acknowledge Stat   `json:"acknowledge"`
	Contain     Stat   `json:"contain"`
	Resolve     Stat   `json:"resolve"`
}

// Stat summarises durations: how many, their mean and 90th percentile, and
// how many of those with a target met it.
type Stat struct {
	N        int
	Mean     time.Duration
	P90      time.Duration
	Targeted int
	Within   int
}

// Share returns the share within target, or -1 when none had a target.
func (s Stat) Share() float64 {
	if s.Targeted == 0 {
		return -1
	}
	return float64(s.Within) / float64(s.Targeted)
}

// String writes a stat as "12m / 40m / 80%", "—" when empty.
func (s Stat) String() string {
	if s.N == 0 {
		return "—"
	}
	out := Human(s.Mean) + " / " + Human(s.P90)
	if sh := s.Share(); sh >= 0 {
		out += fmt.Sprintf(" / %.0f%%", sh*100)
	}
	return out + fmt.Sprintf(" (n=%d)", s.N)
}

// MarshalJSON writes durations in seconds and the share as a fraction
// (null without targets).
func (s Stat) MarshalJSON() ([]byte, error) {
	var share *float64
	if v := s.Share(); v >= 0 {
		share = &v
	}
	return json.Marshal(struct {
		N      int      `json:"n"`
		Mean   float64  `json:"mean_seconds"`
		P90    float64  `json:"p90_seconds"`
		Within *float64 `json:"within_target"`
	}{s.N, s.Mean.Seconds(), s.P90.Seconds(), share})
}

// ReportInput says what a report covers.
type ReportInput struct {
	Org       string
	From, To  time.Time
	Now       time.Time
	Framework drone.Framework
	Targets   drone.Targets
	Clocks    []Clock
	// Include, when set, keeps only the incidents it accepts: a digest
	// covers what its target may see.
	Include func(*drone.Incident) bool
}

// maxReportIncidents bounds the incidents a report reads; a SOC's whole
// history fits many times over.
const maxReportIncidents = 100000

// BuildReport computes the report of the incidents in store.
func BuildReport(ctx context.Context, store drone.Reader, in ReportInput) (*Report, error) {
	all, err := store.Incidents(ctx, drone.IncidentFilter{Limit: maxReportIncidents})
	if err != nil {
		return nil, fmt.Errorf("reading incidents for the report: %w", err)
	}
	r := &Report{Org: in.Org, From: in.From.UTC(), To: in.To.UTC()}
	var kept []*drone.Incident
	for _, inc := range all {
		if in.Include == nil || in.Include(inc) {
			kept = append(kept, inc)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Number < kept[j].Number })
	within := func(t *time.Time) bool { return t != nil && !t.Before(r.From) && t.Before(r.To) }
	for _, inc := range kept {
		switch {
		case inc.Open() && inc.DeclaredAt.Before(r.To):
			r.Open = append(r.Open, line(inc))
		}
		if within(&inc.DeclaredAt) {
			r.Opened = append(r.Opened, line(inc))
		}
		if within(inc.ClosedAt) {
			r.Closed = append(r.Closed, line(inc))
		}
		if inc.Open() || !inc.UpdatedAt.Before(r.From) {
			if err := r.addMissed(ctx, store, inc); err != nil {
				return nil, err
			}
		}
		r.addDeadlines(inc, in.Clocks, in.Now)
	}
	sort.SliceStable(r.Open, func(i, j int) bool {
		return sevRank(in.Framework, r.Open[i].Severity) > sevRank(in.Framework, r.Open[j].Severity)
	})
	r.OpenBySeverity = countBy(r.Open, func(l IncidentLine) string { return l.Severity }, func(a, b string) bool {
		return sevRank(in.Framework, a) > sevRank(in.Framework, b)
	})
	r.OpenByBusinessUnit = countBy(r.Open, func(l IncidentLine) string { return orDash(l.BusinessUnit) }, func(a, b string) bool { return a < b })
	r.Measures = measures(kept, in.Targets, within)
	if fu, ok := store.(followUps); ok {
		if err := r.addOverdue(ctx, fu, kept); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addOverdue lists the open actions past due at the end of the period,
// only of the incidents kept: a digest shows no action of an incident its
// target may not see.
func (r *Report) addOverdue(ctx context.Context, fu followUps, kept []*drone.Incident) error {
	list, err := fu.FollowUps(ctx, drone.FollowUpFilter{Open: true, DueBefore: r.To})
	if err != nil {
		return fmt.Errorf("reading follow-up actions for the report: %w", err)
	}
	refs := make(map[string]string, len(kept))
	for _, inc := range kept {
		refs[inc.ID] = inc.Ref()
	}
	for _, ac := range list {
		ref, ok := refs[ac.IncidentID]
		if !ok || !ac.Overdue(r.To) {
			continue
		}
		r.OverdueActions = append(r.OverdueActions, ActionLine{Ref: ac.Ref(), Incident: ref, Text: ac.Text, Owner: ac.Owner, Due: ac.Due.UTC()})
	}
	return nil
}

func line(inc *drone.Incident) IncidentLine {
	return IncidentLine{Ref: inc.Ref(), Title: inc.Title, Severity: inc.SeverityName, Category: inc.Category + " " + inc.CategoryName,
		Zone: inc.Zone, BusinessUnit: inc.BusinessUnit, Status: string(inc.Status), Lead: inc.Lead, TLP: inc.TLP,
		Resolution: inc.Resolution, Declared: inc.DeclaredAt}
}

// missedData is the data of a target_missed entry.
type missedData struct {
	Target string    `json:"target"` // acknowledge, update, deadline
	Clock  string    `json:"clock,omitempty"`
	Due    time.Time `json:"due"`
}

// MissedTarget returns which promised time a target_missed entry records:
// acknowledge, update or deadline (a regulatory clock's), or "".
func MissedTarget(e drone.Entry) string {
	var d missedData
	if json.Unmarshal(e.Data, &d) != nil {
		return ""
	}
	return d.Target
}

func (m missedData) describe() string {
	switch m.Target {
	case "acknowledge":
		return "not acknowledged in time"
	case "update":
		return "status update overdue"
	case "deadline":
		return m.Clock + " reporting deadline passed"
	}
	return m.Target
}

func (r *Report) addMissed(ctx context.Context, store drone.Reader, inc *drone.Incident) error {
	tl, err := store.Timeline(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("reading %s's timeline: %w", inc.Ref(), err)
	}
	for _, e := range tl {
		if e.Kind != drone.EntryTargetMissed || e.At.Before(r.From) || !e.At.Before(r.To) {
			continue
		}
		var d missedData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			d.Target = e.Text
		}
		r.Missed = append(r.Missed, Missed{Ref: inc.Ref(), Target: d.describe(), Due: d.Due, At: e.At})
	}
	return nil
}

func (r *Report) addDeadlines(inc *drone.Incident, clocks []Clock, now time.Time) {
	aware, ok := inc.AwareAt()
	if !ok {
		return
	}
	for _, k := range clocks {
		due := aware.Add(k.Deadline)
		d := Deadline{Ref: inc.Ref(), Clock: k.Name, Due: due}
		reported, done := inc.ReportedAt(k.Name)
		switch {
		case done && !reported.After(due):
			d.State = "met, reported " + reported.UTC().Format("2006-01-02 15:04 MST")
		case done:
			d.State = "met late, reported " + reported.UTC().Format("2006-01-02 15:04 MST")
		case now.After(due):
			d.State = "MISSED: not reported"
		default:
			d.State = "open, due in " + Human(due.Sub(now))
		}
		if !done || (!reported.Before(r.From) && reported.Before(r.To)) {
			r.Deadlines = append(r.Deadlines, d)
		}
	}
}

func countBy(lines []IncidentLine, key func(IncidentLine) string, less func(a, b string) bool) []Count {
	n := map[string]int{}
	for _, l := range lines {
		n[key(l)]++
	}
	out := make([]Count, 0, len(n))
	for k, v := range n {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].Key, out[j].Key) })
	return out
}

func sevRank(fw drone.Framework, name string) int {
	c, err := fw.Severity(name)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(c.Code)
	return n
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// samples gathers the durations of one group.
type samples struct{ ack, contain, resolve []sample }

type sample struct {
	d      time.Duration
	target time.Duration // 0: none
}

// measures groups the durations reached within the period by each
// dimension: an incident counts for each step it reached in the period.
func measures(incs []*drone.Incident, targets drone.Targets, within func(*time.Time) bool) []Dimension {
	dims := []struct {
		name string
		key  func(*drone.Incident) string
	}{
		{"all", func(*drone.Incident) string { return "all incidents" }},
		{"severity", func(i *drone.Incident) string { return i.SeverityName }},
		{"category", func(i *drone.Incident) string { return i.Category + " " + i.CategoryName }},
		{"zone", func(i *drone.Incident) string { return orDash(i.Zone) }},
		{"business unit", func(i *drone.Incident) string { return orDash(i.BusinessUnit) }},
	}
	var out []Dimension
	for _, dim := range dims {
		groups := map[string]*samples{}
		for _, inc := range incs {
			t := targets[inc.Severity]
			d := inc.Durations()
			add := func(list *[]sample, at *time.Time, took *time.Duration, target time.Duration) {
				if within(at) && took != nil {
					*list = append(*list, sample{d: *took, target: target})
				}
			}
			g := groups[dim.key(inc)]
			if g == nil {
				g = &samples{}
			}
			add(&g.ack, inc.AcknowledgedAt, d.Acknowledge, t.Acknowledge)
			add(&g.contain, inc.ContainedAt, d.Contain, 0)
			add(&g.resolve, inc.ResolvedAt, d.Resolve, t.Resolve)
			if len(g.ack)+len(g.contain)+len(g.resolve) > 0 {
				groups[dim.key(inc)] = g
			}
		}
		if len(groups) == 0 {
			continue
		}
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := Dimension{Name: dim.name}
		for _, k := range keys {
			g := groups[k]
			d.Groups = append(d.Groups, Group{Key: k, Acknowledge: stat(g.ack), Contain: stat(g.contain), Resolve: stat(g.resolve)})
		}
		out = append(out, d)
	}
	return out
}

func stat(ss []sample) Stat {
	s := Stat{N: len(ss)}
	if s.N == 0 {
		return s
	}
	ds := make([]time.Duration, len(ss))
	var sum time.Duration
	for i, x := range ss {
		ds[i] = x.d
		sum += x.d
		if x.target > 0 {
			s.Targeted++
			if x.d <= x.target {
				s.Within++
			}
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	s.Mean = sum / time.Duration(s.N)
	// Nearest rank: the smallest value with at least 90% at or below it.
	s.P90 = ds[int(math.Ceil(0.9*float64(s.N)))-1]
	return s
}

// Human writes a duration as people say it: 45s, 12m, 3h20m, 2d4h.
func Human(d time.Duration) string {
	if d < 0 {
		return "-" + Human(-d)
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}
