package cortex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CheckResult is what Check learnt of Cortex.
type CheckResult struct {
	// Analyzers are those enabled for the key's organisation.
	Analyzers []AnalyzerInfo
	// Missing are the configured analyzers Cortex does not have enabled.
	Missing []string
	// Problems are configured data types an analyzer does not take, one
	// line each.
	Problems []string
}

// Check reaches Cortex with the key, lists its analyzers, and compares
// them with the configured ones. Its errors say which setting to look at.
func (c *Client) Check(ctx context.Context, configured []Analyzer) (*CheckResult, error) {
	all, err := c.Analyzers(ctx)
	if err != nil {
		ae := asAPIError(err)
		var te *TransportError
		switch {
		case errors.As(err, &te):
			return nil, fmt.Errorf("checking Cortex: cannot reach Cortex (check cortex.url, and cortex.ca_file for HTTPS): %w", err)
		case ae != nil && ae.Status == http.StatusUnauthorized:
			return nil, fmt.Errorf("checking Cortex: the API key was refused (cortex.api_key): %w", err)
		case ae != nil && ae.Status == http.StatusForbidden:
			return nil, fmt.Errorf("checking Cortex: the key's user may not list analyzers (it needs the analyze role): %w", err)
		case ae != nil && ae.Status == http.StatusNotFound:
			return nil, fmt.Errorf("checking Cortex: no Cortex API at cortex.url (wrong URL or path prefix?): %w", err)
		}
		return nil, fmt.Errorf("checking Cortex: %w", err)
	}
	res := &CheckResult{Analyzers: all}
	for _, a := range configured {
		i := slices.IndexFunc(all, func(x AnalyzerInfo) bool { return x.Name == a.Name || x.ID == a.Name })
		if i < 0 {
			res.Missing = append(res.Missing, a.Name)
			continue
		}
		for _, dt := range a.DataTypes {
			if !slices.Contains(all[i].DataTypes, dt) {
				res.Problems = append(res.Problems, fmt.Sprintf("%s takes no %s data (it takes %s)",
					a.Name, dt, strings.Join(all[i].DataTypes, ", ")))
			}
		}
	}
	return res, nil
}
