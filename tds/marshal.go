package tds

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
)

// Marshal writes a definition as YAML in the current schema (drafts are converted),
// with two-space indentation.
func Marshal(t *Threat) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("encoding definition %q: %w", t.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding definition %q: %w", t.Name, err)
	}
	return buf.Bytes(), nil
}

// Validate checks a definition built or edited in memory, as if it were written to
// its conventional file name, and returns its problems.
func (t *Threat) Validate() []drone.Problem {
	data, err := Marshal(t)
	if err != nil {
		return []drone.Problem{{File: t.FileName(), Message: err.Error()}}
	}
	_, problems, err := Parse(t.FileName(), data)
	if err != nil {
		problems = append(problems, asProblem(t.FileName(), err))
	}
	return problems
}

// WriteFile validates the definition and writes it to dir under its conventional
// name, <name>_<version>.yml, without overwriting an existing file. It returns the
// path written.
func WriteFile(dir string, t *Threat) (string, error) {
	if problems := t.Validate(); len(problems) > 0 {
		return "", fmt.Errorf("definition %q is not valid:\n%w", t.Name, drone.Problems(problems))
	}
	data, err := Marshal(t)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, t.FileName())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("writing definition: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", fmt.Errorf("writing definition: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing definition: %w", err)
	}
	return path, nil
}
