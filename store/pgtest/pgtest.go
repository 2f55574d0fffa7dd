// Package pgtest gives tests a throwaway PostgreSQL: one cluster per test
// binary, started on first use from the server binaries of the machine
// (Debian's postgresql package), listening on 127.0.0.1 only, and one fresh
// database per test.
//
// A test binary that uses it calls Main from its TestMain, which stops the
// cluster and removes its files when the tests end:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without PostgreSQL installed the tests that need it skip, saying how to
// install it; with CI=true in the environment they fail instead. With
// DRONE_TEST_POSTGRES set to the URL of a server's maintenance database (a
// superuser's, such as postgres://postgres@127.0.0.1:5432/postgres), that
// server is used instead of a cluster of its own.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is the test binary's PostgreSQL.
type cluster struct {
	admin string // URL of the maintenance database
	dir   string // removed at the end; "" for an outside server
	proc  *exec.Cmd
	exit  chan struct{} // closed when the server process ends
	log   string        // the server's log file
}

var (
	once    sync.Once
	shared  *cluster
	failure error // why there is no cluster
	missing bool  // failure is "PostgreSQL is not installed"
	dbSeq   atomic.Int64
)

// Main runs the tests and then stops the cluster, if one was started, and
// removes its files. It exits with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	os.Exit(code)
}

// URL returns the URL of a new, empty database for t, dropped when t ends.
// It skips t when PostgreSQL is not installed (fails it under CI=true).
func URL(t testing.TB) string {
	t.Helper()
	c := get(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
		t.Fatalf("pgtest: creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(c.admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Start starts a throwaway cluster for a program that is no test (a
// benchmark), or uses DRONE_TEST_POSTGRES's server, and returns the URL of
// its maintenance database and the function that stops it and removes its
// files.
func Start() (adminURL string, stop func() error, err error) {
	c, err := start()
	if err != nil {
		return "", nil, err
	}
	return c.admin, c.stop, nil
}

// get returns the cluster, starting it on first use, or ends t.
func get(t testing.TB) *cluster {
	t.Helper()
	once.Do(func() { shared, failure = start() })
	if failure == nil {
		return shared
	}
	if missing && os.Getenv("CI") != "true" {
		t.Skipf("pgtest: %v; skipped (with CI=true this fails)", failure)
	}
	t.Fatalf("pgtest: %v", failure)
	return nil
}

func (c *cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// binDir finds the directory of initdb and postgres: on the PATH, else
// Debian's /usr/lib/postgresql/<version>/bin, the highest version.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	missing = true
	return "", errors.New("PostgreSQL is not installed (no initdb on the PATH or in /usr/lib/postgresql/*/bin): " +
		"install it with `apt-get install postgresql` (the server need not run), or set DRONE_TEST_POSTGRES " +
		"to a server's URL")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start() (*cluster, error) {
	if u := os.Getenv("DRONE_TEST_POSTGRES"); u != "" {
		return &cluster{admin: u}, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "drone-pgtest-")
	if err != nil {
		return nil, err
	}
	c, err := startIn(bin, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// startIn creates a cluster in dir and starts its server. PostgreSQL refuses
// to run as root: as root, the server and initdb run as the postgres user,
// who is given dir.
func startIn(bin, dir string) (*cluster, error) {
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, PostgreSQL must run as the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data, sock, logFile := filepath.Join(dir, "data"), filepath.Join(dir, "sock"), filepath.Join(dir, "server.log")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "--pgdata", data, "--username", "postgres",
		"--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(sock, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	var lastErr error
	for range 3 { // a free port may be taken between choosing and listening
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c, err := serve(bin, dir, data, sock, logFile, port, cred)
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serve runs the server as a child that dies with the test binary
// (Pdeathsig): a test binary killed by its timeout leaves no server behind.
func serve(bin, dir, data, sock, logFile string, port int, cred *syscall.Credential) (*cluster, error) {
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+sock, "-c", "max_connections=300",
		"-c", "shared_buffers=128MB", "-c", "logging_collector=off")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	c := &cluster{admin: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		dir: dir, proc: cmd, exit: make(chan struct{}), log: logFile}
	go func() { cmd.Wait(); close(c.exit) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.exec(ctx, `SELECT 1`)
		cancel()
		if err == nil {
			return c, nil
		}
		select {
		case <-c.exit:
			out, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("postgres exited at start: %s", strings.TrimSpace(string(out)))
		default:
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("postgres did not answer within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the server down fast (SIGQUIT: no checkpoint, the files are
// thrown away) and removes its files.
func (c *cluster) stop() error {
	if c.proc == nil {
		return nil
	}
	c.proc.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exit:
	case <-time.After(10 * time.Second):
		syscall.Kill(-c.proc.Process.Pid, syscall.SIGKILL)
		<-c.exit
	}
	return os.RemoveAll(c.dir)
}
