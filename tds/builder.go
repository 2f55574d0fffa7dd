package tds

import (
	"github.com/ttp0/drone/drone"

	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Builder asks for a definition question by question, like the original tool's add
// commands: the threat, then its surfaces, each surface's events, and each event's
// observations. It reads plain lines, so it works with a terminal, a pipe or a file.
type Builder struct {
	// Now gives the creation date written in the metadata. Defaults to time.Now.
	Now func() time.Time
}

// Build runs a Builder with the defaults; see Builder.Build.
func Build(in io.Reader, out io.Writer) (*Threat, error) {
	return Builder{}.Build(in, out)
}

// errFinished reports the end of input at a point where the definition may end.
var errFinished = errors.New("input finished")

// session reads answers and writes prompts.
type session struct {
	r   *bufio.Reader
	out io.Writer
	eof bool
}

// Build asks its questions on out, reads the answers from in, and returns a valid
// definition; invalid answers are explained and asked again. Write the result with
// WriteFile or Marshal. The input may end once the definition has a surface with an
// event and an observation; ending earlier is an error.
func (b Builder) Build(in io.Reader, out io.Writer) (*Threat, error) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	s := &session{r: bufio.NewReader(in), out: out}
	t, err := s.threat(now().Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("building definition: %w", err)
	}
	if problems := t.Validate(); len(problems) > 0 {
		return t, fmt.Errorf("building definition: %w", drone.Problems(problems))
	}
	fmt.Fprintf(out, "Definition %s is complete.\n", t.FileName())
	return t, nil
}

// ask prints a prompt and reads one line.
func (s *session) ask(prompt string) (string, error) {
	if s.eof {
		return "", io.EOF
	}
	fmt.Fprint(s.out, prompt)
	line, err := s.r.ReadString('\n')
	if err != nil {
		if !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading answer: %w", err)
		}
		s.eof = true
		if line == "" {
			fmt.Fprintln(s.out)
			return "", io.EOF
		}
	}
	return strings.TrimSpace(strings.TrimRight(line, "\r\n")), nil
}

// answer asks until check accepts the answer. An empty answer gives def when def is
// not empty; otherwise check decides about it too.
func (s *session) answer(prompt, def string, check func(string) error) (string, error) {
	for {
		a, err := s.ask(prompt)
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("input ended at %q: %w", strings.TrimSpace(prompt), io.ErrUnexpectedEOF)
		}
		if err != nil {
			return "", err
		}
		if a == "" && def != "" {
			a = def
		}
		if err := check(a); err != nil {
			fmt.Fprintf(s.out, "  ! %v\n", err)
			continue
		}
		return a, nil
	}
}

// next asks for the name of the next item of a list; an empty answer, or the end of
// input, finishes the list once it has min items.
func (s *session) next(prompt string, have int, what string) (string, error) {
	for {
		a, err := s.ask(prompt)
		switch {
		case errors.Is(err, io.EOF) && have > 0:
			return "", errFinished
		case errors.Is(err, io.EOF):
			return "", fmt.Errorf("input ended before the first %s: %w", what, io.ErrUnexpectedEOF)
		case err != nil:
			return "", err
		case a == "" && have > 0:
			return "", errFinished
		case a == "":
			fmt.Fprintf(s.out, "  ! at least one %s is needed\n", what)
		default:
			return a, nil
		}
	}
}

func required(a string) error {
	if a == "" {
		return errors.New("an answer is required")
	}
	return nil
}

func anything(string) error { return nil }

func (s *session) threat(today string) (*Threat, error) {
	t := &Threat{License: "MIT"}
	steps := []func(*Threat) error{s.identity, s.about, func(t *Threat) error {
		author, err := s.answer("Author (optional): ", "", anything)
		t.Metadata = Metadata{CreatedBy: author, ModifiedBy: author, CreatedDate: today, ModifiedDate: today}
		return err
	}, s.categories, s.surfaces}
	for _, step := range steps {
		if err := step(t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (s *session) identity(t *Threat) error {
	var err error
	if t.Name, err = s.answer("Threat name, e.g. credential-phishing: ", "", required); err != nil {
		return err
	}
	t.Version, err = s.answer("Version [0.1.0]: ", "0.1.0", func(v string) error {
		if !semverRE.MatchString(v) {
			return fmt.Errorf("%q is not a semantic version like 1.0.0", v)
		}
		return nil
	})
	return err
}

func (s *session) about(t *Threat) error {
	var err error
	if t.License, err = s.answer("Licence [MIT]: ", "MIT", required); err != nil {
		return err
	}
	if t.Statement, err = s.answer("Statement (the scenario, one or two sentences): ", "", required); err != nil {
		return err
	}
	refs, err := s.answer("References, URLs separated by commas (optional): ", "", func(a string) error {
		for _, r := range splitList(a) {
			if u, err := url.Parse(r); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%q is not an http(s) URL", r)
			}
		}
		return nil
	})
	t.References = splitList(refs)
	return err
}

func (s *session) categories(t *Threat) error {
	a, err := s.answer(`DRONE categories, e.g. "CAT1 Phishing; CAT5 Attempted Email Phishing" (optional): `, "",
		func(a string) error { _, err := parseCategories(a); return err })
	if err != nil {
		return err
	}
	t.Categories, _ = parseCategories(a)
	return nil
}

// parseCategories reads "CAT1 Phishing; CAT1 Theft; CAT5" into mappings.
func parseCategories(a string) ([]CategoryMapping, error) {
	var out []CategoryMapping
	for _, part := range strings.Split(a, ";") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		c, ok := findCategory(fields[0])
		if !ok {
			return nil, fmt.Errorf("unknown DRONE category %q (known: %s)", fields[0], categoryList())
		}
		sub := strings.TrimSpace(strings.TrimLeft(strings.Join(fields[1:], " "), ":-"))
		if sub != "" && !hasSubContext(c, sub) {
			return nil, fmt.Errorf("%s %s has no sub-context %q (known: %s)", c.Code, c.Name, sub, strings.Join(c.SubContexts, "; "))
		}
		out = addMapping(out, c, sub)
	}
	return out, nil
}

func addMapping(list []CategoryMapping, c drone.Category, sub string) []CategoryMapping {
	for i := range list {
		if list[i].Category == c.Code {
			if sub != "" {
				list[i].SubContexts = appendUnique(list[i].SubContexts, canonicalSub(c, sub))
			}
			return list
		}
	}
	m := CategoryMapping{Category: c.Code}
	if sub != "" {
		m.SubContexts = []string{canonicalSub(c, sub)}
	}
	return append(list, m)
}

// canonicalSub returns the category's own spelling of a sub-context.
func canonicalSub(c drone.Category, sub string) string {
	for _, sc := range c.SubContexts {
		if norm(sc) == norm(sub) {
			return sc
		}
	}
	return sub
}

func (s *session) surfaces(t *Threat) error {
	fmt.Fprintln(s.out, "Surfaces are where the threat can be seen (mail-service, identity, endpoint, network, ...).")
	for {
		name, err := s.next("Surface name (empty to finish): ", len(t.Surfaces), "surface")
		if errors.Is(err, errFinished) {
			return nil
		}
		if err != nil {
			return err
		}
		if surfaceIndex(t, name) >= 0 {
			fmt.Fprintf(s.out, "  ! surface %q already exists\n", name)
			continue
		}
		sf := Surface{Name: name}
		if sf.Category, err = s.answer(fmt.Sprintf("Category of surface %s, e.g. service, device, network: ", name), "", required); err != nil {
			return err
		}
		if err := s.events(t, &sf); err != nil {
			return err
		}
		t.Surfaces = append(t.Surfaces, sf)
	}
}

func surfaceIndex(t *Threat, name string) int {
	for i, s := range t.Surfaces {
		if norm(s.Name) == norm(name) {
			return i
		}
	}
	return -1
}

func (s *session) events(t *Threat, sf *Surface) error {
	for {
		name, err := s.next(fmt.Sprintf("Event on %s (empty to finish the surface): ", sf.Name), len(sf.Events), "event")
		if errors.Is(err, errFinished) {
			return nil
		}
		if err != nil {
			return err
		}
		if eventExists(t, sf, name) {
			fmt.Fprintf(s.out, "  ! event %q already exists\n", name)
			continue
		}
		e := Event{Name: name}
		if err := s.eventDetails(&e); err != nil {
			return err
		}
		if err := s.observations(&e); err != nil {
			return err
		}
		sf.Events = append(sf.Events, e)
	}
}

func eventExists(t *Threat, sf *Surface, name string) bool {
	for _, x := range append(append([]Surface(nil), t.Surfaces...), *sf) {
		for _, e := range x.Events {
			if norm(e.Name) == norm(name) {
				return true
			}
		}
	}
	return false
}

func (s *session) eventDetails(e *Event) error {
	var err error
	if e.Description, err = s.answer("Description (optional): ", "", anything); err != nil {
		return err
	}
	stage, err := s.answer("Stage, e.g. delivery, exploitation, command-and-control (optional): ", "", func(a string) error {
		if a == "" {
			return nil
		}
		_, err := ParseStage(a)
		return err
	})
	if err != nil {
		return err
	}
	if stage != "" {
		e.Stage, _ = ParseStage(stage)
	}
	fields, err := s.answer("Log fields the event needs, separated by commas (optional): ", "", anything)
	if err != nil {
		return err
	}
	e.Metadata = splitList(fields)
	techs, err := s.answer("ATT&CK techniques, e.g. T1566.002, separated by commas (optional): ", "", checkTechniques)
	e.Techniques = splitList(strings.ToUpper(techs))
	return err
}

func checkTechniques(a string) error {
	for _, id := range splitList(strings.ToUpper(a)) {
		if !ValidTechniqueID(id) {
			return fmt.Errorf("%q is not an ATT&CK technique id like T1566 or T1566.001", id)
		}
		if _, ok := LookupTechnique(id); !ok {
			return fmt.Errorf("%s is not in the shipped technique list (tds/attack_techniques.txt)", id)
		}
	}
	return nil
}

func (s *session) observations(e *Event) error {
	for {
		name, err := s.next(fmt.Sprintf("Observation of %q, e.g. Email gateway (empty to finish the event): ", e.Name),
			len(e.Observations), "observation")
		if errors.Is(err, errFinished) {
			return nil
		}
		if err != nil {
			return err
		}
		sensors, err := s.answer("Sensors (log sources), separated by commas: ", "", func(a string) error {
			if len(splitList(a)) == 0 {
				return errors.New("name at least one sensor, e.g. Mail Flow Logs")
			}
			return nil
		})
		if err != nil {
			return err
		}
		fields, err := s.answer("Fields this observation needs, if not the event's (optional): ", "", anything)
		if err != nil {
			return err
		}
		e.Observations = append(e.Observations, Observation{Name: name, Sensors: splitList(sensors), Fields: splitList(fields)})
	}
}

// splitList splits comma-separated text, dropping empty and repeated entries.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = appendUnique(out, p)
		}
	}
	return out
}
