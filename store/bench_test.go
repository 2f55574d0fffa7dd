package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/store/pgtest"
)

// twoJobs plans two jobs per declaration, like TheHive sync plus a notification.
var twoJobs = drone.PlannerFunc(func(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryDeclared {
		return nil
	}
	return []drone.Job{
		{Kind: "bench.hive", Args: map[string]string{"incident": e.Incident.ID}, UniqueKey: "hive:" + e.Incident.ID},
		{Kind: "bench.notify", Args: map[string]string{"incident": e.Incident.ID}},
	}
})

func benchService(b *testing.B, db *store.DB) *drone.Service {
	return &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Planners: []drone.Planner{twoJobs}}
}

// benchBackends open the store of each backend for a benchmark: SQLite in a
// temporary file, PostgreSQL in a fresh database of the test cluster
// (fsync on, synchronous_commit on: as durable as SQLite's FULL).
var benchBackends = []struct {
	name string
	open func(b *testing.B) string
}{
	{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "drone.db") }},
	{"postgres", func(b *testing.B) string { return pgtest.URL(b) }},
}

func openBench(b *testing.B, dsn string) *store.DB {
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkDeclare declares incidents with 5 observables and 2 jobs each,
// each incident atomic and durable, on each backend: one declarer at a
// time, then 16 at once (concurrent responders and bots), where SQLite's
// group commit shares transactions and PostgreSQL runs them side by side.
// On PostgreSQL, stores=2 splits the declarers between two stores (two
// pools, as two replicas would have) on one database.
func BenchmarkDeclare(b *testing.B) {
	for _, backend := range benchBackends {
		for _, c := range []struct{ stores, par int }{{1, 1}, {1, 16}, {2, 16}} {
			if c.stores > 1 && backend.name == "sqlite" {
				continue // one process per SQLite file
			}
			b.Run(fmt.Sprintf("%s/stores=%d/declarers=%d", backend.name, c.stores, c.par), func(b *testing.B) {
				dsn := backend.open(b)
				svcs := make([]*drone.Service, c.stores)
				for i := range svcs {
					svcs[i] = benchService(b, openBench(b, dsn))
				}
				var n atomic.Int64
				b.SetParallelism(c.par)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					svc := svcs[int(n.Load())%len(svcs)]
					for pb.Next() {
						i := int(n.Add(1))
						declareOne(b, svc, i)
						svc = svcs[i%len(svcs)]
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
			})
		}
	}
}

func declareOne(b *testing.B, svc *drone.Service, i int) {
	text := fmt.Sprintf("10.%d.%d.1 evil%d.example.com http://bad%d.example.net/x 2001:db8::%x a%d@example.org",
		i/250%250, i%250, i, i, i, i)
	_, res, err := svc.Declare(context.Background(), drone.Actor{Platform: "local", ID: "bench"}, drone.Origin{Channel: "cli"},
		drone.DeclareInput{Category: "CAT1", SubContext: "phishing", Severity: "high", Overview: "bench",
			Observables: drone.ObservableInput{Text: text}})
	if err != nil {
		b.Error(err)
		return
	}
	if len(res.Added) != 5 {
		b.Errorf("added %d observables, want 5: %+v", len(res.Added), res)
	}
}

// BenchmarkSightings answers "was this indicator seen before?" across
// 1,000,000 stored observables (10,000 incidents of 100) on each backend
// and reports the p99 latency of one look-up.
func BenchmarkSightings(b *testing.B) {
	const incidents, per = 10_000, 100
	for _, backend := range benchBackends {
		b.Run(backend.name, func(b *testing.B) {
			db := openBench(b, backend.open(b))
			ctx := context.Background()
			if pg, ok := db.Backend.(*store.Postgres); ok {
				loadPostgres(b, pg, incidents, per)
			} else {
				loadSQLite(b, db, incidents, per)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				s, err := db.Sightings(ctx, "", value((i*7919)%(incidents*per)), 20)
				lat = append(lat, time.Since(t0))
				if err != nil || len(s) != 1 {
					b.Fatalf("sightings %v %v", s, err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		})
	}
}

func loadSQLite(b *testing.B, db *store.DB, incidents, per int) {
	tx, err := db.SQL().BeginTx(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < incidents; i++ {
		id := fmt.Sprintf("inc-%d", i)
		if _, err := tx.Exec(`INSERT INTO incident (id, number, title, category, category_name, severity, severity_name,
			tlp, pap, overview, reporter, status, declared_at, updated_at) VALUES (?, ?, 't', 'CAT1', 'Intrusion', 3, 'HIGH',
			'AMBER', 'AMBER', 'o', '{}', 'open', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`, id, i+1); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < per; j++ {
			if _, err := tx.Exec(`INSERT INTO observable (incident_id, type, value, raw, tlp, added_by, origin, first_seen)
				VALUES (?, 'domain', ?, ?, 'AMBER', '{}', '{}', '2026-01-01T00:00:00.000000Z')`, id, value(i*per+j), value(i*per+j)); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// loadPostgres fills the tables with COPY, then analyses them, as
// autovacuum would after a load.
func loadPostgres(b *testing.B, db *store.Postgres, incidents, per int) {
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	i := 0
	_, err := db.Pool().CopyFrom(ctx, pgx.Identifier{"incident"}, []string{"id", "number", "title", "category",
		"category_name", "severity", "severity_name", "tlp", "pap", "overview", "reporter", "status", "declared_at", "updated_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == incidents {
				return nil, nil
			}
			i++
			return []any{fmt.Sprintf("inc-%d", i-1), i, "t", "CAT1", "Intrusion", 3, "HIGH", "AMBER", "AMBER", "o", "{}", "open", at, at}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	_, err = db.Pool().CopyFrom(ctx, pgx.Identifier{"observable"}, []string{"incident_id", "type", "value", "raw", "tlp",
		"added_by", "origin", "first_seen"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if n == incidents*per {
				return nil, nil
			}
			n++
			v := value(n - 1)
			return []any{fmt.Sprintf("inc-%d", (n-1)/per), "domain", v, v, "AMBER", "{}", "{}", at}, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	rows, err := db.Pool().Query(ctx, `EXPLAIN SELECT o.incident_id, i.number, o.type, o.value, o.first_seen
		FROM observable o JOIN incident i ON i.id = o.incident_id WHERE o.value = $1 AND ($2 = '' OR o.type = $2)
		ORDER BY o.first_seen DESC LIMIT 20`, value(42), "")
	if err != nil {
		b.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "observable_value") {
		b.Fatalf("the look-up does not use the observable_value index:\n%s", strings.Join(plan, "\n"))
	}
}

func value(n int) string { return fmt.Sprintf("host-%d.example-%d.com", n, n%977) }

// BenchmarkObservables reads the 5,000 indicators of one incident, as the
// console's incident page does, added 100 at a time by one person from
// one message each (SQLite).
func BenchmarkObservables(b *testing.B) {
	db := openBench(b, filepath.Join(b.TempDir(), "drone.db"))
	svc := benchService(b, db)
	ctx := context.Background()
	actor := drone.Actor{Platform: "web", ID: "ada", Name: "Ada Lovelace", Groups: []string{"responders"}}
	inc, _, err := svc.Declare(ctx, actor, drone.Origin{Channel: "web"}, drone.DeclareInput{Category: "CAT1",
		Severity: "high", Overview: "many indicators"})
	if err != nil {
		b.Fatal(err)
	}
	for batch := range 50 {
		var text strings.Builder
		for j := range 100 {
			fmt.Fprintf(&text, "%s\n", value(batch*100+j))
		}
		if _, err := svc.AddObservables(ctx, actor, drone.Origin{Channel: "web", Ref: fmt.Sprint("msg-", batch)}, inc.Number,
			drone.ObservableInput{Text: text.String()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		obs, err := db.Observables(ctx, inc.ID)
		if err != nil || len(obs) != 5000 {
			b.Fatalf("%d observables, %v", len(obs), err)
		}
	}
}
