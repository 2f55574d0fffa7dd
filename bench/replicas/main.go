// Command replicasbench measures declarations per second on SQLite and on
// PostgreSQL with one and with two replicas (stores of their own, each with
// its own connection pool, on one database), in one run on one machine:
//
//	go run ./bench/replicas -declarations 2000 -clients 16
//
// Each declaration is a whole drone.Service.Declare with three indicators:
// the incident, its hash-chained timeline entry, its observables and one
// job, committed together. The clients are split evenly across the
// replicas. PostgreSQL is a throwaway cluster started for the run from the
// machine's server binaries (as the tests' pgtest does), or the server of
// DRONE_TEST_POSTGRES; its settings are the defaults but for
// listen_addresses, port and max_connections, and synchronous_commit is on.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/store/pgtest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "replicasbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("replicasbench", flag.ContinueOnError)
	n := fs.Int("declarations", 2000, "declarations per setting")
	clients := fs.Int("clients", 16, "declarations under way at once, split across the replicas")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "replicasbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	admin, stop, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(out, "%d declarations, %d clients, 3 indicators and 1 job each\n", *n, *clients)
	fmt.Fprintf(out, "%-28s %10s %10s\n", "setting", "decl/s", "p99")
	settings := []struct {
		name     string
		replicas int
		dsn      func(i int) (string, error)
	}{
		{"SQLite, 1 process", 1, func(int) (string, error) { return filepath.Join(dir, "drone.db"), nil }},
		{"PostgreSQL, 1 replica", 1, func(i int) (string, error) { return newDatabase(ctx, admin, i) }},
		{"PostgreSQL, 2 replicas", 2, func(i int) (string, error) { return newDatabase(ctx, admin, i) }},
	}
	for i, s := range settings {
		dsn, err := s.dsn(i)
		if err != nil {
			return err
		}
		rate, p99, err := measure(ctx, dsn, s.replicas, *n, *clients)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(out, "%-28s %10.0f %10s\n", s.name, rate, p99.Round(10*time.Microsecond))
	}
	return nil
}

// newDatabase creates an empty database on the cluster and returns its URL.
func newDatabase(ctx context.Context, admin string, i int) (string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("bench%d_%d", os.Getpid(), i)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		return "", err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// jobPlanner enqueues one job per declaration, as an integration does.
var jobPlanner = drone.PlannerFunc(func(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryDeclared {
		return nil
	}
	return []drone.Job{{Kind: "bench.job", Args: map[string]string{"incident_id": e.Incident.ID},
		UniqueKey: "bench:" + e.Incident.ID}}
})

// measure opens replicas stores on dsn and declares n incidents through
// them with clients goroutines; it returns declarations per second and the
// 99th percentile of one declaration.
func measure(ctx context.Context, dsn string, replicas, n, clients int) (float64, time.Duration, error) {
	svcs := make([]*drone.Service, replicas)
	for i := range svcs {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return 0, 0, err
		}
		defer db.Close()
		svcs[i] = &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
			Targets: drone.DefaultTargets(), Planners: []drone.Planner{jobPlanner}}
	}
	actor := drone.Actor{Platform: "local", ID: "bench"}
	var next atomic.Int64
	times := make([]time.Duration, n)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		svc := svcs[c%replicas]
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				_, _, err := svc.Declare(ctx, actor, drone.Origin{Channel: "bench"}, drone.DeclareInput{
					Category: "CAT1", SubContext: "phishing", Severity: "high",
					Overview: fmt.Sprintf("wave %d", i),
					Observables: drone.ObservableInput{Text: fmt.Sprintf("203.0.%d.%d evil-%d.example.com hxxp://evil-%d.example.com/login",
						i/250%250, i%250+1, i, i)},
				})
				if err != nil {
					errs <- err
					return
				}
				times[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return 0, 0, err
	default:
	}
	return float64(n) / elapsed.Seconds(), percentile(times, 0.99), nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}
