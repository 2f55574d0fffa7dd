package drone

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Permission is an action a role may allow.
type Permission string

// Permissions.
const (
	PermDeclare     Permission = "declare"
	PermIOC         Permission = "ioc"
	PermAcknowledge Permission = "acknowledge"
	PermLead        Permission = "lead"
	PermUpdate      Permission = "update" // status updates, containment, resolution
	PermClose       Permission = "close"  // closing and reopening
	// PermPrivate sees private incidents from anywhere, as their own
	// people do (a SOC manager, the duty officer): others find none.
	PermPrivate Permission = "private"
)

// Permissions lists every permission.
var Permissions = []Permission{PermDeclare, PermIOC, PermAcknowledge, PermLead, PermUpdate, PermClose, PermPrivate}

// Role grants permissions to members. A member is "*" (anyone who can reach
// drone), "platform:id" (a user, such as "slack:U024BE7LH", or the web
// console account "web:alice"), or "platform:group:id" (a Slack user group,
// a Discord role, or a console role given with drone user add --role, such
// as "web:group:responders").
type Role struct {
	Name        string       `yaml:"name" json:"name"`
	Permissions []Permission `yaml:"permissions" json:"permissions"`
	Members     []string     `yaml:"members" json:"members"`
}

// Roles is the organisation's list of roles.
type Roles []Role

// DefaultRoles lets anyone declare and add indicators, and the web
// console's administrators (console role admin) do everything, until the
// organisation names its responders (the local operator holds every role
// regardless).
func DefaultRoles() Roles {
	return Roles{{Name: "everyone", Permissions: []Permission{PermDeclare, PermIOC}, Members: []string{"*"}},
		{Name: "console administrators", Permissions: append([]Permission(nil), Permissions...), Members: []string{"web:group:admin"}}}
}

// Allows reports whether a holds permission p through any role.
func (r Roles) Allows(a Actor, p Permission) bool {
	if a.Local() {
		return true
	}
	for _, role := range r {
		if slices.Contains(role.Permissions, p) && role.has(a) {
			return true
		}
	}
	return false
}

func (role Role) has(a Actor) bool {
	for _, m := range role.Members {
		if m == "*" || strings.EqualFold(m, a.Identity()) {
			return true
		}
		for _, g := range a.Groups {
			if strings.EqualFold(m, a.Platform+":group:"+g) {
				return true
			}
		}
	}
	return false
}

// Holders returns the names of the roles that grant p, for error messages.
func (r Roles) Holders(p Permission) []string {
	var names []string
	for _, role := range r {
		if slices.Contains(role.Permissions, p) {
			names = append(names, role.Name)
		}
	}
	return names
}

// Check reports roles with no name, no members, unknown permissions or
// malformed members.
func (r Roles) Check() []Problem {
	var p []Problem
	seen := map[string]bool{}
	for i, role := range r {
		at := fmt.Sprintf("roles[%d]", i)
		if role.Name == "" {
			p = append(p, Problem{Path: at + ".name", Message: "a role needs a name"})
		} else if seen[strings.ToLower(role.Name)] {
			p = append(p, Problem{Path: at + ".name", Message: fmt.Sprintf("duplicate role %q", role.Name)})
		}
		seen[strings.ToLower(role.Name)] = true
		if len(role.Members) == 0 {
			p = append(p, Problem{Path: at + ".members", Message: fmt.Sprintf("role %q has no members", role.Name)})
		}
		for j, perm := range role.Permissions {
			if !slices.Contains(Permissions, perm) {
				p = append(p, Problem{Path: fmt.Sprintf("%s.permissions[%d]", at, j), Message: fmt.Sprintf("unknown permission %q; allowed: %s", perm, joinPerms(Permissions))})
			}
		}
		for j, m := range role.Members {
			if m != "*" && !strings.Contains(m, ":") {
				p = append(p, Problem{Path: fmt.Sprintf("%s.members[%d]", at, j), Message: fmt.Sprintf("member %q must be \"*\", \"platform:id\" or \"platform:group:id\"", m)})
			}
		}
	}
	return p
}

func joinPerms(ps []Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// Target is what the organisation promises for incidents of one severity.
type Target struct {
	Acknowledge time.Duration `yaml:"acknowledge" json:"acknowledge"` // from declaration
	Update      time.Duration `yaml:"update" json:"update"`           // between status updates
	Resolve     time.Duration `yaml:"resolve" json:"resolve"`         // from declaration
}

// Targets holds a Target per severity level (1-4).
type Targets map[int]Target

// DefaultTargets are common SOC service levels: CRITICAL acknowledged in 15
// minutes and updated every 30 minutes, down to LOW acknowledged within a
// working day and updated daily. The update cadence is also when the lead
// is reminded of an update not posted.
func DefaultTargets() Targets {
	return Targets{
		4: {Acknowledge: 15 * time.Minute, Update: 30 * time.Minute, Resolve: 24 * time.Hour},
		3: {Acknowledge: time.Hour, Update: time.Hour, Resolve: 72 * time.Hour},
		2: {Acknowledge: 4 * time.Hour, Update: 4 * time.Hour, Resolve: 7 * 24 * time.Hour},
		1: {Acknowledge: 24 * time.Hour, Update: 24 * time.Hour, Resolve: 30 * 24 * time.Hour},
	}
}
