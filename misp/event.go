package misp

import (
	"context"
	"net/http"
	"strconv"
)

// Event is a MISP event as drone creates it.
type Event struct {
	ID            string
	UUID          string
	Info          string
	Distribution  int
	ThreatLevelID int
	Analysis      int    // 0 initial, 1 ongoing, 2 completed
	Date          string // YYYY-MM-DD
	Attributes    []Attribute
	Tags          []string
}

// Attribute is one indicator of an exported event.
type Attribute struct {
	Type     string
	Category string
	Value    string
	ToIDS    bool
	Comment  string
	Tags     []string
}

type wireTag struct {
	Name string `json:"name"`
}

type wireEvent struct {
	ID            string        `json:"id,omitempty"`
	UUID          string        `json:"uuid,omitempty"`
	Info          string        `json:"info"`
	Distribution  string        `json:"distribution"`
	ThreatLevelID string        `json:"threat_level_id"`
	Analysis      string        `json:"analysis"`
	Date          string        `json:"date,omitempty"`
	Attribute     []wireAttrOut `json:"Attribute,omitempty"`
	Tag           []wireTag     `json:"Tag,omitempty"`
}

type wireAttrOut struct {
	Type         string    `json:"type"`
	Category     string    `json:"category"`
	Value        string    `json:"value"`
	ToIDS        bool      `json:"to_ids"`
	Comment      string    `json:"comment,omitempty"`
	Distribution string    `json:"distribution"`
	Tag          []wireTag `json:"Tag,omitempty"`
}

func tags(names []string) []wireTag {
	out := make([]wireTag, 0, len(names))
	for _, n := range names {
		out = append(out, wireTag{Name: n})
	}
	return out
}

// FindEvent returns the id and uuid of the event carrying tag, or "" when
// none does. Export tags every event it makes with its incident, so that an
// event whose creation answer was lost is found, not made twice.
func (c *Client) FindEvent(ctx context.Context, tag string) (id, uuid string, err error) {
	req := map[string]any{"returnFormat": "json", "tags": []string{tag}, "metadata": true, "limit": 2}
	var resp struct {
		Response []struct {
			Event struct {
				ID   string    `json:"id"`
				UUID string    `json:"uuid"`
				Tag  []wireTag `json:"Tag"`
			} `json:"Event"`
		} `json:"response"`
	}
	if err := c.do(ctx, http.MethodPost, "/events/restSearch", req, &resp); err != nil {
		return "", "", err
	}
	for _, r := range resp.Response {
		for _, t := range r.Event.Tag {
			if t.Name == tag { // a server ignoring the filter returns more
				return r.Event.ID, r.Event.UUID, nil
			}
		}
	}
	return "", "", nil
}

// AddEvent creates an event with its attributes and tags, and returns it
// with the id and uuid MISP gave it.
func (c *Client) AddEvent(ctx context.Context, e Event) (Event, error) {
	w := wireEvent{Info: e.Info, Distribution: itoa(e.Distribution), ThreatLevelID: itoa(e.ThreatLevelID),
		Analysis: itoa(e.Analysis), Date: e.Date, Tag: tags(e.Tags)}
	for _, a := range e.Attributes {
		// Distribution 5: the attribute inherits the event's.
		w.Attribute = append(w.Attribute, wireAttrOut{Type: a.Type, Category: a.Category, Value: a.Value,
			ToIDS: a.ToIDS, Comment: a.Comment, Distribution: "5", Tag: tags(a.Tags)})
	}
	var resp struct {
		Event struct {
			ID   string `json:"id"`
			UUID string `json:"uuid"`
		} `json:"Event"`
	}
	if err := c.do(ctx, http.MethodPost, "/events/add", map[string]any{"Event": w}, &resp); err != nil {
		return Event{}, err
	}
	e.ID, e.UUID = resp.Event.ID, resp.Event.UUID
	return e, nil
}

// itoa writes a number as MISP sends its own: a JSON string.
func itoa(n int) string { return strconv.Itoa(n) }
