package tds

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
)

// decoder walks a yaml.Node tree, collecting problems with their lines instead of
// stopping at the first one. It accepts the shapes the original tool wrote: a single
// mapping where a list is expected, and comma-separated text where a list of text is.
type decoder struct {
	file     string
	problems []drone.Problem
	// draft is set when the file uses the hyphenated draft schema.
	draft bool
}

// pair is one entry of a YAML mapping; key is canonical (lower case, "-" as "_").
type pair struct {
	key, raw string
	k, v     *yaml.Node
}

// item is one text entry of a list, with its line.
type item struct {
	val  string
	line int
}

// keyAliases maps other spellings, including the draft's singular keys, to
// canonical keys.
var keyAliases = map[string]string{
	"surface":       "surfaces",
	"event":         "events",
	"observation":   "observations",
	"sensor":        "sensors",
	"technique":     "techniques",
	"reference":     "references",
	"source":        "sources",
	"alias":         "aliases",
	"platform":      "platforms",
	"last_modified": "modified_date",
	"created":       "created_date",
	"modified":      "modified_date",
	"author":        "created_by",
	"drone":         "drone_categories",
	"sub_context":   "sub_contexts",
	"subcontexts":   "sub_contexts",
}

// draftKeys are the singular keys of the draft schema.
var draftKeys = map[string]bool{"surface": true, "event": true, "observation": true}

func canonKey(raw string) string {
	k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(raw)), "-", "_")
	if a, ok := keyAliases[k]; ok {
		return a
	}
	return k
}

func (d *decoder) addf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.problems = append(d.problems, drone.Problem{File: d.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 32; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch resolve(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "text"
	default:
		return "something else"
	}
}

// mapping returns the entries of a mapping node, reporting repeated and non-text keys.
func (d *decoder) mapping(n *yaml.Node, what string) []pair {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, "%s must be a mapping of keys to values, not %s", what, kindName(n))
		return nil
	}
	out := make([]pair, 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.addf(n.Content[i], "%s has a key that is not text", what)
			continue
		}
		raw := strings.ToLower(strings.TrimSpace(k.Value))
		if strings.Contains(raw, "-") || draftKeys[raw] {
			d.draft = true
		}
		key := canonKey(raw)
		if seen[key] {
			d.addf(k, "%s repeats the key %q", what, k.Value)
			continue
		}
		seen[key] = true
		out = append(out, pair{key: key, raw: k.Value, k: k, v: n.Content[i+1]})
	}
	return out
}

// unknown reports a key that has no meaning at this level.
func (d *decoder) unknown(p pair, what string, known []string) {
	d.addf(p.k, "unknown key %q in %s (known keys: %s)", p.raw, what, strings.Join(known, ", "))
}

// text returns a scalar's trimmed value ("" for null).
func (d *decoder) text(n *yaml.Node, what string) string {
	n = resolve(n)
	if isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.addf(n, "%s must be text, not %s", what, kindName(n))
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// list returns a list of text: a YAML sequence, or comma-separated text as the
// original tool wrote it. Empty and repeated entries are reported and dropped.
func (d *decoder) list(n *yaml.Node, what string) []item {
	n = resolve(n)
	var raw []item
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.ScalarNode:
		for _, part := range strings.Split(n.Value, ",") {
			raw = append(raw, item{strings.TrimSpace(part), n.Line})
		}
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			c = resolve(c)
			if c == nil || c.Kind != yaml.ScalarNode || isNull(c) {
				d.addf(c, "each entry of %s must be text", what)
				continue
			}
			raw = append(raw, item{strings.TrimSpace(c.Value), c.Line})
		}
	default:
		d.addf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
	return d.dedupe(raw, what)
}

func (d *decoder) dedupe(raw []item, what string) []item {
	out := raw[:0]
	seen := map[string]bool{}
	for _, it := range raw {
		k := norm(it.val)
		switch {
		case it.val == "":
			d.problems = append(d.problems, drone.Problem{File: d.file, Line: it.line, Message: fmt.Sprintf("%s has an empty entry", what)})
		case seen[k]:
			d.problems = append(d.problems, drone.Problem{File: d.file, Line: it.line, Message: fmt.Sprintf("%s lists %q twice", what, it.val)})
		default:
			seen[k] = true
			out = append(out, it)
		}
	}
	return out
}

func values(items []item) []string {
	if len(items) == 0 {
		return nil
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.val
	}
	return out
}

// objects returns the entries of a list of mappings; a single mapping counts as a
// list of one, as in files written by the original tool.
func (d *decoder) objects(n *yaml.Node, what string) []*yaml.Node {
	n = resolve(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.MappingNode:
		return []*yaml.Node{n}
	case n.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, resolve(c))
		}
		return out
	default:
		d.addf(n, "%s must be a list, not %s", what, kindName(n))
		return nil
	}
}

// integer returns a scalar's value as an int, reporting anything else.
func (d *decoder) integer(n *yaml.Node, what string) (int, bool) {
	n = resolve(n)
	if isNull(n) {
		return 0, false
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		d.addf(n, "%s must be a whole number", what)
		return 0, false
	}
	return v, true
}

// boolean returns a scalar's value as a bool, reporting anything else.
func (d *decoder) boolean(n *yaml.Node, what string) bool {
	n = resolve(n)
	if isNull(n) {
		return false
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.addf(n, "%s must be true or false", what)
		return false
	}
	return v
}

// documentRoot returns the top node of a parsed document, or nil when it is empty.
func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return resolve(doc.Content[0])
	}
	if doc.Kind == 0 {
		return nil
	}
	return resolve(doc)
}
