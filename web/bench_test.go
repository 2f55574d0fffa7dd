package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/web"
)

// benchConsole is a console over a store seeded once for the benchmarks:
// 10,000 incidents, and INC-1 with 1,000 timeline entries and 5,000
// indicators, 500 of them seen in INC-2 too.
type benchConsole struct {
	c      *web.Console
	cookie string
	dir    string
}

var (
	benchOnce sync.Once
	bench     *benchConsole
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bench != nil {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func seedBench() (*benchConsole, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "drone-web-bench")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, filepath.Join(dir, "drone.db"))
	if err != nil {
		return nil, err
	}
	// Seeding only: durability is not what is measured.
	if _, err := db.SQL().ExecContext(ctx, "PRAGMA synchronous=OFF"); err != nil {
		return nil, err
	}
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Targets: drone.DefaultTargets(), Extractor: ioc.New(ioc.Options{})}
	var ips []string
	for i := range 5000 {
		ips = append(ips, fmt.Sprintf("198.18.%d.%d", i/250, i%250+1))
	}
	if _, _, err := svc.Declare(ctx, operator, drone.Origin{}, drone.DeclareInput{Category: "CAT3", Severity: "critical", TLP: "AMBER",
		Overview: "Worm spreading", Observables: drone.ObservableInput{Text: strings.Join(ips, " ")}}); err != nil {
		return nil, err
	}
	if _, _, err := svc.Declare(ctx, operator, drone.Origin{}, drone.DeclareInput{Category: "CAT3", Severity: "high",
		Overview: "Related worm", Observables: drone.ObservableInput{Text: strings.Join(ips[:500], " ")}}); err != nil {
		return nil, err
	}
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	run := func(fn func() error) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	cats := []string{"CAT1", "CAT2", "CAT3", "CAT5", "CAT6"}
	sevs := []string{"low", "medium", "high", "critical"}
	for i := range 9998 {
		run(func() error {
			_, _, err := svc.Declare(ctx, operator, drone.Origin{}, drone.DeclareInput{Category: cats[i%len(cats)],
				Severity: sevs[i%len(sevs)], TLP: []string{"CLEAR", "GREEN", "AMBER"}[i%3],
				Overview: fmt.Sprintf("Routine case number %d on host ws-%d", i, i)})
			return err
		})
	}
	for i := range 997 { // with the declared and observables entries: 999 + ...
		run(func() error {
			_, err := svc.PostUpdate(ctx, operator, drone.Origin{}, 1, drone.UpdateInput{Summary: fmt.Sprintf("update %d", i)})
			return err
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if _, err := svc.Acknowledge(ctx, operator, drone.Origin{}, 1); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	hash, err := web.HashPassword(password)
	if err != nil {
		return nil, err
	}
	if err := db.CreateAccount(ctx, drone.Account{Name: "alice", PasswordHash: hash, Roles: []string{"admin"}, Clearance: "RED",
		CreatedAt: now, UpdatedAt: now}); err != nil {
		return nil, err
	}
	id := "benchmark-session"
	sum := sha256.Sum256([]byte(id))
	if err := db.CreateSession(ctx, drone.Session{IDHash: hex.EncodeToString(sum[:]), Account: "alice", CSRF: "x",
		CreatedAt: now, SeenAt: now}); err != nil {
		return nil, err
	}
	c, err := web.New(web.Options{Service: svc, Accounts: db, Changes: db, Queue: db,
		Config: web.Config{IdleTimeout: 24 * time.Hour, SessionLifetime: 24 * time.Hour}})
	if err != nil {
		return nil, err
	}
	if err := c.Sync(ctx); err != nil {
		return nil, err
	}
	return &benchConsole{c: c, cookie: "drone_session=" + id, dir: dir}, nil
}

func benchSetup(b *testing.B) *benchConsole {
	b.Helper()
	benchOnce.Do(func() { bench, benchErr = seedBench() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

// benchPage renders path b.N times and reports the 99th percentile.
func benchPage(b *testing.B, path string, must string) {
	bc := benchSetup(b)
	durations := make([]time.Duration, 0, b.N)
	var size int
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Cookie", bc.cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		bc.c.ServeHTTP(rec, req)
		durations = append(durations, time.Since(start))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), must) {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
		size = rec.Body.Len()
	}
	b.StopTimer()
	// The process's CPU time per page: on a shared machine the wall-clock
	// figures wait for other programs; this does not.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	slices.Sort(durations)
	p99 := durations[(len(durations)*99+99)/100-1]
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(size)/1024, "KiB/page")
}

// BenchmarkBoard renders the first page of the board over 10,000 incidents.
func BenchmarkBoard(b *testing.B) { benchPage(b, "/", `data-ref="INC-10000"`) }

// BenchmarkBoardSearch searches the titles and overviews of 10,000 incidents.
func BenchmarkBoardSearch(b *testing.B) { benchPage(b, "/?q=ws-9990", `data-testid="incident-row"`) }

// BenchmarkIncidentPage renders an incident with 1,000 timeline entries
// and 5,000 indicators (500 seen elsewhere).
func BenchmarkIncidentPage(b *testing.B) { benchPage(b, "/incidents/1", `data-testid="seen-link"`) }

// cpuTime is the CPU time the process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
