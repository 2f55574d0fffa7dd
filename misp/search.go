package misp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ttp0/drone/drone/ioc"
)

// Hit is a MISP attribute that matched an indicator, with its event.
type Hit struct {
	AttributeID   string   `json:"attribute_id"`
	AttributeUUID string   `json:"attribute_uuid,omitempty"`
	Type          string   `json:"type"` // MISP's attribute type
	Value         string   `json:"value"`
	ToIDS         bool     `json:"to_ids"`
	EventID       string   `json:"event_id"`
	EventInfo     string   `json:"event_info"`
	ThreatLevel   string   `json:"threat_level"` // high, medium, low, undefined
	Tags          []string `json:"tags,omitempty"`
	FirstSeen     string   `json:"first_seen,omitempty"`
	LastSeen      string   `json:"last_seen,omitempty"`
}

// wireAttribute is an attribute as /attributes/restSearch returns it. MISP
// sends ids and timestamps as strings, threat_level_id as a string.
type wireAttribute struct {
	ID        string  `json:"id"`
	EventID   string  `json:"event_id"`
	UUID      string  `json:"uuid"`
	Type      string  `json:"type"`
	Value     string  `json:"value"`
	ToIDS     bool    `json:"to_ids"`
	FirstSeen *string `json:"first_seen"`
	LastSeen  *string `json:"last_seen"`
	Event     struct {
		ID            string      `json:"id"`
		Info          string      `json:"info"`
		ThreatLevelID json.Number `json:"threat_level_id"`
	} `json:"Event"`
	Tag []struct {
		Name string `json:"name"`
	} `json:"Tag"`
}

// Lookup returns the MISP attributes that hold an indicator of a drone type
// (ioc.Type), through the cache: an answer younger than the cache's TTL is
// reused. A type MISP has no attribute for returns nothing.
func (c *Client) Lookup(ctx context.Context, typ, value string) ([]Hit, error) {
	types, ok := lookupTypes[ioc.Type(typ)]
	if !ok || strings.TrimSpace(value) == "" {
		return nil, nil
	}
	key := typ + "\x00" + value
	if hits, ok := c.cache.get(key); ok {
		return hits, nil
	}
	hits, err := c.search(ctx, types, value)
	if err != nil {
		return nil, err
	}
	c.cache.put(key, hits)
	return hits, nil
}

func (c *Client) search(ctx context.Context, types []string, value string) ([]Hit, error) {
	// includeContext adds the event's threat level; includeEventTags the
	// event's tags (TLP, galaxies) to the attribute's own.
	req := map[string]any{"returnFormat": "json", "value": value, "type": types,
		"includeContext": true, "includeEventTags": true, "deleted": false, "limit": 50}
	var resp struct {
		Response struct {
			Attribute []wireAttribute `json:"Attribute"`
		} `json:"response"`
	}
	if err := c.do(ctx, http.MethodPost, "/attributes/restSearch", req, &resp); err != nil {
		return nil, err
	}
	hits := make([]Hit, 0, len(resp.Response.Attribute))
	for _, a := range resp.Response.Attribute {
		hits = append(hits, a.hit())
	}
	return hits, nil
}

func (a wireAttribute) hit() Hit {
	h := Hit{AttributeID: a.ID, AttributeUUID: a.UUID, Type: a.Type, Value: a.Value, ToIDS: a.ToIDS,
		EventID: a.EventID, EventInfo: a.Event.Info, ThreatLevel: threatLevels[a.Event.ThreatLevelID.String()]}
	if h.EventID == "" {
		h.EventID = a.Event.ID
	}
	if h.ThreatLevel == "" {
		h.ThreatLevel = "undefined"
	}
	if a.FirstSeen != nil {
		h.FirstSeen = *a.FirstSeen
	}
	if a.LastSeen != nil {
		h.LastSeen = *a.LastSeen
	}
	seen := map[string]bool{}
	for _, t := range a.Tag {
		if t.Name != "" && !seen[t.Name] {
			seen[t.Name] = true
			h.Tags = append(h.Tags, t.Name)
		}
	}
	return h
}

// Summary is the hit in a sentence for people: "known to MISP event 1234,
// APT-X, threat level high".
func (h Hit) Summary() string {
	s := fmt.Sprintf("known to MISP event %s, %s, threat level %s", h.EventID, h.EventInfo, h.ThreatLevel)
	if h.LastSeen != "" {
		s += ", last seen " + h.LastSeen
	}
	return s
}
