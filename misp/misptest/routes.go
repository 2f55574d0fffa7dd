package misptest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

func (s *Server) version(http.ResponseWriter, *http.Request) any {
	return map[string]any{"version": Version, "pymisp_recommended_version": Version, "perm_sync": false,
		"perm_sighting": true, "perm_galaxy_editor": false, "request_encoding": []string{"gzip"}, "filter_sightings": true}
}

func (s *Server) me(http.ResponseWriter, *http.Request) any {
	return map[string]any{
		"User":         map[string]any{"id": "1", "email": "drone@example.org", "org_id": "1", "role_id": "3", "disabled": false},
		"Role":         map[string]any{"id": "3", "name": "User", "perm_add": true, "perm_sighting": true, "perm_tagger": true},
		"Organisation": map[string]any{"id": "1", "name": "ExampleSOC"},
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		badRequest(w, r, "Invalid JSON: "+err.Error())
		return false
	}
	return true
}

// attributeSearch answers /attributes/restSearch: {"response": {"Attribute":
// [...]}}, each attribute with its Event (its threat level with
// includeContext) and its tags (the event's too with includeEventTags).
func (s *Server) attributeSearch(w http.ResponseWriter, r *http.Request) any {
	var q struct {
		ReturnFormat     string          `json:"returnFormat"`
		Value            json.RawMessage `json:"value"`
		Type             json.RawMessage `json:"type"`
		IncludeContext   bool            `json:"includeContext"`
		IncludeEventTags bool            `json:"includeEventTags"`
	}
	if !decode(w, r, &q) {
		return nil
	}
	if q.ReturnFormat != "" && q.ReturnFormat != "json" {
		return badRequest(w, r, "misptest: only returnFormat json")
	}
	values, types := strings1(q.Value), strings1(q.Type)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, e := range s.events {
		for _, a := range e.Attributes {
			if len(types) > 0 && !slices.Contains(types, a.Type) {
				continue
			}
			if len(values) > 0 && !slices.ContainsFunc(values, func(v string) bool { return matches(a.Value, v) }) {
				continue
			}
			out = append(out, attributeJSON(e, a, q.IncludeContext, q.IncludeEventTags))
		}
	}
	return map[string]any{"response": map[string]any{"Attribute": out}}
}

func attributeJSON(e *Event, a *Attribute, context, eventTags bool) map[string]any {
	ev := map[string]any{"org_id": "1", "distribution": e.Distribution, "id": e.ID, "info": e.Info, "orgc_id": "1", "uuid": e.UUID}
	if context {
		ev["threat_level_id"], ev["analysis"], ev["date"], ev["published"] = e.ThreatLevelID, e.Analysis, e.Date, true
	}
	tags := []map[string]any{}
	for _, t := range a.Tags {
		tags = append(tags, map[string]any{"id": "1", "name": t, "colour": "#ffffff", "numerical_value": nil})
	}
	if eventTags {
		for _, t := range e.Tags {
			tags = append(tags, map[string]any{"id": "1", "name": t, "colour": "#ffffff", "inherited": 1})
		}
	}
	return map[string]any{"id": a.ID, "event_id": e.ID, "object_id": "0", "object_relation": nil, "category": a.Category,
		"type": a.Type, "value": a.Value, "to_ids": a.ToIDS, "uuid": a.UUID, "timestamp": "1700000000",
		"distribution": "5", "sharing_group_id": "0", "comment": "", "deleted": false, "disable_correlation": false,
		"first_seen": nilIfEmpty(a.FirstSeen), "last_seen": nilIfEmpty(a.LastSeen), "Event": ev, "Tag": tags}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// eventSearch answers /events/restSearch by tag: {"response": [{"Event":
// {...}}]}.
func (s *Server) eventSearch(w http.ResponseWriter, r *http.Request) any {
	var q struct {
		Tags json.RawMessage `json:"tags"`
	}
	if !decode(w, r, &q) {
		return nil
	}
	want := strings1(q.Tags)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, e := range s.events {
		if len(want) > 0 && !slices.ContainsFunc(want, func(t string) bool { return slices.Contains(e.Tags, t) }) {
			continue
		}
		out = append(out, map[string]any{"Event": eventJSON(e)})
	}
	return map[string]any{"response": out}
}

func eventJSON(e *Event) map[string]any {
	tags := []map[string]any{}
	for _, t := range e.Tags {
		tags = append(tags, map[string]any{"id": "1", "name": t, "colour": "#ffffff"})
	}
	attrs := []map[string]any{}
	for _, a := range e.Attributes {
		attrs = append(attrs, map[string]any{"id": a.ID, "event_id": e.ID, "type": a.Type, "category": a.Category,
			"value": a.Value, "to_ids": a.ToIDS, "uuid": a.UUID})
	}
	return map[string]any{"id": e.ID, "uuid": e.UUID, "info": e.Info, "threat_level_id": e.ThreatLevelID,
		"distribution": e.Distribution, "analysis": e.Analysis, "date": e.Date, "published": false,
		"Tag": tags, "Attribute": attrs}
}

// eventAdd answers /events/add with the event made: {"Event": {...}}.
func (s *Server) eventAdd(w http.ResponseWriter, r *http.Request) any {
	var q struct {
		Event struct {
			Info          string          `json:"info"`
			Distribution  json.RawMessage `json:"distribution"`
			ThreatLevelID json.RawMessage `json:"threat_level_id"`
			Analysis      json.RawMessage `json:"analysis"`
			Date          string          `json:"date"`
			Attribute     []struct {
				Type     string `json:"type"`
				Category string `json:"category"`
				Value    string `json:"value"`
				ToIDS    bool   `json:"to_ids"`
				Tag      []struct {
					Name string `json:"name"`
				} `json:"Tag"`
			} `json:"Attribute"`
			Tag []struct {
				Name string `json:"name"`
			} `json:"Tag"`
		} `json:"Event"`
	}
	if !decode(w, r, &q) {
		return nil
	}
	if q.Event.Info == "" {
		return badRequest(w, r, "The event could not be saved. info: Info cannot be empty.")
	}
	e := Event{Info: q.Event.Info, Distribution: number(q.Event.Distribution), ThreatLevelID: number(q.Event.ThreatLevelID),
		Analysis: number(q.Event.Analysis), Date: q.Event.Date}
	for _, t := range q.Event.Tag {
		e.Tags = append(e.Tags, t.Name)
	}
	for _, a := range q.Event.Attribute {
		if a.Type == "" || a.Value == "" {
			return badRequest(w, r, "The event could not be saved. Attribute: type and value are required.")
		}
		at := &Attribute{Type: a.Type, Category: a.Category, Value: a.Value, ToIDS: a.ToIDS}
		for _, t := range a.Tag {
			at.Tags = append(at.Tags, t.Name)
		}
		e.Attributes = append(e.Attributes, at)
	}
	s.mu.Lock()
	ev := s.store(e)
	out := map[string]any{"Event": eventJSON(ev)}
	s.mu.Unlock()
	return out
}

// number reads a MISP number sent as a JSON number or a string.
func number(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return strconv.Itoa(n)
	}
	return ""
}

func (s *Server) attribute(id string) *Attribute {
	for _, e := range s.events {
		for _, a := range e.Attributes {
			if a.ID == id || a.UUID == id {
				return a
			}
		}
	}
	return nil
}

// sightingAdd answers /sightings/add: {"Sighting": {...}}.
func (s *Server) sightingAdd(w http.ResponseWriter, r *http.Request) any {
	var q struct {
		ID     string `json:"id"`
		Source string `json:"source"`
		Type   string `json:"type"`
	}
	if !decode(w, r, &q) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.attribute(q.ID)
	if a == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"name": "Invalid attribute.", "message": "Invalid attribute.", "url": r.URL.Path})
		return nil
	}
	sg := Sighting{ID: s.id(), AttributeID: a.ID, Source: q.Source, Type: q.Type}
	s.sightings = append(s.sightings, sg)
	return map[string]any{"Sighting": map[string]any{"id": sg.ID, "attribute_id": sg.AttributeID, "event_id": a.EventID,
		"org_id": "1", "date_sighting": "1700000000", "uuid": "00000000-0000-4000-a000-" + sg.ID, "source": sg.Source, "type": sg.Type}}
}

// sightingSearch answers /sightings/restSearch/attribute by attribute id
// and source: {"response": [{"Sighting": {...}}]}.
func (s *Server) sightingSearch(w http.ResponseWriter, r *http.Request) any {
	var q struct {
		ID     string `json:"id"`
		Source string `json:"source"`
	}
	if !decode(w, r, &q) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, sg := range s.sightings {
		if (q.ID == "" || sg.AttributeID == q.ID) && (q.Source == "" || sg.Source == q.Source) {
			out = append(out, map[string]any{"Sighting": map[string]any{"id": sg.ID, "attribute_id": sg.AttributeID,
				"source": sg.Source, "type": sg.Type}})
		}
	}
	return map[string]any{"response": out}
}
