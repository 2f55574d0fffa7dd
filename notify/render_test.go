package notify

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/measure"
)

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	dronetest.Golden(t, filepath.Join("testdata", "golden", name), got)
}

var goldenNow = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

func goldenRecord() *drone.Record {
	rec := SampleRecord(drone.DefaultFramework(), goldenNow)
	rec.Incident.Number = 42
	rec.Incident.TLP = "AMBER"
	rec.Incident.Summary = "Blocked 203.0.113.7 at the proxy; resetting two passwords."
	rec.Incident.Roles = map[string]string{drone.RoleScribe: "slack:U2", drone.RoleCommunications: "slack:U3"}
	for i := range rec.Timeline {
		rec.Timeline[i].Text = strings.ReplaceAll(rec.Timeline[i].Text, "INC-0", "INC-42")
	}
	return rec
}

func TestTemplatesGolden(t *testing.T) {
	tpl, err := NewTemplates(nil)
	if err != nil {
		t.Fatal(err)
	}
	red := Redactor{Extractor: ioc.New(ioc.Options{InternalDomains: []string{"example.org"}})}
	closed := goldenRecord()
	inc := closed.Incident
	cont, res, end := inc.DeclaredAt.Add(2*time.Hour), inc.DeclaredAt.Add(5*time.Hour), inc.DeclaredAt.Add(6*time.Hour)
	inc.ContainedAt, inc.ResolvedAt, inc.ClosedAt = &cont, &res, &end
	inc.Status, inc.Resolution, inc.Impact, inc.NextUpdateDue = drone.StatusClosed, "TruePositive", "NoImpact", nil
	closed.Timeline = append(closed.Timeline, drone.Entry{Seq: 3, At: end, Kind: drone.EntryStatus,
		Text: "bob closed INC-42 as TruePositive (NoImpact): blocked login-examp1e.com"})
	for _, c := range []struct {
		file     string
		rec      *drone.Record
		event    string
		audience string
	}{
		{"sin", goldenRecord(), EventAcknowledged, drone.AudienceResponders},
		{"leader", goldenRecord(), EventAcknowledged, drone.AudienceLeaders},
		{"close", closed, EventClosed, drone.AudienceResponders},
		{"close-leaders", closed, EventClosed, drone.AudienceLeaders},
	} {
		n := red.BuildNotice(NoticeInput{Record: c.rec, Event: c.event, Seq: int64(len(c.rec.Timeline)), Audience: c.audience, Now: goldenNow})
		v := red.IncidentView("Example Org", "Example SOC", n, c.rec, drone.DefaultTargets(), goldenNow)
		text, html, err := tpl.Render(TemplateFor(c.event, c.audience), v)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.file+".txt", text)
		golden(t, c.file+".html", html)
		if c.audience == drone.AudienceLeaders {
			for _, raw := range []string{"203.0.113.7", "login-examp1e.com", "e3b0c442"} {
				if strings.Contains(string(text)+string(html), raw) {
					t.Errorf("%s: the leaders' message shows the indicator %s", c.file, raw)
				}
			}
		}
	}
	r := goldenReport()
	v := &View{Org: "Example Org", SOC: "Example SOC", Notice: DigestNotice(r, drone.AudienceLeaders), Report: r, Now: goldenNow}
	for _, f := range []struct{ format, file string }{{"text", "digest.txt"}, {"markdown", "digest.md"}, {"html", "digest.html"}} {
		b, err := tpl.RenderReport(f.format, v)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, f.file, b)
	}
}

func goldenReport() *measure.Report {
	min := func(m int) time.Duration { return time.Duration(m) * time.Minute }
	return &measure.Report{Org: "Example Org", From: goldenNow.Add(-24 * time.Hour), To: goldenNow,
		Open:               []measure.IncidentLine{{Ref: "INC-42", Title: "[ CAT1 HIGH ZONE-A T1 ] SALES : Intrusion - Phishing", Severity: "HIGH", Status: "acknowledged", Lead: "slack:U1"}},
		OpenBySeverity:     []measure.Count{{Key: "HIGH", N: 1}},
		OpenByBusinessUnit: []measure.Count{{Key: "SALES", N: 1}},
		Opened:             []measure.IncidentLine{{Ref: "INC-42", Severity: "HIGH"}},
		Closed:             []measure.IncidentLine{{Ref: "INC-40", Title: "Lost laptop", Severity: "LOW", Resolution: "TruePositive"}},
		Missed:             []measure.Missed{{Ref: "INC-41", Target: "status update overdue", Due: goldenNow.Add(-3 * time.Hour)}},
		Deadlines:          []measure.Deadline{{Ref: "INC-42", Clock: "GDPR", Due: goldenNow.Add(48 * time.Hour), State: "open, due in 2d"}},
		OverdueActions: []measure.ActionLine{{Ref: "ACT-7", Incident: "INC-40", Text: "Re-image the laptop & rotate <keys>", Owner: "slack:U2",
			Due: goldenNow.Add(-48 * time.Hour)}},
		Measures: []measure.Dimension{{Name: "severity", Groups: []measure.Group{
			{Key: "HIGH", Acknowledge: measure.Stat{N: 3, Mean: min(20), P90: min(45), Targeted: 3, Within: 2}, Resolve: measure.Stat{N: 1, Mean: min(300), P90: min(300), Targeted: 1, Within: 1}},
		}}},
	}
}

func TestOrganisationOverridesATemplate(t *testing.T) {
	tpl, err := NewTemplates(fstest.MapFS{"leader.txt.tmpl": {Data: []byte("Dear board: {{.Notice.Headline}}")}})
	if err != nil {
		t.Fatal(err)
	}
	rec := goldenRecord()
	n := Redactor{}.BuildNotice(NoticeInput{Record: rec, Event: EventAcknowledged, Seq: 2, Audience: drone.AudienceLeaders, Now: goldenNow})
	text, html, err := tpl.Render(TemplateLeader, Redactor{}.IncidentView("O", "S", n, rec, nil, goldenNow))
	if err != nil {
		t.Fatal(err)
	}
	if string(text) != "Dear board: drone acknowledged INC-42" || !strings.Contains(string(html), "What happened") {
		t.Fatalf("text %q; the HTML should stay the shipped one", text)
	}
	if _, err := NewTemplates(fstest.MapFS{"sin.txt.tmpl": {Data: []byte("{{.Nope")}}); err == nil {
		t.Fatal("a broken override was accepted")
	}
}
