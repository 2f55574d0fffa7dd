package notify

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/measure"
)

// View is what the templates render: the notice, and around it the
// incident, its plain-language summary, timeline and durations, or the
// report of a digest.
type View struct {
	Org       string
	SOC       string
	Notice    *drone.Notice
	Incident  *drone.Incident // nil for a digest
	Summary   Summary
	Timeline  []TimelineLine
	Durations []DurationLine
	Report    *measure.Report // digests only
	Now       time.Time
}

// Summary says an incident in plain language, for leaders and the close
// report: no indicator appears in it.
type Summary struct {
	What, Latest, Impact, Where, Status, Lead, NextUpdate, Severity, Resolution string
	// Roles names the incident's other role holders ("Scribe: Carol ·
	// Communications: Dan"), "" when nobody holds one.
	Roles string
}

// TimelineLine is one entry of the close report's timeline.
type TimelineLine struct {
	At   time.Time
	Text string
}

// DurationLine is one measure of the close report, against its target.
type DurationLine struct {
	Label, Value, Target string
	Met                  bool
}

// Redactor removes indicators from free text for leaders: what a responder
// typed in an overview or a summary ("blocked 203.0.113.7") becomes
// "blocked [an IP address]".
type Redactor struct{ Extractor drone.Extractor }

var typeWords = map[ioc.Type]string{ioc.IPv4: "an IP address", ioc.IPv6: "an IP address", ioc.CIDR: "a network",
	ioc.Domain: "a domain", ioc.URL: "a link", ioc.Email: "an e-mail address", ioc.MD5: "a file hash",
	ioc.SHA1: "a file hash", ioc.SHA256: "a file hash", ioc.SHA512: "a file hash", ioc.File: "a file name",
	ioc.Registry: "a registry key", ioc.UserName: "a user", ioc.Bitcoin: "a wallet"}

// Redact replaces each indicator in s by the words for its type.
func (r Redactor) Redact(s string) string {
	if r.Extractor == nil || strings.TrimSpace(s) == "" {
		return s
	}
	res := r.Extractor.Extract(s)
	raws := make([]ioc.Indicator, 0, len(res.Indicators))
	for _, ind := range res.Indicators {
		if _, ok := typeWords[ind.Type]; ok && ind.Raw != "" {
			raws = append(raws, ind)
		}
	}
	// Longest first, so that a URL goes before the domain inside it.
	sort.Slice(raws, func(i, j int) bool { return len(raws[i].Raw) > len(raws[j].Raw) })
	for _, ind := range raws {
		s = strings.ReplaceAll(s, ind.Raw, "["+typeWords[ind.Type]+"]")
	}
	return s
}

// NoticeInput is what a delivery's notice is built from.
type NoticeInput struct {
	Record   *drone.Record
	Event    string
	Seq      int64              // the timeline entry of the event
	Audience string             // drone.AudienceResponders or drone.AudienceLeaders
	Added    []drone.Observable // for EventIndicators: the indicators of the batch
	Now      time.Time
}

// BuildNotice builds the notice of an event for an audience: the headline
// is the event's own timeline entry; a batch of indicators lists only its
// own; leaders get the free text with its indicators removed.
func (r Redactor) BuildNotice(in NoticeInput) *drone.Notice {
	n := drone.BuildNotice(in.Record, "", in.Audience, in.Now)
	n.Kind = in.Event
	for _, e := range in.Record.Timeline {
		if e.Seq == in.Seq {
			n.Headline = e.Text
		}
	}
	if in.Event == EventIndicators {
		n.Headline = fmt.Sprintf("%d new indicator(s) on %s", len(in.Added), n.Ref)
		if in.Audience == drone.AudienceResponders {
			n.Sections = drone.Sections(in.Added)
		}
	}
	if in.Audience == drone.AudienceLeaders {
		n.Headline, n.Title = r.Redact(n.Headline), r.Redact(n.Title)
		n.Subject = r.Redact(n.Subject)
		n.Rows = summarise(in.Record, r.Redact).Rows()
		n.Sections, n.Actions = nil, nil
	}
	return n
}

// leaderKinds are the timeline entries a leader's close report shows.
var leaderKinds = []string{drone.EntryDeclared, drone.EntryAcknowledged, drone.EntryLead, drone.EntryStatus,
	drone.EntryUpdate, drone.EntryReopened, drone.EntryReportable, drone.EntryReported, drone.EntryTargetMissed}

// IncidentView returns the view of an incident's notice.
func (r Redactor) IncidentView(org, soc string, n *drone.Notice, rec *drone.Record, targets drone.Targets, now time.Time) *View {
	inc := rec.Incident
	leaders := n.Audience == drone.AudienceLeaders
	text := func(s string) string {
		if leaders {
			return r.Redact(s)
		}
		return s
	}
	v := &View{Org: org, SOC: soc, Notice: n, Incident: inc, Now: now, Summary: summarise(rec, text)}
	for _, e := range drone.InOrder(rec.Timeline) { // a pinned message at the time it was posted
		if e.Kind == drone.EntryDenied || (leaders && !slices.Contains(leaderKinds, e.Kind)) {
			continue
		}
		v.Timeline = append(v.Timeline, TimelineLine{At: e.OccurredAt(), Text: text(e.Text)})
	}
	v.Durations = durations(inc, targets[inc.Severity])
	return v
}

// Rows are the summary as a notice's rows, in the leaders' words: the
// chat media show a leaders' notice by its rows.
func (s Summary) Rows() []drone.Row {
	rows := []drone.Row{{Label: "What happened", Value: s.What}}
	if s.Latest != "" {
		rows = append(rows, drone.Row{Label: "Latest update", Value: s.Latest})
	}
	return append(rows, drone.Row{Label: "Business impact", Value: s.Impact}, drone.Row{Label: "Affected", Value: s.Where},
		drone.Row{Label: "Status", Value: s.Status}, drone.Row{Label: "Who leads", Value: s.Lead},
		drone.Row{Label: "Roles", Value: s.Roles},
		drone.Row{Label: "Next update", Value: s.NextUpdate}, drone.Row{Label: "Severity", Value: s.Severity})
}

func summarise(rec *drone.Record, text func(string) string) Summary {
	inc := rec.Incident
	s := Summary{What: text(inc.Overview), Latest: text(inc.Summary), Severity: inc.SeverityName,
		Lead: orText(leadName(rec), "not assigned yet"), Resolution: orText(inc.Resolution, "not resolved yet"),
		Roles: roleNames(rec)}
	switch inc.Impact {
	case "WithImpact":
		s.Impact = "yes: the incident affected the business"
	case "NoImpact":
		s.Impact = "none found"
	case "NotApplicable":
		s.Impact = "not applicable"
	default:
		s.Impact = "being assessed; severity " + inc.SeverityName
	}
	var where []string
	if inc.BusinessUnit != "" {
		where = append(where, "business unit "+inc.BusinessUnit)
	}
	if inc.Zone != "" {
		where = append(where, "zone "+inc.Zone)
	}
	s.Where = orText(strings.Join(where, ", "), "not known yet")
	switch inc.Status {
	case drone.StatusOpen:
		s.Status = "declared, waiting for a responder"
	case drone.StatusAcknowledged:
		s.Status = "a responder is working on it"
	case drone.StatusContained:
		s.Status = "contained: the threat is under control"
	case drone.StatusResolved:
		s.Status = "resolved"
	case drone.StatusClosed:
		s.Status = "closed as " + inc.Resolution
	}
	s.NextUpdate = "none planned"
	if inc.NextUpdateDue != nil && inc.Open() {
		s.NextUpdate = "by " + inc.NextUpdateDue.UTC().Format("2006-01-02 15:04 MST")
	}
	return s
}

// leadName is the lead as people know them: the display name the lead had
// on the timeline ("Alice Martin"), else the identity ("slack:U024BE7LH").
func leadName(rec *drone.Record) string { return personName(rec, rec.Incident.Lead) }

// personName is how people know an identity: the display name it had on
// the timeline, else the identity itself.
func personName(rec *drone.Record, id string) string {
	for i := len(rec.Timeline) - 1; i >= 0; i-- {
		if a := rec.Timeline[i].Actor; a.Identity() == id && a.Name != "" {
			return a.Name
		}
	}
	return id
}

// roleNames is the incident's role holders other than its lead, by name.
func roleNames(rec *drone.Record) string {
	var parts []string
	for _, r := range drone.IncidentRoles {
		if h := rec.Incident.Roles[r]; h != "" {
			parts = append(parts, drone.RoleLabel(r)+": "+personName(rec, h))
		}
	}
	return strings.Join(parts, " · ")
}

func durations(inc *drone.Incident, t drone.Target) []DurationLine {
	d := inc.Durations()
	var out []DurationLine
	add := func(label string, took *time.Duration, target time.Duration) {
		l := DurationLine{Label: label, Value: "not reached"}
		if took != nil {
			l.Value = measure.Human(*took)
		}
		if target > 0 {
			l.Target = measure.Human(target)
			l.Met = took != nil && *took <= target
		}
		out = append(out, l)
	}
	add("to acknowledge", d.Acknowledge, t.Acknowledge)
	add("to contain", d.Contain, 0)
	add("to resolve", d.Resolve, t.Resolve)
	if inc.ClosedAt != nil {
		total := inc.ClosedAt.Sub(inc.DeclaredAt)
		add("open in all", &total, 0)
	}
	return out
}

func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// DigestNotice is a report as a notice, for the media that render notices
// (a chat message) and for the e-mail subject.
func DigestNotice(r *measure.Report, audience string) *drone.Notice {
	n := &drone.Notice{Kind: EventDigest, Audience: audience, Title: r.Org + " incident digest",
		Subject: fmt.Sprintf("%s incident digest — %s", r.Org, r.To.Format("2006-01-02 15:04 MST")),
		Headline: fmt.Sprintf("%d open incident(s); %d opened, %d closed, %d target(s) missed since %s",
			len(r.Open), len(r.Opened), len(r.Closed), len(r.Missed), r.From.Format("2006-01-02 15:04 MST"))}
	for _, c := range r.OpenBySeverity {
		n.Rows = append(n.Rows, drone.Row{Label: "Open " + c.Key, Value: fmt.Sprint(c.N)})
	}
	for _, d := range r.Measures {
		if d.Name == "all" && len(d.Groups) == 1 {
			g := d.Groups[0]
			n.Rows = append(n.Rows, drone.Row{Label: "Time to acknowledge", Value: g.Acknowledge.String()},
				drone.Row{Label: "Time to contain", Value: g.Contain.String()},
				drone.Row{Label: "Time to resolve", Value: g.Resolve.String()})
		}
	}
	if len(r.Open) > 0 {
		s := drone.Section{Title: "Open incidents"}
		for _, l := range r.Open {
			s.Items = append(s.Items, drone.Item{Text: fmt.Sprintf("%s [%s] %s — %s", l.Ref, l.Severity, l.Title, l.Status)})
		}
		n.Sections = append(n.Sections, s)
	}
	if len(r.Missed) > 0 {
		s := drone.Section{Title: "Targets missed"}
		for _, m := range r.Missed {
			s.Items = append(s.Items, drone.Item{Text: m.Ref + " " + m.Target})
		}
		n.Sections = append(n.Sections, s)
	}
	if len(r.OverdueActions) > 0 {
		s := drone.Section{Title: "Overdue follow-up actions"}
		for _, ac := range r.OverdueActions {
			s.Items = append(s.Items, drone.Item{Text: fmt.Sprintf("%s (%s) %s — %s due %s", ac.Ref, ac.Incident, ac.Text,
				orText(ac.Owner, "no owner"), ac.Due.Format("2006-01-02"))})
		}
		n.Sections = append(n.Sections, s)
	}
	return n
}
