package tds

import (
	"context"
	"fmt"
	"os"

	"github.com/ttp0/drone/configs"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
)

// Integration holds the organisation's log sources against the threat
// library: /drone tds answers "could we see this threat, and how early?",
// and new incidents get the library's checks and blind spots.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Threat Driven Security",
			"set tds.inventory to your log-source inventory (see configs/inventory.example.yaml)")
		if cfg.Inventory == "" {
			return in, nil
		}
		lib, assessment, err := LoadAssessment(cfg)
		if err != nil {
			return nil, err
		}
		adv := NewAdvisor(lib, assessment)
		in.Enabled = true
		in.Advisor = adv
		in.Extensions = []drone.Extension{adv.Extension()}
		return in, nil
	}
}

// LoadAssessment loads the configured threat library and, when an
// inventory is configured, assesses it (the assessment is nil otherwise).
func LoadAssessment(cfg Config) (*Library, *Assessment, error) {
	lib, err := LoadConfigured(cfg.Library)
	if err != nil || cfg.Inventory == "" {
		return lib, nil, err
	}
	inv, probs, err := LoadInventory(cfg.Inventory)
	if err != nil {
		return nil, nil, fmt.Errorf("tds.inventory: %w", err)
	}
	if len(probs) > 0 {
		return nil, nil, fmt.Errorf("tds.inventory has problems:\n%v", drone.Problems(probs))
	}
	return lib, Assess(lib, inv), nil
}

// LoadConfigured loads a library directory, or the library shipped in drone
// (configs/tds) when dir is empty; a library with problems is an error that
// lists them.
func LoadConfigured(dir string) (*Library, error) {
	var lib *Library
	var probs []drone.Problem
	var err error
	if dir == "" {
		lib, probs, err = LoadLibrary(configs.TDS, "tds")
	} else {
		lib, probs, err = LoadLibrary(os.DirFS(dir), ".")
	}
	if err != nil {
		return nil, fmt.Errorf("loading the threat library: %w", err)
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("the threat library has problems:\n%v", drone.Problems(probs))
	}
	return lib, nil
}
