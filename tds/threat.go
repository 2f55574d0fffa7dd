package tds

import "strings"

// Threat is one threat definition: a scenario and the surfaces where it can be seen.
type Threat struct {
	// Name identifies the threat, e.g. "credential-phishing".
	Name string `yaml:"name" json:"name"`
	// Version is the definition's semantic version, e.g. "1.0.0".
	Version string `yaml:"version" json:"version"`
	// License is the licence of the definition text, e.g. "MIT".
	License string `yaml:"license,omitempty" json:"license,omitempty"`
	// Statement describes the scenario in one or two sentences.
	Statement string `yaml:"statement" json:"statement"`
	// References are URLs that document the threat.
	References []string `yaml:"references,omitempty" json:"references,omitempty"`
	// Metadata records who wrote the definition and when.
	Metadata Metadata `yaml:"metadata" json:"metadata"`
	// Categories maps the threat to DRONE incident categories and sub-contexts
	// (an extension of the original schema; optional).
	Categories []CategoryMapping `yaml:"drone_categories,omitempty" json:"drone_categories,omitempty"`
	// Surfaces are the places where the threat can be observed.
	Surfaces []Surface `yaml:"surfaces" json:"surfaces"`

	// File is the path the definition was loaded from; empty when built in memory.
	File string `yaml:"-" json:"-"`
	// Draft is true when the file used the older hyphenated draft schema.
	Draft bool `yaml:"-" json:"-"`
}

// Metadata records the authorship of a definition.
type Metadata struct {
	// CreatedBy names the author.
	CreatedBy string `yaml:"created_by" json:"created_by"`
	// ModifiedBy names the last editor.
	ModifiedBy string `yaml:"modified_by" json:"modified_by"`
	// CreatedDate is the creation date, YYYY-MM-DD.
	CreatedDate string `yaml:"created_date" json:"created_date"`
	// ModifiedDate is the date of the last change, YYYY-MM-DD.
	ModifiedDate string `yaml:"modified_date" json:"modified_date"`
}

// CategoryMapping ties a threat to one DRONE incident category and, optionally, some of
// its sub-contexts. No sub-contexts means the whole category.
type CategoryMapping struct {
	// Category is the DRONE category code, e.g. "CAT1".
	Category string `yaml:"category" json:"category"`
	// SubContexts are sub-contexts of that category, e.g. "Phishing".
	SubContexts []string `yaml:"sub_contexts,omitempty" json:"sub_contexts,omitempty"`
}

// Surface is a place where a threat can be observed, e.g. the mail service.
type Surface struct {
	// Name identifies the surface, e.g. "mail-service".
	Name string `yaml:"name" json:"name"`
	// Category is the kind of surface, e.g. "service", "device" or "network".
	Category string `yaml:"category" json:"category"`
	// Events are the steps of the scenario that happen on this surface.
	Events []Event `yaml:"events" json:"events"`
}

// Event is one observable step of a scenario.
type Event struct {
	// Name says what happens, e.g. "Phishing e-mail delivered to users".
	Name string `yaml:"name" json:"name"`
	// Description adds detail for the analyst.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Stage places the event in the scenario (an extension; optional).
	Stage Stage `yaml:"stage,omitempty" json:"stage,omitempty"`
	// Metadata lists the log fields needed to see the event (the original's name).
	Metadata []string `yaml:"metadata,omitempty" json:"metadata,omitempty"`
	// Techniques are ATT&CK technique ids, e.g. "T1566.002".
	Techniques []string `yaml:"techniques,omitempty" json:"techniques,omitempty"`
	// Observations are the ways the event can be observed.
	Observations []Observation `yaml:"observations" json:"observations"`
}

// Observation is one way of seeing an event, through any of its sensors.
type Observation struct {
	// Name describes the viewpoint, e.g. "Email gateway".
	Name string `yaml:"name" json:"name"`
	// Sensors are log sources that provide this view; any one of them will do.
	Sensors []string `yaml:"sensors" json:"sensors"`
	// Fields are the log fields this view needs (an extension; optional). When
	// empty, the event's Metadata applies.
	Fields []string `yaml:"fields,omitempty" json:"fields,omitempty"`
}

// Needs returns the log fields observation o needs to see event e: its own Fields,
// or else the event's Metadata.
func (o Observation) Needs(e *Event) []string {
	if len(o.Fields) > 0 {
		return o.Fields
	}
	return e.Metadata
}

// FileName returns the conventional file name of the definition, <name>_<version>.yml.
func (t *Threat) FileName() string {
	return slug(t.Name) + "_" + t.Version + ".yml"
}

// slug lower-cases s and joins its words with hyphens.
func slug(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '_' || r == '/' || r == '\\' || r == '\t'
	}), "-")
}
