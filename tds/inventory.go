package tds

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/ttp0/drone/drone"
)

var (
	inventoryKeys = []string{"name", "sources"}
	sourceKeys    = []string{"name", "aliases", "surfaces", "fields", "platforms", "quality", "retention_days", "detections"}
	qualityKeys   = []string{"device_completeness", "data_field_completeness", "timeliness", "consistency", "retention"}
)

// Inventory is the list of log sources an organisation collects.
type Inventory struct {
	// Name optionally names the organisation or the inventory.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Sources are the log sources.
	Sources []Source `yaml:"sources" json:"sources"`

	index map[string]*Source
}

// Source is one log source of the inventory.
type Source struct {
	// Name is the organisation's name for the source, e.g. "Mail Flow Logs".
	Name string `yaml:"name" json:"name"`
	// Aliases are other names of the source, e.g. "Exchange message tracking"; sensors
	// of the definitions match the name or any alias, ignoring case and punctuation.
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Surfaces are the definition surfaces the source covers, e.g. "mail-service".
	// Empty means every surface.
	Surfaces []string `yaml:"surfaces,omitempty" json:"surfaces,omitempty"`
	// Fields are the log fields the source carries, e.g. "sender".
	Fields []string `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Platforms are the platforms the source covers, e.g. "windows" or "aws".
	Platforms []string `yaml:"platforms,omitempty" json:"platforms,omitempty"`
	// Quality rates the source on DeTT&CT's five data-quality dimensions.
	Quality Quality `yaml:"quality" json:"quality"`
	// RetentionDays is how long the source's logs are kept; 0 means unknown.
	RetentionDays int `yaml:"retention_days,omitempty" json:"retention_days,omitempty"`
	// Detections is true when detection rules run on the source.
	Detections bool `yaml:"detections,omitempty" json:"detections,omitempty"`
}

// Quality rates a source 0-5 on DeTT&CT's data-quality dimensions; 0 means unknown.
type Quality struct {
	// DeviceCompleteness: are all the devices that should log to the source logging?
	DeviceCompleteness int `yaml:"device_completeness" json:"device_completeness"`
	// DataFieldCompleteness: are the fields filled in on every record?
	DataFieldCompleteness int `yaml:"data_field_completeness" json:"data_field_completeness"`
	// Timeliness: how soon do records arrive where analysts and detections see them?
	Timeliness int `yaml:"timeliness" json:"timeliness"`
	// Consistency: are fields named and formatted the same way across devices?
	Consistency int `yaml:"consistency" json:"consistency"`
	// Retention: are records kept long enough to investigate?
	Retention int `yaml:"retention" json:"retention"`
}

// NewInventory returns an inventory of the given sources, ready for lookups.
func NewInventory(sources ...Source) *Inventory {
	inv := &Inventory{Sources: sources}
	inv.buildIndex()
	return inv
}

func (inv *Inventory) buildIndex() {
	inv.index = make(map[string]*Source, 2*len(inv.Sources))
	for i := range inv.Sources {
		s := &inv.Sources[i]
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			if k := norm(n); k != "" && inv.index[k] == nil {
				inv.index[k] = s
			}
		}
	}
}

// Lookup returns the source whose name or alias matches name, ignoring case and
// punctuation, or nil.
func (inv *Inventory) Lookup(name string) *Source {
	if inv == nil {
		return nil
	}
	k := norm(name)
	if inv.index != nil {
		return inv.index[k]
	}
	for i := range inv.Sources {
		s := &inv.Sources[i]
		if norm(s.Name) == k {
			return s
		}
		for _, a := range s.Aliases {
			if norm(a) == k {
				return s
			}
		}
	}
	return nil
}

// LoadInventory reads and parses an inventory file; see ParseInventory.
func LoadInventory(path string) (*Inventory, []drone.Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading inventory: %w", err)
	}
	return ParseInventory(path, data)
}

// ParseInventory decodes an inventory whose top-level "sources" list holds the log
// sources. file names the source in problems. The error (a drone.Problem) is returned only
// when data is not a YAML mapping; the inventory is returned with its problems
// otherwise.
func ParseInventory(file string, data []byte) (*Inventory, []drone.Problem, error) {
	root, err := parseRoot(file, data, "an inventory", "sources")
	if err != nil {
		return nil, nil, err
	}
	d := &decoder{file: file}
	inv := &Inventory{}
	var sourcesNode *yaml.Node
	for _, p := range d.mapping(root, "the inventory") {
		switch p.key {
		case "name":
			inv.Name = d.text(p.v, "name")
		case "sources":
			sourcesNode = p.v
			inv.Sources = d.sources(p.v)
		default:
			d.unknown(p, "the inventory", inventoryKeys)
		}
	}
	if sourcesNode == nil {
		d.addf(root, "the inventory has no sources list")
	}
	inv.buildIndex()
	return inv, d.problems, nil
}

func (d *decoder) sources(n *yaml.Node) []Source {
	var out []Source
	owner := map[string]string{}
	for _, sn := range d.objects(n, "sources") {
		s := d.source(sn)
		for _, name := range append([]string{s.Name}, s.Aliases...) {
			k := norm(name)
			if prev, dup := owner[k]; dup && k != "" {
				d.addf(sn, "source name or alias %q is already used by %q", name, prev)
			}
			owner[k] = s.Name
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) source(n *yaml.Node) Source {
	var s Source
	for _, p := range d.mapping(n, "a source") {
		switch p.key {
		case "name":
			s.Name = d.text(p.v, "source name")
		case "aliases":
			s.Aliases = values(d.list(p.v, "aliases"))
		case "surfaces":
			s.Surfaces = values(d.list(p.v, "surfaces"))
		case "fields":
			s.Fields = values(d.list(p.v, "fields"))
		case "platforms":
			s.Platforms = values(d.list(p.v, "platforms"))
		case "quality":
			s.Quality = d.quality(p.v)
		case "retention_days":
			s.RetentionDays = d.retention(p.v)
		case "detections":
			s.Detections = d.boolean(p.v, "detections")
		default:
			d.unknown(p, "a source", sourceKeys)
		}
	}
	if s.Name == "" {
		d.addf(n, "a source has no name")
	}
	return s
}

func (d *decoder) retention(n *yaml.Node) int {
	v, ok := d.integer(n, "retention_days")
	if ok && v < 0 {
		d.addf(n, "retention_days must not be negative")
		return 0
	}
	return v
}

func (d *decoder) quality(n *yaml.Node) Quality {
	var q Quality
	dims := map[string]*int{
		"device_completeness":     &q.DeviceCompleteness,
		"data_field_completeness": &q.DataFieldCompleteness,
		"timeliness":              &q.Timeliness,
		"consistency":             &q.Consistency,
		"retention":               &q.Retention,
	}
	for _, p := range d.mapping(n, "quality") {
		dst, ok := dims[p.key]
		if !ok {
			d.unknown(p, "quality", qualityKeys)
			continue
		}
		v, ok := d.integer(p.v, p.raw)
		if ok && (v < 0 || v > 5) {
			d.addf(p.v, "%s must be between 0 (unknown) and 5, not %d", p.raw, v)
			continue
		}
		*dst = v
	}
	return q
}

// covers reports whether the source covers the named surface.
func (s *Source) covers(surface string) bool {
	if len(s.Surfaces) == 0 {
		return true
	}
	k := norm(surface)
	for _, x := range s.Surfaces {
		if norm(x) == k {
			return true
		}
	}
	return false
}

// String lists the dimensions for display, e.g. "4/3/4/4/2".
func (q Quality) String() string {
	return fmt.Sprintf("%d/%d/%d/%d/%d", q.DeviceCompleteness, q.DataFieldCompleteness,
		q.Timeliness, q.Consistency, q.Retention)
}
