// Package tds implements Threat Driven Security: vendor-neutral threat definitions,
// an inventory of the organisation's log sources, and a visibility assessment that
// answers "do we have the visibility to detect this scenario?" and "could we have
// detected it earlier?".
//
// A definition (one YAML file, named <name>_<version>.yml) describes a threat as
// surfaces, each with events; each event lists the log fields it needs, its ATT&CK
// techniques, an optional kill-chain stage, and observations naming the sensors (log
// sources) that can see it. Both the original Threat Driven Security schema and its
// older hyphenated draft load; see [Parse].
//
// An [Inventory] lists the log sources an organisation has, with their fields and the
// five DeTT&CT data-quality dimensions. [Assess] scores every event 0-4 from the
// sources that can see it, weighted by data quality and by the share of the needed
// fields the sources carry (the formula is documented on [EventScore] and in
// README.md), aggregates per surface and per threat, finds the earliest visible stage,
// and recommends the log sources whose addition raises visibility most.
//
// The package is platform neutral: it imports only the standard library and
// gopkg.in/yaml.v3, and every output is written to an io.Writer or returned as text.
package tds
