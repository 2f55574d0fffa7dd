package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/jira"
	"github.com/ttp0/drone/servicenow"
)

func (c *cli) jiraCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "jira", Short: "Check drone's connection to Jira", Args: cobra.NoArgs}
	cmd.AddCommand(c.checkCommand("Reach Jira with the configured URL and token; print the user, the project and its issue types",
		`Reach Jira with the configured URL, flavour and credentials, then read the
token's user and the project drone files issues in, and check that the project
has the configured issue type. When Jira cannot be reached, or refuses the
credentials, or lacks the project or the issue type, it says which setting to
look at. Exit status: 0 when all is well, 1 when Jira did not answer or
refused, 2 when the configuration itself is wrong or Jira is not configured.`,
		c.jiraCheck))
	return cmd
}

// jiraCheckResult is what drone jira check --json prints.
type jiraCheckResult struct {
	OK         bool     `json:"ok"`
	URL        string   `json:"url"`
	Flavour    string   `json:"flavour"`
	Version    string   `json:"version,omitempty"`
	User       string   `json:"user,omitempty"`
	Login      string   `json:"login,omitempty"`
	Project    string   `json:"project"`
	Name       string   `json:"project_name,omitempty"`
	IssueType  string   `json:"issue_type"`
	IssueTypes []string `json:"issue_types,omitempty"`
	Error      string   `json:"error,omitempty"`
}

func (c *cli) jiraCheck(ctx context.Context, asJSON bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	jc := cfg.Jira
	if !jc.Enabled() {
		return usageError{errors.New("no Jira is configured: set jira.url, jira.email, jira.token and jira.project " +
			"(or DRONE_JIRA_URL, DRONE_JIRA_EMAIL, DRONE_JIRA_TOKEN and DRONE_JIRA_PROJECT)")}
	}
	client, err := jira.New(jc)
	if err != nil {
		return usageError{err}
	}
	jc = client.Config()
	ctx, cancel := context.WithTimeout(ctx, 3*jc.Timeout+5*time.Second)
	defer cancel()
	res := jiraCheckResult{URL: jc.URL, Flavour: jc.Flavour, Project: jc.Project, IssueType: jc.IssueType}
	info, checkErr := client.Check(ctx)
	if info != nil {
		res.Version, res.User, res.Login, res.Name, res.IssueTypes = info.Version, info.User, info.Login, info.Project, info.IssueTypes
	}
	if checkErr != nil {
		res.Error = checkErr.Error()
	} else {
		res.OK = true
	}
	if asJSON {
		if err := c.printJSON(res); err != nil {
			return err
		}
		return checkErr
	}
	if checkErr == nil {
		version := res.Version
		if version == "" {
			version = "(version not reported)"
		}
		fmt.Fprintf(c.Out, "Jira %s %s at %s\n", jc.Flavour, version, res.URL)
		fmt.Fprintf(c.Out, "user: %s (%s)\n", res.User, res.Login)
		fmt.Fprintf(c.Out, "project: %s (%s), issue type %s of %s\n", res.Project, res.Name, res.IssueType, strings.Join(res.IssueTypes, ", "))
	}
	return checkErr
}

func (c *cli) serviceNowCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "servicenow", Short: "Check drone's connection to ServiceNow", Args: cobra.NoArgs}
	cmd.AddCommand(c.checkCommand("Reach ServiceNow with the configured URL and credentials; check the table and the assignment group",
		`Reach the ServiceNow instance with the configured URL and credentials, then
read the table drone files records in (and the assignment group, when one is
set). When the instance cannot be reached, or refuses the credentials, or the
table or the group is missing or unreadable, it says which setting to look at.
Exit status: 0 when all is well, 1 when ServiceNow did not answer or refused,
2 when the configuration itself is wrong or ServiceNow is not configured.`,
		c.serviceNowCheck))
	return cmd
}

// serviceNowCheckResult is what drone servicenow check --json prints.
type serviceNowCheckResult struct {
	OK    bool   `json:"ok"`
	URL   string `json:"url"`
	Auth  string `json:"auth"` // basic or oauth
	User  string `json:"user,omitempty"`
	Table string `json:"table"`
	Group string `json:"assignment_group,omitempty"`
	Error string `json:"error,omitempty"`
}

func (c *cli) serviceNowCheck(ctx context.Context, asJSON bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	sc := cfg.ServiceNow
	if !sc.Enabled() {
		return usageError{errors.New("no ServiceNow is configured: set servicenow.url with servicenow.user and " +
			"servicenow.password, or servicenow.token (or DRONE_SERVICENOW_URL, DRONE_SERVICENOW_USER, DRONE_SERVICENOW_PASSWORD)")}
	}
	client, err := servicenow.New(sc)
	if err != nil {
		return usageError{err}
	}
	sc = client.Config()
	ctx, cancel := context.WithTimeout(ctx, 3*sc.Timeout+5*time.Second)
	defer cancel()
	res := serviceNowCheckResult{URL: sc.URL, Auth: "basic", User: sc.User, Table: sc.Table}
	if sc.Token != "" {
		res.Auth = "oauth"
	}
	info, checkErr := client.Check(ctx)
	if info != nil {
		if info.User != "" {
			res.User = info.User + " (" + sc.User + ")"
		}
		res.Group = info.Group
	}
	if checkErr != nil {
		res.Error = checkErr.Error()
	} else {
		res.OK = true
	}
	if asJSON {
		if err := c.printJSON(res); err != nil {
			return err
		}
		return checkErr
	}
	if checkErr == nil {
		fmt.Fprintf(c.Out, "ServiceNow at %s (%s authentication)\n", res.URL, res.Auth)
		if res.User != "" {
			fmt.Fprintf(c.Out, "user: %s\n", res.User)
		}
		fmt.Fprintf(c.Out, "table: %s", res.Table)
		if res.Group != "" {
			fmt.Fprintf(c.Out, ", assignment group %s", res.Group)
		}
		fmt.Fprintln(c.Out)
	}
	return checkErr
}
