package discordtest

import "sort"

// Member is who makes an interaction.
type Member struct {
	ID    string
	Name  string
	Roles []string // role ids
}

// Place is where interactions happen and who makes them. Its methods build
// interaction payloads as Discord sends them, each with a new id.
type Place struct {
	AppID     string
	GuildID   string
	ChannelID string
	Member    Member
}

// Interaction is an interaction payload, ready to encode as JSON.
type Interaction map[string]any

// ID returns the interaction's id.
func (i Interaction) ID() string { s, _ := i["id"].(string); return s }

// Option is an option of a slash command. Type defaults to a string (3), or
// a boolean (5) for a bool value; a user option is 6.
type Option struct {
	Name    string
	Value   any
	Type    int
	Focused bool
}

func (p Place) base(typ int) Interaction {
	id := NewID()
	roles := p.Member.Roles
	if roles == nil {
		roles = []string{}
	}
	i := Interaction{"id": id, "application_id": p.AppID, "type": typ, "token": "tok" + id, "version": 1,
		"channel_id": p.ChannelID, "locale": "en-GB"}
	user := map[string]any{"id": p.Member.ID, "username": p.Member.Name, "global_name": p.Member.Name}
	if p.GuildID != "" {
		i["guild_id"] = p.GuildID
		i["member"] = map[string]any{"user": user, "roles": roles, "nick": nil}
	} else {
		i["user"] = user
	}
	return i
}

func options(opts []Option) []map[string]any {
	out := []map[string]any{}
	for _, o := range opts {
		t := o.Type
		if t == 0 {
			t = 3
			if _, ok := o.Value.(bool); ok {
				t = 5
			}
		}
		m := map[string]any{"name": o.Name, "type": t, "value": o.Value}
		if o.Focused {
			m["focused"] = true
		}
		out = append(out, m)
	}
	return out
}

// Command is /drone <sub> with options.
func (p Place) Command(sub string, opts ...Option) Interaction {
	i := p.base(2)
	i["data"] = map[string]any{"id": "1", "name": "drone", "type": 1,
		"options": []map[string]any{{"name": sub, "type": 1, "options": options(opts)}}}
	return i
}

// Autocomplete is the autocompletion of /drone <sub>'s focused option.
func (p Place) Autocomplete(sub string, opts ...Option) Interaction {
	i := p.Command(sub, opts...)
	i["type"] = 4
	return i
}

// MessageMenu is the message menu "Add indicators to incident" used on a
// message of the channel with this content.
func (p Place) MessageMenu(content string) Interaction {
	i := p.base(2)
	msgID := NewID()
	msg := map[string]any{"id": msgID, "channel_id": p.ChannelID, "content": content, "embeds": []any{},
		"author": map[string]any{"id": NewID(), "username": "reporter"}}
	i["data"] = map[string]any{"id": "2", "name": "Add indicators to incident", "type": 3, "target_id": msgID,
		"resolved": map[string]any{"messages": map[string]any{msgID: msg}}}
	return i
}

// Button is a press on a message button with this custom id.
func (p Place) Button(customID string) Interaction {
	i := p.base(3)
	i["data"] = map[string]any{"custom_id": customID, "component_type": 2}
	i["message"] = map[string]any{"id": NewID(), "channel_id": p.ChannelID, "content": ""}
	return i
}

// Submit is the submission of a modal with this custom id, its text inputs
// holding values (by custom id).
func (p Place) Submit(customID string, values map[string]string) Interaction {
	i := p.base(5)
	ids := make([]string, 0, len(values))
	for id := range values {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rows := []map[string]any{}
	for _, id := range ids {
		rows = append(rows, map[string]any{"type": 1, "components": []map[string]any{{"type": 4, "custom_id": id, "value": values[id]}}})
	}
	i["data"] = map[string]any{"custom_id": customID, "components": rows}
	return i
}

// Ping is Discord's PING, sent when the endpoint URL is saved.
func (p Place) Ping() Interaction {
	return Interaction{"id": NewID(), "application_id": p.AppID, "type": 1, "token": "tokping", "version": 1}
}
