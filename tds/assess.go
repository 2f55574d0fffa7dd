package tds

import (
	"fmt"
	"sort"
	"strings"
)

// Assessment is the visibility of a library of threats against an inventory.
type Assessment struct {
	// Inventory names the inventory assessed, if it has a name.
	Inventory string `json:"inventory,omitempty"`
	// Sources is the number of sources in the inventory.
	Sources int `json:"sources"`
	// NominalQuality is the quality assumed for recommended sources.
	NominalQuality int `json:"nominal_quality"`
	// Score is the library's visibility: the mean of the threat scores, 0-4.
	Score Score `json:"score"`
	// Threats are the threats' scores, sorted by name.
	Threats []*ThreatScore `json:"threats"`
	// Recommendations are the log sources to add, best first (greedy).
	Recommendations []Recommendation `json:"recommendations,omitempty"`
	// Notes point at inventory entries that match nothing in the library.
	Notes []string `json:"notes,omitempty"`
}

// ThreatScore is the visibility of one threat against an inventory.
type ThreatScore struct {
	// Threat is the definition assessed.
	Threat *Threat `json:"-"`
	// Name is the threat's name.
	Name string `json:"name"`
	// Version is the definition's version.
	Version string `json:"version"`
	// Statement is the scenario.
	Statement string `json:"statement"`
	// Score is the mean of the event scores, 0-4.
	Score Score `json:"score"`
	// Visible is the number of visible events.
	Visible int `json:"visible_events"`
	// Surfaces are the scores per surface, in the order of the definition.
	Surfaces []SurfaceScore `json:"surfaces"`
	// Events are the event scores in scenario order (see Stage).
	Events []EventScore `json:"events"`
	// FirstVisible is the earliest visible event of the scenario, nil when none is.
	FirstVisible *EventRef `json:"first_visible,omitempty"`
	// BlindBefore are the blind events before FirstVisible (all events when nothing
	// is visible): where the threat could have been seen earlier.
	BlindBefore []BlindEvent `json:"blind_before,omitempty"`
	// BestAddition is the single log source that would raise this threat's score
	// most; its Gain is the rise of this threat's score.
	BestAddition *Recommendation `json:"best_addition,omitempty"`
}

// SurfaceScore aggregates the events of one surface of a threat.
type SurfaceScore struct {
	// Name is the surface's name.
	Name string `json:"name"`
	// Category is the surface's category.
	Category string `json:"category"`
	// Score is the mean of the surface's event scores, 0-4.
	Score Score `json:"score"`
	// Visible is the number of visible events on the surface.
	Visible int `json:"visible_events"`
	// Events is the number of events on the surface.
	Events int `json:"events"`
}

// EventRef names an event of a threat.
type EventRef struct {
	// Surface is the event's surface.
	Surface string `json:"surface"`
	// Event is the event's name.
	Event string `json:"event"`
	// Stage is the event's stage, if set.
	Stage Stage `json:"stage,omitempty"`
}

// BlindEvent is an event that cannot be seen, with what would light it up.
type BlindEvent struct {
	EventRef
	// Add lists the sensors named by the definition that the inventory lacks.
	Add []string `json:"add,omitempty"`
	// Improve describes the sources present but too weak, e.g.
	// "Firewall Logs: lacks url".
	Improve []string `json:"improve,omitempty"`
}

// Options tunes an assessment.
type Options struct {
	// MaxRecommendations caps the recommendations. Defaults to 5; negative means none.
	MaxRecommendations int
	// NominalQuality is the quality, 1-5 in every dimension, assumed for a
	// recommended source. Defaults to DefaultNominalQuality (3).
	NominalQuality int
}

func (o Options) withDefaults() Options {
	if o.MaxRecommendations == 0 {
		o.MaxRecommendations = 5
	}
	if o.NominalQuality <= 0 || o.NominalQuality > 5 {
		o.NominalQuality = DefaultNominalQuality
	}
	return o
}

// Assess scores every threat of the library against the inventory, with default
// options.
func Assess(lib *Library, inv *Inventory) *Assessment {
	return AssessWith(lib, inv, Options{})
}

// AssessWith scores every threat of the library against the inventory and
// recommends log sources to add.
func AssessWith(lib *Library, inv *Inventory, opts Options) *Assessment {
	opts = opts.withDefaults()
	if inv == nil {
		inv = NewInventory()
	}
	a := &Assessment{Inventory: inv.Name, Sources: len(inv.Sources), NominalQuality: opts.NominalQuality}
	sc := newScorer(inv)
	for _, t := range lib.Threats {
		ts := sc.threat(t)
		ts.BestAddition = bestAddition(inv, t, ts, opts.NominalQuality)
		a.Threats = append(a.Threats, ts)
	}
	a.Score = meanScore(a.Threats)
	if opts.MaxRecommendations > 0 {
		a.Recommendations = recommend(inv, lib.Threats, a.Threats, opts)
	}
	a.Notes = inventoryNotes(lib, inv)
	return a
}

// AssessThreat scores one threat against the inventory, with its best addition.
func AssessThreat(t *Threat, inv *Inventory) *ThreatScore {
	if inv == nil {
		inv = NewInventory()
	}
	ts := newScorer(inv).threat(t)
	ts.BestAddition = bestAddition(inv, t, ts, DefaultNominalQuality)
	return ts
}

func (sc *scorer) threat(t *Threat) *ThreatScore {
	ts := &ThreatScore{Threat: t, Name: t.Name, Version: t.Version, Statement: t.Statement}
	var sum float64
	for _, se := range scenario(t) {
		es := sc.event(se.surface.Name, se.event)
		sum += float64(es.Score)
		if es.Visible {
			ts.Visible++
		}
		ts.Events = append(ts.Events, es)
	}
	if len(ts.Events) > 0 {
		ts.Score = Score(sum / float64(len(ts.Events)))
	}
	ts.Surfaces = surfaceScores(t, ts.Events)
	ts.FirstVisible, ts.BlindBefore = earliest(ts.Events)
	return ts
}

func surfaceScores(t *Threat, events []EventScore) []SurfaceScore {
	out := make([]SurfaceScore, 0, len(t.Surfaces))
	for _, s := range t.Surfaces {
		ss := SurfaceScore{Name: s.Name, Category: s.Category}
		var sum float64
		for _, es := range events {
			if es.Surface == s.Name {
				ss.Events++
				sum += float64(es.Score)
				if es.Visible {
					ss.Visible++
				}
			}
		}
		if ss.Events > 0 {
			ss.Score = Score(sum / float64(ss.Events))
		}
		out = append(out, ss)
	}
	return out
}

// earliest returns the first visible event and the blind events before it.
func earliest(events []EventScore) (*EventRef, []BlindEvent) {
	var blind []BlindEvent
	for _, es := range events {
		ref := EventRef{Surface: es.Surface, Event: es.Event, Stage: es.Stage}
		if es.Visible {
			return &ref, blind
		}
		blind = append(blind, BlindEvent{EventRef: ref, Add: es.Missing, Improve: improvements(es)})
	}
	return nil, blind
}

// improvements describes why the sources present for a blind event fall short.
func improvements(es EventScore) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range es.Sources {
		if seen[h.Source] {
			continue
		}
		seen[h.Source] = true
		var why []string
		if len(h.Lacking) > 0 {
			why = append(why, "lacks "+strings.Join(h.Lacking, ", "))
		}
		if h.Quality < 0.6 {
			why = append(why, fmt.Sprintf("data quality %.0f%%", float64(h.Quality)*100))
		}
		if len(why) == 0 {
			why = append(why, "seen through too few observations")
		}
		out = append(out, h.Source+": "+strings.Join(why, "; "))
	}
	for _, s := range es.OffSurface {
		out = append(out, fmt.Sprintf("%s: does not list surface %s", s, es.Surface))
	}
	return out
}

func meanScore(threats []*ThreatScore) Score {
	if len(threats) == 0 {
		return 0
	}
	var sum float64
	for _, ts := range threats {
		sum += float64(ts.Score)
	}
	return Score(sum / float64(len(threats)))
}

// Threat returns the score of the threat with the given name, ignoring case; the
// error lists the known threats.
func (a *Assessment) Threat(name string) (*ThreatScore, error) {
	k := norm(name)
	for _, ts := range a.Threats {
		if norm(ts.Name) == k {
			return ts, nil
		}
	}
	names := make([]string, len(a.Threats))
	for i, ts := range a.Threats {
		names[i] = ts.Name
	}
	return nil, unknownThreat(name, names)
}

func unknownThreat(name string, names []string) error {
	sort.Strings(names)
	if len(names) == 0 {
		return fmt.Errorf("unknown threat %q: the library is empty", name)
	}
	return fmt.Errorf("unknown threat %q; known threats: %s", name, strings.Join(names, ", "))
}

// Only returns a copy of the assessment restricted to the named threat, for a
// per-threat report or Navigator layer. The library-wide recommendations are left
// out; the threat's BestAddition stays.
func (a *Assessment) Only(name string) (*Assessment, error) {
	ts, err := a.Threat(name)
	if err != nil {
		return nil, err
	}
	return &Assessment{Inventory: a.Inventory, Sources: a.Sources, NominalQuality: a.NominalQuality,
		Score: ts.Score, Threats: []*ThreatScore{ts}}, nil
}

// Summary returns the plain-text visibility summary of the named threat for chat.
func (a *Assessment) Summary(name string) (string, error) {
	ts, err := a.Threat(name)
	if err != nil {
		return "", err
	}
	return ts.Summary(), nil
}

// inventoryNotes points at sources no definition names and surfaces no definition uses.
func inventoryNotes(lib *Library, inv *Inventory) []string {
	named, surfaces := libraryUse(lib, inv)
	var unnamed, badSurface []string
	for i := range inv.Sources {
		src := &inv.Sources[i]
		if !named[src] {
			unnamed = append(unnamed, src.Name)
		}
		for _, s := range src.Surfaces {
			if !surfaces[norm(s)] {
				badSurface = append(badSurface, fmt.Sprintf("%s (%s)", src.Name, s))
			}
		}
	}
	var notes []string
	if len(unnamed) > 0 {
		notes = append(notes, fmt.Sprintf("%s no sensor of the library "+
			"(add the library's sensor names as aliases if they are the same): %s",
			plural(len(unnamed), "source matches", "sources match"), capList(unnamed, 10)))
	}
	if len(badSurface) > 0 {
		notes = append(notes, fmt.Sprintf("surfaces used by no definition, so these sources count nowhere for them: %s",
			capList(badSurface, 10)))
	}
	return notes
}

// libraryUse returns the inventory sources the library's sensors name, and the
// library's surfaces by normalised name.
func libraryUse(lib *Library, inv *Inventory) (map[*Source]bool, map[string]bool) {
	named, surfaces := map[*Source]bool{}, map[string]bool{}
	for _, t := range lib.Threats {
		for _, s := range t.Surfaces {
			surfaces[norm(s.Name)] = true
			for _, e := range s.Events {
				for _, o := range e.Observations {
					for _, sensor := range o.Sensors {
						if src := inv.Lookup(sensor); src != nil {
							named[src] = true
						}
					}
				}
			}
		}
	}
	return named, surfaces
}

// plural returns "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// capList joins at most n names and says how many more there are.
func capList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
