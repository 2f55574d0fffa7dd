package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/ttp0/drone/drone"
)

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

// SQLite is drone's embedded store: one SQLite file. It implements Backend.
type SQLite struct {
	sql    *sql.DB
	path   string
	river  *river.Client[*sql.Tx] // inserts jobs; a Queue works them
	driver *riversqlite.Driver

	// stmts caches prepared statements: SQLite spends much of a small
	// transaction parsing SQL, and the pool's single connection lets every
	// transaction reuse them.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	// maxAttempts is given to jobs that name none: queue.max_attempts.
	maxAttempts int

	locks drone.LocalLocks // see Lock

	commits   chan *commit // see Update
	done      chan struct{}
	closeOnce sync.Once
}

var _ Backend = (*SQLite)(nil)

// OpenSQLite opens (creating it if needed) the database at path and brings its
// schema, drone's and River's, up to date.
//
// Durability: WAL with synchronous=FULL, so a transaction is on disk when
// Commit returns and survives a power loss, not only a crash of drone.
// NORMAL would be faster but may lose the last transactions on power loss,
// and an incident a responder was told is recorded must stay recorded.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating database directory: %w", err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate") // take the write lock at BEGIN: no upgrade deadlocks
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// SQLite allows one writer; River's driver advises a single connection,
	// which also keeps every transaction strictly serial.
	sdb.SetMaxOpenConns(1)
	db := &SQLite{sql: sdb, path: path, driver: riversqlite.New(sdb), stmts: map[string]*sql.Stmt{}, maxAttempts: QueueConfig{}.WithDefaults().MaxAttempts,
		commits: make(chan *commit), done: make(chan struct{})}
	if err := errors.Join(db.migrate(ctx), db.prepare(ctx)); err != nil {
		db.Close()
		return nil, err
	}
	db.river, err = river.NewClient(db.driver, &river.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("creating queue client: %w", err)
	}
	go db.committer()
	return db, nil
}

// SetMaxAttempts sets how many attempts jobs get when they name none
// (queue.max_attempts); call it before the first Update.
func (db *SQLite) SetMaxAttempts(n int) {
	if n > 0 {
		db.maxAttempts = n
	}
}

// Close closes the database.
func (db *SQLite) Close() error {
	db.closeOnce.Do(func() { close(db.done) })
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.mu.Unlock()
	return db.sql.Close()
}

// txQueries are the statements transactions run, prepared once at Open:
// they cannot be prepared later, inside a transaction, because the pool's
// only connection is then taken.
var txQueries = []string{qNextNumber, qInsertIncident, qUpdateIncident, qLastEntry, qAppendEntry, qInsertObservable,
	qPutRef, qFindRef, qClaim, qForgetClaims, qRecordDelivery, qNextFollowUpNumber, qSaveFollowUp, qNextReviewVersion, qInsertReview}

func (db *SQLite) prepare(ctx context.Context) error {
	for _, q := range txQueries {
		st, err := db.sql.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("preparing statement: %w", err)
		}
		db.stmts[q] = st
	}
	return nil
}

// prepared returns the statement prepared at Open for query.
func (db *SQLite) prepared(query string) (*sql.Stmt, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	st, ok := db.stmts[query]
	if !ok {
		return nil, fmt.Errorf("statement not prepared at open: %.40s", query)
	}
	return st, nil
}

// Path returns the database file's path.
func (db *SQLite) Path() string { return db.path }

// SQL returns the underlying pool, for tests and tools.
func (db *SQLite) SQL() *sql.DB { return db.sql }

// SchemaVersion returns drone's recorded schema version.
func (db *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM drone_migration`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// Ready reports whether the store answers and its schema is current.
func (db *SQLite) Ready(ctx context.Context) error { return schemaReady(ctx, db) }

func (db *SQLite) migrate(ctx context.Context) error {
	m, err := rivermigrate.New(db.driver, nil)
	if err != nil {
		return fmt.Errorf("preparing queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrating queue schema: %w", err)
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS drone_migration (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("creating migration table: %w", err)
	}
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	list, err := migrationsIn(sqliteMigrations, "migrations/sqlite")
	if err != nil {
		return err
	}
	for _, m := range list {
		if m.version <= current {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (db *SQLite) apply(ctx context.Context, m migration) error {
	name, version := m.name, m.version
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.body); err != nil {
		return fmt.Errorf("applying migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO drone_migration (version, applied_at) VALUES (?, ?)`,
		version, formatTime(time.Now())); err != nil {
		return fmt.Errorf("recording migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing migration %s: %w", name, err)
	}
	return nil
}

// Backup writes a consistent copy of the live database to path (VACUUM INTO),
// which must not exist yet. Writers wait while it runs; readers do not.
func (db *SQLite) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup %s: file exists", path)
	}
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backing up to %s: %w", path, err)
	}
	return nil
}

const timeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading time %q: %w", s, err)
	}
	return t, nil
}
