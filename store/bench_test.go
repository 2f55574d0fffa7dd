package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
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

func benchService(b *testing.B) (*drone.Service, *store.DB) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "drone.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Planners: []drone.Planner{twoJobs}}, db
}

// BenchmarkDeclare declares incidents with 5 observables and 2 jobs each,
// each incident atomic, with the store's durability setting (FULL): one
// declarer at a time, then 16 at once (concurrent responders and bots), where
// group commit shares transactions.
func BenchmarkDeclare(b *testing.B) {
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("declarers=%d", par), func(b *testing.B) {
			svc, _ := benchService(b)
			var n atomic.Int64
			b.SetParallelism(par)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					declareOne(b, svc, int(n.Add(1)))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
		})
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
// 1,000,000 stored observables (10,000 incidents of 100) and reports the p99
// latency of one look-up.
func BenchmarkSightings(b *testing.B) {
	_, db := benchService(b)
	ctx := context.Background()
	const incidents, per = 10_000, 100
	tx, err := db.SQL().BeginTx(ctx, nil)
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
}

func value(n int) string { return fmt.Sprintf("host-%d.example-%d.com", n, n%977) }
