package notify

import (
	"slices"
	"strings"

	"github.com/ttp0/drone/drone"
)

// Delivery is one message to send: an event to one address of a target,
// for an audience.
type Delivery struct {
	Rule     string
	Target   string
	Medium   string
	Address  string
	Audience string
}

// Router matches events to rules and their targets.
type Router struct {
	fw      drone.Framework
	cfg     Config
	targets map[string]Target
}

// NewRouter returns the router of cfg, whose TLP levels are fw's.
func NewRouter(cfg Config, fw drone.Framework) *Router {
	cfg = cfg.WithDefaults()
	r := &Router{fw: fw, cfg: cfg, targets: map[string]Target{}}
	for _, t := range cfg.Targets {
		r.targets[t.Name] = t
	}
	return r
}

// Target returns the target named name.
func (r *Router) Target(name string) (Target, bool) {
	t, ok := r.targets[name]
	return t, ok
}

// Rule returns the rule named name.
func (r *Router) Rule(name string) (Rule, bool) {
	for _, rule := range r.cfg.Rules {
		if rule.Name == name {
			return rule, true
		}
	}
	return Rule{}, false
}

// Cleared reports whether target t may receive an incident of TLP tlp. An
// unknown level on either side is refused.
func (r *Router) Cleared(t Target, tlp string) bool {
	inc, cl := r.fw.TLPRank(tlp), r.fw.TLPRank(t.Clearance)
	return inc >= 0 && cl >= 0 && inc <= cl
}

// Sees reports whether target t may receive inc: whether it is cleared for
// the incident's sensitivity (drone.Framework.Sensitivity), the most
// restricted TLP for a private incident.
func (r *Router) Sees(t Target, inc *drone.Incident) bool {
	return r.Cleared(t, r.fw.Sensitivity(inc))
}

// DigestIncludes is what a digest of rule to target t lists and counts:
// the incidents the rule covers that t may see.
func (r *Router) DigestIncludes(rule Rule, t Target) func(*drone.Incident) bool {
	return func(inc *drone.Incident) bool { return r.Covers(rule, inc) && r.Sees(t, inc) }
}

// SummaryIncludes is what the summary command, posted in a channel, lists
// and counts: the incidents whose sensitivity is at most ceiling (so a
// private one only when ceiling is the most restricted TLP).
func SummaryIncludes(fw drone.Framework, ceiling string) func(*drone.Incident) bool {
	top := fw.TLPRank(ceiling)
	return func(inc *drone.Incident) bool {
		rank := fw.TLPRank(fw.Sensitivity(inc))
		return rank >= 0 && rank <= top
	}
}

// Matches reports whether rule matches an event of kind on inc (nil for a
// digest, which matches on the event alone).
func (r *Router) Matches(rule Rule, kind string, inc *drone.Incident) bool {
	if !slices.Contains(rule.Events, kind) && !slices.Contains(rule.Events, "all") {
		return false
	}
	return inc == nil || r.Covers(rule, inc)
}

// Covers reports whether inc passes rule's filters: severity, category,
// zone, business unit and TLP ceiling (which a private incident passes
// only when it is the most restricted TLP).
func (r *Router) Covers(rule Rule, inc *drone.Incident) bool {
	if rule.MinSeverity != "" {
		sev, err := r.fw.Severity(rule.MinSeverity)
		if err != nil || inc.Severity < atoi(sev.Code) {
			return false
		}
	}
	if len(rule.Categories) > 0 && !matchAny(rule.Categories, inc.Category, inc.CategoryName) {
		return false
	}
	if len(rule.Zones) > 0 && !matchAny(rule.Zones, inc.Zone) {
		return false
	}
	if len(rule.BusinessUnits) > 0 && !matchAny(rule.BusinessUnits, inc.BusinessUnit) {
		return false
	}
	if rule.MaxTLP != "" {
		max, rank := r.fw.TLPRank(rule.MaxTLP), r.fw.TLPRank(r.fw.Sensitivity(inc))
		if max < 0 || rank < 0 || rank > max {
			return false
		}
	}
	return true
}

// Route returns the deliveries of an event of kind on inc: one per address
// of each target of each matching rule, never to a target not cleared for
// the incident's TLP (the most restricted one when the incident is private). An address several rules reach gets one message, for
// responders if any of those rules is for responders.
func (r *Router) Route(kind string, inc *drone.Incident) []Delivery {
	var out []Delivery
	for _, rule := range r.cfg.Rules {
		if r.Matches(rule, kind, inc) {
			out = r.add(out, rule, rule.Targets, inc)
		}
	}
	return out
}

// RouteTo adds to out the deliveries to the named targets for an audience,
// outside the rules (the regulatory contacts, the SOC), still never above
// a target's clearance.
func (r *Router) RouteTo(out []Delivery, targets []string, audience string, inc *drone.Incident) []Delivery {
	return r.add(out, Rule{Name: "", Audience: audience}, targets, inc)
}

func (r *Router) add(out []Delivery, rule Rule, targets []string, inc *drone.Incident) []Delivery {
	for _, name := range targets {
		t, ok := r.targets[name]
		if !ok || (inc != nil && !r.Sees(t, inc)) {
			continue
		}
		for _, addr := range t.To {
			d := Delivery{Rule: rule.Name, Target: t.Name, Medium: t.Medium, Address: addr, Audience: rule.Audience}
			if i := slices.IndexFunc(out, func(o Delivery) bool { return o.Medium == d.Medium && o.Address == d.Address }); i >= 0 {
				if d.Audience == drone.AudienceResponders && out[i].Audience != drone.AudienceResponders {
					out[i] = d
				}
				continue
			}
			out = append(out, d)
		}
	}
	return out
}

// EventKind returns the notification event of a timeline change, or "" for
// changes nobody is notified of (refusals, external references).
func EventKind(e drone.Event) string {
	switch e.Kind {
	case drone.EntryDeclared:
		return EventDeclared
	case drone.EntryAcknowledged:
		return EventAcknowledged
	case drone.EntryLead:
		return EventLead
	case drone.EntryUpdate:
		return EventUpdate
	case drone.EntryObservables:
		return EventIndicators
	case drone.EntryReopened:
		return EventReopened
	case drone.EntryTargetMissed:
		return EventTargetMissed
	case drone.EntryReportable:
		return EventReportable
	case drone.EntryReported:
		return EventReported
	case drone.EntryReminder:
		if _, personal := drone.Reminder(e.Entry); personal {
			// The lead's and owners' reminders go to the incident's
			// channel (the chat integrations post them); an overdue
			// update reaches the SOC later, as a missed target.
			return ""
		}
		return EventReminder
	case drone.EntryStatus:
		switch e.Incident.Status {
		case drone.StatusAcknowledged:
			return EventAcknowledged
		case drone.StatusContained:
			return EventContained
		case drone.StatusResolved:
			return EventResolved
		case drone.StatusClosed:
			return EventClosed
		}
		return EventUpdate
	}
	return ""
}

func matchAny(allowed []string, values ...string) bool {
	for _, a := range allowed {
		for _, v := range values {
			if v != "" && strings.EqualFold(a, v) {
				return true
			}
		}
	}
	return false
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
