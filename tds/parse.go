package tds

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/yamlfile"
)

var (
	threatKeys      = []string{"name", "version", "license", "statement", "references", "metadata", "drone_categories", "surfaces"}
	metadataKeys    = []string{"created_by", "modified_by", "created_date", "modified_date"}
	categoryKeys    = []string{"category", "sub_contexts"}
	surfaceKeys     = []string{"name", "category", "events"}
	eventKeys       = []string{"name", "description", "stage", "metadata", "techniques", "observations"}
	observationKeys = []string{"name", "sensors", "fields"}
)

// semverRE is the form of a semantic version (semver.org, 2.0.0).
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// LoadFile reads and parses one definition file. The error is for a file that cannot
// be read or is not YAML at all; everything else wrong is reported as problems.
func LoadFile(path string) (*Threat, []drone.Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading definition: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a definition in the current schema or the older hyphenated draft and
// checks it. file names the source in problems and is checked against the
// <name>_<version>.yml convention unless empty.
//
// The error (a drone.Problem, with the line yaml.v3 reports) is returned only when data is not
// YAML or not a mapping; the returned problems list everything else, and the Threat is
// returned even when it has problems.
func Parse(file string, data []byte) (*Threat, []drone.Problem, error) {
	root, err := parseRoot(file, data, "a definition", "name, version, surfaces, ...")
	if err != nil {
		return nil, nil, err
	}
	d := &decoder{file: file}
	t := d.threat(root)
	return t, d.problems, nil
}

// parseRoot parses data and returns its top-level mapping.
func parseRoot(file string, data []byte, what, keys string) (*yaml.Node, error) {
	doc, err := yamlfile.Parse(file, data)
	if err != nil {
		var p drone.Problem
		if errors.As(err, &p) {
			p.Message = "invalid YAML: " + p.Message
			return nil, p
		}
		return nil, err
	}
	root := documentRoot(doc)
	if root == nil || isNull(root) {
		return nil, drone.Problem{File: file, Message: "the file is empty"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, drone.Problem{File: file, Line: root.Line,
			Message: fmt.Sprintf("%s must be a mapping of keys (%s), not %s", what, keys, kindName(root))}
	}
	return root, nil
}

func (d *decoder) threat(root *yaml.Node) *Threat {
	t := &Threat{File: d.file}
	var nameNode, surfacesNode *yaml.Node
	for _, p := range d.mapping(root, "the definition") {
		switch p.key {
		case "name":
			t.Name, nameNode = d.text(p.v, "name"), p.v
		case "version":
			t.Version = d.version(p.v)
		case "license":
			t.License = d.text(p.v, "license")
		case "statement":
			t.Statement = d.text(p.v, "statement")
		case "references":
			t.References = d.references(p.v)
		case "metadata":
			t.Metadata = d.metadata(p.v)
		case "drone_categories":
			t.Categories = d.categories(p.v)
		case "surfaces":
			t.Surfaces, surfacesNode = d.surfaces(p.v), p.k
		default:
			d.unknown(p, "the definition", threatKeys)
		}
	}
	d.requireThreat(t, root, surfacesNode)
	d.checkFileName(t, nameNode)
	d.checkUniqueEvents(t, root)
	t.Draft = d.draft
	return t
}

func (d *decoder) requireThreat(t *Threat, root, surfaces *yaml.Node) {
	for _, f := range []struct{ key, val string }{
		{"name", t.Name}, {"version", t.Version}, {"statement", t.Statement},
	} {
		if f.val == "" {
			d.addf(root, "the definition has no %s", f.key)
		}
	}
	if len(t.Surfaces) == 0 {
		at := surfaces
		if at == nil {
			at = root
		}
		d.addf(at, "the definition has no surfaces: add at least one surface with an event")
	}
}

func (d *decoder) version(n *yaml.Node) string {
	v := d.text(n, "version")
	if v != "" && !semverRE.MatchString(v) {
		d.addf(n, "version %q is not a semantic version like 1.0.0", v)
	}
	return v
}

func (d *decoder) references(n *yaml.Node) []string {
	items := d.list(n, "references")
	for _, it := range items {
		u, err := url.Parse(it.val)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.problems = append(d.problems, drone.Problem{File: d.file, Line: it.line, Message: fmt.Sprintf("reference %q is not an http(s) URL", it.val)})
		}
	}
	return values(items)
}

func (d *decoder) metadata(n *yaml.Node) Metadata {
	var m Metadata
	for _, p := range d.mapping(n, "metadata") {
		switch p.key {
		case "created_by":
			m.CreatedBy = d.text(p.v, p.raw)
		case "modified_by":
			m.ModifiedBy = d.text(p.v, p.raw)
		case "created_date":
			m.CreatedDate = d.date(p.v, p.raw)
		case "modified_date":
			m.ModifiedDate = d.date(p.v, p.raw)
		default:
			d.unknown(p, "metadata", metadataKeys)
		}
	}
	return m
}

// date accepts 2024-05-31 and the draft's 31MAY2024, and returns the ISO form.
func (d *decoder) date(n *yaml.Node, what string) string {
	v := d.text(n, what)
	if v == "" {
		return ""
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.Format("2006-01-02")
	}
	if len(v) > 5 {
		if t, err := time.Parse("02Jan2006", v[:2]+strings.ToUpper(v[2:3])+strings.ToLower(v[3:5])+v[5:]); err == nil {
			return t.Format("2006-01-02")
		}
	}
	d.addf(n, "%s %q is not a date like 2024-05-31", what, v)
	return v
}

// categories accepts a list of {category, sub_contexts} or a mapping of category to
// sub-contexts, and checks them against DRONE's default categories.
func (d *decoder) categories(n *yaml.Node) []CategoryMapping {
	n = resolve(n)
	if n != nil && n.Kind == yaml.MappingNode && !hasKey(n, "category") {
		var out []CategoryMapping
		for _, p := range d.mapping(n, "drone_categories") {
			out = append(out, d.categoryRef(p.k, p.raw, p.v))
		}
		return out
	}
	var out []CategoryMapping
	for _, cn := range d.objects(n, "drone_categories") {
		var code string
		var codeNode, subs *yaml.Node
		for _, p := range d.mapping(cn, "a DRONE category") {
			switch p.key {
			case "category":
				code, codeNode = d.text(p.v, "category"), p.v
			case "sub_contexts":
				subs = p.v
			default:
				d.unknown(p, "a DRONE category", categoryKeys)
			}
		}
		if codeNode == nil {
			d.addf(cn, "a DRONE category needs a category code such as CAT1")
			continue
		}
		out = append(out, d.categoryRef(codeNode, code, subs))
	}
	return out
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k != nil && canonKey(k.Value) == key {
			return true
		}
	}
	return false
}

func (d *decoder) categoryRef(at *yaml.Node, code string, subs *yaml.Node) CategoryMapping {
	m := CategoryMapping{Category: code}
	items := d.list(subs, "sub_contexts")
	m.SubContexts = values(items)
	c, ok := findCategory(code)
	if !ok {
		d.addf(at, "unknown DRONE category %q (known: %s)", code, categoryList())
		return m
	}
	m.Category = c.Code
	for i, it := range items {
		if !hasSubContext(c, it.val) {
			d.problems = append(d.problems, drone.Problem{File: d.file, Line: it.line, Message: fmt.Sprintf(
				"%s %s has no sub-context %q (known: %s)", c.Code, c.Name, it.val, strings.Join(c.SubContexts, "; "))})
			continue
		}
		m.SubContexts[i] = canonicalSub(c, it.val)
	}
	return m
}

func categoryList() string {
	var parts []string
	for _, c := range categories {
		parts = append(parts, c.Code+" "+c.Name)
	}
	return strings.Join(parts, ", ")
}

// surfaces accepts the current list of surfaces and the draft's mapping of surface
// names to surfaces.
func (d *decoder) surfaces(n *yaml.Node) []Surface {
	n = resolve(n)
	var out []Surface
	if n != nil && n.Kind == yaml.MappingNode && !hasKey(n, "events") && !hasKey(n, "name") {
		d.draft = true
		for _, p := range d.mapping(n, "surfaces") {
			out = append(out, d.surface(p.v, p.k, strings.TrimSpace(p.raw)))
		}
	} else {
		for _, sn := range d.objects(n, "surfaces") {
			out = append(out, d.surface(sn, sn, ""))
		}
	}
	seen := map[string]bool{}
	for _, s := range out {
		if k := norm(s.Name); k != "" && seen[k] {
			d.addf(n, "surface %q is defined twice", s.Name)
		} else {
			seen[k] = true
		}
	}
	return out
}

// surface decodes one surface; at locates problems and name is set in the draft form.
func (d *decoder) surface(n, at *yaml.Node, name string) Surface {
	s := Surface{Name: name}
	what := "a surface"
	if name != "" {
		what = fmt.Sprintf("surface %q", name)
	}
	for _, p := range d.mapping(n, what) {
		switch p.key {
		case "name":
			if v := d.text(p.v, "surface name"); name == "" {
				s.Name = v
			}
		case "category":
			s.Category = d.text(p.v, "surface category")
		case "events":
			s.Events = d.events(p.v)
		default:
			d.unknown(p, what, surfaceKeys)
		}
	}
	d.requireSurface(s, at)
	return s
}

func (d *decoder) requireSurface(s Surface, at *yaml.Node) {
	if s.Name == "" {
		d.addf(at, "a surface has no name")
		return
	}
	if s.Category == "" {
		d.addf(at, "surface %q has no category (e.g. service, device, network)", s.Name)
	}
	if len(s.Events) == 0 {
		d.addf(at, "surface %q has no events", s.Name)
	}
}

func (d *decoder) events(n *yaml.Node) []Event {
	var out []Event
	for _, en := range d.objects(n, "events") {
		out = append(out, d.event(en))
	}
	return out
}

func (d *decoder) event(n *yaml.Node) Event {
	var e Event
	for _, p := range d.mapping(n, "an event") {
		switch p.key {
		case "name":
			e.Name = d.text(p.v, "event name")
		case "description":
			e.Description = d.text(p.v, "event description")
		case "stage":
			e.Stage = d.stage(p.v)
		case "metadata", "fields":
			e.Metadata = values(d.list(p.v, "the event's fields (metadata)"))
		case "techniques":
			e.Techniques = d.techniques(p.v)
		case "observations":
			e.Observations = d.observations(p.v)
		default:
			d.unknown(p, "an event", eventKeys)
		}
	}
	if e.Name == "" {
		d.addf(n, "an event has no name")
	}
	if len(e.Observations) == 0 {
		d.addf(n, "event %q has no observations: name at least one way to see it", e.Name)
	}
	return e
}

func (d *decoder) stage(n *yaml.Node) Stage {
	v := d.text(n, "stage")
	if v == "" {
		return ""
	}
	s, err := ParseStage(v)
	if err != nil {
		d.addf(n, "%v", err)
		return ""
	}
	return s
}

func (d *decoder) techniques(n *yaml.Node) []string {
	items := d.list(n, "techniques")
	for _, it := range items {
		switch _, known := LookupTechnique(it.val); {
		case !ValidTechniqueID(it.val):
			d.problems = append(d.problems, drone.Problem{File: d.file, Line: it.line, Message: fmt.Sprintf(
				"technique %q is not an ATT&CK technique id like T1566 or T1566.001", it.val)})
		case !known:
			d.problems = append(d.problems, drone.Problem{File: d.file, Line: it.line, Message: fmt.Sprintf(
				"unknown ATT&CK technique %s: it is not in the shipped list (tds/attack_techniques.txt); "+
					"check it on attack.mitre.org and add it there", it.val)})
		}
	}
	return values(items)
}

func (d *decoder) observations(n *yaml.Node) []Observation {
	var out []Observation
	for _, on := range d.objects(n, "observations") {
		out = append(out, d.observation(on))
	}
	return out
}

func (d *decoder) observation(n *yaml.Node) Observation {
	var o Observation
	for _, p := range d.mapping(n, "an observation") {
		switch p.key {
		case "name":
			o.Name = d.text(p.v, "observation name")
		case "sensors":
			o.Sensors = values(d.list(p.v, "sensors"))
		case "fields":
			o.Fields = values(d.list(p.v, "the observation's fields"))
		default:
			d.unknown(p, "an observation", observationKeys)
		}
	}
	if o.Name == "" {
		d.addf(n, "an observation has no name")
	}
	if len(o.Sensors) == 0 {
		d.addf(n, "observation %q lists no sensors (log sources)", o.Name)
	}
	return o
}

// checkFileName checks the <name>_<version>.yml convention.
func (d *decoder) checkFileName(t *Threat, at *yaml.Node) {
	if d.file == "" || t.Name == "" || t.Version == "" {
		return
	}
	base := path.Base(filepath.ToSlash(d.file))
	ext := path.Ext(base)
	want := slug(t.Name) + "_" + t.Version
	if (ext != ".yml" && ext != ".yaml") || strings.TrimSuffix(base, ext) != want {
		d.addf(at, "file name %q does not follow <name>_<version>.yml: want %s.yml", base, want)
	}
}

// checkUniqueEvents reports event names used twice in one definition.
func (d *decoder) checkUniqueEvents(t *Threat, at *yaml.Node) {
	seen := map[string]bool{}
	for _, s := range t.Surfaces {
		for _, e := range s.Events {
			k := norm(e.Name)
			if k != "" && seen[k] {
				d.addf(at, "event %q appears twice; event names must be unique in a definition", e.Name)
			}
			seen[k] = true
		}
	}
}

// Validate loads and checks definition files and directories of them, and returns
// every problem found, each with its file and line. Threat names used by more than
// one file are reported too.
func Validate(paths ...string) []drone.Problem {
	var problems []drone.Problem
	names := map[string]string{}
	for _, file := range expandPaths(paths, &problems) {
		t, ps, err := LoadFile(file)
		problems = append(problems, ps...)
		if err != nil {
			problems = append(problems, asProblem(file, err))
			continue
		}
		if prev, dup := names[norm(t.Name)]; dup {
			problems = append(problems, drone.Problem{File: file, Message: fmt.Sprintf("threat %q is also defined in %s", t.Name, prev)})
		}
		names[norm(t.Name)] = file
	}
	return problems
}

// expandPaths replaces directories by the .yml and .yaml files they contain.
func expandPaths(paths []string, problems *[]drone.Problem) []string {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			*problems = append(*problems, drone.Problem{File: p, Message: err.Error()})
			continue
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			*problems = append(*problems, drone.Problem{File: p, Message: err.Error()})
			continue
		}
		for _, e := range entries {
			if !e.IsDir() && isYAMLName(e.Name()) {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
	}
	return out
}

func isYAMLName(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

// asProblem returns err as a drone.Problem, keeping its line when it has one.
func asProblem(file string, err error) drone.Problem {
	var p drone.Problem
	if errors.As(err, &p) {
		return p
	}
	return drone.Problem{File: file, Message: err.Error()}
}
