package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tracker"
)

// Label is the label every ticket of drone carries; each carries its
// correlation label (tracker.ActionCorrelation) as well.
const Label = "drone"

// timeLayout is how Jira writes times: 2026-12-03T11:39:43.000+0000.
const timeLayout = "2006-01-02T15:04:05.000-0700"

// Status categories of Jira's workflows.
const (
	categoryNew  = "new"
	categoryWork = "indeterminate"
	categoryDone = "done"
)

var _ tracker.Tracker = (*Client)(nil)

// issue is an issue as Jira sends it, with the fields drone asks for.
type issue struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status  status   `json:"status"`
		Updated string   `json:"updated"`
		Labels  []string `json:"labels"`
	} `json:"fields"`
}

type status struct {
	Name     string `json:"name"`
	Category struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

// searchFields are the fields drone reads of an issue.
var searchFields = []string{"status", "updated", "labels"}

// ticket turns an issue into drone's words.
func (c *Client) ticket(is issue) tracker.Ticket {
	t := tracker.Ticket{ID: is.Key, Number: is.Key, URL: c.IssueURL(is.Key), Status: is.Fields.Status.Name, State: tracker.StateOpen}
	if is.Fields.Status.Category.Key == categoryDone {
		t.State = tracker.StateDone
	}
	if u, err := time.Parse(timeLayout, is.Fields.Updated); err == nil {
		t.Updated = u
	}
	for _, l := range is.Fields.Labels {
		if tracker.IsCorrelation(l) {
			t.Correlation = l
		}
	}
	return t
}

// IssueURL returns the page of an issue for people.
func (c *Client) IssueURL(key string) string { return c.base + "/browse/" + url.PathEscape(key) }

// Find returns the oldest issue of the project carrying the correlation
// label, or nil.
func (c *Client) Find(ctx context.Context, correlation string) (*tracker.Ticket, error) {
	jql := fmt.Sprintf("project = %s AND labels = %s ORDER BY created ASC", quote(c.cfg.Project), quote(correlation))
	found, err := c.search(ctx, jql, 1)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	t := c.ticket(found[0])
	return &t, nil
}

// Changed returns drone's issues of the project updated within window.
func (c *Client) Changed(ctx context.Context, window time.Duration) ([]tracker.Ticket, error) {
	minutes := int((window + time.Minute - 1) / time.Minute)
	jql := fmt.Sprintf("project = %s AND labels = %s AND updated >= -%dm", quote(c.cfg.Project), Label, minutes)
	found, err := c.search(ctx, jql, 0)
	if err != nil {
		return nil, err
	}
	out := make([]tracker.Ticket, 0, len(found))
	for _, is := range found {
		out = append(out, c.ticket(is))
	}
	return out, nil
}

// searchPage is how many issues one search request asks for.
const searchPage = 100

// search runs a JQL search, page after page, up to limit issues (0: all):
// Cloud's POST /rest/api/3/search/jql pages with nextPageToken, Data
// Center's POST /rest/api/2/search with startAt.
func (c *Client) search(ctx context.Context, jql string, limit int) ([]issue, error) {
	var all []issue
	page := searchPage
	if limit > 0 {
		page = min(limit, searchPage)
	}
	for token, startAt := "", 0; ; {
		var out struct {
			Issues        []issue `json:"issues"`
			NextPageToken string  `json:"nextPageToken"`
			IsLast        *bool   `json:"isLast"`
			Total         int     `json:"total"`
		}
		var err error
		if c.cfg.Flavour == DataCenter {
			in := map[string]any{"jql": jql, "startAt": startAt, "maxResults": page, "fields": searchFields}
			err = c.do(ctx, http.MethodPost, c.api+"/search", in, &out)
		} else {
			in := map[string]any{"jql": jql, "maxResults": page, "fields": searchFields}
			if token != "" {
				in["nextPageToken"] = token
			}
			err = c.do(ctx, http.MethodPost, c.api+"/search/jql", in, &out)
		}
		if err != nil {
			return nil, fmt.Errorf("searching %q: %w", jql, err)
		}
		all = append(all, out.Issues...)
		startAt += len(out.Issues)
		token = out.NextPageToken
		switch {
		case limit > 0 && len(all) >= limit:
			return all[:limit], nil
		case len(out.Issues) == 0:
			return all, nil
		case c.cfg.Flavour == DataCenter && startAt >= out.Total:
			return all, nil
		case c.cfg.Flavour != DataCenter && (token == "" || (out.IsLast != nil && *out.IsLast)):
			return all, nil
		}
	}
}

// quote writes a JQL string literal.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Create files a new issue in the project.
func (c *Client) Create(ctx context.Context, nt tracker.NewTicket) (*tracker.Ticket, error) {
	labels := []string{Label, nt.Correlation}
	for _, l := range c.cfg.Labels {
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	fields := map[string]any{
		"project":   map[string]string{"key": c.cfg.Project},
		"issuetype": map[string]string{"name": c.cfg.IssueType},
		"summary":   nt.Summary,
		"labels":    labels,
	}
	if c.cfg.Flavour == DataCenter {
		fields["description"] = nt.Description
	} else {
		fields["description"] = adf(nt.Description)
	}
	if nt.Due != nil && c.cfg.DueField != "none" {
		fields[c.cfg.DueField] = nt.Due.UTC().Format(dateLayout)
	}
	if nt.Assignee != "" {
		// Cloud names users by accountId only; Data Center by user name.
		if c.cfg.Flavour == DataCenter {
			fields["assignee"] = map[string]string{"name": nt.Assignee}
		} else {
			fields["assignee"] = map[string]string{"accountId": nt.Assignee}
		}
	}
	var out struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := c.do(ctx, http.MethodPost, c.api+"/issue", map[string]any{"fields": fields}, &out); err != nil {
		return nil, err
	}
	if out.Key == "" {
		return nil, drone.Permanent(fmt.Errorf("jira: POST %s/issue: the answer names no issue key", c.api))
	}
	return &tracker.Ticket{ID: out.Key, Number: out.Key, URL: c.IssueURL(out.Key), State: tracker.StateOpen,
		Correlation: nt.Correlation}, nil
}

// adf writes plain text as an Atlassian Document Format document, one
// paragraph per line, as Jira Cloud's v3 API wants descriptions.
func adf(text string) map[string]any {
	var content []any
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		content = append(content, map[string]any{"type": "paragraph",
			"content": []any{map[string]any{"type": "text", "text": line}}})
	}
	return map[string]any{"type": "doc", "version": 1, "content": content}
}

// Get reads an issue by its key, with its due date.
func (c *Client) Get(ctx context.Context, key string) (*tracker.Ticket, error) {
	fields := searchFields
	if c.cfg.DueField != "none" {
		fields = append(slices.Clone(fields), c.cfg.DueField)
	}
	var raw json.RawMessage
	path := c.api + "/issue/" + url.PathEscape(key) + "?fields=" + strings.Join(fields, ",")
	if err := c.do(ctx, http.MethodGet, path, nil, &raw); err != nil {
		return nil, err
	}
	var is issue
	var due struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(raw, &is); err != nil {
		return nil, drone.Permanent(fmt.Errorf("jira: GET %s/issue/%s: decoding the answer: %w", c.api, key, err))
	}
	t := c.ticket(is)
	var day string
	if json.Unmarshal(raw, &due) == nil && json.Unmarshal(due.Fields[c.cfg.DueField], &day) == nil {
		if d, err := time.Parse(dateLayout, day); err == nil {
			t.Due = &d
		}
	}
	return &t, nil
}

// dateLayout is how Jira writes a date field.
const dateLayout = "2006-01-02"

// SetDue writes the due date into jira.due_field, unless the issue has
// that day already or the field is "none".
func (c *Client) SetDue(ctx context.Context, t *tracker.Ticket, due time.Time) error {
	day := due.UTC().Format(dateLayout)
	if c.cfg.DueField == "none" || (t.Due != nil && t.Due.UTC().Format(dateLayout) == day) {
		return nil
	}
	in := map[string]any{"fields": map[string]string{c.cfg.DueField: day}}
	return c.do(ctx, http.MethodPut, c.api+"/issue/"+url.PathEscape(t.ID), in, nil)
}

// transition is a workflow transition available to an issue.
type transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   status `json:"to"`
}

// Move takes the issue through a transition to a status of the "done"
// category (to close it) or, to reopen it, of the "new" category, else of
// the "indeterminate" one. Jira keeps no note with a transition made
// through the API, so note is unused.
func (c *Client) Move(ctx context.Context, t *tracker.Ticket, to tracker.State, _ string) error {
	var out struct {
		Transitions []transition `json:"transitions"`
	}
	path := c.api + "/issue/" + url.PathEscape(t.ID) + "/transitions"
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return err
	}
	tr, ok := c.pick(out.Transitions, to)
	if !ok {
		return drone.Permanent(fmt.Errorf("jira: %s has no transition to a %s status from %q (available: %s)%s",
			t.Number, want(to), t.Status, names(out.Transitions), c.hint(to)))
	}
	return c.do(ctx, http.MethodPost, path, map[string]any{"transition": map[string]string{"id": tr.ID}}, nil)
}

func want(to tracker.State) string {
	if to.Closed() {
		return categoryDone
	}
	return "to-do"
}

func (c *Client) hint(to tracker.State) string {
	if to.Closed() && c.cfg.DoneTransition != "" {
		return "; jira.done_transition names " + strconv.Quote(c.cfg.DoneTransition)
	}
	return ""
}

// pick chooses the transition to take toward to.
func (c *Client) pick(ts []transition, to tracker.State) (transition, bool) {
	if to.Closed() {
		name := c.cfg.DoneTransition
		for _, t := range ts {
			if name != "" && strings.EqualFold(t.Name, name) {
				return t, true
			}
		}
		if name != "" {
			return transition{}, false
		}
		return pickCategory(ts, categoryDone, "Done")
	}
	if t, ok := pickCategory(ts, categoryNew, "To Do"); ok {
		return t, true
	}
	return pickCategory(ts, categoryWork, "In Progress")
}

// pickCategory returns the transition to a status of the category,
// preferring the one named preferred.
func pickCategory(ts []transition, category, preferred string) (transition, bool) {
	var first *transition
	for i, t := range ts {
		if t.To.Category.Key != category {
			continue
		}
		if strings.EqualFold(t.Name, preferred) || strings.EqualFold(t.To.Name, preferred) {
			return t, true
		}
		if first == nil {
			first = &ts[i]
		}
	}
	if first == nil {
		return transition{}, false
	}
	return *first, true
}

func names(ts []transition) string {
	if len(ts) == 0 {
		return "none"
	}
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%q to %s", t.Name, t.To.Name))
	}
	return strings.Join(out, ", ")
}
