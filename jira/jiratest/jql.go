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

// jqlError is a JQL error in Jira's own words, which start with a capital
// and end with a full stop.
type jqlError string

func (e jqlError) Error() string { return string(e) }

// clause is one condition of a query: field op value.
type clause struct{ field, op, value string }

// query is the JQL subset drone writes.
type query struct {
	clauses []clause
	order   string // "", "created ASC" or "created DESC"
}

// parseJQL reads clauses on project, labels (=) and updated (>= a relative
// time such as -15m) joined by AND, with an optional ORDER BY created.
func parseJQL(jql string) (query, error) {
	toks, err := tokens(jql)
	if err != nil {
		return query{}, err
	}
	var q query
	for i := 0; i < len(toks); {
		if strings.EqualFold(toks[i], "ORDER") {
			if i+3 > len(toks) || !strings.EqualFold(toks[i+1], "BY") || toks[i+2] != "created" {
				return q, fmt.Errorf("jiratest understands only ORDER BY created")
			}
			q.order = "created ASC"
			if i+3 < len(toks) && strings.EqualFold(toks[i+3], "DESC") {
				q.order = "created DESC"
			}
			return q, nil
		}
		if i+3 > len(toks) {
			return q, jqlError(fmt.Sprintf("Error in the JQL Query: Expecting an operator and a value after '%s'.", toks[i]))
		}
		c := clause{field: toks[i], op: toks[i+1], value: toks[i+2]}
		if err := c.check(); err != nil {
			return q, err
		}
		q.clauses = append(q.clauses, c)
		i += 3
		if i < len(toks) && strings.EqualFold(toks[i], "AND") {
			i++
		}
	}
	return q, nil
}

func (c clause) check() error {
	switch {
	case (c.field == "project" || c.field == "labels") && c.op == "=":
	case c.field == "updated" && c.op == ">=":
		if _, err := relative(c.value); err != nil {
			return err
		}
	default:
		return fmt.Errorf("jiratest does not understand the clause %s %s %s", c.field, c.op, c.value)
	}
	return nil
}

// relative reads -15m, -2h or -1d.
func relative(v string) (time.Duration, error) {
	if len(v) < 3 || v[0] != '-' {
		return 0, jqlError(fmt.Sprintf("Date value '%s' for field 'updated' is invalid.", v))
	}
	n, err := strconv.Atoi(v[1 : len(v)-1])
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[v[len(v)-1]]
	if err != nil || unit == 0 {
		return 0, jqlError(fmt.Sprintf("Date value '%s' for field 'updated' is invalid.", v))
	}
	return time.Duration(n) * unit, nil
}

// tokens splits JQL into words, operators and quoted strings.
func tokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, jqlError(fmt.Sprintf("Error in the JQL Query: The quoted string '%s' has not been completed.", s[i:]))
			}
			out = append(out, b.String())
			i = j + 1
		case c == '>' || c == '=' || c == '<' || c == '!':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			out = append(out, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\"=<>!", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out, nil
}

// matches runs the query on the issues, under s.mu.
func (s *Server) matches(q query) []*Issue {
	now := s.opts.Now()
	var out []*Issue
	for _, is := range s.issues {
		ok := true
		for _, c := range q.clauses {
			switch c.field {
			case "project":
				ok = ok && c.value == s.opts.Project
			case "labels":
				ok = ok && slices.Contains(is.Labels, c.value)
			case "updated":
				d, _ := relative(c.value)
				ok = ok && !is.Updated.Before(now.Add(-d).Truncate(time.Minute))
			}
		}
		if ok {
			out = append(out, is)
		}
	}
	if q.order == "created DESC" {
		slices.Reverse(out)
	}
	return out
}

type searchRequest struct {
	JQL           string   `json:"jql"`
	MaxResults    *int     `json:"maxResults"`
	StartAt       int      `json:"startAt"`
	NextPageToken string   `json:"nextPageToken"`
	Fields        []string `json:"fields"`
}

// search decodes a search request and runs it, answering a 400 itself.
func (s *Server) search(w http.ResponseWriter, r *http.Request) (searchRequest, []map[string]any, bool) {
	var in searchRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		return in, nil, false
	}
	q, err := parseJQL(in.JQL)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, err.Error())
		return in, nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, is := range s.matches(q) {
		out = append(out, is.json())
	}
	return in, out, true
}

func pageSize(max *int) int {
	if max == nil || *max <= 0 || *max > 100 {
		return 50
	}
	return *max
}

// searchJQL is Jira Cloud's POST /rest/api/3/search/jql: pages follow
// nextPageToken, and there is no total.
func (s *Server) searchJQL(w http.ResponseWriter, r *http.Request) {
	in, all, ok := s.search(w, r)
	if !ok {
		return
	}
	start := 0
	if in.NextPageToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextPageToken, "page-"))
		if err != nil || n < 0 {
			writeErrors(w, http.StatusBadRequest, "The provided next page token is invalid or expired.")
			return
		}
		start = n
	}
	start = min(start, len(all))
	end := min(start+pageSize(in.MaxResults), len(all))
	out := map[string]any{"issues": all[start:end], "isLast": end >= len(all)}
	if end < len(all) {
		out["nextPageToken"] = "page-" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, out)
}

// searchStartAt is Data Center's POST /rest/api/2/search: pages follow
// startAt, and the answer gives the total.
func (s *Server) searchStartAt(w http.ResponseWriter, r *http.Request) {
	in, all, ok := s.search(w, r)
	if !ok {
		return
	}
	start := min(max(in.StartAt, 0), len(all))
	size := pageSize(in.MaxResults)
	end := min(start+size, len(all))
	writeJSON(w, http.StatusOK, map[string]any{"startAt": start, "maxResults": size, "total": len(all), "issues": all[start:end]})
}
