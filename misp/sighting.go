package misp

import (
	"context"
	"encoding/json"
	"net/http"
)

// SightingSource is the source drone gives the sightings it adds for an
// incident, by which it finds them again: MISP has no idempotency key, so
// a sighting whose answer was lost is looked up before it is added again.
func SightingSource(incidentID string) string { return "drone:incident-id=" + incidentID }

// HasSighting reports whether the attribute already holds a sighting from
// source.
func (c *Client) HasSighting(ctx context.Context, attributeID, source string) (bool, error) {
	req := map[string]any{"returnFormat": "json", "id": attributeID, "source": source}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/sightings/restSearch/attribute", req, &raw); err != nil {
		return false, err
	}
	// MISP answers {"response": [{"Sighting": {...}}]} or, in older
	// versions, the bare list.
	var wrapped struct {
		Response []sightingRow `json:"response"`
	}
	var rows []sightingRow
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.Response != nil {
		rows = wrapped.Response
	} else if err := json.Unmarshal(raw, &rows); err != nil {
		rows = nil
	}
	for _, r := range rows {
		if r.Sighting.Source == source && (r.Sighting.AttributeID == "" || r.Sighting.AttributeID == attributeID) {
			return true, nil
		}
	}
	return false, nil
}

type sightingRow struct {
	Sighting struct {
		ID          string `json:"id"`
		AttributeID string `json:"attribute_id"`
		Source      string `json:"source"`
	} `json:"Sighting"`
}

// AddSighting adds a sighting (type 0: seen) of an attribute from source.
func (c *Client) AddSighting(ctx context.Context, attributeID, source string) error {
	req := map[string]any{"id": attributeID, "source": source, "type": "0"}
	return c.do(ctx, http.MethodPost, "/sightings/add", req, nil)
}
