package cortextest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// query is a Cortex (elastic4play) search query: {} matches everything;
// {"_and": [...]}, {"_or": [...]}, {"_not": q}, {"_field": f, "_value": v}
// and the short {f: v} are understood.
type query map[string]any

func readQuery(r *http.Request) (query, error) {
	var body struct {
		Query query `json:"query"`
	}
	if r.ContentLength == 0 {
		return query{}, nil
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return body.Query, nil
}

func filter(docs []map[string]any, q query) []map[string]any {
	out := []map[string]any{}
	for _, d := range docs {
		if matches(d, q) {
			out = append(out, d)
		}
	}
	return out
}

func matches(doc map[string]any, q map[string]any) bool {
	if f, ok := q["_field"].(string); ok {
		return equal(doc[f], q["_value"])
	}
	for k, v := range q {
		switch k {
		case "_and":
			for _, sub := range asList(v) {
				if !matches(doc, sub) {
					return false
				}
			}
		case "_or":
			hit := false
			for _, sub := range asList(v) {
				hit = hit || matches(doc, sub)
			}
			if !hit {
				return false
			}
		case "_not":
			if sub, ok := v.(map[string]any); ok && matches(doc, sub) {
				return false
			}
		default:
			if !equal(doc[k], v) {
				return false
			}
		}
	}
	return true
}

func asList(v any) []map[string]any {
	var out []map[string]any
	list, _ := v.([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// equal compares a document's field with a query value; a list field
// (dataTypeList) matches when it holds the value.
func equal(field, value any) bool {
	if list, ok := field.([]string); ok {
		for _, x := range list {
			if x == fmt.Sprint(value) {
				return true
			}
		}
		return false
	}
	return fmt.Sprint(field) == fmt.Sprint(value)
}

// page applies the range query parameter ("all", "0-10"; default 0-10).
func page(docs []map[string]any, r *http.Request) []map[string]any {
	rng := r.URL.Query().Get("range")
	if rng == "all" {
		return docs
	}
	from, to := 0, 10
	if a, b, ok := strings.Cut(rng, "-"); ok {
		if x, err := strconv.Atoi(a); err == nil {
			from = x
		}
		if y, err := strconv.Atoi(b); err == nil {
			to = y
		}
	}
	from, to = min(max(from, 0), len(docs)), min(max(to, 0), len(docs))
	if from > to {
		return []map[string]any{}
	}
	return docs[from:to]
}
