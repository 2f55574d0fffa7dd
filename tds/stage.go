package tds

import (
	"fmt"
	"strings"
)

// Stage places an event in a scenario: a step of the Lockheed Martin kill chain or an
// ATT&CK Enterprise tactic, in lower case with hyphens ("command-and-control").
type Stage string

// stageRanks orders kill-chain stages and ATT&CK tactics on one scale. Where the two
// vocabularies describe the same moment they share a rank (delivery = initial-access,
// exploitation = execution, installation = persistence, actions-on-objectives =
// exfiltration); the ATT&CK tactics keep the order of the ATT&CK matrix.
var stageRanks = map[Stage]int{
	"reconnaissance":        1,
	"weaponization":         2,
	"resource-development":  2,
	"delivery":              3,
	"initial-access":        3,
	"exploitation":          4,
	"execution":             4,
	"installation":          5,
	"persistence":           5,
	"privilege-escalation":  6,
	"defense-evasion":       7,
	"credential-access":     8,
	"discovery":             9,
	"lateral-movement":      10,
	"collection":            11,
	"command-and-control":   12,
	"actions-on-objectives": 13,
	"exfiltration":          13,
	"impact":                14,
}

// stageOrder lists the stages in rank order, kill-chain names first within a rank.
var stageOrder = []Stage{
	"reconnaissance", "weaponization", "resource-development", "delivery",
	"initial-access", "exploitation", "execution", "installation", "persistence",
	"privilege-escalation", "defense-evasion", "credential-access", "discovery",
	"lateral-movement", "collection", "command-and-control", "actions-on-objectives",
	"exfiltration", "impact",
}

// stageAliases accepts a few common spellings.
var stageAliases = map[string]Stage{
	"c2":            "command-and-control",
	"weaponisation": "weaponization",
	"recon":         "reconnaissance",
}

// Stages returns every known stage in scenario order.
func Stages() []Stage {
	return append([]Stage(nil), stageOrder...)
}

// ParseStage normalises a stage name ("Command and Control", "command_and_control",
// "C2") and reports an error naming the known stages when it is not one.
func ParseStage(s string) (Stage, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.ReplaceAll(n, "&", " and ")
	n = strings.Join(strings.FieldsFunc(n, func(r rune) bool {
		return r == ' ' || r == '_' || r == '-' || r == '\t'
	}), "-")
	if a, ok := stageAliases[n]; ok {
		return a, nil
	}
	if _, ok := stageRanks[Stage(n)]; ok {
		return Stage(n), nil
	}
	return "", fmt.Errorf("unknown stage %q (known: %s)", s, stageList())
}

// Rank returns the position of the stage in a scenario (1 = reconnaissance,
// 14 = impact), or 0 when the stage is empty or unknown.
func (s Stage) Rank() int { return stageRanks[s] }

// Label returns the stage for display, e.g. "command and control"; "unstaged" when empty.
func (s Stage) Label() string {
	if s == "" {
		return "unstaged"
	}
	return strings.ReplaceAll(string(s), "-", " ")
}

func stageList() string {
	names := make([]string, len(stageOrder))
	for i, s := range stageOrder {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
