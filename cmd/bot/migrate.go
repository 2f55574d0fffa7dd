package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gofrs/flock"
	"github.com/spf13/cobra"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

// migrateCommand copies the SQLite database into an empty PostgreSQL one.
func (c *cli) migrateCommand() *cobra.Command {
	var to string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate --to postgres://...",
		Short: "Copy the SQLite database into an empty PostgreSQL database, and verify every timeline",
		Long: `Copy the SQLite database (--db, $DRONE_DB or the configuration's) into the
empty PostgreSQL database of --to: incidents, their observables and timelines
(each hash chain verified after the copy, before it commits), references,
claims, the record of notifications sent, the console's accounts (not their
sessions) and the queue's jobs. The SQLite file is left as it was. Stop drone
serve first: drone migrate takes the database's worker lock. Then set
DRONE_DB (or database: in the configuration) to the URL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !store.IsPostgres(to) {
				return usageError{errors.New("--to must be a postgres:// or postgresql:// URL")}
			}
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			from := cfg.Database
			if store.IsPostgres(from) {
				return usageError{fmt.Errorf("the database is PostgreSQL already; drone migrate copies a SQLite file " +
					"(name it with --db or DRONE_DB)")}
			}
			if _, err := os.Stat(from); err != nil {
				return drone.Errorf(drone.ENOTFOUND, "there is no SQLite database at %s to copy", from)
			}
			res, err := migrateToPostgres(cmd.Context(), from, to)
			if err != nil {
				return err
			}
			if asJSON {
				return c.printJSON(res)
			}
			jobs := 0
			for _, n := range res.Jobs {
				jobs += n
			}
			fmt.Fprintf(c.Out, "copied %s to %s: %d incidents (%d timeline entries, every chain verified), "+
				"%d observables, %d references, %d claims, %d notifications sent, %d console accounts, %d follow-up actions, "+
				"%d review versions, %d jobs\n", from, store.Redact(to), res.Incidents, res.Entries, res.Observables, res.Refs,
				res.Claims, res.Deliveries, res.Accounts, res.FollowUps, res.Reviews, jobs)
			fmt.Fprintln(c.Out, "run drone on it with DRONE_DB set to the URL (or database: in the configuration)")
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the PostgreSQL database to copy into (postgres://user:password@host/db)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was copied as JSON")
	return cmd
}

// migrateToPostgres copies the SQLite file from into the database of to,
// holding the SQLite database's worker lock so that no drone works its
// queue meanwhile.
func migrateToPostgres(ctx context.Context, from, to string) (store.CopyResult, error) {
	lock := flock.New(from + ".worker.lock")
	ok, err := lock.TryLock()
	if err != nil {
		return store.CopyResult{}, fmt.Errorf("taking the worker lock %s: %w", lock.Path(), err)
	}
	if !ok {
		return store.CopyResult{}, drone.Errorf(drone.ECONFLICT, "a drone process (serve or deliver) is working %s; "+
			"stop it before copying the database (lock %s)", from, lock.Path())
	}
	defer lock.Unlock()
	src, err := store.OpenSQLite(ctx, from)
	if err != nil {
		return store.CopyResult{}, fmt.Errorf("opening %s: %w", from, err)
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, to)
	if err != nil {
		return store.CopyResult{}, err
	}
	defer dst.Close()
	res, err := store.CopyToPostgres(ctx, src, dst)
	if err != nil {
		return store.CopyResult{}, fmt.Errorf("copying %s to %s: %w", from, store.Redact(to), err)
	}
	return res, nil
}
