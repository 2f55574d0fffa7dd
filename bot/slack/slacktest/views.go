package slacktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"unicode/utf8"
)

// View limits Slack enforces on modals.
const (
	MaxViewBlocks = 100
	MaxViewBytes  = 250_000
)

// View is a modal drone opened.
type View struct {
	ID, Hash   string
	User       string // whose trigger opened it
	CallbackID string
	Metadata   string // private_metadata
	Title      string
	Blocks     []map[string]any
	// State holds the current input values by block id and action id, in
	// the shape of view.state.values.
	State map[string]map[string]any
	// Updates counts the views.update calls on it.
	Updates int
}

// View returns a copy of a view.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[id]
	if v == nil {
		return View{}, false
	}
	return v.copy(), true
}

// Views returns copies of the views opened for a user, oldest first.
func (s *Server) Views(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for i := 1; i <= s.seq; i++ {
		if v := s.views[fmt.Sprintf("V%08X", i)]; v != nil && v.User == user {
			out = append(out, v.copy())
		}
	}
	return out
}

// ViewCount returns how many views were opened for a user.
func (s *Server) ViewCount(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.views {
		if v.User == user {
			n++
		}
	}
	return n
}

// ViewUpdates returns how many times a view was updated.
func (s *Server) ViewUpdates(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.views[id]; v != nil {
		return v.Updates
	}
	return 0
}

func (v *View) copy() View {
	c := *v
	c.Blocks = append([]map[string]any(nil), v.Blocks...)
	c.State = map[string]map[string]any{}
	for k, m := range v.State {
		c.State[k] = maps.Clone(m)
	}
	return c
}

// Input returns the input block with the given block id or action id.
func (v *View) Input(id string) map[string]any {
	for _, b := range v.Blocks {
		if b["type"] != "input" {
			continue
		}
		el, _ := b["element"].(map[string]any)
		if b["block_id"] == id || el["action_id"] == id {
			return b
		}
	}
	return nil
}

// Options returns the option values of an input block's element.
func (v *View) Options(id string) []string {
	b := v.Input(id)
	if b == nil {
		return nil
	}
	el, _ := b["element"].(map[string]any)
	var out []string
	for _, o := range asList(el["options"]) {
		val, _ := o["value"].(string)
		out = append(out, val)
	}
	return out
}

func asList(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) viewsOpen(p map[string]string) (map[string]any, string) {
	user, e := s.useTrigger(p["trigger_id"])
	if e != "" {
		return nil, e
	}
	v, e := parseView(p["view"])
	if e != "" {
		return nil, e
	}
	v.ID, v.User = s.nextID("V"), user
	v.Hash = fmt.Sprintf("%d.%s", s.opts.Now().Unix(), randomHex(6))
	v.State = initialState(v.Blocks, nil)
	s.views[v.ID] = v
	return map[string]any{"view": v.json()}, ""
}

func (s *Server) viewsUpdate(p map[string]string) (map[string]any, string) {
	old := s.views[p["view_id"]]
	if old == nil {
		return nil, "not_found"
	}
	if h := p["hash"]; h != "" && h != old.Hash {
		return nil, "hash_conflict"
	}
	v, e := parseView(p["view"])
	if e != "" {
		return nil, e
	}
	v.ID, v.User, v.Updates = old.ID, old.User, old.Updates+1
	v.Hash = fmt.Sprintf("%d.%s", s.opts.Now().Unix(), randomHex(6))
	v.State = initialState(v.Blocks, old.State)
	s.views[v.ID] = v
	return map[string]any{"view": v.json()}, ""
}

// parseView checks a modal as Slack does and reads what the stand-in keeps.
func parseView(raw string) (*View, string) {
	if len(raw) > MaxViewBytes {
		return nil, "view_too_large"
	}
	var m struct {
		Type            string           `json:"type"`
		Title           map[string]any   `json:"title"`
		Submit          map[string]any   `json:"submit"`
		Blocks          []map[string]any `json:"blocks"`
		CallbackID      string           `json:"callback_id"`
		PrivateMetadata string           `json:"private_metadata"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, "invalid_arguments"
	}
	title, _ := m.Title["text"].(string)
	submit, _ := m.Submit["text"].(string)
	switch {
	case m.Type != "modal", title == "", utf8.RuneCountInString(title) > 24, utf8.RuneCountInString(submit) > 24,
		len(m.Blocks) > MaxViewBlocks, len(m.PrivateMetadata) > 3000, len(m.CallbackID) > 255:
		return nil, "invalid_arguments"
	}
	ids := map[string]bool{}
	for _, b := range m.Blocks {
		id, _ := b["block_id"].(string)
		if id != "" && ids[id] {
			return nil, "invalid_arguments"
		}
		ids[id] = true
		if e := checkViewBlock(b); e != "" {
			return nil, e
		}
	}
	return &View{CallbackID: m.CallbackID, Metadata: m.PrivateMetadata, Title: title, Blocks: m.Blocks}, ""
}

func checkViewBlock(b map[string]any) string {
	if b["type"] != "input" {
		return checkBlock(b)
	}
	label, _ := b["label"].(map[string]any)
	el, _ := b["element"].(map[string]any)
	if label == nil || el == nil {
		return "invalid_arguments"
	}
	opts := asList(el["options"])
	switch el["type"] {
	case "static_select":
		if len(opts) == 0 || len(opts) > 100 {
			return "invalid_arguments"
		}
	case "checkboxes":
		if len(opts) == 0 || len(opts) > 10 {
			return "invalid_arguments"
		}
	case "plain_text_input":
		if n, _ := el["max_length"].(float64); n > 3000 {
			return "invalid_arguments"
		}
	default:
		return "invalid_arguments"
	}
	for _, o := range opts {
		t, _ := o["text"].(map[string]any)
		text, _ := t["text"].(string)
		val, _ := o["value"].(string)
		if text == "" || utf8.RuneCountInString(text) > 75 || val == "" || len(val) > 150 {
			return "invalid_arguments"
		}
	}
	return ""
}

// initialState is the state of a view's inputs: what the user entered in
// an input that the new view keeps (same block and action id), else the
// input's initial value.
func initialState(blocks []map[string]any, old map[string]map[string]any) map[string]map[string]any {
	st := map[string]map[string]any{}
	for _, b := range blocks {
		if b["type"] != "input" {
			continue
		}
		bid, _ := b["block_id"].(string)
		el, _ := b["element"].(map[string]any)
		aid, _ := el["action_id"].(string)
		if prev, ok := old[bid][aid]; ok {
			st[bid] = map[string]any{aid: prev}
			continue
		}
		v := map[string]any{"type": el["type"]}
		switch el["type"] {
		case "static_select":
			v["selected_option"] = el["initial_option"]
		case "checkboxes":
			sel := el["initial_options"]
			if sel == nil {
				sel = []any{}
			}
			v["selected_options"] = sel
		default:
			v["value"] = el["initial_value"]
		}
		st[bid] = map[string]any{aid: v}
	}
	return st
}

func (v *View) json() map[string]any {
	blocks := make([]any, len(v.Blocks))
	for i, b := range v.Blocks {
		blocks[i] = b
	}
	return map[string]any{"id": v.ID, "team_id": TeamID, "type": "modal", "callback_id": v.CallbackID,
		"private_metadata": v.Metadata, "title": map[string]any{"type": "plain_text", "text": v.Title},
		"blocks": blocks, "state": map[string]any{"values": v.State}, "hash": v.Hash, "root_view_id": v.ID,
		"app_id": AppID, "bot_id": BotID}
}

// setInputs applies values to a view's state as a user would enter them: a
// key names a block id, or else an action id (every block with it); a
// select takes one option value, checkboxes the option values to tick
// (those not in a block are left to the other blocks with the action id),
// a text input its text. s.mu must be held.
func (v *View) setInputs(values map[string][]string) error {
	for key, vals := range values {
		matched := false
		for _, b := range v.Blocks {
			bid, _ := b["block_id"].(string)
			el, _ := b["element"].(map[string]any)
			aid, _ := el["action_id"].(string)
			if b["type"] != "input" || (bid != key && aid != key) {
				continue
			}
			matched = true
			st, err := inputValue(el, vals)
			if err != nil {
				return fmt.Errorf("input %s: %w", key, err)
			}
			v.State[bid] = map[string]any{aid: st}
		}
		if !matched {
			return fmt.Errorf("view %s has no input %q", v.ID, key)
		}
	}
	return nil
}

// inputValue is the state of an element after a user entered vals.
func inputValue(el map[string]any, vals []string) (map[string]any, error) {
	st := map[string]any{"type": el["type"]}
	opts := asList(el["options"])
	find := func(val string) map[string]any {
		for _, o := range opts {
			if o["value"] == val {
				return o
			}
		}
		return nil
	}
	switch el["type"] {
	case "static_select":
		if len(vals) != 1 || find(vals[0]) == nil {
			return nil, fmt.Errorf("%q is not one of the options", vals)
		}
		st["selected_option"] = find(vals[0])
	case "checkboxes":
		sel := []any{}
		for _, val := range vals {
			if o := find(val); o != nil {
				sel = append(sel, o)
			}
		}
		st["selected_options"] = sel
	default:
		if len(vals) != 1 {
			return nil, fmt.Errorf("a text input takes one value, not %d", len(vals))
		}
		st["value"] = vals[0]
	}
	return st, nil
}
