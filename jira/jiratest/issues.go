package jiratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Issue is an issue the stand-in holds.
type Issue struct {
	ID, Key   string
	IssueType string
	Summary   string
	// Description is the description as sent: a string (v2) or an
	// Atlassian Document Format document (v3).
	Description any
	Labels      []string
	DueDate     string
	Assignee    string // the accountId (v3) or user name (v2) assigned
	Status      string // To Do, In Progress or Done
	Created     time.Time
	Updated     time.Time
}

// The workflow: every status reachable from every other, by a transition
// of the same name.
var workflow = []struct{ id, name, category, categoryName string }{
	{"11", "To Do", "new", "To Do"},
	{"21", "In Progress", "indeterminate", "In Progress"},
	{"31", "Done", "done", "Done"},
}

func statusJSON(name string) map[string]any {
	for _, st := range workflow {
		if st.name == name {
			return map[string]any{"name": st.name, "statusCategory": map[string]any{"key": st.category, "name": st.categoryName}}
		}
	}
	return map[string]any{"name": name}
}

// timeLayout is how Jira writes times.
const timeLayout = "2006-01-02T15:04:05.000-0700"

func (is *Issue) json() map[string]any {
	var due any // null when none, as Jira sends it
	if is.DueDate != "" {
		due = is.DueDate
	}
	return map[string]any{"id": is.ID, "key": is.Key, "fields": map[string]any{
		"summary": is.Summary, "labels": is.Labels, "status": statusJSON(is.Status),
		"issuetype": map[string]string{"name": is.IssueType}, "duedate": due,
		"created": is.Created.Format(timeLayout), "updated": is.Updated.Format(timeLayout),
	}}
}

// Issues returns copies of the issues, oldest first.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		c := *is
		c.Labels = slices.Clone(is.Labels)
		out = append(out, c)
	}
	return out
}

// SetStatus moves an issue to a status as a user would in Jira's web page.
func (s *Server) SetStatus(key, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(key)
	if is == nil {
		return fmt.Errorf("jiratest: no issue %s", key)
	}
	is.Status, is.Updated = status, s.opts.Now()
	return nil
}

func (s *Server) find(key string) *Issue {
	for _, is := range s.issues {
		if is.Key == key || is.ID == key {
			return is
		}
	}
	return nil
}

func (s *Server) createIssue(version string, w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Fields == nil {
		writeErrors(w, http.StatusBadRequest, "Unexpected character in the request body")
		return
	}
	is, problems := s.issueFrom(version, in.Fields)
	if len(problems) > 0 {
		writeFieldErrors(w, http.StatusBadRequest, problems)
		return
	}
	s.mu.Lock()
	n := len(s.issues) + 1
	is.ID, is.Key = strconv.Itoa(10000+n), s.opts.Project+"-"+strconv.Itoa(n)
	is.Status, is.Created = "To Do", s.opts.Now()
	is.Updated = is.Created
	s.issues = append(s.issues, is)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": is.ID, "key": is.Key,
		"self": s.url + "/rest/api/" + version + "/issue/" + is.ID})
}

// issueFrom reads and checks the fields of a new issue as Jira does,
// field by field.
func (s *Server) issueFrom(version string, f map[string]json.RawMessage) (*Issue, map[string]string) {
	problems := map[string]string{}
	is := &Issue{}
	var project struct{ Key string }
	if json.Unmarshal(f["project"], &project) != nil || project.Key != s.opts.Project {
		problems["project"] = "Specify a valid project ID or key"
	}
	var it struct{ Name string }
	if json.Unmarshal(f["issuetype"], &it) != nil || !slices.Contains(s.opts.IssueTypes, it.Name) {
		problems["issuetype"] = "Specify an issue type"
	}
	is.IssueType = it.Name
	if json.Unmarshal(f["summary"], &is.Summary) != nil || strings.TrimSpace(is.Summary) == "" {
		problems["summary"] = "You must specify a summary of the issue."
	} else if len([]rune(is.Summary)) > 255 {
		problems["summary"] = "Summary must be less than 255 characters."
	}
	if raw, ok := f["description"]; ok {
		is.Description = description(version, raw, problems)
	}
	if raw, ok := f["labels"]; ok {
		if json.Unmarshal(raw, &is.Labels) != nil || slices.ContainsFunc(is.Labels, func(l string) bool { return l == "" || strings.ContainsAny(l, " \t") }) {
			problems["labels"] = "The label can't contain spaces."
		}
	}
	if raw, ok := f["duedate"]; ok {
		if json.Unmarshal(raw, &is.DueDate) != nil {
			problems["duedate"] = "Error parsing date string"
		} else if _, err := time.Parse("2006-01-02", is.DueDate); err != nil {
			problems["duedate"] = "Error parsing date string: " + is.DueDate
		}
	}
	if raw, ok := f["assignee"]; ok {
		is.Assignee = assignee(version, raw, problems)
	}
	for k := range f {
		switch k {
		case "project", "issuetype", "summary", "description", "labels", "duedate", "assignee":
		default:
			problems[k] = fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", k)
		}
	}
	return is, problems
}

// description reads a description: plain text on v2, an Atlassian
// Document Format document on v3, which refuses a string.
func description(version string, raw json.RawMessage, problems map[string]string) any {
	if version == "2" {
		var text string
		if json.Unmarshal(raw, &text) != nil {
			problems["description"] = "Operation value must be a string"
		}
		return text
	}
	var doc struct {
		Type    string            `json:"type"`
		Version int               `json:"version"`
		Content []json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.Type != "doc" || doc.Version != 1 {
		problems["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
		return nil
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// editIssue is PUT /rest/api/N/issue/{key}: it sets the fields given
// (drone sets only the due date), with the checks of a creation.
func (s *Server) editIssue(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErrors(w, http.StatusBadRequest, "Unexpected character in the request body")
		return
	}
	problems := map[string]string{}
	var due string
	for k, raw := range in.Fields {
		if k != "duedate" {
			problems[k] = fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", k)
			continue
		}
		if json.Unmarshal(raw, &due) != nil {
			problems[k] = "Error parsing date string"
		} else if _, err := time.Parse("2006-01-02", due); err != nil {
			problems[k] = "Error parsing date string: " + due
		}
	}
	if len(problems) > 0 {
		writeFieldErrors(w, http.StatusBadRequest, problems)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(r.PathValue("key"))
	if is == nil {
		writeErrors(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	if _, ok := in.Fields["duedate"]; ok {
		is.DueDate, is.Updated = due, s.opts.Now()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(r.PathValue("key"))
	if is == nil {
		writeErrors(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	writeJSON(w, http.StatusOK, is.json())
}

func (s *Server) transitions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(r.PathValue("key"))
	if is == nil {
		writeErrors(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	var out []any
	for _, st := range workflow {
		if st.name != is.Status {
			out = append(out, map[string]any{"id": st.id, "name": st.name, "to": statusJSON(st.name)})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": out})
}

func (s *Server) doTransition(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Transition struct {
			ID string `json:"id"`
		} `json:"transition"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErrors(w, http.StatusBadRequest, "Unexpected character in the request body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.find(r.PathValue("key"))
	if is == nil {
		writeErrors(w, http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
		return
	}
	for _, st := range workflow {
		if st.id == in.Transition.ID && st.name != is.Status {
			is.Status, is.Updated = st.name, s.opts.Now()
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeFieldErrors(w, http.StatusBadRequest, map[string]string{
		"transition": fmt.Sprintf("Transition id '%s' is not valid for this issue.", in.Transition.ID)})
}

func (s *Server) myself(w http.ResponseWriter, _ *http.Request) {
	me := map[string]any{"displayName": "drone", "active": true}
	if s.opts.Flavour == Cloud {
		me["accountId"], me["emailAddress"] = "557058:drone", s.opts.Email
	} else {
		me["name"], me["key"] = "drone", "JIRAUSER10000"
	}
	writeJSON(w, http.StatusOK, me)
}

func (s *Server) serverInfo(w http.ResponseWriter, _ *http.Request) {
	info := map[string]any{"baseUrl": s.url, "version": "1001.0.0-SNAPSHOT", "deploymentType": "Cloud"}
	if s.opts.Flavour == DataCenter {
		info["version"], info["deploymentType"] = "9.12.4", "Server"
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) project(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("key") != s.opts.Project {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", r.PathValue("key")))
		return
	}
	var types []map[string]string
	for i, t := range s.opts.IssueTypes {
		types = append(types, map[string]string{"id": strconv.Itoa(10001 + i), "name": t})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": "10000", "key": s.opts.Project, "name": "Security", "issueTypes": types})
}

// assignee reads the assignee field as Jira does: Cloud (v3) names users
// by accountId only, Data Center (v2) by name.
func assignee(version string, raw json.RawMessage, problems map[string]string) string {
	var u struct {
		AccountID string `json:"accountId"`
		Name      string `json:"name"`
	}
	if json.Unmarshal(raw, &u) != nil {
		problems["assignee"] = "Could not find a user for the assignee"
		return ""
	}
	if version == "3" {
		if u.AccountID == "" {
			problems["assignee"] = "Specify the user by accountId"
		}
		return u.AccountID
	}
	if u.Name == "" {
		problems["assignee"] = "Specify the user by name"
	}
	return u.Name
}
