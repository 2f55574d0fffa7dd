package tds

import (
	_ "embed"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// AttackVersion is the ATT&CK Enterprise version the shipped technique list and the
// Navigator layers refer to.
const AttackVersion = "16"

// AttackNotice is MITRE's copyright designation and licence, which must travel with
// the technique list and with any output that reproduces ATT&CK content.
const AttackNotice = "© 2026 The MITRE Corporation. This work is reproduced and distributed " +
	"with the permission of The MITRE Corporation. The MITRE Corporation (MITRE) hereby " +
	"grants you a non-exclusive, royalty-free license to use ATT&CK® for research, " +
	"development, and commercial purposes. Any copy you make for such purposes is " +
	"authorized provided that you reproduce MITRE's copyright designation and this " +
	"license in any such copy. MITRE ATT&CK and ATT&CK are registered trademarks of " +
	"The MITRE Corporation."

//go:embed attack_techniques.txt
var attackText string

// Technique is an ATT&CK Enterprise technique or sub-technique.
type Technique struct {
	// ID is the technique id, e.g. "T1566.002".
	ID string `json:"id"`
	// Name is the display name; a sub-technique's includes its parent's,
	// e.g. "Phishing: Spearphishing Link".
	Name string `json:"name"`
}

// techniqueIDRE is the form of an ATT&CK Enterprise technique id.
var techniqueIDRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// ValidTechniqueID reports whether id has the form of an ATT&CK technique id
// (T1566) or sub-technique id (T1566.001).
func ValidTechniqueID(id string) bool { return techniqueIDRE.MatchString(id) }

var techniques = sync.OnceValue(func() map[string]Technique {
	own := map[string]string{}
	for _, line := range strings.Split(attackText, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, name, _ := strings.Cut(line, "\t")
		own[id] = name
	}
	out := make(map[string]Technique, len(own))
	for id, name := range own {
		if parent, _, sub := strings.Cut(id, "."); sub {
			name = own[parent] + ": " + name
		}
		out[id] = Technique{ID: id, Name: name}
	}
	return out
})

// LookupTechnique returns the shipped technique with the given id.
func LookupTechnique(id string) (Technique, bool) {
	t, ok := techniques()[id]
	return t, ok
}

// KnownTechniques returns the shipped techniques sorted by id.
func KnownTechniques() []Technique {
	m := techniques()
	out := make([]Technique, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
