package tds

import (
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/ttp0/drone/drone"
)

// Library is a set of threat definitions.
type Library struct {
	// Threats are the definitions, sorted by name.
	Threats []*Threat
}

// NewLibrary returns a library of the given threats, sorted by name.
func NewLibrary(threats ...*Threat) *Library {
	lib := &Library{Threats: append([]*Threat(nil), threats...)}
	sort.SliceStable(lib.Threats, func(i, j int) bool { return lib.Threats[i].Name < lib.Threats[j].Name })
	return lib
}

// LoadLibrary loads every .yml and .yaml definition in dir of fsys, e.g.
// LoadLibrary(configs.TDS, "tds") or LoadLibrary(os.DirFS("."), "definitions").
// Problems list everything wrong, each with file and line; a file that is not valid
// YAML is reported and skipped, and a threat name used twice keeps the first file.
// The error is for a directory that cannot be read.
func LoadLibrary(fsys fs.FS, dir string) (*Library, []drone.Problem, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading definitions in %s: %w", dir, err)
	}
	var threats []*Threat
	var problems []drone.Problem
	byName := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !isYAMLName(e.Name()) {
			continue
		}
		file := path.Join(dir, e.Name())
		t, ps := loadFS(fsys, file)
		problems = append(problems, ps...)
		if t == nil {
			continue
		}
		if prev, dup := byName[norm(t.Name)]; dup {
			problems = append(problems, drone.Problem{File: file, Message: fmt.Sprintf("threat %q is already defined in %s; this file is skipped", t.Name, prev)})
			continue
		}
		byName[norm(t.Name)] = file
		threats = append(threats, t)
	}
	return NewLibrary(threats...), problems, nil
}

// loadFS reads and parses one file, turning read and syntax errors into problems.
func loadFS(fsys fs.FS, file string) (*Threat, []drone.Problem) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, []drone.Problem{{File: file, Message: fmt.Sprintf("reading definition: %v", err)}}
	}
	t, problems, err := Parse(file, data)
	if err != nil {
		return nil, append(problems, asProblem(file, err))
	}
	return t, problems
}

// Names returns the names of the library's threats, sorted.
func (lib *Library) Names() []string {
	out := make([]string, len(lib.Threats))
	for i, t := range lib.Threats {
		out[i] = t.Name
	}
	return out
}

// Lookup returns the threat with the given name, ignoring case and punctuation; the
// file name without version ("credential-phishing_1.0.0") is accepted too. The error
// lists the known threats.
func (lib *Library) Lookup(name string) (*Threat, error) {
	k := norm(name)
	for _, t := range lib.Threats {
		if norm(t.Name) == k || norm(t.FileName()) == k || norm(slug(t.Name)+"_"+t.Version) == k {
			return t, nil
		}
	}
	return nil, unknownThreat(name, lib.Names())
}
