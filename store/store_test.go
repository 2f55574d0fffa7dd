package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/store/pgtest"
	"github.com/ttp0/drone/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "drone.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The contract, on every backend.
func TestSQLite(t *testing.T)   { storetest.Run(t, openSQLite) }
func TestPostgres(t *testing.T) { storetest.Run(t, openPostgres) }

func TestOpenChoosesTheBackendByTheSetting(t *testing.T) {
	t.Parallel()
	for dsn, pg := range map[string]bool{"postgres://h/db": true, "postgresql://u:p@h/db": true, "data/drone.db": false,
		"/var/lib/drone/postgres.db": false, "postgres.db": false} {
		if store.IsPostgres(dsn) != pg {
			t.Errorf("IsPostgres(%q) = %v", dsn, !pg)
		}
	}
	if _, ok := openSQLite(t).Backend.(*store.SQLite); !ok {
		t.Error("a file path did not open SQLite")
	}
	db := openPostgres(t)
	_, ok := db.Backend.(*store.Postgres)
	if !ok {
		t.Fatal("a postgres:// URL did not open PostgreSQL")
	}
	if strings.Contains(db.Path(), "secret") || !strings.HasPrefix(db.Path(), "postgres://") {
		t.Errorf("path %q", db.Path())
	}
	if err := db.Backup(context.Background(), filepath.Join(t.TempDir(), "x")); drone.ErrorCode(err) != drone.EINVALID ||
		!strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v", err)
	}
}

func TestPostgresURLPasswordIsNotShown(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "postgres://drone:s3cret@127.0.0.1:1/drone?connect_timeout=1")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("connecting to nothing: %v", err)
	}
}

// TestReplicasStartingAtOnceMigrateOnce opens one empty PostgreSQL database
// from several processes' worth of stores at the same instant: the
// migration lock lets one migrate, and the others find the schema current.
func TestReplicasStartingAtOnceMigrateOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	dbs := make([]*store.DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = store.Open(context.Background(), url) })
	}
	wg.Wait()
	for i, db := range dbs {
		if errs[i] != nil {
			t.Errorf("replica %d: %v", i, errs[i])
			continue
		}
		if err := db.Ready(context.Background()); err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
		db.Close()
	}
}

func TestMigrationVersionsMatchAcrossBackends(t *testing.T) {
	t.Parallel()
	list := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var v []string
		for _, e := range entries {
			v = append(v, strings.SplitN(e.Name(), "_", 2)[0])
		}
		return v
	}
	lite, pg := list("migrations/sqlite"), list("migrations/postgres")
	if strings.Join(lite, ",") != strings.Join(pg, ",") || len(lite) != store.LatestSchema() {
		t.Errorf("migration versions: sqlite %v, postgres %v, latest %d", lite, pg, store.LatestSchema())
	}
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	err := db.Update(context.Background(), func(tx drone.Tx) error {
		return tx.Enqueue(context.Background(), []drone.Job{{Kind: "test.job", Args: map[string]int{"n": 1}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(context.Background(), path); err == nil {
		t.Error("a backup overwrote an existing file")
	}
	cp, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Ready(context.Background()); err != nil {
		t.Error(err)
	}
	if jobs, _ := cp.Jobs(context.Background(), 10); len(jobs) != 1 {
		t.Errorf("backup holds %d jobs, want 1", len(jobs))
	}
}

func TestReopenKeepsSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "drone.db")
	for range 2 {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.SchemaVersion(context.Background()); err != nil || v != store.LatestSchema() {
			t.Errorf("schema version %d %v", v, err)
		}
		db.Close()
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}

// TestPostgresLockHoldsAcrossProcesses takes a lock in one store and waits
// for it in another on the same database, as two replicas do; the holder's
// connection ending without an unlock (its process killed) releases it.
func TestPostgresLockHoldsAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	held, err := a.Lock(ctx, "hive.case:inc-1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short, "hive.case:inc-1"); err == nil {
		t.Fatal("a second replica took a lock the first holds")
	}
	unlock, err := b.Lock(ctx, "hive.case:inc-2")
	if err != nil {
		t.Fatalf("another key: %v", err)
	}
	unlock()
	got := make(chan error, 1)
	go func() {
		unlock, err := b.Lock(ctx, "hive.case:inc-1")
		if err == nil {
			unlock()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the second replica did not wait: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	// The holder's connection ends, as a killed process's does.
	if _, err := b.SQL().ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid = 4 AND objid = hashtext('hive.case:inc-1')::oid`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the lock of an ended connection was never released")
	}
	held() // its connection is gone: the unlock closes it and returns
}
