package drone

import (
	"encoding/json"
	"time"
)

// Targets of reminders (ReminderData.Target) besides the regulatory
// clocks, whose reminders name their clock instead.
const (
	ReminderUpdate = "update" // a status update is overdue
	ReminderAction = "action" // a follow-up action is near or past its due date
)

// Stages of a reminder (ReminderData.Stage).
const (
	StageLead    = "lead"    // the lead is reminded of an overdue update
	StageBefore  = "before"  // an action's owner, before its due date
	StageOverdue = "overdue" // an action's owner, after it
)

// ReminderData is the data of an EntryReminder of an overdue update or of
// a follow-up action: whom the chat integrations mention in the
// incident's channel, and about what. A regulatory clock's reminder has
// none of these fields set (it names its clock).
type ReminderData struct {
	Target string `json:"target,omitempty"` // ReminderUpdate, ReminderAction
	Stage  string `json:"stage,omitempty"`  // StageLead, StageBefore, StageOverdue
	// Who is the identity ("slack:U123") reminded: the lead, or the
	// action's owner; "" when there is none.
	Who string `json:"who,omitempty"`
	// Lead is the incident's lead of an update reminder (Who, by the name
	// the issue of reminders gave it).
	Lead   string    `json:"lead,omitempty"`
	Action string    `json:"action,omitempty"` // ACT-n
	Due    time.Time `json:"due"`
	Round  int       `json:"round,omitempty"` // 1 for the first reminder of a due time
}

// Reminder reads the data of a reminder entry of an overdue update or a
// follow-up action; ok is false for any other entry (a regulatory
// clock's reminder included).
func Reminder(e Entry) (ReminderData, bool) {
	var d ReminderData
	if e.Kind != EntryReminder || json.Unmarshal(e.Data, &d) != nil {
		return d, false
	}
	return d, d.Target == ReminderUpdate || d.Target == ReminderAction
}
