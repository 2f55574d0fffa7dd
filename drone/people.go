package drone

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The roles people hold on one incident, besides its lead (Incident.Lead),
// as incident.io and Dispatch name them. They are not the organisation's
// Roles (which grant permissions): they say who does what on this incident.
const (
	RoleLead           = "lead"
	RoleScribe         = "scribe"
	RoleCommunications = "communications"
	RoleLegal          = "legal"
	// RoleMember is not a role but a seat: someone let into a private
	// incident (grant), kept in Incident.Roles under "member:IDENTITY".
	RoleMember = "member"
)

// IncidentRoles are the roles of an incident other than its lead, in the
// order notices show them.
var IncidentRoles = []string{RoleScribe, RoleCommunications, RoleLegal}

// roleAliases are the other spellings of the incident roles.
var roleAliases = map[string]string{
	"comms": RoleCommunications, "communication": RoleCommunications, "comm": RoleCommunications,
	"dpo": RoleLegal, "data-protection": RoleLegal, "data-protection-officer": RoleLegal, "privacy": RoleLegal,
	"incident-lead": RoleLead, "commander": RoleLead,
}

// memberPrefix is the key prefix of granted members in Incident.Roles.
const memberPrefix = RoleMember + ":"

// ParseIncidentRole reads a role name or alias ("comms", "DPO"): lead,
// scribe, communications, legal or member.
func ParseIncidentRole(s string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	if a, ok := roleAliases[k]; ok {
		k = a
	}
	if k == RoleLead || k == RoleMember || slices.Contains(IncidentRoles, k) {
		return k, nil
	}
	return "", Errorf(EINVALID, "unknown role %q; roles: lead, scribe, communications (comms), legal (dpo, data-protection), member", s)
}

// RoleLabel is how notices name a role ("Communications").
func RoleLabel(role string) string {
	switch role {
	case "":
		return ""
	case RoleLegal:
		return "Legal / DPO"
	}
	return strings.ToUpper(role[:1]) + role[1:]
}

// Holder returns who holds role on the incident ("" when nobody).
func (inc *Incident) Holder(role string) string {
	if role == RoleLead {
		return inc.Lead
	}
	return inc.Roles[role]
}

// GrantedMembers returns the identities let into the incident with grant
// (or "role member"), sorted.
func (inc *Incident) GrantedMembers() []string {
	var out []string
	for k := range inc.Roles {
		if id, ok := strings.CutPrefix(k, memberPrefix); ok {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Members returns the identities of the incident's people: its reporter,
// lead, role holders and granted members, each once, in that order.
func (inc *Incident) Members() []string {
	var out []string
	add := func(id string) {
		if id != "" && id != ":" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, id) }) {
			out = append(out, id)
		}
	}
	add(inc.Reporter.Identity())
	add(inc.Lead)
	for _, r := range IncidentRoles {
		add(inc.Roles[r])
	}
	for _, m := range inc.GrantedMembers() {
		add(m)
	}
	return out
}

// IsMember reports whether identity is one of the incident's people.
func (inc *Incident) IsMember(identity string) bool {
	return slices.ContainsFunc(inc.Members(), func(m string) bool { return strings.EqualFold(m, identity) })
}

// RoleLine is the roles of an incident in one line ("Scribe: slack:U2 ·
// Legal: slack:U7"), "" when none is held.
func (inc *Incident) RoleLine() string {
	var parts []string
	for _, r := range IncidentRoles {
		if h := inc.Roles[r]; h != "" {
			parts = append(parts, RoleLabel(r)+": "+h)
		}
	}
	return strings.Join(parts, " · ")
}

// Timeline entries of roles and access.
const (
	// EntryRole records a role handed on: data {role, from, to}.
	EntryRole = "role"
	// EntryAccessRequest records that someone asked to be let into a
	// private incident: data {requester, reason}.
	EntryAccessRequest = "access_request"
)

// IsPrivate reports whether an incident is private: declared so, or at
// the framework's most restricted TLP (RED). It is the one rule every
// surface applies: a private incident is seen only by its members, the
// local operator and audiences cleared for the most restricted TLP.
func (s *Service) IsPrivate(inc *Incident) bool { return s.Framework.Private(inc) }

// Private reports whether inc is private (see Service.IsPrivate). An
// incident whose TLP the framework does not know counts as private.
func (f *Framework) Private(inc *Incident) bool {
	if inc.Private {
		return true
	}
	r := f.TLPRank(inc.TLP)
	return r < 0 || r == len(f.TLP)-1
}

// Sensitivity returns the TLP an audience must be cleared for to see inc:
// the framework's most restricted level for a private incident, its own
// TLP otherwise. Comparing a clearance with it applies IsPrivate's rule.
func (f *Framework) Sensitivity(inc *Incident) string {
	if f.Private(inc) && len(f.TLP) > 0 {
		return f.TLP[len(f.TLP)-1]
	}
	return inc.TLP
}

// CanSee reports whether actor a, asking from the channel of incident here
// (0 when none), may see inc: anyone may see an incident that is not
// private; a private one is seen by its people, from its own channel
// (where only its people are), and by the holders of PermPrivate (the
// local operator among them).
func (s *Service) CanSee(a Actor, inc *Incident, here int64) bool {
	return !s.IsPrivate(inc) || here == inc.Number || inc.IsMember(a.Identity()) || s.Roles.Allows(a, PermPrivate)
}

// notFound is the answer for a missing incident, and for a private one to
// whoever may not see it alike, so that it says nothing of which.
func notFound(number int64) error { return Errorf(ENOTFOUND, "there is no INC-%d", number) }

// Visible returns the incident a may see from the channel of here, or the
// missing-incident error: adapters ask it before acting on an incident
// named from elsewhere (a message action, a form).
func (s *Service) Visible(ctx context.Context, a Actor, number, here int64) (*Incident, error) {
	inc, err := s.Store.Incident(ctx, number)
	if err != nil {
		return nil, err
	}
	if !s.CanSee(a, inc, here) {
		return nil, notFound(number)
	}
	return inc, nil
}

// AssignRole hands role (lead, scribe, communications, legal, member) of an
// incident to identity ("platform:id"); an empty identity or "none"
// releases it. The lead goes through SetLead. Each handoff is a timeline
// entry (EntryRole) saying who handed it from whom to whom.
func (s *Service) AssignRole(ctx context.Context, a Actor, o Origin, number int64, role, identity string) (*Incident, error) {
	role, err := ParseIncidentRole(role)
	if err != nil {
		return nil, err
	}
	identity = strings.TrimSpace(identity)
	release := identity == "" || strings.EqualFold(identity, "none")
	if !release && !strings.Contains(identity, ":") {
		return nil, Errorf(EINVALID, "name the person as a mention (@name) or as platform:id, not %q", identity)
	}
	if role == RoleLead {
		if release {
			return nil, Errorf(EINVALID, "an incident keeps a lead: hand it to someone else instead")
		}
		return s.SetLead(ctx, a, o, number, identity)
	}
	if role == RoleMember {
		if release {
			return nil, Errorf(EINVALID, "usage: role [INC-n] member USER — to let USER into a private incident")
		}
		return s.Grant(ctx, a, o, number, identity)
	}
	if release {
		identity = ""
	}
	var from string
	return s.transitionData(ctx, a, o, number, PermLead, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		from = inc.Roles[role]
		if strings.EqualFold(from, identity) {
			return "", "", Errorf(ECONFLICT, "%s already has %s", inc.Ref(), describeHolder(role, identity))
		}
		setRole(inc, role, identity)
		return EntryRole, handoffText(a, inc, role, from, identity), nil
	}, func() any {
		return map[string]string{"role": role, "from": from, "to": identity}
	})
}

func describeHolder(role, identity string) string {
	if identity == "" {
		return "no " + role
	}
	return identity + " as " + role
}

func setRole(inc *Incident, key, identity string) {
	if inc.Roles == nil {
		inc.Roles = map[string]string{}
	}
	if identity == "" {
		delete(inc.Roles, key)
		return
	}
	inc.Roles[key] = identity
}

// handoffText is the timeline's sentence of a handoff.
func handoffText(a Actor, inc *Incident, role, from, to string) string {
	switch {
	case from == "":
		return fmt.Sprintf("%s made %s %s of %s", a, to, role, inc.Ref())
	case to == "":
		return fmt.Sprintf("%s released %s from %s of %s", a, from, role, inc.Ref())
	}
	return fmt.Sprintf("%s handed %s of %s from %s to %s", a, role, inc.Ref(), from, to)
}

// Grant lets identity into an incident as a member: on a private incident
// they may then see it, and the chat adapters invite them to its channel.
func (s *Service) Grant(ctx context.Context, a Actor, o Origin, number int64, identity string) (*Incident, error) {
	identity = strings.TrimSpace(identity)
	if !strings.Contains(identity, ":") {
		return nil, Errorf(EINVALID, "name the person as a mention (@name) or as platform:id, not %q", identity)
	}
	return s.transitionData(ctx, a, o, number, PermLead, func(tx Tx, inc *Incident, now time.Time) (string, string, error) {
		if inc.IsMember(identity) {
			return "", "", Errorf(ECONFLICT, "%s is already one of the people of %s", identity, inc.Ref())
		}
		setRole(inc, memberPrefix+identity, identity)
		return EntryRole, fmt.Sprintf("%s let %s into %s", a, identity, inc.Ref()), nil
	}, func() any {
		return map[string]string{"role": RoleMember, "from": "", "to": identity}
	})
}

// AccessAnswer is what whoever asks to be let into an incident is told,
// whether or not the incident exists or is private: the answer must not
// say which.
const AccessAnswer = "Your request was passed on to the incident lead, if such an incident exists."

// RequestAccess asks the lead of a private incident to let a in: an
// EntryAccessRequest on its timeline, which the chat adapters post in the
// incident's channel with the command that grants it. Whoever asks gets
// AccessAnswer in every case but an internal failure, so that the request
// reveals nothing; a member's or a non-private incident's request records
// nothing.
func (s *Service) RequestAccess(ctx context.Context, a Actor, o Origin, number int64, reason string) error {
	err := s.Store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(ctx, number)
		if err != nil {
			return err
		}
		if !s.IsPrivate(inc) || inc.IsMember(a.Identity()) {
			return nil
		}
		if r := []rune(normalise(reason)); len(r) > 500 {
			reason = string(r[:500])
		} else {
			reason = string(r)
		}
		text := fmt.Sprintf("%s asked to be let into %s", a, inc.Ref())
		if reason != "" {
			text += ": " + reason
		}
		text += fmt.Sprintf(" (to let them in: grant %s %s)", inc.Ref(), a.Identity())
		return s.record(ctx, tx, inc, a, o, EntryAccessRequest, text,
			map[string]string{"requester": a.Identity(), "reason": reason}, nil)
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recording an access request for INC-%d: %w", number, err)
	}
	return nil
}

// NewHolder returns the identity an event gave a role to (the lead of an
// acknowledgement or a lead change, the holder of a handoff, a person let
// in), or "" when it gave none: the chat integrations let them into the
// incident's channel.
func NewHolder(e Event) string {
	switch e.Kind {
	case EntryLead, EntryAcknowledged:
		return e.Incident.Lead
	case EntryRole:
		var d struct {
			To string `json:"to"`
		}
		if json.Unmarshal(e.Entry.Data, &d) == nil {
			return d.To
		}
	}
	return ""
}
