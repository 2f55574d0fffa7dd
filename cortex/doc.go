// Package cortex runs Cortex analyzers on incidents' observables and on
// indicators a responder asks about, and says what they found in drone's
// words (drone.Verdict).
//
// The flow: a new observable (drone.EntryObservables) makes the Planner
// queue one cortex.analyze job per configured analyzer that takes its type
// and that its markings allow (Allowed: PAP and TLP). The Worker runs the
// analyzer on Cortex once, even across a lost answer or a killed process
// (it looks for the Cortex job it may have started before starting one),
// waits for the report, snoozing while Cortex works, and records one
// enrichment entry on the incident's timeline with the report's
// taxonomies and a link to the full report. The Enricher answers the
// enrich command with the same analyzers, at the markings the
// configuration allows for an indicator without an incident.
//
// The Cortex API used (Cortex 3): POST /api/analyzer/_search,
// POST /api/analyzer/{id}/run, POST /api/job/_search and
// GET /api/job/{id}/waitreport, with Authorization: Bearer <key>.
// cortextest is a stand-in that speaks it.
package cortex
