package cortex

import (
	"fmt"
	"strings"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// levels orders Cortex's taxonomy levels, the worst last.
var levels = map[string]int{"info": 0, "safe": 1, "suspicious": 2, "malicious": 3}

// verdict says in drone's words what an analyzer's report says of an
// indicator: the worst level of its taxonomies, each taxonomy as a
// detail, and one line for people.
func verdict(analyzer string, typ ioc.Type, value string, r Report, link string) drone.Verdict {
	v := drone.Verdict{Source: "cortex/" + analyzer, Type: string(typ), Value: value, Link: link}
	worst := -1
	var parts []string
	for _, t := range r.Summary.Taxonomies {
		lvl := strings.ToLower(t.Level)
		if n, ok := levels[lvl]; ok && n > worst {
			worst, v.Level = n, lvl
		}
		if lvl != "info" {
			v.Known = true
		}
		v.Details = append(v.Details, t.String())
		parts = append(parts, t.String())
	}
	shown := ioc.Defang(typ, value)
	switch {
	case len(parts) == 0:
		v.Summary = fmt.Sprintf("%s — %s: nothing to report", shown, analyzer)
	case v.Level == "":
		v.Summary = fmt.Sprintf("%s — %s: %s", shown, analyzer, strings.Join(parts, ", "))
	default:
		v.Summary = fmt.Sprintf("%s — %s: %s (%s)", shown, analyzer, v.Level, strings.Join(parts, ", "))
	}
	return v
}
