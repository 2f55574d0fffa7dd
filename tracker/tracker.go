// Package tracker keeps tickets in an issue tracker (Jira, ServiceNow) in
// line with drone's follow-up actions and, when asked, its incidents. It
// holds what every tracker shares: the planner, the queue workers that
// create a ticket exactly once and move it when drone closes or reopens
// the action, and the poll that brings a ticket closed or reopened in the
// tracker back onto the action's timeline. Packages jira and servicenow
// speak the wire formats and implement Tracker.
package tracker

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// State is where a ticket stands, in drone's words.
type State string

// Ticket states. A tracker's own statuses map onto them (Jira's status
// category "done", ServiceNow's resolved and closed states).
const (
	StateOpen      State = "open"
	StateDone      State = "done"
	StateCancelled State = "cancelled"
)

// Closed reports whether the state ends the work: done or cancelled.
func (s State) Closed() bool { return s == StateDone || s == StateCancelled }

// Ticket is an issue (Jira) or a record (ServiceNow) as drone sees it.
type Ticket struct {
	// ID is what the tracker's API addresses the ticket by: a Jira issue
	// key, a ServiceNow sys_id.
	ID string
	// Number is what people call it: SEC-12, INC0010001.
	Number string
	// URL is the ticket's page for people.
	URL string
	// State is its state in drone's words; Status is the tracker's own
	// name for it ("In Progress").
	State  State
	Status string
	// Updated is when the ticket last changed in the tracker.
	Updated time.Time
	// Correlation is drone's correlation id the ticket carries (a Jira
	// label, a ServiceNow correlation_id), or "".
	Correlation string
	// Due is the ticket's due date as Get read it, if it has one.
	Due *time.Time
}

// NewTicket is a ticket to create.
type NewTicket struct {
	// Correlation is the id the ticket must carry so that drone finds it
	// again (see ActionCorrelation).
	Correlation string
	// Summary is one line; Description may hold several.
	Summary, Description string
	// Due is the due date, if any.
	Due *time.Time
	// Assignee is the tracker's user the ticket is assigned to (a Jira
	// accountId or user name, a ServiceNow user), or "".
	Assignee string
}

// Tracker is what the sync needs of a tracker's client.
type Tracker interface {
	// Find returns the ticket carrying correlation, or nil when there is
	// none; with several, the oldest.
	Find(ctx context.Context, correlation string) (*Ticket, error)
	// Create creates a ticket.
	Create(ctx context.Context, t NewTicket) (*Ticket, error)
	// Get reads a ticket by its ID.
	Get(ctx context.Context, id string) (*Ticket, error)
	// Move sets a ticket to a state; note says why, where the tracker
	// keeps such a note (ServiceNow's close_notes).
	Move(ctx context.Context, t *Ticket, to State, note string) error
	// SetDue gives the ticket the due date, unless it has it already (t
	// as Get read it, compared to the tracker's precision: a day for
	// Jira) or the tracker is told to keep due dates nowhere.
	SetDue(ctx context.Context, t *Ticket, due time.Time) error
	// Changed returns drone's tickets that changed within the last window.
	Changed(ctx context.Context, window time.Duration) ([]Ticket, error)
}

// Correlation ids. They carry the number for people and the start of the
// UUID so that two drones (or a drone whose database was started afresh)
// sharing a project never take each other's tickets.
const (
	actionPrefix   = "drone-act-"
	incidentPrefix = "drone-inc-"
)

// ActionCorrelation is the correlation id of a follow-up action's ticket:
// drone-act-<number>-<first 8 of its UUID>, a valid Jira label.
func ActionCorrelation(ac *drone.FollowUp) string {
	return actionPrefix + strconv.FormatInt(ac.Number, 10) + "-" + short(ac.ID)
}

// IncidentCorrelation is the correlation id of an incident's ticket:
// drone-inc-<number>-<first 8 of its UUID>.
func IncidentCorrelation(inc *drone.Incident) string {
	return incidentPrefix + strconv.FormatInt(inc.Number, 10) + "-" + short(inc.ID)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ParseActionCorrelation reads the action number and UUID start out of an
// action's correlation id.
func ParseActionCorrelation(c string) (number int64, idStart string, ok bool) {
	rest, found := strings.CutPrefix(c, actionPrefix)
	if !found {
		return 0, "", false
	}
	num, id, found := strings.Cut(rest, "-")
	n, err := strconv.ParseInt(num, 10, 64)
	if !found || err != nil || n < 1 || id == "" {
		return 0, "", false
	}
	return n, id, true
}

// IsCorrelation reports whether s is one of drone's correlation ids.
func IsCorrelation(s string) bool {
	return strings.HasPrefix(s, actionPrefix) || strings.HasPrefix(s, incidentPrefix)
}

// CheckUsers reports the entries of a tracker's users map that cannot be
// used: an owner that is no chat identity ("platform:id"), or no user.
func CheckUsers(section string, users map[string]string) []error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(users)) {
		switch {
		case !strings.Contains(id, ":") || strings.HasPrefix(id, ":") || strings.HasSuffix(id, ":"):
			errs = append(errs, fmt.Errorf("%s.users: %q is not a chat identity such as slack:U024BE7LH", section, id))
		case strings.TrimSpace(users[id]) == "":
			errs = append(errs, fmt.Errorf("%s.users: %s maps to no user", section, id))
		}
	}
	return errs
}
