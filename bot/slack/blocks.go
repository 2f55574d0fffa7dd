package slack

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
)

// Block Kit limits of messages.
const (
	maxMessageBlocks = 50
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxSectionFields = 10
	// wideRow is the longest row value shown in a column of two.
	wideRow = 60
)

// escape makes text safe in mrkdwn: what a user typed can then neither
// mention (<!channel>) nor link.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// noticeBlocks renders a Security Incident Notification in Block Kit:
// header, headline, the DRONE fields, the overview, one section per
// indicator type (defanged, with look-up links for public values), and the
// buttons, within a message's 50 blocks.
func noticeBlocks(n *drone.Notice) []slack.Block {
	head := "Security Incident Notification — " + n.Ref
	if n.Ref == "" { // a digest: about no one incident
		head = n.Title
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(truncate(head, maxHeaderText))),
		slack.NewSectionBlock(mrkdwn(truncate("*"+escape(n.Title)+"*\n"+mentions(escape(n.Headline)), maxSectionText)), nil, nil),
	}
	var fields []*slack.TextBlockObject
	var wide []string // rows too long for a column: a section each, after the columns
	for _, r := range n.Rows {
		text := "*" + escape(r.Label) + "*\n" + mentions(escape(r.Value))
		switch {
		case r.Value == "" || r.Label == "Incident Number":
		case r.Label == "Overview" || utf8.RuneCountInString(r.Value) > wideRow:
			wide = append(wide, text)
		default:
			fields = append(fields, mrkdwn(truncate(text, maxFieldText)))
		}
	}
	for len(fields) > 0 {
		k := min(len(fields), maxSectionFields)
		blocks = append(blocks, slack.NewSectionBlock(nil, fields[:k], nil))
		fields = fields[k:]
	}
	for _, text := range wide {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(truncate(text, maxSectionText)), nil, nil))
	}
	reserved := 3 // divider, context, actions
	if len(n.Sections) > 0 {
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, indicatorSections(n.Sections, maxMessageBlocks-len(blocks)-reserved)...)
	}
	footer := "drone"
	if n.Ref != "" {
		footer = fmt.Sprintf("TLP:%s · %s · drone", escape(n.TLP), escape(n.Ref))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(footer)))
	if len(n.Actions) > 0 {
		blocks = append(blocks, actionsBlock(n))
	}
	return blocks
}

// indicatorSections renders the indicator sections in at most room blocks,
// each within a section's 3,000 characters; what does not fit is counted.
func indicatorSections(sections []drone.Section, room int) []slack.Block {
	var out []slack.Block
	for _, s := range sections {
		if len(out) >= room {
			break
		}
		head := "*" + escape(s.Title) + "*"
		text, more := head, s.More
		for i, it := range s.Items {
			line := "\n• " + itemText(it)
			if utf8.RuneCountInString(text+line)+40 > maxSectionText {
				more += len(s.Items) - i
				break
			}
			text += line
		}
		if more > 0 {
			text += fmt.Sprintf("\n_and %d more: `/drone show` lists them all_", more)
		}
		out = append(out, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	return out
}

// itemText is one defanged indicator with its look-up links.
func itemText(it drone.Item) string {
	s := "`" + escape(strings.ReplaceAll(it.Text, "`", "'")) + "`"
	if it.Internal {
		return s + " _(internal)_"
	}
	links := make([]string, 0, len(it.Links))
	for _, l := range it.Links {
		// A link's URL is escaped the same way: Slack unescapes it.
		links = append(links, "<"+escape(l.URL)+"|"+escape(l.Label)+">")
	}
	if len(links) > 0 {
		s += " — " + strings.Join(links, " · ")
	}
	return s
}

// actionsBlock holds the notice's buttons; each carries the incident number.
func actionsBlock(n *drone.Notice) *slack.ActionBlock {
	num := strings.TrimPrefix(n.Ref, "INC-")
	elems := make([]slack.BlockElement, 0, len(n.Actions))
	for _, a := range n.Actions {
		b := slack.NewButtonBlockElement(actionPrefix+a.ID, num, plain(a.Label))
		switch a.ID {
		case "ack":
			b = b.WithStyle(slack.StylePrimary)
		case "close":
			b = b.WithStyle(slack.StyleDanger)
		}
		elems = append(elems, b)
	}
	return slack.NewActionBlock("actions", elems...)
}

// noticeText is a notice's notification text, shown where blocks are not.
func noticeText(n *drone.Notice) string {
	return escape(n.Subject) + ": " + mentions(escape(n.Headline))
}

// message is the answer to a slash command: the HTTP body, or the Socket
// Mode acknowledgement's payload.
type message struct {
	ResponseType string `json:"response_type,omitempty"` // "ephemeral" or "in_channel"
	Text         string `json:"text"`
}

// replyMessage renders a core reply: several lines in a code block (lists,
// help, an incident), one line as text with Slack users mentioned.
func replyMessage(r *drone.Reply) message {
	m := message{ResponseType: "ephemeral", Text: replyText(r.Text)}
	if r.Public {
		m.ResponseType = "in_channel"
	}
	return m
}

func replyText(text string) string {
	text = strings.TrimSpace(text)
	if strings.Contains(text, "\n") {
		return "```" + escape(strings.ReplaceAll(text, "```", "'''")) + "```"
	}
	return mentions(escape(text))
}

// errorMessage is the ephemeral answer to a failed command.
func errorMessage(text string) message {
	return message{ResponseType: "ephemeral", Text: ":warning: " + escape(text)}
}

// parseNumber reads the incident number a button carries.
func parseNumber(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: %q is not an incident number", errBadRequest, v)
	}
	return n, nil
}
