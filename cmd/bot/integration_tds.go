package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ttp0/drone/configs"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tds"
)

// tdsIntegration holds the organisation's log sources against the threat
// library: /drone tds answers "could we see this threat, and how early?",
// and new incidents get the library's checks and blind spots.
func tdsIntegration(ctx context.Context, a *app) (*integration, error) {
	in := &integration{Name: "Threat Driven Security",
		Hint: "set tds.inventory to your log-source inventory (see configs/inventory.example.yaml)"}
	if a.cfg.TDS.Inventory == "" {
		return in, nil
	}
	lib, err := loadLibrary(a.cfg.TDS.Library)
	if err != nil {
		return nil, err
	}
	inv, probs, err := tds.LoadInventory(a.cfg.TDS.Inventory)
	if err != nil {
		return nil, fmt.Errorf("tds.inventory: %w", err)
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("tds.inventory has problems:\n%v", drone.Problems(probs))
	}
	assessment := tds.Assess(lib, inv)
	in.Enabled = true
	a.svc.Advisor = &tdsAdvisor{lib: lib, assessment: assessment}
	in.Extensions = map[string]drone.Extension{"tds": func(ctx context.Context, _ drone.Actor, _ drone.Origin, cmd drone.Command) (*drone.Reply, error) {
		if len(cmd.Args) == 0 {
			return &drone.Reply{Text: "Threats: " + strings.Join(lib.Names(), ", ") + "\nAsk: tds THREAT"}, nil
		}
		s, err := assessment.Summary(strings.Join(cmd.Args, " "))
		if err != nil {
			return nil, drone.Errorf(drone.ENOTFOUND, "%v", err)
		}
		return &drone.Reply{Text: s}, nil
	}}
	return in, nil
}

// loadLibrary loads a library directory, or the shipped one when dir is empty.
func loadLibrary(dir string) (*tds.Library, error) {
	var lib *tds.Library
	var probs []drone.Problem
	var err error
	if dir == "" {
		lib, probs, err = tds.LoadLibrary(configs.TDS, "tds")
	} else {
		lib, probs, err = tds.LoadLibrary(os.DirFS(dir), ".")
	}
	if err != nil {
		return nil, fmt.Errorf("loading the threat library: %w", err)
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("the threat library has problems:\n%v", drone.Problems(probs))
	}
	return lib, nil
}

// tdsAdvisor advises new incidents from the assessment of the library.
type tdsAdvisor struct {
	lib        *tds.Library
	assessment *tds.Assessment
}

var _ drone.Advisor = (*tdsAdvisor)(nil)

func (t *tdsAdvisor) Advise(category, subContext string) drone.Advice {
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
