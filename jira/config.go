package jira

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ttp0/drone/httpapi"
	"github.com/ttp0/drone/tracker"
)

// Flavours of Jira a Client speaks.
const (
	// Cloud is Jira Cloud: REST API v3, basic authentication with an
	// account's e-mail and an API token, descriptions in the Atlassian
	// Document Format.
	Cloud = "cloud"
	// DataCenter is Jira Data Center (and Server): REST API v2, a personal
	// access token as a bearer token, descriptions as plain text.
	DataCenter = "datacenter"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultIssueType    = "Task"
	DefaultDueField     = "duedate"
	DefaultPollInterval = 5 * time.Minute
	DefaultTimeout      = 15 * time.Second
)

// Config describes how drone reaches Jira and what it files there.
type Config struct {
	// URL is Jira's base URL, such as https://example.atlassian.net or
	// https://jira.example.org (it may carry a context path). Empty (the
	// default) leaves Jira off.
	URL string `yaml:"url"`
	// Flavour is "cloud" (REST v3) or "datacenter" (REST v2). Defaults to
	// "cloud".
	Flavour string `yaml:"flavour"`
	// Email is the Atlassian account drone acts as, for Jira Cloud's basic
	// authentication. Required on Cloud; unused on Data Center.
	Email string `yaml:"email"`
	// Token is a Jira Cloud API token, or a Data Center personal access
	// token. No default; required.
	Token string `yaml:"token"`
	// Project is the key of the project tickets are filed in, such as SEC.
	// No default; required.
	Project string `yaml:"project"`
	// IssueType is the name of the issue type of the tickets. Defaults to
	// "Task".
	IssueType string `yaml:"issue_type"`
	// Labels are added to every ticket besides "drone" and the ticket's
	// correlation label (drone-act-<n>-<id>), which are always there.
	// Defaults to none.
	Labels []string `yaml:"labels"`
	// Incidents files a ticket for each incident too, closed when the
	// incident is. Defaults to false: only follow-up actions.
	Incidents bool `yaml:"incidents"`
	// Users maps an action owner's chat identity ("slack:U024BE7LH") to
	// the Jira user its issue is assigned to: an accountId on Cloud, a
	// user name on Data Center. Defaults to none: issues are unassigned.
	Users map[string]string `yaml:"users"`
	// DueField is the field an action's due date is written to, as
	// YYYY-MM-DD; "none" writes it nowhere (a screen without the field
	// refuses it). Defaults to "duedate".
	DueField string `yaml:"due_field"`
	// DoneTransition is the name of the transition that closes a ticket.
	// Defaults to empty: a transition named "Done", else any transition to
	// a status of the "done" category.
	DoneTransition string `yaml:"done_transition"`
	// PollInterval is how often drone reads the tickets changed in Jira,
	// to bring a ticket closed or reopened there onto its action. Defaults
	// to 5m; at least 30s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// WebhookSecret turns on drone serve's POST /jira/webhook, which
	// brings an issue's closing back at once instead of at the next poll.
	// Jira Cloud signs each call with it (the webhook's secret,
	// X-Hub-Signature: sha256=<HMAC>); a Jira that cannot sign puts it in
	// the webhook's URL, /jira/webhook?secret=<it>. Defaults to none: no
	// webhook, the poll alone.
	WebhookSecret string `yaml:"webhook_secret"`
	// Timeout bounds each request. Defaults to 15s.
	Timeout time.Duration `yaml:"timeout"`
	// SearchLag is how long Jira's search may take to show a new issue. A
	// creation that got no answer may have filed the issue all the same;
	// its retry, which looks the issue up by its label first, waits this
	// long so as not to file it twice. Defaults to 30s on Cloud, whose
	// search index lags, and 5s on Data Center.
	SearchLag time.Duration `yaml:"search_lag"`
}

// Enabled reports whether Jira is configured at all (URL is set).
func (c Config) Enabled() bool { return c.URL != "" }

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Flavour == "" {
		c.Flavour = Cloud
	}
	if c.IssueType == "" {
		c.IssueType = DefaultIssueType
	}
	if c.DueField == "" {
		c.DueField = DefaultDueField
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.SearchLag == 0 {
		c.SearchLag = 30 * time.Second
		if c.Flavour == DataCenter {
			c.SearchLag = 5 * time.Second
		}
	}
	return c
}

// projectKey is Jira's rule for project keys.
var projectKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)

// Validate returns every problem of an enabled configuration, joined; a
// disabled one (no URL) is valid.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("jira."+format, args...)) }
	if err := httpapi.CheckURL(c.URL, "email and token"); err != nil {
		add("url: %v", err)
	}
	switch c.Flavour {
	case "", Cloud:
		if c.Email == "" {
			add("email: required on Jira Cloud (the account the API token belongs to)")
		}
	case DataCenter:
	default:
		add("flavour: %q is neither %q nor %q", c.Flavour, Cloud, DataCenter)
	}
	if c.Token == "" {
		add("token: required when jira.url is set (an API token on Cloud, a personal access token on Data Center)")
	}
	if !projectKey.MatchString(c.Project) {
		add("project: %q is not a project key such as SEC", c.Project)
	}
	for _, l := range c.Labels {
		if l == "" || strings.ContainsAny(l, " \t\n") {
			add("labels: %q is not a label (no spaces, not empty)", l)
		}
	}
	if c.PollInterval != 0 && c.PollInterval < 30*time.Second {
		add("poll_interval: %s is shorter than 30s", c.PollInterval)
	}
	if c.Timeout < 0 {
		add("timeout: %v is negative", c.Timeout)
	}
	if c.WebhookSecret != "" && len(c.WebhookSecret) < 16 {
		add("webhook_secret: shorter than 16 characters; use a long random one")
	}
	if c.SearchLag < 0 {
		add("search_lag: %v is negative", c.SearchLag)
	}
	errs = append(errs, tracker.CheckUsers("jira", c.Users)...)
	return errors.Join(errs...)
}
