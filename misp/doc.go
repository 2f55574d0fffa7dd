// Package misp looks drone's indicators up in MISP, adds sightings of what
// it finds, and exports incidents as MISP events.
//
// # Look-ups
//
// Planner turns each batch of new indicators (an observables entry) into
// misp.lookup jobs of at most LookupChunk indicators, unique by incident,
// timeline sequence and part, so that each attempt fits the queue's job
// timeout at the configured rate. The
// worker searches each indicator with POST /attributes/restSearch (the
// drone type mapped to MISP's attribute types), a few at a time, through
// the client's rate limit (misp.rate) and a cache with a time to live
// (misp.cache_ttl), so that a retried job, or an indicator every alert
// repeats, asks MISP once per TTL. The organisation's own values stay in
// drone unless misp.lookup_internal is set.
//
// Hits go on the incident's timeline as one enrichment entry per job
// (drone.EntryEnrichment, its data the []drone.Verdict), recorded once per
// batch (drone.Service.RecordOnce), and from there into the incident's
// next notice. With misp.sightings, each matched attribute gets one
// sighting whose source names the incident: under the incident's lock the
// worker looks for that sighting before adding it, so a retry after a lost
// answer adds no second one.
//
// # Export
//
// Exporter makes an incident a MISP event (drone misp export INC-n, or a
// misp.export job when the incident closes and export.on_close is set),
// with its public indicators, its TLP and PAP as taxonomy tags and a tag
// naming the incident (drone:incident-id=<uuid>). An incident above
// export.max_tlp or export.max_pap is refused before anything is sent;
// TLP:RED never leaves unless export.allow_red says so. The event is made
// once: recorded on the incident (misp.event_id), else found by its tag
// after a lost answer, else created.
//
// # Failures
//
// A 429 snoozes the job for MISP's Retry-After without spending an
// attempt; 5xx answers, timeouts and lost answers are retried with the
// queue's back-off; other 4xx answers cancel the job and say so on the
// incident's timeline.
//
// Package misp/misptest is an in-process stand-in for MISP.
package misp
