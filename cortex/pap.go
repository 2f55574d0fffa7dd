package cortex

import (
	"fmt"
	"strings"

	"github.com/ttp0/drone/drone"
)

// TLP and PAP names (TLP 2.0 and PAP; WHITE is read as CLEAR).
const (
	TLPClear       = "CLEAR"
	TLPGreen       = "GREEN"
	TLPAmber       = "AMBER"
	TLPAmberStrict = "AMBER+STRICT"
	TLPRed         = "RED"
)

// Reach is whom an analyzer contacts about an indicator.
type Reach string

// The reaches, from the most discreet.
const (
	// ReachInternal analyzers stay inside the organisation.
	ReachInternal Reach = "internal"
	// ReachPassive analyzers ask a third-party service about the
	// indicator, without touching it: a passive cross-check.
	ReachPassive Reach = "passive"
	// ReachActive analyzers touch the indicator itself (fetch, scan,
	// resolve, detonate): the adversary may see it.
	ReachActive Reach = "active"
)

func (r Reach) valid() bool { return r == ReachInternal || r == ReachPassive || r == ReachActive }

// papAllows is the PAP rule (FIRST's Permissible Actions Protocol, as
// TheHive and Cortex use it): PAP:RED allows only actions that cannot be
// detected from outside, so nothing leaves the organisation; PAP:AMBER
// allows passive cross-checks with third parties (online look-ups) but no
// action on the indicator; PAP:GREEN allows active actions; PAP:CLEAR
// restricts nothing.
var papAllows = map[string][]Reach{
	TLPRed:   {ReachInternal},
	TLPAmber: {ReachInternal, ReachPassive},
	TLPGreen: {ReachInternal, ReachPassive, ReachActive},
	TLPClear: {ReachInternal, ReachPassive, ReachActive},
}

// Allowed reports whether data marked tlp and pap may be given to the
// analyzer a, and if not, why. Its PAP must allow what the analyzer's
// reach does, and its TLP must not be above the analyzer's max_tlp. An
// unknown or empty marking allows nothing: drone fails closed. It is the
// one rule: the planner, the worker (again, when the job runs) and the
// enrich command all ask it.
func Allowed(a Analyzer, tlp, pap string) (bool, string) {
	tlp, pap = canonical(tlp), canonical(pap)
	reaches, ok := papAllows[pap]
	if !ok {
		return false, fmt.Sprintf("PAP %q is unknown, so nothing may act on it", pap)
	}
	allowed := false
	for _, r := range reaches {
		allowed = allowed || r == a.Reach
	}
	if !allowed {
		return false, fmt.Sprintf("PAP:%s forbids %s analyzers (%s is %s)", pap, a.Reach, a.Name, a.Reach)
	}
	max := a.MaxTLP
	if max == "" {
		max = DefaultMaxTLP
	}
	rank, limit := tlpRank(tlp), tlpRank(max)
	switch {
	case rank < 0:
		return false, fmt.Sprintf("TLP %q is unknown, so it may go nowhere", tlp)
	case limit < 0:
		return false, fmt.Sprintf("%s's max_tlp %q is unknown", a.Name, max)
	case rank > limit:
		return false, fmt.Sprintf("TLP:%s is above %s's max_tlp %s", tlp, a.Name, canonical(max))
	}
	return true, ""
}

// Marking returns the TLP and PAP an observable of an incident is
// analysed under: the more restricted of the observable's own TLP and the
// incident's (the incident's may have risen since), and the incident's
// PAP, raised to RED for an internal value (the organisation's own
// domains and networks), which drone never lets leave, as it gives them
// no look-up links.
func Marking(inc *drone.Incident, o drone.Observable) (tlp, pap string) {
	tlp = canonical(inc.TLP)
	if own := canonical(o.TLP); tlpRank(own) > tlpRank(tlp) || tlpRank(tlp) < 0 {
		tlp = own
	}
	pap = canonical(inc.PAP)
	if o.Internal {
		pap = TLPRed
	}
	return tlp, pap
}

// canonical upper-cases a TLP or PAP name and reads WHITE as CLEAR.
func canonical(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "TLP:"), "PAP:")
	if s == "WHITE" {
		return TLPClear
	}
	return s
}

// tlpRank orders TLP names, CLEAR 0 to RED 4; -1 for an unknown one.
func tlpRank(s string) int {
	switch canonical(s) {
	case TLPClear:
		return 0
	case TLPGreen:
		return 1
	case TLPAmber:
		return 2
	case TLPAmberStrict:
		return 3
	case TLPRed:
		return 4
	}
	return -1
}

// papRank orders PAP names, CLEAR 0 to RED 3; -1 for an unknown one.
func papRank(s string) int {
	switch canonical(s) {
	case TLPClear:
		return 0
	case TLPGreen:
		return 1
	case TLPAmber:
		return 2
	case TLPRed:
		return 3
	}
	return -1
}

// wireTLP is the number Cortex takes for a TLP: WHITE 0, GREEN 1, AMBER 2,
// RED 3 (TLP 1.0). AMBER+STRICT goes as RED, so that Cortex's own check
// (an analyzer's check_tlp and max_tlp) is never looser than drone's.
func wireTLP(s string) int {
	if r := tlpRank(s); r >= 0 && r <= 2 {
		return r
	}
	return 3
}

// wirePAP is the number Cortex takes for a PAP: CLEAR 0 to RED 3; an
// unknown one goes as RED.
func wirePAP(s string) int {
	if r := papRank(s); r >= 0 {
		return r
	}
	return 3
}
