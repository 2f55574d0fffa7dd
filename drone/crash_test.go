package drone_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

// TestCrashChild is the child of TestKilledWhileDeclaring: with
// DRONE_CRASH_DB set it declares incidents in a loop until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("DRONE_CRASH_DB")
	if path == "" {
		t.Skip("runs only as the child of TestKilledWhileDeclaring")
	}
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Planners: []drone.Planner{drone.PlannerFunc(twoJobsOnDeclare)}}
	for i := 0; ; i++ {
		_, _, err := svc.Declare(context.Background(), operator, here, drone.DeclareInput{Category: "CAT3",
			Severity: "high", Overview: "loop", Observables: drone.ObservableInput{
				Text: fmt.Sprintf("198.51.%d.%d bad%d.example.com http://bad%d.example.net/p", i/250%250, i%250, i, i)}})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("declared", i+1) // the parent counts these lines
	}
}

func twoJobsOnDeclare(e drone.Event) []drone.Job {
	if e.Kind != drone.EntryDeclared {
		return nil
	}
	return []drone.Job{{Kind: "test.hive", Args: map[string]string{"id": e.Incident.ID}},
		{Kind: "test.notify", Args: map[string]string{"id": e.Incident.ID}}}
}

// TestKilledWhileDeclaring kills a process with SIGKILL while it declares
// incidents, then checks that the database holds no half incident and no
// incident without its jobs.
func TestKilledWhileDeclaring(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "drone.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "DRONE_CRASH_DB="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	declared := 0
	for sc := bufio.NewScanner(stdout); declared < 50 && sc.Scan(); {
		fmt.Sscanf(sc.Text(), "declared %d", &declared)
	}
	if declared < 50 {
		t.Fatalf("the child stopped after %d declarations", declared)
	}
	go io.Copy(io.Discard, stdout)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := func(query string) int {
		var n int
		if err := db.SQL().QueryRow(query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	var integrity string
	if err := db.SQL().QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity check: %q %v", integrity, err)
	}
	incidents := q("SELECT COUNT(*) FROM incident")
	checks := map[string]int{
		"incidents with a declared entry":     q("SELECT COUNT(*) FROM timeline WHERE kind = 'declared'"),
		"incidents with an observables entry": q("SELECT COUNT(*) FROM timeline WHERE kind = 'observables'"),
		"observables / 3":                     q("SELECT COUNT(*) FROM observable") / 3,
		"jobs / 2":                            q("SELECT COUNT(*) FROM river_job") / 2,
		"incidents with 2 jobs": q(`SELECT COUNT(*) FROM incident i WHERE (SELECT COUNT(*) FROM river_job j
			WHERE json_extract(j.args, '$.id') = i.id) = 2`),
	}
	for what, n := range checks {
		if n != incidents {
			t.Errorf("%s: %d, want %d (one per incident)", what, n, incidents)
		}
	}
	if q("SELECT COUNT(*) FROM observable") != 3*incidents || q("SELECT COUNT(*) FROM river_job") != 2*incidents {
		t.Errorf("rows outside whole incidents: %d observables, %d jobs for %d incidents",
			q("SELECT COUNT(*) FROM observable"), q("SELECT COUNT(*) FROM river_job"), incidents)
	}
	t.Logf("killed after %d incidents: consistent", incidents)
}
