package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ttp0/drone/drone"
)

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// Postgres is drone's PostgreSQL store, for several drone processes on one
// database. It implements Backend.
//
// Every Update is a transaction of its own on a pooled connection (pgx
// prepares and caches each statement per connection); PostgreSQL runs them
// concurrently and groups their WAL flushes itself. Where SQLite's single
// writer serialises everything, row and advisory locks serialise what must
// be: incident numbers (gap-free, as on SQLite), changes to one incident
// (its timeline stays a chain without gaps or forks), and look-ups of a
// reference followed by its creation (a declaration's idempotency key).
type Postgres struct {
	pool  *pgxpool.Pool
	url   string // without its password
	river *river.Client[pgx.Tx]

	// maxAttempts is given to jobs that name none: queue.max_attempts.
	maxAttempts int

	sqlOnce sync.Once
	sqlDB   *sql.DB // see SQL

	// locks and lockConns serve Lock: holders of one key in this process
	// wait in turn in locks, and each holder keeps a connection of
	// lockConns, a pool opened on first use, for its advisory lock.
	locks     drone.LocalLocks
	lockMu    sync.Mutex
	lockConns *pgxpool.Pool
}

var _ Backend = (*Postgres)(nil)

// Advisory lock keys: drone's class (the first key of the two-key form,
// "dron"), then what is locked.
const (
	lockClass   = 0x64726f6e
	lockMigrate = 1 // migrations, across processes starting at once
	lockNumber  = 2 // incident numbering
	lockRef     = 3 // the class of references: (lockRef, hashtext(key, value))
	lockWork    = 4 // the class of Lock's keys: (lockWork, hashtext(key))
	lockAction  = 5 // follow-up action numbering
	lockReview  = 6 // the class of review versions: (lockReview, hashtext(incident id))
)

// OpenPostgres connects to the PostgreSQL database of url (a postgres:// URL;
// pgxpool's settings such as pool_max_conns may be given in its query) and
// brings its schema, drone's and River's, up to date. Processes starting at
// once migrate one after the other, under an advisory lock.
func OpenPostgres(ctx context.Context, rawURL string) (*Postgres, error) {
	shown := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("reading the PostgreSQL URL %s: %w", shown, err)
	}
	if cfg.MaxConns < 2 {
		return nil, fmt.Errorf("PostgreSQL %s: pool_max_conns must be at least 2 (migrations hold one connection while River's use another)", shown)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", shown, err)
	}
	db := &Postgres{pool: pool, url: shown, maxAttempts: QueueConfig{}.WithDefaults().MaxAttempts}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to %s: %w", shown, err)
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.river, err = river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("creating queue client: %w", err)
	}
	return db, nil
}

// Redact returns a database URL without its password, to show.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	return u.Redacted()
}

// migrate applies River's migrations and drone's, holding a session
// advisory lock on a connection of its own: a second process starting at
// the same instant waits, then finds the schema current.
func (db *Postgres) migrate(ctx context.Context) (err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, lockClass, lockMigrate); uerr != nil {
			// A connection that may still hold the lock must not go back
			// to the pool.
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, lockMigrate); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(db.pool), nil)
	if err != nil {
		return fmt.Errorf("preparing queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrating queue schema: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS drone_migration (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("creating migration table: %w", err)
	}
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	list, err := migrationsIn(postgresMigrations, "migrations/postgres")
	if err != nil {
		return err
	}
	for _, mig := range list {
		if mig.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, mig.body); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO drone_migration (version) VALUES ($1)`, mig.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("applying migration %s: %w", mig.name, err)
		}
	}
	return nil
}

// SetMaxAttempts sets how many attempts jobs get when they name none
// (queue.max_attempts); call it before the first Update.
func (db *Postgres) SetMaxAttempts(n int) {
	if n > 0 {
		db.maxAttempts = n
	}
}

// Close closes the pool.
func (db *Postgres) Close() error {
	if db.sqlDB != nil {
		db.sqlDB.Close()
	}
	db.lockMu.Lock()
	if db.lockConns != nil {
		db.lockConns.Close()
	}
	db.lockMu.Unlock()
	db.pool.Close()
	return nil
}

// Path returns the database's URL without its password.
func (db *Postgres) Path() string { return db.url }

// Pool returns the pgx pool, for tests and tools.
func (db *Postgres) Pool() *pgxpool.Pool { return db.pool }

// SQL returns a database/sql pool over the same connections, for tests and
// tools; it speaks PostgreSQL's SQL ($1 placeholders).
func (db *Postgres) SQL() *sql.DB {
	db.sqlOnce.Do(func() { db.sqlDB = stdlib.OpenDBFromPool(db.pool) })
	return db.sqlDB
}

// SchemaVersion returns drone's recorded schema version.
func (db *Postgres) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM drone_migration`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// Ready reports whether the store answers and its schema is current.
func (db *Postgres) Ready(ctx context.Context) error { return schemaReady(ctx, db) }

// Backup is not drone's to do on PostgreSQL: the server's own tools back it
// up consistently while it runs (pg_dump, or base backups with WAL
// archiving for point-in-time recovery).
func (db *Postgres) Backup(ctx context.Context, path string) error {
	return drone.Errorf(drone.EINVALID, "drone backs up SQLite files only; back up PostgreSQL with pg_dump "+
		"(pg_dump --format=custom --file=%s '%s'), or with base backups and WAL archiving", path, db.url)
}

// Update runs fn in one transaction: everything fn writes, jobs included,
// commits together or not at all. A transaction that PostgreSQL aborts for a
// deadlock or a serialization failure runs again, up to three times, so fn
// must only write through the Tx it is given.
func (db *Postgres) Update(ctx context.Context, fn func(drone.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.update(ctx, fn)
		if attempt < 3 && retryable(err) {
			continue
		}
		return err
	}
}

func (db *Postgres) update(ctx context.Context, fn func(drone.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		t := &pgTx{tx: tx, db: db}
		if err := fn(t); err != nil {
			return err
		}
		if len(t.jobs) == 0 {
			return nil
		}
		if _, err := db.river.InsertManyTx(ctx, tx, t.jobs); err != nil {
			return fmt.Errorf("enqueueing jobs: %w", err)
		}
		return nil
	})
}

// retryable reports whether PostgreSQL aborted a transaction that may
// succeed when run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}
