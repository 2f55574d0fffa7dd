package tds

import (
	"sort"
)

// Recommendation is a log source to add to the inventory and what it would bring.
// Added sources are assumed to have the nominal quality in every dimension and to
// carry every field the definitions ask of them, so the gain is what a typical
// deployment of the source would bring, not a measurement.
type Recommendation struct {
	// Sensor is the source to add, as the definitions name it.
	Sensor string `json:"sensor"`
	// Gain is the rise of the score (the library's, or the threat's for a
	// BestAddition), 0-4.
	Gain Score `json:"gain"`
	// Score is the score once this source and the ones before it are added.
	Score Score `json:"score"`
	// NewlyVisible is the number of events that become visible.
	NewlyVisible int `json:"newly_visible_events"`
	// Threats are the threats whose score rises.
	Threats []string `json:"threats"`
	// Fields are the fields the added source is assumed to carry.
	Fields []string `json:"fields,omitempty"`
}

// candidate is a sensor named by the library but absent from the inventory.
type candidate struct {
	name    string
	key     string
	fields  []string
	threats []int
	src     *Source
}

// candidates lists the sensors the threats name that the inventory lacks, by name.
func candidates(inv *Inventory, threats []*Threat) []*candidate {
	byKey := map[string]*candidate{}
	for ti, t := range threats {
		for _, s := range t.Surfaces {
			for ei := range s.Events {
				e := &s.Events[ei]
				for _, o := range e.Observations {
					for _, sensor := range o.Sensors {
						if k := norm(sensor); k != "" && inv.Lookup(sensor) == nil {
							addCandidate(byKey, k, sensor, ti, o.Needs(e))
						}
					}
				}
			}
		}
	}
	out := make([]*candidate, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func addCandidate(byKey map[string]*candidate, key, name string, threat int, needs []string) {
	c := byKey[key]
	if c == nil {
		c = &candidate{name: name, key: key}
		byKey[key] = c
	}
	if n := len(c.threats); n == 0 || c.threats[n-1] != threat {
		c.threats = append(c.threats, threat)
	}
	for _, f := range needs {
		c.fields = appendUnique(c.fields, f)
	}
}

// source returns the nominal source that adding the candidate would bring.
func (c *candidate) source(quality int) *Source {
	if c.src == nil {
		c.src = &Source{Name: c.name, Fields: c.fields, Quality: Quality{quality, quality, quality, quality, quality}}
	}
	return c.src
}

// recommend picks, greedily, the sources that raise the library score most.
func recommend(inv *Inventory, threats []*Threat, base []*ThreatScore, opts Options) []Recommendation {
	return greedy(inv, threats, base, opts.MaxRecommendations, opts.NominalQuality)
}

// bestAddition is the single source that raises one threat's score most.
func bestAddition(inv *Inventory, t *Threat, ts *ThreatScore, quality int) *Recommendation {
	recs := greedy(inv, []*Threat{t}, []*ThreatScore{ts}, 1, quality)
	if len(recs) == 0 {
		return nil
	}
	return &recs[0]
}

// greedy adds, up to max times, the candidate with the largest rise of the mean
// threat score, rescoring only the threats that name it. Ties go to the first name
// in alphabetical order.
func greedy(inv *Inventory, threats []*Threat, base []*ThreatScore, max, quality int) []Recommendation {
	sc := newScorer(inv)
	cur := append([]*ThreatScore(nil), base...)
	cands := candidates(inv, threats)
	used := map[string]bool{}
	var recs []Recommendation
	for len(recs) < max {
		best, scores, gain := pickBest(sc, threats, cur, cands, used, quality)
		if best == nil {
			break
		}
		used[best.key] = true
		sc.extra[best.key] = best.source(quality)
		rec := Recommendation{Sensor: best.name, Gain: Score(gain), Fields: best.fields}
		for ti, s := range scores {
			rec.NewlyVisible += s.Visible - cur[ti].Visible
			if s.Score > cur[ti].Score {
				rec.Threats = append(rec.Threats, s.Name)
			}
			cur[ti] = s
		}
		sort.Strings(rec.Threats)
		rec.Score = meanScore(cur)
		recs = append(recs, rec)
	}
	return recs
}

// pickBest tries every unused candidate and returns the one with the largest gain,
// the new scores of the threats it changes, and the gain.
func pickBest(sc *scorer, threats []*Threat, cur []*ThreatScore, cands []*candidate,
	used map[string]bool, quality int) (*candidate, map[int]*ThreatScore, float64) {
	var best *candidate
	var bestScores map[int]*ThreatScore
	bestGain := 1e-9
	for _, c := range cands {
		if used[c.key] {
			continue
		}
		sc.extra[c.key] = c.source(quality)
		scores := make(map[int]*ThreatScore, len(c.threats))
		var gain float64
		for _, ti := range c.threats {
			scores[ti] = sc.threat(threats[ti])
			gain += float64(scores[ti].Score - cur[ti].Score)
		}
		delete(sc.extra, c.key)
		gain /= float64(len(threats))
		if gain > bestGain {
			best, bestScores, bestGain = c, scores, gain
		}
	}
	return best, bestScores, bestGain
}
