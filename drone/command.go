package drone

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Command is one parsed line of drone's grammar, shared by every surface:
// "/drone ioc INC-3 1.2.3.4" in Slack or Discord, "ioc INC-3 1.2.3.4" in
// drone shell.
type Command struct {
	Name  string            // a name from Commands, or "" for an empty line
	Ref   int64             // the incident named (INC-n), 0 when none
	Args  []string          // the remaining words, quotes removed
	Flags map[string]string // key=value and --key value pairs, keys lower-cased
	Text  string            // everything after the name and reference, as typed
}

// CommandSpec describes one command for help and completion.
type CommandSpec struct {
	Name    string
	Usage   string
	Summary string
	Aliases []string
}

// Commands is the core grammar, in the order help lists it. Integrations
// add their own commands as Extensions registered with the Service; the
// Service's Grammar is both.
var Commands = []CommandSpec{
	{Name: "declare", Usage: "declare [category=CAT1 subcontext=Phishing severity=high tier=T2 zone=Z bu=B tlp=amber private=yes overview=\"...\"]",
		Summary: "declare an incident (without fields: open the declare dialog)"},
	{Name: "ioc", Usage: "ioc [INC-n] TEXT", Summary: "add the indicators found in TEXT to an incident", Aliases: []string{"iocs", "add"}},
	{Name: "ack", Usage: "ack [INC-n]", Summary: "acknowledge an incident (and lead it, if it has no lead)", Aliases: []string{"acknowledge"}},
	{Name: "lead", Usage: "lead [INC-n] USER", Summary: "make USER the incident lead"},
	{Name: "role", Usage: "role [INC-n] ROLE USER", Summary: "hand a role (lead, scribe, communications, legal) to USER; USER none releases it"},
	{Name: "grant", Usage: "grant [INC-n] USER", Summary: "let USER into a private incident"},
	{Name: "access", Usage: "access INC-n [REASON]", Summary: "ask the lead of a private incident to let you in"},
	{Name: "status", Usage: "status [INC-n] [contained|resolved] [SUMMARY]", Summary: "post a status update (without text: open the update dialog)", Aliases: []string{"update"}},
	{Name: "close", Usage: "close [INC-n] [RESOLUTION] [IMPACT] [SUMMARY]", Summary: "close an incident (without text: open the close dialog)"},
	{Name: "snooze", Usage: "snooze [INC-n] DURATION REASON", Summary: "put off the next status update and its reminders (snooze 45m waiting for the vendor)"},
	{Name: "action", Usage: "action [INC-n] \"TEXT\" [@OWNER] [due YYYY-MM-DD|due in 3d] | action done|reopen|cancel ACT-n [NOTE]",
		Summary: "add a follow-up action to an incident, or mark one done, reopened or cancelled"},
	{Name: "actions", Usage: "actions [INC-n|open|mine|overdue]", Summary: "list follow-up actions (an incident's, or the open ones)"},
	{Name: "reopen", Usage: "reopen [INC-n] [REASON]", Summary: "reopen a resolved or closed incident"},
	{Name: "list", Usage: "list [open|all]", Summary: "list incidents (open ones by default)", Aliases: []string{"ls"}},
	{Name: "enrich", Usage: "enrich INDICATOR", Summary: "say what MISP and Cortex know of an indicator, and which past incidents held it", Aliases: []string{"seen"}},
	{Name: "show", Usage: "show [INC-n]", Summary: "show an incident with its indicators and timeline"},
	{Name: "help", Usage: "help [COMMAND]", Summary: "list the commands, or explain one"},
}

// Grammar is a set of commands: the core's and those of the enabled
// integrations. The zero value is empty; CoreGrammar holds the core's.
type Grammar struct {
	specs []CommandSpec
}

// CoreGrammar returns the grammar of the core commands alone.
func CoreGrammar() *Grammar { return &Grammar{specs: Commands} }

// NewGrammar returns the core grammar followed by extra commands, help
// listing them before "help", which stays last.
func NewGrammar(extra ...CommandSpec) *Grammar {
	specs := make([]CommandSpec, 0, len(Commands)+len(extra))
	specs = append(specs, Commands[:len(Commands)-1]...)
	specs = append(specs, extra...)
	return &Grammar{specs: append(specs, Commands[len(Commands)-1])}
}

// Commands returns the grammar's commands in the order help lists them.
func (g *Grammar) Commands() []CommandSpec { return g.specs }

// Lookup returns the spec of a command name or alias.
func (g *Grammar) Lookup(name string) (CommandSpec, bool) {
	name = strings.ToLower(name)
	for _, c := range g.specs {
		if c.Name == name || slices.Contains(c.Aliases, name) {
			return c, true
		}
	}
	return CommandSpec{}, false
}

// LookupCommand returns the spec of a core command name or alias.
func LookupCommand(name string) (CommandSpec, bool) { return CoreGrammar().Lookup(name) }

// ParseCommand parses a line of the core grammar (see Grammar.Parse).
func ParseCommand(line string) (Command, error) { return CoreGrammar().Parse(line) }

// Parse parses a line of the grammar. The first word is the command; an
// INC-n word anywhere among the leading words names the incident; words of
// the form key=value (or --key value) are flags. Quotes group words. An
// unknown command is an EINVALID error whose message lists the commands.
func (g *Grammar) Parse(line string) (Command, error) {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "/drone"))
	if line == "" {
		return Command{}, nil
	}
	name, rest := cutWord(line)
	spec, ok := g.Lookup(name)
	if !ok {
		return Command{}, Errorf(EINVALID, "unknown command %q; commands: %s", name, g.names())
	}
	cmd := Command{Name: spec.Name, Flags: map[string]string{}}
	if w, after := cutWord(rest); IsRef(w) {
		cmd.Ref, _ = ParseRef(w)
		rest = after
	}
	cmd.Text = strings.TrimSpace(rest)
	words, err := splitWords(cmd.Text)
	if err != nil {
		return Command{}, err
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case cmd.Ref == 0 && IsRef(w):
			cmd.Ref, _ = ParseRef(w)
		case strings.HasPrefix(w, "--") && len(w) > 2:
			k, v, has := strings.Cut(w[2:], "=")
			if !has && i+1 < len(words) {
				i++
				v = words[i]
			}
			cmd.Flags[strings.ToLower(k)] = v
		case isFlag(w):
			k, v, _ := strings.Cut(w, "=")
			cmd.Flags[strings.ToLower(k)] = v
		default:
			cmd.Args = append(cmd.Args, w)
		}
	}
	return cmd, nil
}

// isFlag reports whether w reads as key=value with a plain key, so that a
// URL with a query string ("http://x/?a=b") stays an argument.
func isFlag(w string) bool {
	k, _, ok := strings.Cut(w, "=")
	if !ok || k == "" {
		return false
	}
	for _, r := range k {
		if !unicode.IsLetter(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

func cutWord(s string) (string, string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// splitWords splits on white space, keeping "quoted words" and 'quoted words'
// together. Slack and Discord send typographic quotes; they count too.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && closes(quote, r):
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'' || r == '“' || r == '‘':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, Errorf(EINVALID, "a quote (%c) is not closed", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func closes(open, r rune) bool {
	switch open {
	case '“':
		return r == '”' || r == '"'
	case '‘':
		return r == '’' || r == '\''
	}
	return r == open
}

func (g *Grammar) names() string {
	names := make([]string, len(g.specs))
	for i, c := range g.specs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// Help returns the help text of the core grammar (see Grammar.Help).
func Help(topic string) string { return CoreGrammar().Help(topic) }

// Help returns the help text: every command, or one command in detail.
func (g *Grammar) Help(topic string) string {
	if topic != "" {
		if c, ok := g.Lookup(topic); ok {
			s := fmt.Sprintf("%s\n  %s", c.Usage, c.Summary)
			if len(c.Aliases) > 0 {
				s += "\n  also: " + strings.Join(c.Aliases, ", ")
			}
			return s
		}
	}
	var b strings.Builder
	b.WriteString("drone commands:\n")
	w := 0
	for _, c := range g.specs {
		w = max(w, len(c.Name))
	}
	for _, c := range g.specs {
		fmt.Fprintf(&b, "  %-*s  %s\n", w, c.Name, c.Summary)
	}
	b.WriteString("An incident is named INC-n; in an incident's channel it may be left out.")
	return b.String()
}

// declareFlags maps the accepted spellings of declare's fields to DeclareInput.
var declareFlags = map[string]string{
	"category": "category", "cat": "category",
	"subcontext": "subcontext", "sub": "subcontext", "sub-context": "subcontext", "type": "subcontext",
	"severity": "severity", "sev": "severity",
	"tier": "tier", "zone": "zone",
	"bu": "business_unit", "business_unit": "business_unit", "business-unit": "business_unit", "unit": "business_unit",
	"tlp": "tlp", "pap": "pap", "overview": "overview", "title": "title", "iocs": "iocs", "ioc": "iocs",
	"private": "private",
}

// DeclareInputFromFlags reads a declaration from command flags.
func DeclareInputFromFlags(flags map[string]string) (DeclareInput, error) {
	v := map[string]string{}
	var unknown []string
	for k, val := range flags {
		f, ok := declareFlags[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		v[f] = val
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return DeclareInput{}, Errorf(EINVALID, "unknown declare field(s) %s; fields: category, subcontext, severity, tier, zone, bu, tlp, pap, title, overview, iocs, private",
			strings.Join(unknown, ", "))
	}
	private, err := ParseYesNo("private", v["private"])
	if err != nil {
		return DeclareInput{}, err
	}
	return DeclareInput{Category: v["category"], SubContext: v["subcontext"], Severity: v["severity"], Tier: v["tier"],
		Zone: v["zone"], BusinessUnit: v["business_unit"], TLP: v["tlp"], PAP: v["pap"], Title: v["title"],
		Overview: v["overview"], Observables: ObservableInput{Text: v["iocs"]}, Private: private}, nil
}

// ParseYesNo reads a yes/no value of field ("" is no).
func ParseYesNo(field, s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "no", "false", "0", "off":
		return false, nil
	case "yes", "true", "1", "on":
		return true, nil
	}
	return false, Errorf(EINVALID, "%s=%q: say yes or no", field, s)
}
