package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

func (c *cli) shellCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "shell",
		Short: "The DRONE MiniShell: declare through menus, gather indicators section by section, and run any command",
		Long: `The DRONE MiniShell. "new" walks the DRONE menus (category, sub-context,
severity, zone, tier, business unit, TLP, overview; "back" and "quit" work at
every step), then gathers indicators section by section as the original did
(source IPv4, destination IPv4, FQDN, URL, file hash, LDAP user, e-mail sender,
e-mail recipient, analyst comments) with done, skip, reset, remove and show,
and declares. Every chat command works too: ioc INC-3 ..., show INC-3, list.
It reads standard input when it is not a terminal, so it can be scripted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				lr, err := c.lineReader()
				if err != nil {
					return err
				}
				defer lr.Close()
				sh := &shell{cli: c, app: a, in: lr, out: c.Out}
				return sh.run(ctx)
			})
		},
	}
}

// errQuit ends the current menu walk; io.EOF ends the shell.
var errQuit = errors.New("quit")

// lineReader reads lines with a prompt; on a terminal it edits lines, keeps
// history and completes words.
type lineReader interface {
	ReadLine(prompt string, candidates []string) (string, error)
	Close() error
}

func (c *cli) lineReader() (lineReader, error) {
	if f, ok := c.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		comp := &completer{}
		history := "" // no home directory: no history, rather than a file in the working directory
		if home, err := os.UserHomeDir(); err == nil {
			history = filepath.Join(home, ".drone_history")
		}
		rl, err := readline.NewEx(&readline.Config{
			HistoryFile: history, AutoComplete: comp,
			InterruptPrompt: "^C", EOFPrompt: "quit", Stdin: f, Stdout: c.Out, Stderr: c.Err,
		})
		if err != nil {
			return nil, fmt.Errorf("starting line editor: %w", err)
		}
		return &terminalReader{rl: rl, comp: comp}, nil
	}
	return &plainReader{sc: bufio.NewScanner(c.In)}, nil
}

type terminalReader struct {
	rl   *readline.Instance
	comp *completer
}

func (t *terminalReader) ReadLine(prompt string, candidates []string) (string, error) {
	t.rl.SetPrompt(prompt)
	t.comp.words = candidates
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", errQuit
	}
	return line, err
}

func (t *terminalReader) Close() error { return t.rl.Close() }

// completer completes the current word from the candidates of the prompt.
type completer struct{ words []string }

func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	s := string(line[:pos])
	start := strings.LastIndexAny(s, " ") + 1
	word := strings.ToLower(s[start:])
	var out [][]rune
	for _, w := range c.words {
		if strings.HasPrefix(strings.ToLower(w), word) && !strings.Contains(w[len(word):], " ") {
			out = append(out, []rune(w[len(word):]+" "))
		}
	}
	return out, len([]rune(word))
}

// plainReader reads lines from a pipe or file, without prompts.
type plainReader struct{ sc *bufio.Scanner }

func (p *plainReader) ReadLine(string, []string) (string, error) {
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			return "", fmt.Errorf("reading input: %w", err)
		}
		return "", io.EOF
	}
	return p.sc.Text(), nil
}

func (p *plainReader) Close() error { return nil }

type shell struct {
	*cli
	app *app
	in  lineReader
	out io.Writer
}

func (sh *shell) run(ctx context.Context) error {
	fmt.Fprintf(sh.out, "DRONE MiniShell for %s. Type new to declare, help for commands, quit to leave.\n", sh.app.cfg.Organisation)
	words := []string{"new", "quit", "exit"}
	for _, c := range sh.app.svc.Grammar().Commands() {
		words = append(words, c.Name)
	}
	for {
		line, err := sh.in.ReadLine("drone> ", words)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, errQuit) {
			continue
		}
		if err != nil {
			return err
		}
		line = strings.TrimSpace(line)
		switch strings.ToLower(line) {
		case "":
			continue
		case "quit", "exit":
			return nil
		case "new":
			line = "declare"
		}
		if err := sh.command(ctx, line); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil && !errors.Is(err, errQuit) {
			fmt.Fprintln(sh.out, "error: "+message(err))
		}
	}
}

// command runs one line of the chat grammar; a reply that asks for a dialog
// is walked as menus.
func (sh *shell) command(ctx context.Context, line string) error {
	cmd, err := sh.app.svc.ParseCommand(line)
	if err != nil {
		return err
	}
	op := sh.operator()
	origin := drone.Origin{Channel: "shell"}
	reply, err := sh.app.svc.Execute(ctx, op, origin, cmd, 0)
	if err != nil {
		return err
	}
	if reply.Dialog == nil {
		fmt.Fprintln(sh.out, reply.Text)
		return nil
	}
	values, err := sh.walk(reply.Dialog)
	if err != nil {
		return err
	}
	switch reply.Dialog.ID {
	case "declare":
		return sh.declare(ctx, op, origin, values)
	case "status":
		in, errs := drone.UpdateInputFromDialog(values)
		if len(errs) > 0 {
			return drone.Errorf(drone.EINVALID, "%s", errs[drone.FieldNextUpdate])
		}
		inc, err := sh.app.svc.PostUpdate(ctx, op, origin, reply.Dialog.Ref, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(sh.out, "%s is %s\n", inc.Ref(), inc.Status)
	case "close":
		inc, err := sh.app.svc.Close(ctx, op, origin, reply.Dialog.Ref, drone.CloseInputFromDialog(values))
		if err != nil {
			return err
		}
		fmt.Fprintf(sh.out, "%s closed as %s\n", inc.Ref(), inc.Resolution)
	}
	return nil
}

// walk asks a dialog's fields one by one, as the original's menus did.
// "back" returns to the previous field, "quit" abandons the dialog.
func (sh *shell) walk(d *drone.Dialog) (map[string]string, error) {
	values := map[string]string{}
	fields := d.Fields
	if d.ID == "declare" { // indicators are gathered section by section afterwards
		fields = fields[:len(fields)-1]
	}
	for i := 0; i < len(fields); {
		f := &fields[i]
		v, err := sh.ask(f, values)
		switch {
		case errors.Is(err, errBack):
			i = max(i-1, 0)
			continue
		case err != nil:
			return nil, err
		}
		values[f.ID] = v
		if msg := d.Validate(values)[f.ID]; msg != "" {
			fmt.Fprintln(sh.out, "  "+msg)
			continue
		}
		i++
	}
	return values, nil
}

var errBack = errors.New("back")

// ask asks one field: a numbered menu for a select, a line for text.
func (sh *shell) ask(f *drone.Field, values map[string]string) (string, error) {
	opts := f.OptionsFor(values)
	if f.Kind == drone.FieldSelect && len(opts) == 0 {
		return "", nil // nothing configured to choose from
	}
	var words []string
	fmt.Fprintf(sh.out, "\n%s%s\n", f.Label, map[bool]string{false: " (optional: empty to skip)"}[f.Required])
	for i, o := range opts {
		fmt.Fprintf(sh.out, "  %2d) %s\n", i+1, o.Label)
		words = append(words, o.Value)
	}
	if f.Hint != "" {
		fmt.Fprintln(sh.out, "  "+f.Hint)
	}
	prompt := f.Label
	if f.Initial != "" {
		prompt += " [" + f.Initial + "]"
	}
	line, err := sh.in.ReadLine(prompt+"> ", append(words, "back", "quit"))
	if err != nil {
		return "", err
	}
	line = strings.TrimSpace(line)
	switch strings.ToLower(line) {
	case "back":
		return "", errBack
	case "quit":
		return "", errQuit
	case "":
		return f.Initial, nil
	}
	if f.Kind != drone.FieldSelect {
		return line, nil
	}
	return pickOption(opts, line), nil
}

// pickOption reads a menu answer: a number, a value or a label, ignoring case.
func pickOption(opts []drone.Option, answer string) string {
	var n int
	if _, err := fmt.Sscanf(answer, "%d", &n); err == nil && fmt.Sprint(n) == answer && n >= 1 && n <= len(opts) {
		return opts[n-1].Value
	}
	for _, o := range opts {
		if strings.EqualFold(o.Value, answer) || strings.EqualFold(o.Label, answer) {
			return o.Value
		}
	}
	return answer // Validate says what the choices are
}

// section is one step of the original MiniShell's indicator gathering.
type section struct {
	Label string
	Type  ioc.Type // "" for the free comments
	Tags  []string
}

var sections = []section{
	{"Source IPv4", ioc.IPv4, []string{"src"}},
	{"Destination IPv4", ioc.IPv4, []string{"dst"}},
	{"FQDN", ioc.Domain, nil},
	{"URL", ioc.URL, nil},
	{"File hash (MD5, SHA-1, SHA-256, SHA-512)", "hash", nil},
	{"LDAP user", ioc.UserName, nil},
	{"E-mail sender", ioc.Email, []string{"mail-sender"}},
	{"E-mail recipient", ioc.Email, []string{"mail-recipient"}},
	{"Analyst comments", "", nil},
}

// gather collects typed indicators section by section.
func (sh *shell) gather() ([]drone.TypedValue, string, error) {
	got := make([][]drone.TypedValue, len(sections))
	var comments []string
	fmt.Fprintln(sh.out, "\nIndicators, section by section: paste values (commas, spaces and lines all separate),"+
		"\nthen done. Also: skip, reset, remove VALUE, show, back, quit.")
	for i := 0; i < len(sections); {
		s := sections[i]
		line, err := sh.in.ReadLine("["+s.Label+"]> ", []string{"done", "skip", "reset", "remove", "show", "back", "quit"})
		if err != nil {
			return nil, "", err
		}
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch strings.ToLower(word) {
		case "done", "skip", "":
			if strings.EqualFold(word, "skip") {
				got[i] = nil
			}
			i++
		case "back":
			i = max(i-1, 0)
		case "quit":
			return nil, "", errQuit
		case "reset":
			got[i] = nil
			if s.Type == "" {
				comments = nil
			}
		case "remove":
			got[i] = removeValue(got[i], strings.TrimSpace(rest))
		case "show":
			sh.showGathered(got, comments)
		default:
			if s.Type == "" {
				comments = append(comments, strings.TrimSpace(line))
				continue
			}
			got[i] = sh.addValues(s, got[i], line)
		}
	}
	var all []drone.TypedValue
	for _, g := range got {
		all = append(all, g...)
	}
	return all, strings.Join(comments, "\n"), nil
}

// addValues validates each value of a line for the section's type, keeping
// the good ones and saying why the others were rejected.
func (sh *shell) addValues(s section, have []drone.TypedValue, line string) []drone.TypedValue {
	for _, v := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		norm, err := ioc.Validate(s.Type, v)
		if err != nil {
			fmt.Fprintf(sh.out, "  rejected %q: %v\n", v, err)
			continue
		}
		dup := false
		for _, h := range have {
			dup = dup || h.Value == norm
		}
		if !dup {
			have = append(have, drone.TypedValue{Type: s.Type, Value: norm, Tags: s.Tags})
			fmt.Fprintf(sh.out, "  + %s\n", ioc.Defang(s.Type, norm))
		}
	}
	return have
}

func removeValue(vs []drone.TypedValue, v string) []drone.TypedValue {
	out := vs[:0]
	for _, x := range vs {
		if x.Value != v && x.Value != ioc.Refang(v) {
			out = append(out, x)
		}
	}
	return out
}

func (sh *shell) showGathered(got [][]drone.TypedValue, comments []string) {
	for i, g := range got {
		if len(g) == 0 {
			continue
		}
		fmt.Fprintf(sh.out, "  %s:\n", sections[i].Label)
		for _, v := range g {
			fmt.Fprintf(sh.out, "    %s\n", ioc.Defang(v.Type, v.Value))
		}
	}
	if len(comments) > 0 {
		fmt.Fprintf(sh.out, "  Comments:\n    %s\n", strings.Join(comments, "\n    "))
	}
}

func (sh *shell) declare(ctx context.Context, op drone.Actor, origin drone.Origin, values map[string]string) error {
	typed, comments, err := sh.gather()
	if err != nil {
		return err
	}
	in := drone.DeclareInputFromDialog(values)
	in.Observables.Typed = typed
	if comments != "" {
		in.Overview = strings.TrimSpace(in.Overview + "\n\nAnalyst comments:\n" + comments)
	}
	answer, err := sh.in.ReadLine(fmt.Sprintf("Declare with %d indicator(s)? [Y/n]> ", len(typed)), []string{"yes", "no"})
	if err != nil {
		return err
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a == "n" || a == "no" {
		fmt.Fprintln(sh.out, "not declared")
		return nil
	}
	inc, res, err := sh.app.svc.Declare(ctx, op, origin, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(sh.out, "Declared %s: %s\n%s\n", inc.Ref(), inc.Title, drone.RenderAddResult(res))
	return nil
}
