package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ttp0/drone/drone"
)

// Lock takes a lock on key within this process: one drone process works a
// SQLite file's queue (its worker lock file), so a lock in it holds for
// every worker of the database.
func (db *SQLite) Lock(ctx context.Context, key string) (func(), error) {
	return db.locks.Lock(ctx, key)
}

var (
	_ drone.Locker = (*SQLite)(nil)
	_ drone.Locker = (*Postgres)(nil)
)

// Lock takes a session advisory lock on key, (lockWork, hashtext(key)),
// that holds across every process on the database, on a connection of its
// own held until unlock: PostgreSQL releases it when that connection ends,
// so a process killed while it holds a lock leaves none behind. Holders of
// one key in this process wait in turn in it first, so that they hold one
// connection between them. The connections come from a pool of their own
// (see lockPool), never from the one the work itself queries, so that the
// holders of locks can never take all the connections their work needs.
func (db *Postgres) Lock(ctx context.Context, key string) (func(), error) {
	local, err := db.locks.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	pool, err := db.lockPool(ctx)
	if err != nil {
		local()
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		local()
		return nil, fmt.Errorf("locking %s: %w", key, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, lockWork, key); err != nil {
		// Cancelled while waiting, the lock may have been granted all the
		// same: the connection, and with it any lock, goes.
		conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
		local()
		return nil, fmt.Errorf("locking %s: %w", key, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			var released bool
			if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockWork, key).Scan(&released); err != nil || !released {
				conn.Conn().Close(uctx) // the server then releases whatever it holds
			}
			conn.Release()
			local()
		})
	}, nil
}

// lockPool returns the pool of the connections that hold advisory locks,
// opened on first use with as many connections as the main pool.
func (db *Postgres) lockPool(ctx context.Context) (*pgxpool.Pool, error) {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.lockConns != nil {
		return db.lockConns, nil
	}
	cfg := db.pool.Config()
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening the connections of locks: %w", err)
	}
	db.lockConns = pool
	return pool, nil
}
