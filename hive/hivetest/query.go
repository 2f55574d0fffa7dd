package hivetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// filter is a predicate of the query languages, on cases or observables.
type filter[T any] func(T) bool

// filterFields says how one kind of entity is filtered: eq on a field's
// value, and parent on v0's {"_parent": ...}, which only observables have.
type filterFields[T any] struct {
	eq     func(name, value string) (filter[T], error)
	parent func(raw json.RawMessage) (filter[T], error)
}

// parseFilter reads {"_field", "_value"} (v0), {"_eq": {...}} (v1),
// {"_and": [...]} and, where fields allow, {"_parent": ...}; {} matches
// everything.
func parseFilter[T any](raw map[string]json.RawMessage, fields filterFields[T]) (filter[T], error) {
	if eq, ok := raw["_eq"]; ok {
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(eq, &inner); err != nil {
			return nil, badRequest("Invalid _eq filter")
		}
		return parseFilter(inner, fields)
	}
	if and, ok := raw["_and"]; ok {
		return parseAnd(and, fields)
	}
	if parent, ok := raw["_parent"]; ok && fields.parent != nil {
		return fields.parent(parent)
	}
	field, hasField := raw["_field"]
	if !hasField {
		if len(raw) == 0 {
			return func(T) bool { return true }, nil
		}
		return nil, badRequest("hivetest supports only _eq, _and and _parent filters")
	}
	var name string
	var value any
	if json.Unmarshal(field, &name) != nil || json.Unmarshal(raw["_value"], &value) != nil {
		return nil, badRequest("Invalid filter")
	}
	return fields.eq(name, fmt.Sprint(value))
}

func parseAnd[T any](raw json.RawMessage, fields filterFields[T]) (filter[T], error) {
	var parts []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, badRequest("Invalid _and filter")
	}
	var fs []filter[T]
	for _, p := range parts {
		f, err := parseFilter(p, fields)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return func(v T) bool {
		for _, f := range fs {
			if !f(v) {
				return false
			}
		}
		return true
	}, nil
}

var caseFields = filterFields[*Case]{eq: caseFieldEq}

func caseFieldEq(name, value string) (filter[*Case], error) {
	switch name {
	case "tags":
		return func(c *Case) bool { return slices.Contains(c.Tags, value) }, nil
	case "title":
		return func(c *Case) bool { return c.Title == value }, nil
	case "status":
		return func(c *Case) bool { return c.Status == value }, nil
	case "number", "caseId":
		return func(c *Case) bool { return strconv.Itoa(c.Number) == value }, nil
	}
	return nil, badRequest("hivetest cannot filter cases on %q", name)
}

type queryStep struct {
	Name     string              `json:"_name"`
	From     int                 `json:"from"`
	To       int                 `json:"to"`
	Fields   []map[string]string `json:"_fields"`
	IDOrName string              `json:"idOrName"`
}

// queryV1 answers POST /api/v1/query for listCase, or getCase then
// observables, with filter, sort and page.
func (s *Server) queryV1(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query []json.RawMessage `json:"query"`
	}
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(in.Query) > 0 && stepName(in.Query[0]) == "getCase" {
		s.queryObservables(w, in.Query)
		return
	}
	cases, err := runQuery(slices.Clone(s.st.cases), in.Query)
	if err != nil {
		fail(w, err)
		return
	}
	out := make([]map[string]any, 0, len(cases))
	for _, c := range cases {
		out = append(out, s.renderCase(v1, c))
	}
	writeJSON(w, http.StatusOK, out)
}

func runQuery(cases []*Case, steps []json.RawMessage) ([]*Case, error) {
	if len(steps) == 0 {
		return nil, badRequest("Empty query")
	}
	for i, raw := range steps {
		var step queryStep
		var all map[string]json.RawMessage
		if json.Unmarshal(raw, &step) != nil || json.Unmarshal(raw, &all) != nil {
			return nil, badRequest("Invalid query step %d", i)
		}
		if i == 0 && step.Name != "listCase" {
			return nil, badRequest("hivetest answers only queries starting with listCase, not %q", step.Name)
		}
		var err error
		if cases, err = applyStep(cases, step, all, caseFields, sortCases); err != nil {
			return nil, err
		}
	}
	return cases, nil
}

// applyStep runs a filter, sort or page step on the items of a query.
func applyStep[T any](items []T, step queryStep, all map[string]json.RawMessage, fields filterFields[T],
	sort func([]T, []map[string]string) ([]T, error)) ([]T, error) {
	switch step.Name {
	case "listCase":
		return items, nil
	case "filter":
		delete(all, "_name")
		f, err := parseFilter(all, fields)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(items, func(v T) bool { return !f(v) }), nil
	case "sort":
		return sort(items, step.Fields)
	case "page":
		return page(items, step.From, step.To), nil
	}
	return nil, badRequest("hivetest does not know query step %q", step.Name)
}

func sortCases(cases []*Case, fields []map[string]string) ([]*Case, error) {
	for _, f := range fields {
		for name, dir := range f {
			if name != "_createdAt" && name != "number" && name != "createdAt" {
				return nil, badRequest("hivetest cannot sort cases on %q", name)
			}
			// Creation order is number order; a stable sort keeps it.
			slices.SortStableFunc(cases, func(a, b *Case) int { return a.Number - b.Number })
			if dir == "desc" {
				slices.Reverse(cases)
			}
		}
	}
	return cases, nil
}

func page[T any](items []T, from, to int) []T {
	from = max(0, min(from, len(items)))
	to = max(from, min(to, len(items)))
	return items[from:to]
}

// searchV0 answers POST /api/case/_search?range=0-100 with {"query": ...}.
func (s *Server) searchV0(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query map[string]json.RawMessage `json:"query"`
	}
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	f, err := parseFilter(in.Query, caseFields)
	if err != nil {
		fail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cases := slices.DeleteFunc(slices.Clone(s.st.cases), func(c *Case) bool { return !f(c) })
	if strings.HasPrefix(r.URL.Query().Get("sort"), "-") {
		slices.Reverse(cases)
	}
	total := len(cases)
	from, to, err := parseRange(r.URL.Query().Get("range"), total)
	if err != nil {
		fail(w, err)
		return
	}
	out := make([]map[string]any, 0, total)
	for _, c := range page(cases, from, to) {
		out = append(out, s.renderCase(v0, c))
	}
	w.Header().Set("X-Total", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, out)
}

// parseRange reads "all", "" (the first 10, as TheHive) or "from-to".
func parseRange(v string, total int) (int, int, error) {
	switch v {
	case "all":
		return 0, total, nil
	case "":
		return 0, 10, nil
	}
	a, b, ok := strings.Cut(v, "-")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || from < 0 || to < from {
		return 0, 0, badRequest("Invalid range %q", v)
	}
	return from, to, nil
}
