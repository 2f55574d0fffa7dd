package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"
)

// Message is a message as drone sends it: text, embeds, components.
type Message struct {
	ID         string                    `json:"id,omitempty"`
	ChannelID  string                    `json:"channel_id,omitempty"`
	Content    string                    `json:"content"`
	Embeds     []*discordgo.MessageEmbed `json:"embeds"`
	Components []Component               `json:"components"`
	Flags      int                       `json:"flags,omitempty"`
	// Nonce and EnforceNonce make a message once: Discord answers a second
	// message of the same author and nonce with the first.
	Nonce        json.RawMessage             `json:"nonce,omitempty"`
	EnforceNonce bool                        `json:"enforce_nonce,omitempty"`
	Reference    *discordgo.MessageReference `json:"message_reference,omitempty"`
	// WebhookID is set on a message an incoming webhook posted.
	WebhookID string `json:"webhook_id,omitempty"`
	// Attachments are the files a multipart message carried (files[n]).
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file posted with a message.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	// Content is the file's bytes, for tests; Discord serves them at a URL.
	Content []byte `json:"-"`
}

// Component is a message or modal component, decoded plainly: an action
// row holds buttons, a select menu, or (in a modal) one text input.
type Component struct {
	Type        int         `json:"type"`
	CustomID    string      `json:"custom_id,omitempty"`
	Label       string      `json:"label,omitempty"`
	Style       int         `json:"style,omitempty"`
	Value       string      `json:"value,omitempty"`
	Placeholder string      `json:"placeholder,omitempty"`
	Required    bool        `json:"required,omitempty"`
	MinLength   int         `json:"min_length,omitempty"`
	MaxLength   int         `json:"max_length,omitempty"`
	URL         string      `json:"url,omitempty"`
	Components  []Component `json:"components,omitempty"`
}

// Response is an interaction response as drone sends it.
type Response struct {
	Type int `json:"type"`
	Data struct {
		Message
		CustomID string                                      `json:"custom_id,omitempty"`
		Title    string                                      `json:"title,omitempty"`
		Choices  []*discordgo.ApplicationCommandOptionChoice `json:"choices,omitempty"`
	} `json:"data"`
}

// Ephemeral reports whether only the person who acted sees the answer.
func (r Response) Ephemeral() bool { return r.Data.Flags&int(discordgo.MessageFlagsEphemeral) != 0 }

// Inputs returns a modal's text inputs by custom id.
func (r Response) Inputs() map[string]Component {
	out := map[string]Component{}
	for _, row := range r.Data.Components {
		for _, c := range row.Components {
			out[c.CustomID] = c
		}
	}
	return out
}

// ParseResponse decodes an interaction response.
func ParseResponse(b []byte) (Response, error) {
	var r Response
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("decoding interaction response: %w", err)
	}
	return r, nil
}

// Discord's limits (its documentation, REFERENCE §4), counted as Discord
// counts: in UTF-16 code units.
const (
	MaxContent     = 2000
	MaxEmbeds      = 10
	MaxEmbedTitle  = 256
	MaxEmbedDesc   = 4096
	MaxEmbedFields = 25
	MaxFieldName   = 256
	MaxFieldValue  = 1024
	MaxFooter      = 2048
	MaxAuthor      = 256
	MaxEmbedsTotal = 6000
	MaxModalTitle  = 45
	MaxModalRows   = 5
	MaxInputLabel  = 45
	MaxInputValue  = 4000
	MaxPlaceholder = 100
	MaxCustomID    = 100
	MaxButtonLabel = 80
	MaxChoices     = 25
	MaxChoiceName  = 100
)

// Len is a text's length as Discord counts it.
func Len(s string) int { return len(utf16.Encode([]rune(s))) }

// CheckMessage returns why Discord would refuse a message, or nil.
func CheckMessage(m Message) error {
	if n := Len(m.Content); n > MaxContent {
		return fmt.Errorf("content is %d characters; at most %d", n, MaxContent)
	}
	if len(m.Embeds) > MaxEmbeds {
		return fmt.Errorf("%d embeds; at most %d", len(m.Embeds), MaxEmbeds)
	}
	total := 0
	for i, e := range m.Embeds {
		n, err := checkEmbed(e)
		if err != nil {
			return fmt.Errorf("embeds[%d]: %w", i, err)
		}
		total += n
	}
	if total > MaxEmbedsTotal {
		return fmt.Errorf("embeds hold %d characters; at most %d in all", total, MaxEmbedsTotal)
	}
	return checkMessageComponents(m.Components)
}

func checkEmbed(e *discordgo.MessageEmbed) (int, error) {
	if e == nil {
		return 0, fmt.Errorf("null embed")
	}
	type limit struct {
		what, text string
		max        int
	}
	limits := []limit{{"title", e.Title, MaxEmbedTitle}, {"description", e.Description, MaxEmbedDesc}}
	if e.Footer != nil {
		limits = append(limits, limit{"footer", e.Footer.Text, MaxFooter})
	}
	if e.Author != nil {
		limits = append(limits, limit{"author", e.Author.Name, MaxAuthor})
	}
	total := 0
	for _, l := range limits {
		n := Len(l.text)
		if n > l.max {
			return 0, fmt.Errorf("%s is %d characters; at most %d", l.what, n, l.max)
		}
		total += n
	}
	if len(e.Fields) > MaxEmbedFields {
		return 0, fmt.Errorf("%d fields; at most %d", len(e.Fields), MaxEmbedFields)
	}
	for j, f := range e.Fields {
		nn, nv := Len(f.Name), Len(f.Value)
		switch {
		case nn == 0 || nv == 0:
			return 0, fmt.Errorf("fields[%d]: a field needs a name and a value", j)
		case nn > MaxFieldName:
			return 0, fmt.Errorf("fields[%d].name is %d characters; at most %d", j, nn, MaxFieldName)
		case nv > MaxFieldValue:
			return 0, fmt.Errorf("fields[%d].value is %d characters; at most %d", j, nv, MaxFieldValue)
		}
		total += nn + nv
	}
	if total == 0 {
		return 0, fmt.Errorf("empty embed")
	}
	return total, nil
}

func checkMessageComponents(rows []Component) error {
	if len(rows) > 5 {
		return fmt.Errorf("%d component rows; at most 5", len(rows))
	}
	seen := map[string]bool{}
	for i, row := range rows {
		if row.Type != 1 || len(row.Components) == 0 || len(row.Components) > 5 {
			return fmt.Errorf("components[%d]: an action row holds 1 to 5 components", i)
		}
		for j, c := range row.Components {
			switch {
			case c.Type == 4:
				return fmt.Errorf("components[%d][%d]: text inputs belong in modals", i, j)
			case c.Type == 2 && Len(c.Label) > MaxButtonLabel:
				return fmt.Errorf("components[%d][%d]: button label is %d characters; at most %d", i, j, Len(c.Label), MaxButtonLabel)
			case c.URL == "" && (c.CustomID == "" || Len(c.CustomID) > MaxCustomID):
				return fmt.Errorf("components[%d][%d]: custom_id must hold 1 to %d characters", i, j, MaxCustomID)
			case c.CustomID != "" && seen[c.CustomID]:
				return fmt.Errorf("components[%d][%d]: custom_id %q used twice", i, j, c.CustomID)
			}
			seen[c.CustomID] = true
		}
	}
	return nil
}

// CheckModal returns why Discord would refuse a modal, or nil.
func CheckModal(r Response) error {
	d := r.Data
	if n := Len(d.Title); n == 0 || n > MaxModalTitle {
		return fmt.Errorf("modal title is %d characters; 1 to %d", n, MaxModalTitle)
	}
	if n := Len(d.CustomID); n == 0 || n > MaxCustomID {
		return fmt.Errorf("modal custom_id is %d characters; 1 to %d", n, MaxCustomID)
	}
	if len(d.Components) == 0 || len(d.Components) > MaxModalRows {
		return fmt.Errorf("modal has %d rows; 1 to %d", len(d.Components), MaxModalRows)
	}
	for i, row := range d.Components {
		if row.Type != 1 || len(row.Components) != 1 || row.Components[0].Type != 4 {
			return fmt.Errorf("modal row %d must hold exactly one text input", i)
		}
		if err := checkInput(row.Components[0]); err != nil {
			return fmt.Errorf("modal row %d: %w", i, err)
		}
	}
	return nil
}

func checkInput(c Component) error {
	switch {
	case Len(c.Label) == 0 || Len(c.Label) > MaxInputLabel:
		return fmt.Errorf("label %q must hold 1 to %d characters", c.Label, MaxInputLabel)
	case c.Style != 1 && c.Style != 2:
		return fmt.Errorf("style %d must be 1 (short) or 2 (paragraph)", c.Style)
	case Len(c.CustomID) == 0 || Len(c.CustomID) > MaxCustomID:
		return fmt.Errorf("custom_id must hold 1 to %d characters", MaxCustomID)
	case c.MaxLength < 0 || c.MaxLength > MaxInputValue || c.MinLength < 0 || c.MinLength > MaxInputValue:
		return fmt.Errorf("lengths must lie within 0 to %d", MaxInputValue)
	case Len(c.Placeholder) > MaxPlaceholder:
		return fmt.Errorf("placeholder is %d characters; at most %d", Len(c.Placeholder), MaxPlaceholder)
	case Len(c.Value) > MaxInputValue || (c.MaxLength > 0 && Len(c.Value) > c.MaxLength):
		return fmt.Errorf("value is %d characters; longer than allowed", Len(c.Value))
	}
	return nil
}

// CheckResponse returns why Discord would refuse an interaction response.
func CheckResponse(r Response) error {
	switch r.Type {
	case 1, 5, 6:
		return nil
	case 4, 7:
		if r.Type == 4 && r.Data.Content == "" && len(r.Data.Embeds) == 0 && len(r.Data.Components) == 0 {
			return fmt.Errorf("empty message")
		}
		return CheckMessage(r.Data.Message)
	case 8:
		if len(r.Data.Choices) > MaxChoices {
			return fmt.Errorf("%d choices; at most %d", len(r.Data.Choices), MaxChoices)
		}
		for _, c := range r.Data.Choices {
			if n := Len(c.Name); n == 0 || n > MaxChoiceName {
				return fmt.Errorf("choice name %q must hold 1 to %d characters", c.Name, MaxChoiceName)
			}
			if s, ok := c.Value.(string); ok && Len(s) > MaxChoiceName {
				return fmt.Errorf("choice value %q is longer than %d characters", s, MaxChoiceName)
			}
		}
		return nil
	case 9:
		return CheckModal(r)
	}
	return fmt.Errorf("unknown response type %d", r.Type)
}

var commandName = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// CheckCommands returns why Discord would refuse application commands.
func CheckCommands(cmds []*discordgo.ApplicationCommand) error {
	for _, c := range cmds {
		switch c.Type {
		case discordgo.ChatApplicationCommand, 0:
			if !commandName.MatchString(c.Name) || Len(c.Description) == 0 || Len(c.Description) > 100 {
				return fmt.Errorf("command %q: name must be lower-case words, description 1 to 100 characters", c.Name)
			}
			if err := checkOptions(c.Name, c.Options); err != nil {
				return err
			}
		case discordgo.MessageApplicationCommand, discordgo.UserApplicationCommand:
			if n := Len(c.Name); n == 0 || n > 32 || c.Description != "" || len(c.Options) > 0 {
				return fmt.Errorf("menu command %q: a name of 1 to 32 characters, no description, no options", c.Name)
			}
		default:
			return fmt.Errorf("command %q: unknown type %d", c.Name, c.Type)
		}
	}
	return nil
}

func checkOptions(path string, opts []*discordgo.ApplicationCommandOption) error {
	if len(opts) > 25 {
		return fmt.Errorf("%s: %d options; at most 25", path, len(opts))
	}
	optional := false
	for _, o := range opts {
		at := path + " " + o.Name
		if !commandName.MatchString(o.Name) || Len(o.Description) == 0 || Len(o.Description) > 100 {
			return fmt.Errorf("%s: name must be lower-case words, description 1 to 100 characters", at)
		}
		if o.Type == discordgo.ApplicationCommandOptionSubCommand {
			if err := checkOptions(at, o.Options); err != nil {
				return err
			}
			continue
		}
		if o.Required && optional {
			return fmt.Errorf("%s: required options must come before optional ones", at)
		}
		optional = optional || !o.Required
		if len(o.Choices) > MaxChoices || (o.Autocomplete && len(o.Choices) > 0) {
			return fmt.Errorf("%s: at most %d choices, and none with autocomplete", at, MaxChoices)
		}
		for _, ch := range o.Choices {
			s, _ := ch.Value.(string)
			if n := Len(ch.Name); n == 0 || n > MaxChoiceName || Len(s) > MaxChoiceName {
				return fmt.Errorf("%s: choice %q: name and value of 1 to %d characters", at, ch.Name, MaxChoiceName)
			}
		}
		if o.MaxLength > 6000 {
			return fmt.Errorf("%s: max_length %d; at most 6000", at, o.MaxLength)
		}
	}
	return nil
}
