// Package configs embeds the shipped configuration files.
package configs

import "embed"

// TDS holds the shipped Threat Driven Security definitions, in the directory "tds"
// (load them with tds.LoadLibrary(configs.TDS, "tds")).
//
//go:embed tds/*.yml
var TDS embed.FS

// Example is the commented example configuration, configs/drone.yaml.
//
//go:embed drone.yaml
var Example []byte
