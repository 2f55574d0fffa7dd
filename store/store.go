// Package store keeps drone's incidents, observables, timelines and job queue
// in a database, with River as the durable queue in the same database, so
// that a change and the work it causes commit in one transaction.
//
// Two backends implement it: SQLite (modernc.org/sqlite, pure Go), the
// embedded default for one machine, and PostgreSQL (pgx v5 with River's
// riverpgxv5 driver), for several drone processes on one database. Open
// chooses by the database setting: a file path is SQLite, a postgres:// URL
// is PostgreSQL. The package storetest holds the contract both pass.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// Backend is what drone needs of its database: drone.Store for the core,
// and the queue and the operations of the command line and drone serve.
type Backend interface {
	drone.Store
	// The web console's accounts and sessions.
	drone.Accounts
	// Sightings of a whole incident's observables in one query.
	drone.IncidentSightings
	// Locks for the duration of a piece of work (drone.Service.Lock): in
	// this process on SQLite, across every process on PostgreSQL.
	drone.Locker
	// Changes returns the ids of the incidents whose timelines grew after
	// mark, and the new mark; a mark below zero returns the current mark.
	// The web console polls it to learn of changes made by any process.
	Changes(ctx context.Context, mark int64) (int64, []string, error)

	// SetMaxAttempts sets how many attempts jobs get when they name none
	// (queue.max_attempts); call it before the first Update.
	SetMaxAttempts(n int)
	// Close closes the database.
	Close() error
	// Path says where the database is: the SQLite file, or the PostgreSQL
	// URL without its password.
	Path() string
	// SQL returns a database/sql pool on the database, for tests and tools.
	// Its SQL dialect is the backend's.
	SQL() *sql.DB
	// SchemaVersion returns drone's recorded schema version.
	SchemaVersion(ctx context.Context) (int, error)
	// Ready reports whether the store answers and its schema is current.
	Ready(ctx context.Context) error
	// Backup writes a consistent copy of the live database to path.
	Backup(ctx context.Context, path string) error

	// NewQueue returns a Queue that runs jobs with the given workers: those
	// of the default queue with cfg.Workers, those of each lane with its own.
	NewQueue(workers *river.Workers, cfg QueueConfig, log *slog.Logger, lanes ...Lane) (*Queue, error)
	// Jobs lists jobs in the given states (all when none), oldest first, at
	// most limit.
	Jobs(ctx context.Context, limit int, states ...string) ([]JobInfo, error)
	// RetryJob makes a dead or waiting job due now with a full set of attempts.
	RetryJob(ctx context.Context, id int64) (JobInfo, error)
	// Due counts the jobs that can run now.
	Due(ctx context.Context) (int, error)
	// Counts counts incidents by status and jobs by state.
	Counts(ctx context.Context) (Counts, error)
	// RescueStuck makes due again the jobs of the given kinds (every kind
	// when none) that have been running for longer than after.
	RescueStuck(ctx context.Context, after time.Duration, kinds ...string) (int64, error)
}

// DB is drone's database, on whichever backend Open chose.
type DB struct {
	Backend
}

// Open opens the database dsn names and brings its schema, drone's and
// River's, up to date: a postgres:// or postgresql:// URL is a PostgreSQL
// database (OpenPostgres), anything else the path of a SQLite file, created
// if needed (OpenSQLite).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		pg, err := OpenPostgres(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return &DB{Backend: pg}, nil
	}
	lite, err := OpenSQLite(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &DB{Backend: lite}, nil
}

// IsPostgres reports whether dsn is a PostgreSQL URL rather than a file path.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// LatestSchema is the schema version this build of drone writes. Both
// backends have the same migration versions, each in its own SQL dialect.
func LatestSchema() int {
	list, err := migrationsIn(sqliteMigrations, "migrations/sqlite")
	if err != nil || len(list) == 0 {
		panic(fmt.Sprintf("store: embedded migrations: %v", err)) // fixed at build time
	}
	return list[len(list)-1].version
}

// migration is one numbered schema change.
type migration struct {
	name    string
	version int
	body    string
}

// migrationsIn returns the migrations of dir, in version order. A file's
// name starts with its version: 001_init.sql.
func migrationsIn(fsys fs.FS, dir string) ([]migration, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its version", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", name, err)
		}
		out = append(out, migration{name: name, version: v, body: string(body)})
	}
	return out, nil
}

// schemaReady reports whether a backend answers and its recorded schema is
// the one this drone's migrations end at.
func schemaReady(ctx context.Context, b interface {
	SchemaVersion(context.Context) (int, error)
}) error {
	v, err := b.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v != LatestSchema() {
		return fmt.Errorf("schema version %d, this drone needs %d", v, LatestSchema())
	}
	return nil
}
