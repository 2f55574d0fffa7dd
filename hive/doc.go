// Package hive keeps a TheHive case for every drone incident: a client for
// TheHive, and the queue worker that syncs incidents through it.
//
// # Client
//
// One Client speaks both API generations: v1 (TheHive 5, the default) and
// the v0 legacy routes of TheHive 4, chosen by Config.API. Every method has
// one body; only the paths and the shapes on the wire differ per version,
// so callers pass the same TheHive-shaped inputs (TLP and PAP by name, case
// statuses in the TheHive 5 vocabulary) whatever the server.
//
// The client never retries: a durable queue does. It throttles itself
// (Config.Rate) and classifies every failure instead: *APIError carries
// TheHive's status, type and message, and Retryable tells a worker whether
// trying the same request again later can help.
//
// The API key is sent only in the Authorization header; it never appears in
// an error or a log line.
//
// # Sync
//
// Planner turns each incident event (declared, observables, acknowledged,
// lead, status, update, reopened, attachment) into one "hive.sync" job on drone's
// durable queue, in the transaction of the change itself, unique by incident
// and timeline sequence. No responder ever waits on TheHive. Worker runs the
// jobs; each one:
//
//   - makes sure the case exists: the one recorded on the incident
//     (Incident.External "hive.case_id"), else the one tagged
//     drone:<incident uuid>, else a new one, with its playbook tasks, which
//     it then records on the incident (case id, number and URL);
//   - carries its event: the observables an entry added, batched per
//     TheHive data type; the files kept for the incident (attachment
//     entries, such as the reported messages of the phishing mailbox),
//     each uploaded as a "file" observable; or, for every other event, the
//     incident's current state as one PATCH (description, status,
//     assignee, closing fields).
//
// Exactly once. A case creation whose answer was lost may have been
// committed; the next attempt finds that case by its tag before creating
// another. Observables are pushed again as a whole when in doubt: TheHive
// answers "already exists" for the values a case holds, which counts as
// done, so a retried push, or two analysts adding one indicator, leave one
// observable. A kept file is recorded on the incident once the case holds
// it ("hive.original.<sha256>" = the file observable's id); before
// uploading a file the incident does not record, the sync looks for it in
// the case by its SHA-256, so an upload whose answer, or whose record, was
// lost is not made again. Every sync but that of added observables looks
// for unsent files, so a file whose job died goes with the next change. A
// file missing on disk fails its own entry's job for good, naming the
// path on the timeline.
//
// Syncs of one incident run one at a time, because River has no per-key
// concurrency and two jobs could otherwise both miss the case and both
// create one: each holds the incident's lock (drone.Service.Lock, purpose
// LockCase), an advisory lock in PostgreSQL that holds across every drone
// replica on the database, or a lock in the one process that works a
// SQLite file's queue. The look-up by tag stays: it takes up a case an
// attempt created before it died. TheHive 5 indexes tags for its query API
// shortly after a commit: keep queue.backoff_base at its default (2s) or
// more, so that a retry comes after the index has the case.
//
// Status updates rewrite the case description rather than add task logs.
// A PATCH of the whole description, rebuilt from drone's timeline, is
// idempotent: a retried or late job writes the same text, and jobs that run
// out of order still leave the latest state. A task log is a POST that
// TheHive cannot de-duplicate and offers no key to look up, so a retry
// after a lost answer would log an update twice. The price: edits made to
// the description in TheHive are replaced at the incident's next change.
//
// Failures steer the job, said in drone's words (drone.Permanent,
// drone.RetryAfter) and mapped by queue.Steer like every worker's: 5xx
// answers, timeouts and connection errors stay plain errors, which the
// queue retries with exponential backoff and
// jitter; 429 snoozes the job for TheHive's Retry-After without spending an
// attempt; other 4xx answers (a refused key, an unknown custom field or data
// type) cancel the job at once. A job that ends dead writes a delivery
// entry on the incident's timeline with TheHive's error type and message
// and the command that revives it (drone queue retry).
//
// Package hive/hivetest is an in-process stand-in for TheHive that the tests
// of this package, and of drone, run against.
package hive
