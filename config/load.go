package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
)

// Problem is one thing wrong with a configuration file, at a line (0 when the
// problem is not tied to one, such as an environment variable).
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return p.File + ": " + p.Message
}

// Problems is every problem found in one load.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads the configuration at path over the defaults, applies the
// environment, and checks it. An empty path uses the defaults alone. It
// returns the configuration and, as an error of type Problems, every problem
// found; any other error means the file could not be read at all.
func Load(path string) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("reading configuration: %w", err)
		}
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse is Load for a file's content, with an injected environment.
func Parse(name string, data []byte, env func(string) (string, bool)) (*Config, error) {
	if name == "" {
		name = "(defaults)"
	}
	c := Default()
	c.Framework = drone.Framework{}
	c.Roles = nil
	var root yaml.Node
	var probs Problems
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, Problems{{File: name, Line: yamlErrorLine(err), Message: "not valid YAML: " + yamlErrorText(err)}}
		}
		doc := &root
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			doc = doc.Content[0]
		}
		probs = append(probs, unknownKeys(name, doc, reflect.TypeOf(*c), "")...)
		if err := doc.Decode(c); err != nil {
			probs = append(probs, typeErrors(name, err)...)
		}
	}
	if c.Roles == nil {
		c.Roles = drone.DefaultRoles()
	}
	for _, e := range applyEnv(reflect.ValueOf(c).Elem(), "DRONE", env) {
		probs = append(probs, Problem{File: "environment", Message: e})
	}
	for _, e := range expandSecrets(reflect.ValueOf(c).Elem(), "", env) {
		probs = append(probs, Problem{File: name, Line: lineOf(&root, e.Path), Message: e.Message})
	}
	c.finish()
	for _, p := range c.check() {
		probs = append(probs, Problem{File: name, Line: lineOf(&root, p.Path), Message: p.Path + ": " + p.Message})
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	if len(probs) > 0 {
		return c, probs
	}
	return c, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func yamlErrorText(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	return yamlLine.ReplaceAllString(strings.TrimPrefix(s, "unmarshal errors:\n  "), "")
}

func typeErrors(name string, err error) []Problem {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []Problem{{File: name, Message: err.Error()}}
	}
	out := make([]Problem, len(te.Errors))
	for i, e := range te.Errors {
		msg := strings.TrimSpace(yamlLine.ReplaceAllString(e, ""))
		msg = strings.TrimPrefix(msg, ": ")
		out[i] = Problem{File: name, Line: yamlErrorLine(errors.New(e)), Message: msg}
	}
	return out
}

// unknownKeys reports mapping keys that match no field, so that a typo
// ("bussiness_units") is not silently ignored.
func unknownKeys(file string, n *yaml.Node, t reflect.Type, path string) []Problem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Problem
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				out = append(out, Problem{File: file, Line: k.Line,
					Message: fmt.Sprintf("unknown setting %q%s; known: %s", k.Value, in(path), knownNames(fields))})
				continue
			}
			out = append(out, unknownKeys(file, v, ft, join(path, k.Value))...)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, unknownKeys(file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))...)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			out = append(out, unknownKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func in(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func knownNames(fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// yamlFields maps a struct's YAML keys to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
	if tag == "-" {
		return ""
	}
	if tag == "" {
		return strings.ToLower(f.Name)
	}
	return tag
}

// lineOf finds the line of a dotted path ("framework.categories[2].code") in
// the document, or of its nearest ancestor present in the file.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == 0 {
		return 0
	}
	line := n.Line
	for _, part := range splitPath(path) {
		next := child(n, part)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

func splitPath(path string) []string {
	var parts []string
	for _, p := range strings.Split(path, ".") {
		for p != "" {
			i := strings.IndexByte(p, '[')
			if i < 0 {
				parts = append(parts, p)
				break
			}
			if i > 0 {
				parts = append(parts, p[:i])
			}
			j := strings.IndexByte(p, ']')
			if j < i {
				break
			}
			parts = append(parts, p[i:j+1])
			p = p[j+1:]
		}
	}
	return parts
}

func child(n *yaml.Node, part string) *yaml.Node {
	if strings.HasPrefix(part, "[") {
		i, err := strconv.Atoi(strings.Trim(part, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == part {
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
				return n.Content[i] // the key's line reads best for a scalar
			}
			return n.Content[i+1]
		}
	}
	return nil
}

// applyEnv sets every scalar field from DRONE_<SECTION>_<KEY> (for example
// DRONE_HIVE_URL) and from the names in its env tag, and returns what could
// not be parsed.
func applyEnv(v reflect.Value, prefix string, env func(string) (string, bool)) []string {
	var probs []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		fv := v.Field(i)
		key := prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			probs = append(probs, applyEnv(fv, key, env)...)
			continue
		}
		names := []string{key}
		if alias := f.Tag.Get("env"); alias != "" {
			names = append(names, strings.Split(alias, ",")...)
		}
		for _, n := range names {
			if s, ok := env(n); ok && s != "" {
				if err := setScalar(fv, s); err != nil {
					probs = append(probs, fmt.Sprintf("%s: %v", n, err))
				}
			}
		}
	}
	return probs
}

func setScalar(v reflect.Value, s string) error {
	if v.Kind() == reflect.Pointer {
		nv := reflect.New(v.Type().Elem())
		if err := setScalar(nv.Elem(), s); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 4h", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		parts := strings.Split(s, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		v.Set(reflect.ValueOf(parts).Convert(v.Type()))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

var secretRef = regexp.MustCompile(`\$\{([^}]+)\}`)

// expandSecrets replaces ${VAR} and ${file:/path} in every string.
func expandSecrets(v reflect.Value, path string, env func(string) (string, bool)) []drone.Problem {
	var probs []drone.Problem
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			probs = append(probs, expandSecrets(v.Elem(), path, env)...)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if name := yamlName(t.Field(i)); name != "" {
				probs = append(probs, expandSecrets(v.Field(i), join(path, name), env)...)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			probs = append(probs, expandSecrets(v.Index(i), fmt.Sprintf("%s[%d]", path, i), env)...)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return nil
		}
		for _, k := range v.MapKeys() {
			s, err := expand(v.MapIndex(k).String(), env)
			if err != nil {
				probs = append(probs, drone.Problem{Path: join(path, k.String()), Message: err.Error()})
			}
			v.SetMapIndex(k, reflect.ValueOf(s).Convert(v.Type().Elem()))
		}
	case reflect.String:
		s, err := expand(v.String(), env)
		if err != nil {
			probs = append(probs, drone.Problem{Path: path, Message: err.Error()})
		}
		v.SetString(s)
	}
	return probs
}

func expand(s string, env func(string) (string, bool)) (string, error) {
	var errs []error
	out := secretRef.ReplaceAllStringFunc(s, func(m string) string {
		ref := m[2 : len(m)-1]
		if file, ok := strings.CutPrefix(ref, "file:"); ok {
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("reading secret file %s: %w", file, errors.Unwrap(err)))
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		val, ok := env(ref)
		if !ok {
			errs = append(errs, fmt.Errorf("environment variable %s is not set", ref))
		}
		return val
	})
	return out, errors.Join(errs...)
}
