package servicenow

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/ttp0/drone/httpapi"
	"github.com/ttp0/drone/tracker"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultTable        = "incident"
	DefaultDueField     = "due_date"
	DefaultCloseState   = "6" // the incident table's Resolved
	DefaultCancelState  = "8" // Canceled
	DefaultReopenState  = "2" // In Progress
	DefaultCloseCode    = "Solution provided"
	DefaultPollInterval = 5 * time.Minute
	DefaultTimeout      = 15 * time.Second
)

// Config describes how drone reaches a ServiceNow instance and what it
// files there.
type Config struct {
	// URL is the instance's base URL, such as
	// https://example.service-now.com. Empty (the default) leaves
	// ServiceNow off.
	URL string `yaml:"url"`
	// User and Password are the integration user's, for basic
	// authentication. Either they or Token are required.
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// Token is an OAuth access token, sent as a bearer token instead of
	// the user and password. Defaults to none.
	Token string `yaml:"token"`
	// Table is the table records are filed in: incident, sn_si_task (the
	// Security Incident Response tasks), task, or any table extending
	// task. Defaults to "incident", which every instance has.
	Table string `yaml:"table"`
	// AssignmentGroup is the sys_id of the group new records are assigned
	// to. Defaults to none: the instance's assignment rules decide.
	AssignmentGroup string `yaml:"assignment_group"`
	// Incidents files a record for each incident too, resolved when the
	// incident is closed. Defaults to false: only follow-up actions.
	Incidents bool `yaml:"incidents"`
	// Users maps an action owner's chat identity ("slack:U024BE7LH") to
	// the ServiceNow user (sys_id or user_name) its record is assigned to
	// (assigned_to). Defaults to none: records are unassigned.
	Users map[string]string `yaml:"users"`
	// DueField is the field an action's due date is written to;
	// "none" writes it nowhere. Defaults to "due_date".
	DueField string `yaml:"due_field"`
	// CloseState is the state drone sets when an action is done. Defaults
	// to "6" (Resolved on the incident table).
	CloseState string `yaml:"close_state"`
	// CancelState is the state drone sets when an action is cancelled.
	// Defaults to "8" (Canceled).
	CancelState string `yaml:"cancel_state"`
	// ReopenState is the state drone sets when an action is reopened.
	// Defaults to "2" (In Progress).
	ReopenState string `yaml:"reopen_state"`
	// DoneStates are the states in which a record counts as done (besides
	// CancelState, which counts as cancelled). Defaults to CloseState and
	// "7" (Closed).
	DoneStates []string `yaml:"done_states"`
	// CloseCode is the close_code (Resolution code) sent when drone
	// resolves a record; the incident table's data policy requires one.
	// Defaults to "Solution provided" on the incident table, none on
	// others.
	CloseCode string `yaml:"close_code"`
	// PollInterval is how often drone reads the records changed in
	// ServiceNow, to bring one resolved or reopened there onto its action.
	// Defaults to 5m; at least 30s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Timeout bounds each request. Defaults to 15s.
	Timeout time.Duration `yaml:"timeout"`
}

// Enabled reports whether ServiceNow is configured at all (URL is set).
func (c Config) Enabled() bool { return c.URL != "" }

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Table, DefaultTable)
	def(&c.DueField, DefaultDueField)
	def(&c.CloseState, DefaultCloseState)
	def(&c.CancelState, DefaultCancelState)
	def(&c.ReopenState, DefaultReopenState)
	if c.Table == DefaultTable {
		def(&c.CloseCode, DefaultCloseCode)
	}
	if c.DoneStates == nil {
		c.DoneStates = []string{c.CloseState, "7"}
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

var (
	tableName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	sysID     = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// Validate returns every problem of an enabled configuration, joined; a
// disabled one (no URL) is valid.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("servicenow."+format, args...)) }
	if err := httpapi.CheckURL(c.URL, "user and password"); err != nil {
		add("url: %v", err)
	}
	switch {
	case c.Token != "" && (c.User != "" || c.Password != ""):
		add("token: set with user and password; drone uses one or the other")
	case c.Token == "" && (c.User == "" || c.Password == ""):
		add("user, password: required when servicenow.url is set (or servicenow.token, an OAuth access token)")
	}
	if c.Table != "" && !tableName.MatchString(c.Table) {
		add("table: %q is not a table name such as incident", c.Table)
	}
	if c.AssignmentGroup != "" && !sysID.MatchString(c.AssignmentGroup) {
		add("assignment_group: %q is not a sys_id (32 hexadecimal digits)", c.AssignmentGroup)
	}
	if c.PollInterval != 0 && c.PollInterval < 30*time.Second {
		add("poll_interval: %s is shorter than 30s", c.PollInterval)
	}
	if c.Timeout < 0 {
		add("timeout: %v is negative", c.Timeout)
	}
	errs = append(errs, tracker.CheckUsers("servicenow", c.Users)...)
	return errors.Join(errs...)
}
