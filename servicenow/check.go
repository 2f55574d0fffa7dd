package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ttp0/drone/tracker"
)

// CheckInfo is what Check learnt of the instance.
type CheckInfo struct {
	// User is the integration user's name, when drone authenticates with
	// a user and password.
	User string
	// Table is the table checked; Group the assignment group's name, when
	// one is configured.
	Table, Group string
}

// Check verifies the URL, the credentials and that drone may read the
// table (and the assignment group, when one is set). Its errors say which
// setting to look at.
func (c *Client) Check(ctx context.Context) (*CheckInfo, error) {
	info := &CheckInfo{Table: c.cfg.Table}
	if c.cfg.User != "" {
		q := url.Values{"sysparm_query": {"user_name=" + c.cfg.User}, "sysparm_fields": {"name,user_name"}, "sysparm_limit": {"1"}}
		var out struct {
			Result []struct {
				Name string `json:"name"`
			} `json:"result"`
		}
		err := c.do(ctx, http.MethodGet, "/api/now/table/sys_user?"+q.Encode(), nil, &out)
		switch {
		case err != nil && tracker.StatusOf(err) != http.StatusForbidden:
			return nil, c.checkError("reading the integration user", err)
		case len(out.Result) > 0:
			info.User = out.Result[0].Name
		}
	}
	q := url.Values{"sysparm_fields": {"sys_id"}, "sysparm_limit": {"1"}}
	if err := c.do(ctx, http.MethodGet, c.tablePath()+"?"+q.Encode(), nil, nil); err != nil {
		switch tracker.StatusOf(err) {
		case http.StatusBadRequest:
			return nil, fmt.Errorf("checking ServiceNow: there is no table %q (servicenow.table): %w", c.cfg.Table, err)
		case http.StatusForbidden:
			return nil, fmt.Errorf("checking ServiceNow: the user may not read table %s; it needs a role such as itil (servicenow.user): %w", c.cfg.Table, err)
		}
		return nil, c.checkError("reading table "+c.cfg.Table, err)
	}
	if c.cfg.AssignmentGroup != "" {
		var out struct {
			Result struct {
				Name string `json:"name"`
			} `json:"result"`
		}
		err := c.do(ctx, http.MethodGet, "/api/now/table/sys_user_group/"+url.PathEscape(c.cfg.AssignmentGroup)+"?sysparm_fields=name", nil, &out)
		if tracker.StatusOf(err) == http.StatusNotFound {
			return nil, fmt.Errorf("checking ServiceNow: no group has the sys_id %s (servicenow.assignment_group): %w", c.cfg.AssignmentGroup, err)
		}
		if err != nil {
			return nil, c.checkError("reading the assignment group", err)
		}
		info.Group = out.Result.Name
	}
	return info, nil
}

func (c *Client) checkError(doing string, err error) error {
	switch tracker.StatusOf(err) {
	case 0:
		return fmt.Errorf("checking ServiceNow: %s: the instance could not be reached at servicenow.url: %w", doing, err)
	case http.StatusUnauthorized:
		if c.cfg.Token != "" {
			return fmt.Errorf("checking ServiceNow: the OAuth token was refused (servicenow.token): %w", err)
		}
		return fmt.Errorf("checking ServiceNow: the user and password were refused (servicenow.user, servicenow.password): %w", err)
	case http.StatusNotFound:
		return fmt.Errorf("checking ServiceNow: no Table API at servicenow.url (a wrong URL?): %w", err)
	}
	return fmt.Errorf("checking ServiceNow: %s: %w", doing, err)
}
