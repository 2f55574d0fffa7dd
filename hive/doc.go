// Package hive is a client for TheHive, the case manager drone keeps each
// incident in.
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
// trying the same request again later can help. A POST whose response was
// lost may still have been committed, so a worker that retries a case
// creation should first look the case up by a tag of its own
// (FindCasesByTag).
//
// The API key is sent only in the Authorization header; it never appears in
// an error or a log line.
//
// Package hive/hivetest is an in-process stand-in for TheHive that the tests
// of this package, and of drone, run against.
package hive
