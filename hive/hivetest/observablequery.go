package hivetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// stepName returns the _name of a query step, or "".
func stepName(raw json.RawMessage) string {
	var step queryStep
	_ = json.Unmarshal(raw, &step) // an invalid step has no name, which fails later
	return step.Name
}

// queryObservables answers a v1 query [getCase, observables, filter, sort,
// page] with the case's observables. The caller holds s.mu.
func (s *Server) queryObservables(w http.ResponseWriter, steps []json.RawMessage) {
	var first queryStep
	if json.Unmarshal(steps[0], &first) != nil || first.IDOrName == "" {
		fail(w, badRequest("Invalid getCase step: idOrName is missing"))
		return
	}
	c := s.st.findCase(first.IDOrName)
	if c == nil {
		fail(w, notFound("Case", first.IDOrName))
		return
	}
	if len(steps) >= 2 && stepName(steps[1]) == "tasks" {
		s.queryTasks(w, c, steps[2:])
		return
	}
	if len(steps) < 2 || stepName(steps[1]) != "observables" {
		fail(w, badRequest("hivetest answers getCase only when followed by observables or tasks"))
		return
	}
	obs := slices.Clone(s.st.observables[c.ID])
	fields := s.observableFields()
	for i, raw := range steps[2:] {
		var step queryStep
		var all map[string]json.RawMessage
		if json.Unmarshal(raw, &step) != nil || json.Unmarshal(raw, &all) != nil || step.Name == "listCase" {
			fail(w, badRequest("Invalid query step %d", i+2))
			return
		}
		var err error
		if obs, err = applyStep(obs, step, all, fields, sortObservables); err != nil {
			fail(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, s.renderObservables(v1, obs))
}

func (s *Server) renderObservables(api string, obs []*Observable) []map[string]any {
	out := make([]map[string]any, 0, len(obs))
	for _, o := range obs {
		out = append(out, s.renderObservable(api, o))
	}
	return out
}

// observableFields filters observables on a few fields, and on their case
// (v0's _parent). The caller holds s.mu while the filter runs.
func (s *Server) observableFields() filterFields[*Observable] {
	return filterFields[*Observable]{eq: observableFieldEq, parent: func(raw json.RawMessage) (filter[*Observable], error) {
		var p struct {
			Type  string `json:"_type"`
			Query struct {
				ID string `json:"_id"`
			} `json:"_query"`
		}
		if json.Unmarshal(raw, &p) != nil || p.Type != "case" || p.Query.ID == "" {
			return nil, badRequest(`hivetest answers _parent only as {"_type": "case", "_query": {"_id": ...}}`)
		}
		c := s.st.findCase(p.Query.ID)
		return func(o *Observable) bool { return c != nil && o.CaseID == c.ID }, nil
	}}
}

func observableFieldEq(name, value string) (filter[*Observable], error) {
	switch name {
	case "dataType":
		return func(o *Observable) bool { return o.DataType == value }, nil
	case "data":
		return func(o *Observable) bool { return o.Data == value }, nil
	case "ioc":
		return func(o *Observable) bool { return strconv.FormatBool(o.IOC) == value }, nil
	case "tags":
		return func(o *Observable) bool { return slices.Contains(o.Tags, value) }, nil
	case "attachment.name":
		return func(o *Observable) bool { return o.Attachment != nil && o.Attachment.Name == value }, nil
	case "attachment.hashes":
		return func(o *Observable) bool {
			a := o.Attachment
			return a != nil && slices.Contains([]string{a.SHA256, a.SHA1, a.MD5}, strings.ToLower(value))
		}, nil
	}
	return nil, badRequest("hivetest cannot filter observables on %q", name)
}

// sortObservables sorts by creation, which is the order they are held in.
func sortObservables(obs []*Observable, fields []map[string]string) ([]*Observable, error) {
	for _, f := range fields {
		for name, dir := range f {
			if name != "_createdAt" && name != "createdAt" && name != "startDate" {
				return nil, badRequest("hivetest cannot sort observables on %q", name)
			}
			if dir == "desc" {
				slices.Reverse(obs)
			}
		}
	}
	return obs, nil
}

// searchObservablesV0 answers POST /api/case/artifact/_search?range=0-100
// with {"query": ...}.
func (s *Server) searchObservablesV0(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query map[string]json.RawMessage `json:"query"`
	}
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := parseFilter(in.Query, s.observableFields())
	if err != nil {
		fail(w, err)
		return
	}
	var obs []*Observable
	for _, c := range s.st.cases {
		for _, o := range s.st.observables[c.ID] {
			if f(o) {
				obs = append(obs, o)
			}
		}
	}
	if strings.HasPrefix(r.URL.Query().Get("sort"), "-") {
		slices.Reverse(obs)
	}
	total := len(obs)
	from, to, err := parseRange(r.URL.Query().Get("range"), total)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("X-Total", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, s.renderObservables(v0, page(obs, from, to)))
}
