package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// maxGroup bounds how many concurrent updates share one transaction.
const maxGroup = 64

// commit is one caller's Update waiting for the committer.
type commit struct {
	ctx  context.Context
	fn   func(drone.Tx) error
	done chan error
}

// Update runs fn in a write transaction: everything fn writes commits
// together or not at all.
//
// Updates that arrive while another is committing are grouped: one
// transaction runs each fn inside its own savepoint (a failing fn rolls back
// only its own writes), inserts all their jobs in one statement, and commits
// with one fsync. SQLite spends most of a small transaction on the fsync and
// on River's insert, so grouping is what lets concurrent declarations go past
// a thousand a second with synchronous=FULL. If the group's commit fails,
// each fn runs again in a transaction of its own, so fn must only write
// through the Tx it is given.
func (db *SQLite) Update(ctx context.Context, fn func(drone.Tx) error) error {
	c := &commit{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.commits <- c:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.done:
		return errors.New("store is closed")
	}
	return <-c.done
}

// committer runs updates, one group at a time, until the store closes.
func (db *SQLite) committer() {
	for {
		var group []*commit
		select {
		case c := <-db.commits:
			group = append(group, c)
		case <-db.done:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case c := <-db.commits:
				group = append(group, c)
			default:
				break more
			}
		}
		db.runGroup(group)
	}
}

func (db *SQLite) runGroup(group []*commit) {
	if len(group) == 1 {
		group[0].done <- db.runAlone(group[0])
		return
	}
	errs, err := db.runTogether(group)
	if err != nil {
		for _, c := range group {
			c.done <- db.runAlone(c)
		}
		return
	}
	for i, c := range group {
		c.done <- errs[i]
	}
}

// runAlone runs one update in its own transaction.
func (db *SQLite) runAlone(c *commit) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	tx, err := db.sql.BeginTx(c.ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	t := &sqliteTx{tx: tx, db: db}
	if err := c.fn(t); err != nil {
		return rollback(tx, err)
	}
	if err := db.insertJobs(c.ctx, tx, t.jobs); err != nil {
		return rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// runTogether runs a group in one transaction and returns each update's own
// result, or an error when the group as a whole could not commit.
func (db *SQLite) runTogether(group []*commit) ([]error, error) {
	ctx := context.Background() // each update's own context is checked before it runs
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("beginning transaction: %w", err)
	}
	errs := make([]error, len(group))
	var jobs []river.InsertManyParams
	for i, c := range group {
		if errs[i] = c.ctx.Err(); errs[i] != nil {
			continue
		}
		t := &sqliteTx{tx: tx, db: db}
		errs[i], err = db.savepoint(ctx, tx, func() error { return c.fn(t) })
		if err != nil {
			return nil, rollback(tx, err)
		}
		if errs[i] == nil {
			jobs = append(jobs, t.jobs...)
		}
	}
	if err := db.insertJobs(ctx, tx, jobs); err != nil {
		return nil, rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing group: %w", err)
	}
	return errs, nil
}

// savepoint runs fn inside a savepoint, rolling back to it when fn fails.
// It returns fn's error and, separately, any error of the savepoint itself.
func (db *SQLite) savepoint(ctx context.Context, tx *sql.Tx, fn func() error) (fnErr, err error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT upd"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if fnErr = fn(); fnErr != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO upd"); err != nil {
			return fnErr, fmt.Errorf("rolling back to savepoint: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE upd"); err != nil {
		return fnErr, fmt.Errorf("releasing savepoint: %w", err)
	}
	return fnErr, nil
}

func (db *SQLite) insertJobs(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error {
	if len(jobs) == 0 {
		return nil
	}
	if _, err := db.river.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("enqueueing jobs: %w", err)
	}
	return nil
}

func rollback(tx *sql.Tx, err error) error {
	if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
		return errors.Join(err, fmt.Errorf("rolling back: %w", rbErr))
	}
	return err
}
