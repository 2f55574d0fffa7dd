package tds

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// NavigatorVersion is the ATT&CK Navigator version layers are written for.
const NavigatorVersion = "5.1.0"

// Layer is an ATT&CK Navigator layer, format 4.5.
type Layer struct {
	// Name is the layer's title.
	Name string `json:"name"`
	// Description says what the scores mean.
	Description string `json:"description"`
	// Domain is always "enterprise-attack".
	Domain string `json:"domain"`
	// Versions are the ATT&CK, Navigator and layer format versions.
	Versions LayerVersions `json:"versions"`
	// Techniques are the scored techniques, sorted by id.
	Techniques []LayerTechnique `json:"techniques"`
	// Gradient colours scores from 0 (red) to 4 (green).
	Gradient Gradient `json:"gradient"`
	// LegendItems explain the colours.
	LegendItems []LegendItem `json:"legendItems"`
}

// LayerVersions are the versions a layer is written for.
type LayerVersions struct {
	// Attack is the ATT&CK version, e.g. "16".
	Attack string `json:"attack"`
	// Navigator is the Navigator version, e.g. "5.1.0".
	Navigator string `json:"navigator"`
	// Layer is the layer format version, "4.5".
	Layer string `json:"layer"`
}

// LayerTechnique is one technique of a layer.
type LayerTechnique struct {
	// TechniqueID is the ATT&CK id, e.g. "T1566.002".
	TechniqueID string `json:"techniqueID"`
	// Score is the best visibility of the events using the technique, 0-4.
	Score float64 `json:"score"`
	// Color is the colour of the score's band.
	Color string `json:"color"`
	// Comment names, per event, the score, the sources and the gaps.
	Comment string `json:"comment"`
	// Enabled is always true.
	Enabled bool `json:"enabled"`
	// Metadata lists the threats, sources and missing sensors.
	Metadata []LayerMetadata `json:"metadata"`
}

// LayerMetadata is a name and value shown with a technique.
type LayerMetadata struct {
	// Name labels the value.
	Name string `json:"name"`
	// Value is the text shown.
	Value string `json:"value"`
}

// Gradient maps scores to colours.
type Gradient struct {
	// Colors run from the lowest to the highest score.
	Colors []string `json:"colors"`
	// MinValue is the lowest score, 0.
	MinValue float64 `json:"minValue"`
	// MaxValue is the highest score, 4.
	MaxValue float64 `json:"maxValue"`
}

// LegendItem explains one colour.
type LegendItem struct {
	// Label describes the band.
	Label string `json:"label"`
	// Color is the band's colour.
	Color string `json:"color"`
}

// bands are the score bands of the layer, lowest first.
var bands = []struct {
	below float64
	label string
	color string
}{
	{1, "blind (0 to 1)", "#ff6666"},
	{2, "weak (1 to 2)", "#ffb366"},
	{3, "partial (2 to 3)", "#ffe766"},
	{math.Inf(1), "good (3 to 4)", "#8ec843"},
}

func bandColor(score float64) string {
	for _, b := range bands {
		if score < b.below {
			return b.color
		}
	}
	return bands[len(bands)-1].color
}

// techniqueUse is one event using a technique.
type techniqueUse struct {
	threat string
	es     *EventScore
}

// Navigator returns an ATT&CK Navigator layer of the assessment: each technique of
// the assessed threats scored with the best visibility of the events that use it,
// with comments naming each event's sources and gaps. Use Only for one threat.
func (a *Assessment) Navigator() *Layer {
	uses := map[string][]techniqueUse{}
	for _, ts := range a.Threats {
		for i := range ts.Events {
			for _, id := range ts.Events[i].Techniques {
				uses[id] = append(uses[id], techniqueUse{ts.Name, &ts.Events[i]})
			}
		}
	}
	ids := make([]string, 0, len(uses))
	for id := range uses {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	l := a.newLayer()
	for _, id := range ids {
		l.Techniques = append(l.Techniques, layerTechnique(id, uses[id]))
	}
	return l
}

func (a *Assessment) newLayer() *Layer {
	name := "DRONE TDS visibility"
	if len(a.Threats) == 1 {
		name += ": " + a.Threats[0].Name
	}
	if a.Inventory != "" {
		name += " (" + a.Inventory + ")"
	}
	l := &Layer{
		Name: name,
		Description: fmt.Sprintf("Visibility 0-4 of the threat definitions' events from %d log sources, "+
			"weighted by data quality and field coverage; a technique gets the best score of the events using it.", a.Sources),
		Domain:     "enterprise-attack",
		Versions:   LayerVersions{Attack: AttackVersion, Navigator: NavigatorVersion, Layer: "4.5"},
		Techniques: []LayerTechnique{},
		Gradient:   Gradient{Colors: []string{bands[0].color, bands[2].color, bands[3].color}, MinValue: 0, MaxValue: 4},
	}
	for _, b := range bands {
		l.LegendItems = append(l.LegendItems, LegendItem{Label: b.label, Color: b.color})
	}
	return l
}

func layerTechnique(id string, uses []techniqueUse) LayerTechnique {
	var best float64
	var lines, threats, sources, missing []string
	for _, u := range uses {
		best = math.Max(best, float64(u.es.Score))
		lines = append(lines, useComment(u))
		threats = appendUnique(threats, u.threat)
		for _, s := range bestSources(*u.es) {
			sources = appendUnique(sources, s)
		}
		for _, m := range u.es.Missing {
			missing = appendUnique(missing, m)
		}
	}
	score := math.Round(best*10) / 10
	md := []LayerMetadata{{Name: "threats", Value: strings.Join(threats, ", ")}}
	if len(sources) > 0 {
		md = append(md, LayerMetadata{Name: "sources", Value: strings.Join(sources, ", ")})
	}
	if len(missing) > 0 {
		md = append(md, LayerMetadata{Name: "missing sensors", Value: strings.Join(missing, ", ")})
	}
	return LayerTechnique{TechniqueID: id, Score: score, Color: bandColor(score),
		Comment: strings.Join(lines, "\n"), Enabled: true, Metadata: md}
}

// useComment describes one event's visibility and gaps in one line.
func useComment(u techniqueUse) string {
	es := u.es
	s := fmt.Sprintf("%s / %s: %s/4", u.threat, es.Event, es.Score)
	if src := bestSources(*es); len(src) > 0 {
		s += " via " + strings.Join(src, ", ")
	}
	var gaps []string
	if len(es.Missing) > 0 {
		gaps = append(gaps, "no "+orList(es.Missing))
	}
	for _, imp := range improvements(*es) {
		if !es.Visible || strings.Contains(imp, "lacks") {
			gaps = append(gaps, imp)
		}
	}
	if len(gaps) > 0 {
		s += "; gaps: " + strings.Join(gaps, "; ")
	}
	return s
}
