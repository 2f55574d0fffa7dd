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
	lib, assessment, err := loadAssessment(a)
	if err != nil {
		return nil, err
	}
	adv := tds.NewAdvisor(lib, assessment)
	in.Enabled = true
	in.Advisor = adv
	in.Extensions = []drone.Extension{adv.Extension()}
	return in, nil
}

// loadAssessment loads the configured threat library and, when an
// inventory is configured, assesses it (the assessment is nil otherwise).
func loadAssessment(a *app) (*tds.Library, *tds.Assessment, error) {
	lib, err := loadLibrary(a.cfg.TDS.Library)
	if err != nil || a.cfg.TDS.Inventory == "" {
		return lib, nil, err
	}
	inv, probs, err := tds.LoadInventory(a.cfg.TDS.Inventory)
	if err != nil {
		return nil, nil, fmt.Errorf("tds.inventory: %w", err)
	}
	if len(probs) > 0 {
		return nil, nil, fmt.Errorf("tds.inventory has problems:\n%s", problemLines(probs))
	}
	return lib, tds.Assess(lib, inv), nil
}

// loadLibrary loads a library directory, or the shipped one when dir is empty.
func loadLibrary(dir string) (*tds.Library, error) {
	var lib *tds.Library
	var probs []tds.Problem
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
		return nil, fmt.Errorf("the threat library has problems:\n%s", problemLines(probs))
	}
	return lib, nil
}

func problemLines(probs []tds.Problem) string {
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
