package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

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
