package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/yamlfile"
)

// Load reads the configuration at path over the defaults, applies the
// environment, and checks it. An empty path uses the defaults alone. It
// returns the configuration and, as an error of type drone.Problems, every
// problem found; any other error means the file could not be read at all.
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
	root := &yaml.Node{}
	var probs drone.Problems
	if len(bytes.TrimSpace(data)) > 0 {
		doc, err := yamlfile.Parse(name, data)
		if err != nil {
			var p drone.Problem
			if !errors.As(err, &p) {
				return nil, fmt.Errorf("parsing %s: %w", name, err)
			}
			p.Message = "not valid YAML: " + p.Message
			return nil, drone.Problems{p}
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			root = doc.Content[0]
		}
		probs = append(probs, decode(name, root, c)...)
	}
	if c.Roles == nil {
		c.Roles = drone.DefaultRoles()
	}
	for _, e := range applyEnv(reflect.ValueOf(c).Elem(), "DRONE", env) {
		e.File = "environment"
		probs = append(probs, e)
	}
	for _, e := range expandSecrets(reflect.ValueOf(c).Elem(), "", env) {
		// The text stays "file:line: message": the line says where.
		probs = append(probs, drone.Problem{File: name, Line: lineOf(root, e.Path), Message: e.Message})
	}
	c.finish()
	for _, p := range c.check() {
		p.File, p.Line = name, lineOf(root, p.Path)
		probs = append(probs, p)
	}
	c.applyDefaults()
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	if len(probs) > 0 {
		return c, probs
	}
	return c, nil
}

// decode decodes the document's top node n into c and returns, each at its
// line, the settings that match no field and the values yaml.v3 could not
// decode. yaml.v3 decodes what it can and reports the rest in one
// *yaml.TypeError; the lines come from decoding the nodes one by one.
func decode(file string, n *yaml.Node, c *Config) []drone.Problem {
	err := n.Decode(c)
	var te *yaml.TypeError
	if err != nil && !errors.As(err, &te) {
		// Not a value of the wrong type: yaml.v3 stopped (an alias that
		// contains itself, excessive aliasing).
		return []drone.Problem{{File: file, Line: n.Line, Message: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	w := &walker{file: file, types: te != nil}
	w.walk(n, reflect.TypeOf(*c), "", false)
	if te != nil && w.typeErrors == 0 {
		// yaml.v3 refused something the walk did not find again; say it
		// rather than lose it.
		w.probs = append(w.probs, drone.Problem{File: file, Message: strings.TrimPrefix(te.Error(), "yaml: ")})
	}
	return w.probs
}

// walker walks a node tree beside the type it decodes into.
type walker struct {
	file string
	// types is set when yaml.v3 reported values it could not decode: the
	// walk then decodes each value on its own to find them.
	types      bool
	typeErrors int
	probs      []drone.Problem
	// aliases are the alias nodes being walked, against cycles.
	aliases []*yaml.Node
}

func (w *walker) add(n *yaml.Node, path, msg string) {
	w.probs = append(w.probs, drone.Problem{File: w.file, Line: n.Line, Path: path, Message: msg})
}

// walk reports the unknown settings of n (decoded into a t) and, when
// w.types is set, its duplicate keys and the values of the wrong type.
// Unknown settings are reported where they are written, not again through
// an alias (viaAlias).
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, viaAlias bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		if !w.types || n.Alias == nil || slices.Contains(w.aliases, n) {
			return
		}
		w.aliases = append(w.aliases, n)
		w.walk(n.Alias, t, path, true)
		w.aliases = w.aliases[:len(w.aliases)-1]
		return
	}
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct && t != durationType:
		fields := yamlFields(t)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				if !viaAlias {
					w.add(k, "", fmt.Sprintf("unknown setting %q%s; known: %s", k.Value, in(path), knownNames(fields)))
				}
				continue
			}
			w.duplicate(k, path, seen)
			w.walk(v, ft, join(path, k.Value), viaAlias)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			w.duplicate(k, path, seen)
			w.leaf(k, t.Key(), join(path, k.Value))
			w.walk(v, t.Elem(), join(path, k.Value), viaAlias)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), viaAlias)
		}
	default:
		w.leaf(n, t, path)
	}
}

// duplicate reports a key given twice in one mapping, which yaml.v3 refuses.
func (w *walker) duplicate(k *yaml.Node, path string, seen map[string]int) {
	if !w.types || k.Kind != yaml.ScalarNode {
		return
	}
	if first, ok := seen[k.Value]; ok {
		w.typeErrors++
		w.add(k, join(path, k.Value), fmt.Sprintf("set twice (first at line %d)", first))
		return
	}
	seen[k.Value] = k.Line
}

// leaf decodes n on its own into a new t and reports it when yaml.v3 cannot.
func (w *walker) leaf(n *yaml.Node, t reflect.Type, path string) {
	if !w.types {
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err == nil {
		return
	}
	w.typeErrors++
	if n.Kind == yaml.ScalarNode {
		w.add(n, path, fmt.Sprintf("%q is not %s", n.Value, describe(t)))
		return
	}
	w.add(n, path, fmt.Sprintf("must be %s, not %s", describe(t), nodeKind(n)))
}

var durationType = reflect.TypeOf(time.Duration(0))

// describe names what a value of t is written as.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Int64:
		if t == durationType {
			return "a duration such as 30s or 4h"
		}
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping of settings"
	}
	return "a " + t.String()
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "text"
	}
	return "something else"
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
		if inline(f) {
			maps.Copy(out, yamlFields(f.Type))
			continue
		}
		name := yamlName(f)
		if name == "" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// inline reports whether f is an embedded struct whose settings sit beside
// the enclosing struct's (`yaml:",inline"`): config.Notify holds the
// notifier's settings and the mailbox's under one section.
func inline(f reflect.StructField) bool {
	return f.Anonymous && slices.Contains(strings.Split(f.Tag.Get("yaml"), ",")[1:], "inline")
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
// the document whose top node is n, or of its nearest ancestor present in the file.
func lineOf(n *yaml.Node, path string) int {
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
// not be parsed, each with the variable as its path.
func applyEnv(v reflect.Value, prefix string, env func(string) (string, bool)) []drone.Problem {
	var probs []drone.Problem
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if inline(f) {
			probs = append(probs, applyEnv(v.Field(i), prefix, env)...)
			continue
		}
		name := yamlName(f)
		if name == "" {
			continue
		}
		fv := v.Field(i)
		key := prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
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
					probs = append(probs, drone.Problem{Path: n, Message: err.Error()})
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
	case v.Type() == durationType:
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
			if inline(t.Field(i)) {
				probs = append(probs, expandSecrets(v.Field(i), path, env)...)
			} else if name := yamlName(t.Field(i)); name != "" {
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
