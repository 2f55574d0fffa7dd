package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestMigrateToPostgres copies a SQLite database made through the command
// line into an empty PostgreSQL database, then runs drone on the copy: every
// record reads the same, every chain verifies, the queue holds the same
// jobs, and drone goes on numbering and adding where SQLite stopped.
func TestMigrateToPostgres(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i, iocs := range []string{"hxxps://login-examp1e[.]com/o365 203.0.113.7", "203.0.113.7 evil-cdn.example.net", "10.0.0.8"} {
		e.must("declare", "--category", "cat1", "--subcontext", "phishing", "--severity", "high", "--overview",
			"wave "+string(rune('A'+i)), "--iocs", iocs)
	}
	e.must("ack", "INC-1")
	e.must("status", "INC-1", "--set", "contained", "mail", "purged")
	e.must("close", "INC-2", "--resolution", "TruePositive", "--impact", "NoImpact", "done")
	// What integrations leave in the database: references, claims, jobs
	// (due, scheduled, unique), through the store as they do.
	sqlitePath := e.vars["DRONE_DB"]
	db, err := store.Open(ctx, sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles()}
	inc1, err := svc.Incident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetExternal(ctx, drone.Actor{Platform: "hive", ID: "sync"}, inc1.ID, map[string]string{"hive.case_id": "~42"}, "case ~42"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddFollowUp(ctx, drone.Actor{Platform: "local", ID: "op"}, drone.Origin{}, 2, drone.FollowUpInput{Text: "block the sender domain"}); err != nil {
		t.Fatal(err)
	}
	review := &drone.Review{IncidentID: inc1.ID, CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Markdown: "# Review", HTML: "<h1>Review</h1>"}
	if err := db.Update(ctx, func(tx drone.Tx) error { return tx.SaveReview(ctx, review) }); err != nil {
		t.Fatal(err)
	}
	if first, err := db.Claim(ctx, "slack:event:Ev1"); err != nil || !first {
		t.Fatal(first, err)
	}
	jobs := []drone.Job{
		{Kind: "hive.sync", Args: map[string]string{"incident": inc1.ID}, UniqueKey: "hive:" + inc1.ID},
		{Kind: "notify.email", Args: map[string]int{"n": 1}, Queue: "notify_email", RunAt: time.Now().Add(time.Hour)},
	}
	if err := svc.Enqueue(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	deadJob(t, db)
	db.Close()
	before := map[string]string{}
	for _, ref := range []string{"INC-1", "INC-2", "INC-3"} {
		before[ref] = e.must("incident", "show", ref, "--json")
	}
	seenBefore := e.must("ioc", "seen", "203.0.113.7", "--json")
	queueBefore := e.must("queue", "list", "--json")

	url := pgtest.URL(t)
	out := e.must("migrate", "--to", url)
	if !strings.Contains(out, "3 incidents") || !strings.Contains(out, "4 jobs") || !strings.Contains(out, "1 claims") ||
		!strings.Contains(out, "1 follow-up actions") || !strings.Contains(out, "1 review versions") {
		t.Errorf("migrate said:\n%s", out)
	}

	// drone on the copy.
	e.vars["DRONE_DB"] = url
	for ref, want := range before {
		if got := e.must("incident", "show", ref, "--json"); got != want {
			t.Errorf("%s on PostgreSQL:\n%s\nwant (SQLite):\n%s", ref, got, want)
		}
		var v struct{ Intact bool }
		if err := json.Unmarshal([]byte(e.must("incident", "verify", ref, "--json")), &v); err != nil || !v.Intact {
			t.Errorf("%s: chain not intact on PostgreSQL (%v)", ref, err)
		}
	}
	if got := e.must("ioc", "seen", "203.0.113.7", "--json"); got != seenBefore {
		t.Errorf("sightings on PostgreSQL:\n%s\nwant:\n%s", got, seenBefore)
	}
	if got := e.must("queue", "list", "--json"); !sameJobs(t, got, queueBefore) {
		t.Errorf("queue on PostgreSQL:\n%s\nwant:\n%s", got, queueBefore)
	}
	pg, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if n, err := pg.IncidentByRef(ctx, "hive.case_id", "~42"); err != nil || n.Number != 1 {
		t.Errorf("reference after the copy: %v %v", n, err)
	}
	if first, err := pg.Claim(ctx, "slack:event:Ev1"); err != nil || first {
		t.Errorf("a claim made on SQLite is new on PostgreSQL: %v %v", first, err)
	}
	// A unique job enqueued again is still a duplicate.
	if err := (&drone.Service{Store: pg}).Enqueue(ctx, jobs[0]); err != nil {
		t.Fatal(err)
	}
	// Three of the test's, and the review drafted on closing INC-2.
	if all, err := pg.Jobs(ctx, 100); err != nil || len(all) != 4 {
		t.Errorf("%d jobs after re-enqueueing a unique one (%v), want 4", len(all), err)
	}
	dead, err := pg.Jobs(ctx, 10, store.Dead...)
	if err != nil || len(dead) != 1 || dead[0].LastError != "TheHive is down" {
		t.Fatalf("dead jobs after the copy: %+v %v", dead, err)
	}
	if j, err := pg.RetryJob(ctx, dead[0].ID); err != nil || j.State != "available" {
		t.Errorf("reviving the dead job on PostgreSQL: %+v %v", j, err)
	}
	// drone goes on where SQLite stopped.
	if ref := strings.TrimSpace(e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "next",
		"--iocs", "198.51.100.9")); ref != "INC-4" {
		t.Errorf("the next declaration is %s, want INC-4", ref)
	}
	e.must("ioc", "add", "INC-1", "198.51.100.10")
	obs, err := pg.Observables(ctx, inc1.ID)
	if err != nil || len(obs) < 2 || obs[len(obs)-1].Value != "198.51.100.10" || obs[len(obs)-1].ID <= obs[len(obs)-2].ID {
		t.Errorf("observables of INC-1 after adding one on PostgreSQL: %+v %v", obs, err)
	}

	// A second copy into the same database is refused.
	e.vars["DRONE_DB"] = sqlitePath
	if _, errOut, code := e.run("", "migrate", "--to", url); code != exitUsage || !strings.Contains(errOut, "not empty") {
		t.Errorf("copy into a non-empty database: exit %d, %s", code, errOut)
	}
	if _, errOut, code := e.run("", "migrate", "--to", "/tmp/x.db"); code != exitUsage || !strings.Contains(errOut, "postgres://") {
		t.Errorf("--to a file: exit %d, %s", code, errOut)
	}
}

type failingArgs struct{}

func (failingArgs) Kind() string { return "test.fail" }

type failingWorker struct {
	river.WorkerDefaults[failingArgs]
}

func (failingWorker) Work(context.Context, *river.Job[failingArgs]) error {
	return errors.New("TheHive is down")
}

// deadJob leaves a dead job, with its error, in db's queue.
func deadJob(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := (&drone.Service{Store: db}).Enqueue(ctx, drone.Job{Kind: "test.fail", Args: failingArgs{}, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, failingWorker{})
	q, err := db.NewQueue(workers, store.QueueConfig{PollInterval: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if dead, err := db.Jobs(ctx, 10, store.Dead...); err == nil && len(dead) == 1 {
			return
		}
	}
	t.Fatal("the failing job never went dead")
}

// sameJobs compares two drone queue list --json outputs but for the ids,
// which the copy renumbers.
func sameJobs(t *testing.T, a, b string) bool {
	t.Helper()
	strip := func(s string) []map[string]any {
		var jobs []map[string]any
		if err := json.Unmarshal([]byte(s), &jobs); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			delete(j, "id")
		}
		return jobs
	}
	ja, jb := strip(a), strip(b)
	x, _ := json.Marshal(ja)
	y, _ := json.Marshal(jb)
	return len(ja) > 0 && string(x) == string(y)
}
