// Package dronetest holds what the tests of drone's packages share: a
// service over a real SQLite store in a temporary file with its queue
// (Harness), golden files rewritten with -update (Golden), a settable clock
// (Clock) and a logger into a buffer printed when a test fails (NewLog).
//
// It imports the store, so only tests import it; it lives outside drone/ so
// that the core's rule (no database, no queue) holds for every package
// under drone/.
package dronetest
