package tds

import (
	"fmt"
	"sort"
	"strings"
)

// ForIncident returns the threats mapped to a DRONE category (code such as "CAT1" or
// name such as "Intrusion") and sub-context, ignoring case. An empty sub-context
// matches the whole category; a mapping without sub-contexts matches any.
func (lib *Library) ForIncident(category, subContext string) []*Threat {
	code := category
	if c, ok := findCategory(category); ok {
		code = c.Code
	}
	var out []*Threat
	for _, t := range lib.Threats {
		if t.mapsTo(code, subContext) {
			out = append(out, t)
		}
	}
	return out
}

func (t *Threat) mapsTo(code, subContext string) bool {
	for _, m := range t.Categories {
		if norm(m.Category) != norm(code) {
			continue
		}
		if subContext == "" || len(m.SubContexts) == 0 {
			return true
		}
		for _, sc := range m.SubContexts {
			if norm(sc) == norm(subContext) {
				return true
			}
		}
	}
	return false
}

// CaseTasks returns one case task per visible event, in scenario order:
// "Check <surface>: <event> in <sources> (fields ...)". The sources are the
// inventory's names, best first; the fields are the event's needed fields that those
// sources carry.
func (ts *ThreatScore) CaseTasks() []string {
	var out []string
	for _, es := range ts.Events {
		if !es.Visible {
			continue
		}
		task := fmt.Sprintf("Check %s: %s in %s", es.Surface, es.Event, strings.Join(bestSources(es), ", "))
		if f := carriedFields(es); len(f) > 0 {
			task += " (fields " + strings.Join(f, ", ") + ")"
		}
		out = append(out, task)
	}
	return out
}

// bestSources returns the distinct sources of an event, highest value first.
func bestSources(es EventScore) []string {
	hits := append([]SourceHit(nil), es.Sources...)
	sortHits(hits)
	var out []string
	for _, h := range hits {
		out = appendUnique(out, h.Source)
	}
	return out
}

func sortHits(hits []SourceHit) {
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Value > hits[j].Value })
}

// carriedFields returns the event's fields carried by at least one of its sources.
func carriedFields(es EventScore) []string {
	var out []string
	for _, f := range es.Fields {
		for _, h := range es.Sources {
			if !containsNorm(h.Lacking, f) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func containsNorm(list []string, s string) bool {
	k := norm(s)
	for _, x := range list {
		if norm(x) == k {
			return true
		}
	}
	return false
}

// BlindSpots describes, one plain sentence each, the events of the threat that the
// inventory cannot see, for a notification.
func (ts *ThreatScore) BlindSpots() []string {
	var out []string
	for _, es := range ts.Events {
		if es.Visible {
			continue
		}
		s := fmt.Sprintf("We cannot see %q on %s (%s).", es.Event, es.Surface, es.Stage.Label())
		if len(es.Missing) > 0 {
			s += fmt.Sprintf(" %s would show it.", orList(es.Missing))
		}
		for _, why := range improvements(es) {
			src, reason, _ := strings.Cut(why, ": ")
			s += fmt.Sprintf(" %s is collected but %s.", src, reason)
		}
		out = append(out, s)
	}
	return out
}

// orList joins names as "A", "A or B", "A, B or C".
func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Summary returns a short plain-text visibility summary of the threat for chat.
func (ts *ThreatScore) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: visibility %s/4, %d of %d events visible.\n", ts.Name, ts.Version, ts.Score, ts.Visible, len(ts.Events))
	if ts.Statement != "" {
		fmt.Fprintf(&b, "Scenario: %s\n", ts.Statement)
	}
	if ts.FirstVisible != nil {
		es := ts.event(ts.FirstVisible.Event)
		fmt.Fprintf(&b, "First visible: %s, %q on %s (%s/4, via %s).\n", ts.FirstVisible.Stage.Label(),
			es.Event, es.Surface, es.Score, strings.Join(bestSources(es), ", "))
	} else {
		b.WriteString("No event of this threat is visible.\n")
	}
	for _, be := range ts.BlindBefore {
		fmt.Fprintf(&b, "Blind earlier: %q (%s)%s.\n", be.Event, be.Stage.Label(), lightUp(be))
	}
	parts := make([]string, len(ts.Surfaces))
	for i, s := range ts.Surfaces {
		parts[i] = fmt.Sprintf("%s %s", s.Name, s.Score)
	}
	fmt.Fprintf(&b, "Surfaces: %s.\n", strings.Join(parts, ", "))
	if r := ts.BestAddition; r != nil {
		fmt.Fprintf(&b, "Best log source to add: %s (%s).\n", r.Sensor, r.Gain.Gain())
	}
	return b.String()
}

func lightUp(be BlindEvent) string {
	var parts []string
	if len(be.Add) > 0 {
		parts = append(parts, "add "+orList(be.Add))
	}
	for _, imp := range be.Improve {
		parts = append(parts, "improve "+imp)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

func (ts *ThreatScore) event(name string) EventScore {
	for _, es := range ts.Events {
		if es.Event == name {
			return es
		}
	}
	return EventScore{}
}
