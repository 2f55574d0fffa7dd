package drone

import "context"

// Extension is a command of the grammar whose handling lives outside the
// core ("tds", "summary"): an integration registers it with the Service, so
// that the grammar stays one while the core stays neutral. Every surface
// derives its help and its commands from the Service's Grammar.
type Extension struct {
	CommandSpec
	// Options name the command's arguments for surfaces that ask for them
	// one by one (Discord's subcommand options); surfaces where the line is
	// typed read Usage.
	Options []ExtensionOption
	// Run handles the command.
	Run func(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error)
}

// ExtensionOption is one argument of an Extension.
type ExtensionOption struct {
	Name        string
	Description string
	// Incident says the option names an incident (INC-n); the others are
	// the command's text, in order.
	Incident  bool
	Required  bool
	MaxLength int // 0 is the surface's own limit
}

// Grammar returns the commands this Service understands: the core's and
// those of its Extensions.
func (s *Service) Grammar() *Grammar {
	extra := make([]CommandSpec, len(s.Extensions))
	for i, e := range s.Extensions {
		extra[i] = e.CommandSpec
	}
	return NewGrammar(extra...)
}

// ParseCommand parses a line of the Service's grammar.
func (s *Service) ParseCommand(line string) (Command, error) { return s.Grammar().Parse(line) }

// extension returns the registered extension of a command name.
func (s *Service) extension(name string) (Extension, bool) {
	for _, e := range s.Extensions {
		if e.Name == name {
			return e, true
		}
	}
	return Extension{}, false
}
