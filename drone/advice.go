package drone

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// EntryAdvice is the timeline entry holding what the threat library advises
// for a new incident.
const EntryAdvice = "advice"

// Advice is what Threat Driven Security says of an incident's category: the
// threats it corresponds to, the checks worth doing where the organisation
// can see, and the blind spots responders should know of.
type Advice struct {
	Threats    []string `json:"threats"`
	Tasks      []string `json:"tasks"`       // "Check <surface>: <event> in <sensors> (fields ...)"
	BlindSpots []string `json:"blind_spots"` // plain sentences
}

// Empty reports whether the advice says nothing.
func (a Advice) Empty() bool { return len(a.Threats) == 0 }

// Advisor gives advice for a category and sub-context; the tds package
// implements it from the threat library and the log-source inventory.
type Advisor interface {
	Advise(category, subContext string) Advice
}

// Advise returns the Advisor's advice for a category and sub-context, or
// none when no advisor is configured.
func (s *Service) Advise(category, subContext string) Advice {
	if s.Advisor == nil {
		return Advice{}
	}
	return s.Advisor.Advise(category, subContext)
}

// advise records the advisor's advice for a new incident on its timeline,
// where the case manager and the notifications find it.
func (s *Service) advise(ctx context.Context, tx Tx, inc *Incident, a Actor, o Origin) error {
	adv := s.Advise(inc.Category, inc.SubContext)
	if adv.Empty() {
		return nil
	}
	text := fmt.Sprintf("Threat Driven Security: %s; %d check(s), %d blind spot(s)",
		strings.Join(adv.Threats, ", "), len(adv.Tasks), len(adv.BlindSpots))
	return s.record(ctx, tx, inc, a, o, EntryAdvice, text, adv, nil)
}

// Advice returns the latest advice recorded on the incident's timeline.
func (r *Record) Advice() (Advice, bool) {
	for i := len(r.Timeline) - 1; i >= 0; i-- {
		if e := r.Timeline[i]; e.Kind == EntryAdvice {
			var adv Advice
			if err := json.Unmarshal(e.Data, &adv); err == nil {
				return adv, true
			}
		}
	}
	return Advice{}, false
}
