package hive

import (
	"context"
	"fmt"
	"net/http"
)

const (
	searchPage     = 100
	searchMaxCases = 1000
)

// FindCasesByTag returns every case carrying tag, oldest first (v1: the
// query API; v0: /api/case/_search). It fails rather than return a partial
// list when more than 1000 cases match.
func (c *Client) FindCasesByTag(ctx context.Context, tag string) ([]Case, error) {
	if tag == "" {
		return nil, fmt.Errorf("finding cases: %w: empty tag", ErrInvalidInput)
	}
	var all []Case
	for from := 0; ; from += searchPage {
		page, err := c.searchPage(ctx, tag, from, from+searchPage)
		if err != nil {
			return nil, fmt.Errorf("finding cases tagged %q: %w", tag, err)
		}
		all = append(all, page...)
		if len(page) < searchPage {
			return all, nil
		}
		if len(all) >= searchMaxCases {
			return nil, fmt.Errorf("finding cases tagged %q: more than %d cases", tag, searchMaxCases)
		}
	}
}

func (c *Client) searchPage(ctx context.Context, tag string, from, to int) ([]Case, error) {
	path, body := c.searchRequest(tag, from, to)
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	var wire []wireCase
	if err := decode(http.MethodPost, path, resp.body, &wire); err != nil {
		return nil, err
	}
	out := make([]Case, 0, len(wire))
	for _, w := range wire {
		out = append(out, *c.caseFromWire(w))
	}
	return out, nil
}

// searchRequest returns the path and body of one page of a tag search.
func (c *Client) searchRequest(tag string, from, to int) (string, any) {
	eq := map[string]any{"_field": "tags", "_value": tag}
	if c.api == APIv0 {
		return fmt.Sprintf("%s?range=%d-%d&sort=%%2BcreatedAt", c.routes.search, from, to),
			map[string]any{"query": eq}
	}
	return c.routes.search, map[string]any{"query": []map[string]any{
		{"_name": "listCase"},
		{"_name": "filter", "_eq": eq},
		{"_name": "sort", "_fields": []map[string]string{{"_createdAt": "asc"}}},
		{"_name": "page", "from": from, "to": to},
	}}
}
