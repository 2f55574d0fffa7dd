package tds

import (
	"math"
	"sort"
	"strconv"
)

const (
	// VisibleAt is the event score (0-4) from which an event counts as visible.
	VisibleAt = 1.0
	// DefaultNominalQuality is the quality assumed, in every dimension, for a log
	// source that a recommendation adds.
	DefaultNominalQuality = 3
	// unknownQuality stands for a quality dimension rated 0 (unknown).
	unknownQuality = 2
	// fieldFloor is the field factor of a source that carries none of the needed fields.
	fieldFloor = 0.25
	// bestWeight is the weight of the best observation in an event's value; the mean
	// over all of the event's observations carries the rest.
	bestWeight = 0.75
)

// Score is a visibility score from 0 (blind) to 4 (full visibility).
type Score float64

// String formats the score with one decimal, e.g. "2.7".
func (s Score) String() string { return strconv.FormatFloat(float64(s), 'f', 1, 64) }

// Gain formats the score as a signed change with two decimals, e.g. "+0.25".
func (s Score) Gain() string { return "+" + strconv.FormatFloat(float64(s), 'f', 2, 64) }

// MarshalJSON writes the score rounded to two decimals, so output is stable.
func (s Score) MarshalJSON() ([]byte, error) { return round2(float64(s)), nil }

// Ratio is a share from 0 to 1, such as a quality factor or a field share.
type Ratio float64

// MarshalJSON writes the ratio rounded to two decimals, so output is stable.
func (r Ratio) MarshalJSON() ([]byte, error) { return round2(float64(r)), nil }

func round2(v float64) []byte {
	return []byte(strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64))
}

// Factor returns the quality weight of a source, from 0.2 to 1: the sum of the five
// dimensions divided by 25, where a dimension rated 0 (unknown) counts as 2. Unknown
// counts below the middle because quality nobody measured cannot be relied on, yet
// above a measured 1, which is known to be bad.
func (q Quality) Factor() float64 {
	sum := 0
	for _, v := range [...]int{q.DeviceCompleteness, q.DataFieldCompleteness, q.Timeliness, q.Consistency, q.Retention} {
		switch {
		case v <= 0:
			v = unknownQuality
		case v > 5:
			v = 5
		}
		sum += v
	}
	return float64(sum) / 25
}

// SourceHit is one inventory source seen through one observation of an event.
type SourceHit struct {
	// Observation is the observation of the definition.
	Observation string `json:"observation"`
	// Sensor is the sensor name used in the definition.
	Sensor string `json:"sensor"`
	// Source is the inventory's name for the source.
	Source string `json:"source"`
	// Quality is the source's quality factor, 0.2-1 (see Quality.Factor).
	Quality Ratio `json:"quality"`
	// FieldShare is the share of the observation's needed fields the source carries.
	FieldShare Ratio `json:"field_share"`
	// Value is what the source alone gives the observation, on the 0-4 scale.
	Value Score `json:"value"`
	// Lacking lists the needed fields the source does not carry.
	Lacking []string `json:"lacking_fields,omitempty"`
	// Detections is true when detection rules run on the source.
	Detections bool `json:"detections"`
}

// EventScore is the visibility of one event against an inventory.
//
// The score is computed in three steps (README.md explains why):
//
//	value(source, observation) = Q × F
//	    Q = (sum of the five quality dimensions, 0 counted as 2) / 25      (0.2 … 1)
//	    F = 0.25 + 0.75 × (needed fields the source carries / needed fields)
//	        (F = 1 when the observation needs no fields)
//	best(observation)          = the highest value among its sensors present in the
//	                             inventory and covering the event's surface (0 if none)
//	Score(event)               = 4 × (0.75 × max best + 0.25 × mean best)
//
// A source rated 5 everywhere that carries every needed field, seen through every
// observation, gives 4. Quality and fields both cap the score: a source of unknown
// quality with all the fields reaches at most 1.6, and a source carrying none of the
// fields at most 1. The mean term rewards seeing an event from several viewpoints
// without letting breadth dominate, as DeTT&CT's share of data components does. An
// event is visible from VisibleAt (1.0).
type EventScore struct {
	// Surface is the surface of the event.
	Surface string `json:"surface"`
	// Event is the event's name.
	Event string `json:"event"`
	// Stage is the event's stage, if set.
	Stage Stage `json:"stage,omitempty"`
	// Techniques are the event's ATT&CK techniques.
	Techniques []string `json:"techniques,omitempty"`
	// Fields are the log fields the event needs.
	Fields []string `json:"fields,omitempty"`
	// Score is the event's visibility, 0-4.
	Score Score `json:"score"`
	// Visible is true when Score reaches VisibleAt.
	Visible bool `json:"visible"`
	// Observations is the number of observations of the event.
	Observations int `json:"observations"`
	// Seen is the number of observations with at least one usable source.
	Seen int `json:"seen"`
	// Sources are the inventory sources that see the event.
	Sources []SourceHit `json:"sources,omitempty"`
	// Missing lists the sensors named by the definition that the inventory lacks.
	Missing []string `json:"missing,omitempty"`
	// OffSurface lists inventory sources named by the definition that do not cover
	// the event's surface.
	OffSurface []string `json:"off_surface,omitempty"`
	// Detections is true when a source that sees the event runs detections.
	Detections bool `json:"detections"`
}

// scorer scores events against an inventory plus hypothetical added sources.
type scorer struct {
	inv    *Inventory
	extra  map[string]*Source
	fields map[*Source]map[string]bool
}

func newScorer(inv *Inventory) *scorer {
	return &scorer{inv: inv, extra: map[string]*Source{}, fields: map[*Source]map[string]bool{}}
}

func (sc *scorer) lookup(sensor string) *Source {
	if s, ok := sc.extra[norm(sensor)]; ok {
		return s
	}
	return sc.inv.Lookup(sensor)
}

// fieldShare returns the share of needs that src carries, and the ones it lacks.
func (sc *scorer) fieldShare(src *Source, needs []string) (float64, []string) {
	if len(needs) == 0 {
		return 1, nil
	}
	have, ok := sc.fields[src]
	if !ok {
		have = make(map[string]bool, len(src.Fields))
		for _, f := range src.Fields {
			have[norm(f)] = true
		}
		sc.fields[src] = have
	}
	var lacking []string
	for _, f := range needs {
		if !have[norm(f)] {
			lacking = append(lacking, f)
		}
	}
	return float64(len(needs)-len(lacking)) / float64(len(needs)), lacking
}

func (sc *scorer) event(surface string, e *Event) EventScore {
	es := EventScore{Surface: surface, Event: e.Name, Stage: e.Stage, Techniques: e.Techniques,
		Fields: e.Metadata, Observations: len(e.Observations)}
	var best, sum float64
	for i := range e.Observations {
		b := sc.observation(&es, e, &e.Observations[i])
		sum += b
		best = math.Max(best, b)
		if b > 0 {
			es.Seen++
		}
	}
	if n := len(e.Observations); n > 0 {
		es.Score = Score(4 * (bestWeight*best + (1-bestWeight)*sum/float64(n)))
	}
	es.Visible = es.Score >= VisibleAt
	return es
}

// observation records the sources of one observation and returns its best value (0-1).
func (sc *scorer) observation(es *EventScore, e *Event, o *Observation) float64 {
	needs := o.Needs(e)
	best := 0.0
	for _, sensor := range o.Sensors {
		src := sc.lookup(sensor)
		switch {
		case src == nil:
			es.Missing = appendUnique(es.Missing, sensor)
		case !src.covers(es.Surface):
			es.OffSurface = appendUnique(es.OffSurface, src.Name)
		default:
			q := src.Quality.Factor()
			share, lacking := sc.fieldShare(src, needs)
			v := q * (fieldFloor + (1-fieldFloor)*share)
			es.Sources = append(es.Sources, SourceHit{Observation: o.Name, Sensor: sensor, Source: src.Name,
				Quality: Ratio(q), FieldShare: Ratio(share), Value: Score(4 * v), Lacking: lacking,
				Detections: src.Detections})
			es.Detections = es.Detections || src.Detections
			best = math.Max(best, v)
		}
	}
	return best
}

func appendUnique(list []string, s string) []string {
	k := norm(s)
	for _, x := range list {
		if norm(x) == k {
			return list
		}
	}
	return append(list, s)
}

// scenarioEvent is an event with its surface, in scenario order.
type scenarioEvent struct {
	surface *Surface
	event   *Event
	rank    int
}

// scenario orders a threat's events by stage rank, keeping file order among equals.
// An event without a stage takes the rank of the event before it in the file, so
// unstaged definitions keep their file order.
func scenario(t *Threat) []scenarioEvent {
	var out []scenarioEvent
	last := 0
	for si := range t.Surfaces {
		s := &t.Surfaces[si]
		for ei := range s.Events {
			e := &s.Events[ei]
			if r := e.Stage.Rank(); r > 0 {
				last = r
			}
			out = append(out, scenarioEvent{surface: s, event: e, rank: last})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out
}
