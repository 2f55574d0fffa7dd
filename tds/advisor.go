package tds

import (
	"context"
	"strings"

	"github.com/ttp0/drone/drone"
)

// Advisor advises new incidents from an assessment of the library: the
// threats of the incident's category, the checks worth doing where the
// organisation can see, and its blind spots.
type Advisor struct {
	lib        *Library
	assessment *Assessment
}

var _ drone.Advisor = (*Advisor)(nil)

// NewAdvisor returns the advisor of a library assessed against an inventory.
func NewAdvisor(lib *Library, assessment *Assessment) *Advisor {
	return &Advisor{lib: lib, assessment: assessment}
}

// Advise implements drone.Advisor.
func (t *Advisor) Advise(category, subContext string) drone.Advice {
	var adv drone.Advice
	for _, th := range t.lib.ForIncident(category, subContext) {
		ts, err := t.assessment.Threat(th.Name)
		if err != nil {
			continue // every library threat is assessed; a miss means none to add
		}
		adv.Threats = append(adv.Threats, ts.Name)
		adv.Tasks = append(adv.Tasks, ts.CaseTasks()...)
		adv.BlindSpots = append(adv.BlindSpots, ts.BlindSpots()...)
	}
	return adv
}

// Extension is the "tds [THREAT]" command of drone's grammar: the library's
// threats, or one threat's visibility in plain words.
func (t *Advisor) Extension() drone.Extension {
	return drone.Extension{
		CommandSpec: drone.CommandSpec{Name: "tds", Usage: "tds [THREAT]",
			Summary: "could we see this threat, and how early? (Threat Driven Security)"},
		Options: []drone.ExtensionOption{{Name: "threat", Description: "A threat, technique or category", MaxLength: 200}},
		Run: func(ctx context.Context, _ drone.Actor, _ drone.Origin, cmd drone.Command) (*drone.Reply, error) {
			if len(cmd.Args) == 0 {
				return &drone.Reply{Text: "Threats: " + strings.Join(t.lib.Names(), ", ") + "\nAsk: tds THREAT"}, nil
			}
			s, err := t.assessment.Summary(strings.Join(cmd.Args, " "))
			if err != nil {
				return nil, drone.Errorf(drone.ENOTFOUND, "%v", err)
			}
			return &drone.Reply{Text: s}, nil
		},
	}
}
