package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
	"github.com/riverqueue/river"
	"golang.org/x/term"

	"github.com/ttp0/drone/config"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/store"
)

// app is drone opened on its configuration and database.
type app struct {
	cfg          *config.Config
	db           *store.DB
	svc          *drone.Service
	log          *slog.Logger
	integrations []*integration.Integration
	// worker is a SQLite database's worker lock, held while this process
	// works its queue; nil on PostgreSQL.
	worker *flock.Flock
}

// open loads the configuration, opens the database and builds the service
// with every enabled integration.
func (c *cli) open(ctx context.Context) (*app, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	log := newLogger(c.Err, cfg.Log)
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", cfg.Database, err)
	}
	db.SetMaxAttempts(cfg.Queue.MaxAttempts)
	a := &app{cfg: cfg, db: db, log: log}
	a.svc = &drone.Service{
		Store:      db,
		Framework:  cfg.Framework,
		Roles:      cfg.Roles,
		Targets:    cfg.TargetsBySeverity(),
		Extractor:  ioc.New(cfg.ExtractorOptions()),
		DefaultTLP: cfg.Defaults.TLP,
		DefaultPAP: cfg.Defaults.PAP,
	}
	a.integrations, err = buildIntegrations(ctx, a)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := a.assemble(); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// assemble gives the service and the integrations what the enabled
// integrations contribute.
func (a *app) assemble() error {
	media := a.media()
	for _, in := range a.enabled() {
		if in.Planner != nil {
			a.svc.Planners = append(a.svc.Planners, in.Planner)
		}
		for _, ext := range in.Extensions {
			if _, taken := a.svc.Grammar().Lookup(ext.Name); taken {
				return fmt.Errorf("%s: command %q is already taken", in.Name, ext.Name)
			}
			a.svc.Extensions = append(a.svc.Extensions, ext)
		}
		if in.Advisor != nil {
			if a.svc.Advisor != nil {
				return fmt.Errorf("%s: a second advisor; drone takes one", in.Name)
			}
			a.svc.Advisor = in.Advisor
		}
		if in.Enricher != nil {
			a.svc.Enrichers = append(a.svc.Enrichers, in.Enricher)
		}
		if in.UseMedia != nil {
			in.UseMedia(media)
		}
	}
	return nil
}

// enabled returns the enabled integrations.
func (a *app) enabled() []*integration.Integration {
	var out []*integration.Integration
	for _, in := range a.integrations {
		if in.Enabled {
			out = append(out, in)
		}
	}
	return out
}

// media returns the notification media the enabled integrations offer.
func (a *app) media() []drone.Medium {
	var out []drone.Medium
	for _, in := range a.enabled() {
		out = append(out, in.Media...)
	}
	return out
}

func (a *app) close() {
	for _, in := range a.enabled() {
		if in.Close == nil {
			continue
		}
		if err := in.Close(); err != nil {
			a.log.Error("closing "+in.Name, "err", err)
		}
	}
	if err := a.db.Close(); err != nil {
		a.log.Error("closing database", "err", err)
	}
	if a.worker != nil {
		if err := a.worker.Unlock(); err != nil {
			a.log.Error("releasing the worker lock", "err", err)
		}
	}
}

// dataDir is where integrations keep files: beside a SQLite database, or
// ./data with a PostgreSQL one.
func (a *app) dataDir() string {
	if store.IsPostgres(a.cfg.Database) {
		return "data"
	}
	return filepath.Dir(a.cfg.Database)
}

// lockWorker takes a SQLite database's worker lock: one process at a time
// works its queue (drone serve, or drone deliver when serve is not
// running), which makes the in-process locks of its jobs (drone.Locker)
// hold for the whole database. The lock is a file beside the database,
// which the system releases when the process ends, however it ends.
// PostgreSQL needs none: several processes work its queue at once (River
// fetches each job for one of them, FOR UPDATE SKIP LOCKED) and its locks
// are the database's.
func (a *app) lockWorker() error {
	if store.IsPostgres(a.cfg.Database) {
		return nil
	}
	lock := flock.New(a.cfg.Database + ".worker.lock")
	ok, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("taking the worker lock %s: %w", lock.Path(), err)
	}
	if !ok {
		return drone.Errorf(drone.ECONFLICT, "another drone process (serve or deliver) is working the jobs of %s; "+
			"it delivers them, and one process at a time does (lock %s)", a.cfg.Database, lock.Path())
	}
	a.worker = lock
	return nil
}

// queue returns the queue workers of the enabled integrations, or nil when
// no integration is enabled (there is then nothing to work). On SQLite it
// takes the worker lock first: only its holder may rescue or schedule
// jobs. On PostgreSQL every replica prepares the queue, which is safe at
// once: what Prepare queues is unique (a second insert is skipped), and
// jobs a killed replica left running are River's rescuer's (see
// store.QueueConfig.JobTimeout), not rescued here, since a job running
// long on a live replica cannot be told from one left by a dead one.
func (a *app) queue(ctx context.Context) (*store.Queue, error) {
	workers := river.NewWorkers()
	lanes := map[string]int{}
	var working []*integration.Integration
	for _, in := range a.enabled() {
		if in.Workers != nil {
			in.Workers(workers)
			maps.Copy(lanes, in.Lanes)
			working = append(working, in)
		}
	}
	if len(working) == 0 {
		return nil, nil
	}
	if err := a.lockWorker(); err != nil {
		return nil, err
	}
	if !store.IsPostgres(a.cfg.Database) {
		// Jobs a killed process left running are due again once they must
		// have timed out, at once rather than at the rescuer's next round.
		if _, err := a.db.RescueStuck(ctx, 2*a.cfg.Queue.JobTimeout); err != nil {
			return nil, err
		}
	}
	for _, in := range working {
		if in.Prepare == nil {
			continue
		}
		if err := in.Prepare(ctx); err != nil {
			return nil, fmt.Errorf("%s: preparing the queue: %w", in.Name, err)
		}
	}
	return a.db.NewQueue(workers, a.cfg.Queue, a.log, store.LanesOf(lanes)...)
}

// describeIntegrations says which integrations are on and how to turn on the others.
func (a *app) describeIntegrations() string {
	var on, off []string
	for _, in := range a.integrations {
		if in.Enabled {
			on = append(on, in.Name)
		} else {
			off = append(off, fmt.Sprintf("  %s is off: %s", in.Name, in.Hint))
		}
	}
	s := "integrations on: " + orDefault(strings.Join(on, ", "), "none")
	if len(off) > 0 {
		s += "\n" + strings.Join(off, "\n")
	}
	return s
}

// newLogger logs as text on a terminal and as JSON otherwise.
func newLogger(w io.Writer, cfg config.Log) *slog.Logger {
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(orDefault(cfg.Level, "info"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Format
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
