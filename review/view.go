package review

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// View is what the review template is given. Its strings are Markdown,
// already escaped where they hold what people typed, so that a template
// writes them as they are; Incident is there for templates that want more.
type View struct {
	Ref, Title                 string
	Category, Severity, Status string
	Resolution, Impact         string
	Tier, Zone, BusinessUnit   string
	TLP, PAP                   string
	Overview, Summary          string
	Declared, Resolved, Closed string // "2026-03-01 09:00 UTC", or ""
	DraftedAt, DraftedBy       string
	Version                    int // the version this draft will be
	Events                     []Event
	Indicators                 []IndicatorGroup
	IndicatorCount, IOCCount   int
	Measures                   []Measure
	Actions                    []Action
	Roles                      []Role
	People                     []Person
	Incident                   *drone.Incident
}

// Event is a key event of the timeline.
type Event struct {
	Time time.Time
	At   string // "03-01 09:05" in UTC
	Kind string // the entry kind
	What string // the sentence, escaped
}

// IndicatorGroup is the incident's indicators of one type, defanged.
type IndicatorGroup struct {
	Type   string
	Values []string // defanged, escaped, marked "(internal)" or "(IOC)"
}

// Measure is one of the DRONE measures with its target.
type Measure struct {
	Name   string // "Time to acknowledge"
	Value  string // "12m", or "not reached"
	Target string // "1h", or "" when none
	Met    string // "met", "missed" or ""
}

// Action is a follow-up action.
type Action struct {
	Ref, Text, Owner, Due, Status string
}

// Role is a role held on the incident.
type Role struct {
	Name, Who string
}

// Person is someone who acted on the incident, with what they did.
type Person struct {
	Who, Did string
}

// timeFormat is how the review writes an instant; reviews are read across
// time zones, so always in UTC.
const timeFormat = "2006-01-02 15:04 UTC"

// source is what a review is drafted from.
type source struct {
	inc      *drone.Incident
	timeline []drone.Entry
	obs      []drone.Observable
	actions  []*drone.FollowUp
	target   drone.Target
	author   drone.Actor
	now      time.Time
	version  int
}

// newView builds the template's data from what the review is drafted from.
func newView(src source) *View {
	inc := src.inc
	names := names(src.timeline)
	v := &View{Ref: inc.Ref(), Title: inline(inc.Title), Category: inline(category(inc)),
		Severity: fmt.Sprintf("%d %s", inc.Severity, inc.SeverityName), Status: string(inc.Status),
		Resolution: inc.Resolution, Impact: inc.Impact, Tier: inline(inc.Tier), Zone: inline(inc.Zone),
		BusinessUnit: inline(inc.BusinessUnit), TLP: inc.TLP, PAP: inc.PAP,
		Overview: block(inc.Overview), Summary: block(inc.Summary),
		Declared: stamp(&inc.DeclaredAt), Resolved: stamp(inc.ResolvedAt), Closed: stamp(inc.ClosedAt),
		DraftedAt: src.now.UTC().Format(timeFormat), DraftedBy: inline(src.author.String()),
		Version: src.version, Incident: inc}
	v.Events = keyEvents(src.timeline)
	v.Indicators, v.IndicatorCount, v.IOCCount = indicators(src.obs)
	v.Measures = measures(inc, src.target)
	v.Actions = actions(src.actions, names)
	v.Roles = roles(inc, names)
	v.People = people(src.timeline)
	return v
}

func category(inc *drone.Incident) string {
	s := inc.Category + " " + inc.CategoryName
	if inc.SubContext != "" {
		s += " - " + inc.SubContext
	}
	return s
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// names maps the identities seen on the timeline to display names, so
// that a lead ("slack:U024") reads as the person.
func names(timeline []drone.Entry) map[string]string {
	out := map[string]string{}
	for _, e := range timeline {
		if e.Actor.Name != "" {
			out[strings.ToLower(e.Actor.Identity())] = e.Actor.Name
		}
	}
	return out
}

// person writes an identity with the name it goes by, when known.
func person(identity string, names map[string]string) string {
	if identity == "" {
		return ""
	}
	if n, ok := names[strings.ToLower(identity)]; ok && n != identity {
		return inline(n + " (" + identity + ")")
	}
	return inline(identity)
}

// Kinds of timeline entries the chat integrations record for pinned
// messages: the data of "pinned" says {author, posted_at, text, link,
// ...}; an "unpinned" entry takes a pinned message out of the key events.
const (
	kindPinned   = "pinned"
	kindUnpinned = "unpinned"
	// kindRole is a role handed on (data {role, from, to}) or a person let
	// into a private incident.
	kindRole = "role"
)

// keyKinds are the entries a review's timeline keeps: the turns of the
// incident, not every indicator added (the indicators have a section).
var keyKinds = map[string]bool{
	drone.EntryDeclared: true, drone.EntryAcknowledged: true, drone.EntryLead: true, drone.EntryStatus: true,
	drone.EntryUpdate: true, drone.EntryReopened: true, drone.EntryReportable: true, drone.EntryReported: true,
	drone.EntryTargetMissed: true, kindRole: true,
}

// pinData is what the review reads of a pinned message's entry (the
// chat integrations' drone.PinnedMessage); every field may be missing.
type pinData struct {
	Platform string          `json:"platform"`
	Channel  string          `json:"channel"`
	ID       string          `json:"id"`
	Author   json.RawMessage `json:"author"` // an actor {name, id}, or a name
	PostedAt string          `json:"posted_at"`
	Text     string          `json:"text"`
	Link     string          `json:"link"`
}

// key identifies a pinned message between its pin and its unpin, whose
// data names the message but not its text.
func (p pinData) key() string {
	switch {
	case p.ID != "":
		return p.Platform + "\x00" + p.Channel + "\x00" + p.ID
	case p.Link != "":
		return p.Link
	}
	return p.author() + "\x00" + p.PostedAt + "\x00" + p.Text
}

// author is the name of the message's author.
func (p pinData) author() string {
	var name string
	if json.Unmarshal(p.Author, &name) == nil {
		return name
	}
	var a drone.Actor
	if json.Unmarshal(p.Author, &a) == nil {
		return a.String()
	}
	return ""
}

// keyEvents returns the key events of a timeline, oldest first: pinned
// messages at the time they were posted, unless unpinned since.
func keyEvents(timeline []drone.Entry) []Event {
	var out []Event
	pinned := map[string]int{} // pin key -> index in out
	removed := map[int]bool{}
	for _, e := range timeline {
		switch {
		case keyKinds[e.Kind]:
			out = append(out, Event{Time: e.At, Kind: e.Kind, What: inline(e.Text)})
		case e.Kind == kindPinned:
			var d pinData
			_ = json.Unmarshal(e.Data, &d) // a malformed pin still shows, by its entry's sentence
			pinned[d.key()] = len(out)
			out = append(out, pinEvent(e, d))
		case e.Kind == kindUnpinned:
			var d pinData
			if json.Unmarshal(e.Data, &d) == nil {
				if i, ok := pinned[d.key()]; ok {
					removed[i] = true
				}
			}
		}
	}
	kept := out[:0]
	for i, ev := range out {
		if !removed[i] {
			kept = append(kept, ev)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Time.Before(kept[j].Time) })
	for i := range kept {
		kept[i].At = kept[i].Time.UTC().Format("01-02 15:04")
	}
	return kept
}

// pinEvent writes a pinned message: who said what, linked to the message.
func pinEvent(e drone.Entry, d pinData) Event {
	at := e.At
	if t, err := time.Parse(time.RFC3339Nano, d.PostedAt); err == nil {
		at = t
	}
	what := e.Text
	if d.Text != "" {
		what = d.Text
		if who := d.author(); who != "" && who != ":" {
			what = who + ": " + d.Text
		}
	}
	what = "📌 " + inline(clip(what, 300))
	if link(d.Link) {
		what += " ([message](" + d.Link + "))"
	}
	return Event{Time: at, Kind: kindPinned, What: what}
}

// link reports whether s is a web link a review may point to: anything
// else (javascript:, a link with spaces or parentheses) would break the
// Markdown or worse.
func link(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) &&
		!strings.ContainsAny(s, " \t\n()<>[]\"'`")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// indicators groups the incident's indicators by type, in the order the
// types were first seen, defanged so that no one clicks them.
func indicators(obs []drone.Observable) (groups []IndicatorGroup, total, iocs int) {
	at := map[string]int{}
	for _, o := range obs {
		t := string(o.Type)
		i, ok := at[t]
		if !ok {
			i = len(groups)
			at[t] = i
			groups = append(groups, IndicatorGroup{Type: t})
		}
		val := "`" + strings.ReplaceAll(ioc.Defang(o.Type, o.Value), "`", "'") + "`"
		switch {
		case o.IOC:
			val += " (IOC)"
			iocs++
		case o.Internal:
			val += " (internal)"
		}
		groups[i].Values = append(groups[i].Values, val)
		total++
	}
	return groups, total, iocs
}

// measures are the times to acknowledge, contain and resolve, against the
// severity's targets.
func measures(inc *drone.Incident, t drone.Target) []Measure {
	d := inc.Durations()
	return []Measure{
		measure("Time to acknowledge", d.Acknowledge, t.Acknowledge),
		measure("Time to contain", d.Contain, 0),
		measure("Time to resolve", d.Resolve, t.Resolve),
	}
}

func measure(name string, got *time.Duration, target time.Duration) Measure {
	m := Measure{Name: name, Value: "not reached"}
	if target > 0 {
		m.Target = duration(target)
	}
	if got != nil {
		m.Value = duration(*got)
		if target > 0 {
			m.Met = "met"
			if *got > target {
				m.Met = "missed"
			}
		}
	}
	return m
}

// duration writes a duration as people read it: "2d 3h", "1h 5m", "40s".
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, secs := d/time.Minute, (d%time.Minute)/time.Second
	var parts []string
	for _, p := range []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {hours, "h"}, {mins, "m"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d%s", p.n, p.unit))
		}
	}
	if len(parts) == 0 || (len(parts) == 1 && days == 0 && hours == 0 && secs > 0) {
		parts = append(parts, fmt.Sprintf("%ds", secs))
	}
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, " ")
}

func actions(list []*drone.FollowUp, names map[string]string) []Action {
	out := make([]Action, 0, len(list))
	for _, a := range list {
		ac := Action{Ref: a.Ref(), Text: inline(a.Text), Owner: person(a.Owner, names), Status: string(a.Status)}
		if a.Due != nil {
			ac.Due = a.Due.UTC().Format("2006-01-02")
		}
		out = append(out, ac)
	}
	return out
}

// roles are the lead and the other roles held, by role name.
func roles(inc *drone.Incident, names map[string]string) []Role {
	var out []Role
	if inc.Lead != "" {
		out = append(out, Role{Name: "Lead", Who: person(inc.Lead, names)})
	}
	keys := make([]string, 0, len(inc.Roles))
	for k := range inc.Roles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, Role{Name: inline(k), Who: person(inc.Roles[k], names)})
	}
	return out
}

// did names what an entry of a kind says someone did, for "who did what";
// kinds not here (deliveries, references kept by integrations) are the
// machinery's, not people's.
var did = map[string]string{
	drone.EntryDeclared: "declared", drone.EntryAcknowledged: "acknowledged", drone.EntryLead: "named the lead",
	drone.EntryStatus: "changed the status", drone.EntryUpdate: "posted updates", drone.EntryReopened: "reopened",
	drone.EntryObservables: "added indicators", drone.EntryAction: "added follow-up actions",
	drone.EntryActionUpdated: "updated follow-up actions", kindPinned: "pinned messages",
	drone.EntryReportable: "marked it reportable", drone.EntryReported: "reported it", kindRole: "handed on roles",
}

// people says who did what, in the order people first acted, each deed
// once with how often.
func people(timeline []drone.Entry) []Person {
	type tally struct {
		who   string
		order []string
		count map[string]int
	}
	var list []*tally
	by := map[string]*tally{}
	for _, e := range timeline {
		deed, ok := did[e.Kind]
		if !ok || e.Actor.Platform == "" {
			continue
		}
		id := strings.ToLower(e.Actor.Identity())
		t := by[id]
		if t == nil {
			t = &tally{who: e.Actor.String(), count: map[string]int{}}
			by[id] = t
			list = append(list, t)
		}
		if t.count[deed] == 0 {
			t.order = append(t.order, deed)
		}
		t.count[deed]++
	}
	out := make([]Person, 0, len(list))
	for _, t := range list {
		deeds := make([]string, len(t.order))
		for i, d := range t.order {
			deeds[i] = d
			if n := t.count[d]; n > 1 {
				deeds[i] = fmt.Sprintf("%s (%d)", d, n)
			}
		}
		out = append(out, Person{Who: inline(t.who), Did: strings.Join(deeds, ", ")})
	}
	return out
}

// mdEscaper escapes what Markdown would read as formatting, code, raw
// HTML or a table's column in text people typed. Brackets stay as typed:
// a link needs "](", which escaped makes none, and the file reads well.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `\<`, `|`, `\|`,
	`~`, `\~`, `](`, `\](`, `][`, `\][`)

// inline is text people typed, as Markdown on one line.
func inline(s string) string {
	return lineStart(mdEscaper.Replace(strings.Join(strings.Fields(s), " ")))
}

// block is text people typed, as Markdown paragraphs: its lines kept,
// none read as a heading, list or quote.
func block(s string) string {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n")
	for i, l := range lines {
		lines[i] = lineStart(mdEscaper.Replace(strings.TrimSpace(l)))
	}
	return strings.Join(lines, "\n")
}

// lineStart escapes what would make a line a heading, a quote, a list
// item or a rule ("# x", "> x", "- x", "1. x", "==="): text may start a
// line of the review, or a list item's.
func lineStart(l string) string {
	if l == "" {
		return l
	}
	if strings.ContainsRune("#>-+=", rune(l[0])) {
		return `\` + l
	}
	if i := strings.IndexFunc(l, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && i < len(l) && (l[i] == '.' || l[i] == ')') {
		return l[:i] + `\` + l[i:]
	}
	return l
}
