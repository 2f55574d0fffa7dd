package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ttp0/drone/tracker"
)

// CheckInfo is what Check learnt of Jira.
type CheckInfo struct {
	// User is the account the token belongs to: its display name and its
	// e-mail (Cloud) or user name (Data Center).
	User, Login string
	// Version is Jira's version, when it tells.
	Version string
	// Project is the project's name; IssueTypes its issue types.
	Project    string
	IssueTypes []string
}

// Check verifies the URL, the credentials, the project and the issue type
// by reading the token's user and the project. Its errors say which
// setting to look at.
func (c *Client) Check(ctx context.Context) (*CheckInfo, error) {
	var me struct {
		Name        string `json:"name"`
		Email       string `json:"emailAddress"`
		DisplayName string `json:"displayName"`
	}
	if err := c.do(ctx, http.MethodGet, c.api+"/myself", nil, &me); err != nil {
		return nil, c.checkError("reading the token's user", err)
	}
	info := &CheckInfo{User: me.DisplayName, Login: first(me.Email, me.Name)}
	var server struct {
		Version string `json:"version"`
	}
	if err := c.do(ctx, http.MethodGet, c.api+"/serverInfo", nil, &server); err == nil {
		info.Version = server.Version
	}
	var project struct {
		Name       string `json:"name"`
		IssueTypes []struct {
			Name string `json:"name"`
		} `json:"issueTypes"`
	}
	err := c.do(ctx, http.MethodGet, c.api+"/project/"+url.PathEscape(c.cfg.Project), nil, &project)
	if tracker.StatusOf(err) == http.StatusNotFound {
		return nil, fmt.Errorf("checking Jira: project %s does not exist, or %s may not browse it (jira.project): %w",
			c.cfg.Project, first(info.Login, info.User), err)
	}
	if err != nil {
		return nil, c.checkError("reading project "+c.cfg.Project, err)
	}
	info.Project = project.Name
	found := false
	for _, t := range project.IssueTypes {
		info.IssueTypes = append(info.IssueTypes, t.Name)
		found = found || strings.EqualFold(t.Name, c.cfg.IssueType)
	}
	if !found && len(info.IssueTypes) > 0 {
		return info, fmt.Errorf("checking Jira: project %s has no issue type %q (jira.issue_type); it has %s",
			c.cfg.Project, c.cfg.IssueType, strings.Join(info.IssueTypes, ", "))
	}
	return info, nil
}

func (c *Client) checkError(doing string, err error) error {
	switch tracker.StatusOf(err) {
	case 0:
		return fmt.Errorf("checking Jira: %s: Jira could not be reached at jira.url: %w", doing, err)
	case http.StatusUnauthorized:
		if c.cfg.Flavour == DataCenter {
			return fmt.Errorf("checking Jira: the personal access token was refused (jira.token): %w", err)
		}
		return fmt.Errorf("checking Jira: the e-mail and API token were refused (jira.email, jira.token): %w", err)
	case http.StatusForbidden:
		return fmt.Errorf("checking Jira: %s: the account may not use the REST API (jira.email, jira.token): %w", doing, err)
	case http.StatusNotFound:
		other := DataCenter
		if c.cfg.Flavour == DataCenter {
			other = Cloud
		}
		return fmt.Errorf("checking Jira: no REST API %s at jira.url (a wrong URL, or jira.flavour should be %s): %w",
			c.api, other, err)
	}
	return fmt.Errorf("checking Jira: %s: %w", doing, err)
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
