// Package e2e holds the browser tests of the web console: the real drone
// program (built once per test run) serves the console on a loopback port
// with its SQLite database in a temporary folder, a headless Chromium
// (web/browsertest) uses it as a person would, and the command line changes
// the same incidents from outside the browser. Screenshots of every page
// land in web/testdata/screenshots/.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ttp0/drone/web/browsertest"
)

// droneBin is the drone program the tests run, built by TestMain.
var droneBin string

// TestMain builds drone from this module, or takes the program named by
// $DRONE_E2E_BIN (a build of another tree), and runs the tests with one
// shared browser.
func TestMain(m *testing.M) {
	if bin := os.Getenv("DRONE_E2E_BIN"); bin != "" {
		droneBin = bin
		browsertest.Main(m)
		return
	}
	dir, err := os.MkdirTemp("", "drone-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	droneBin = filepath.Join(dir, "drone")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	build := exec.CommandContext(ctx, "go", "build", "-o", droneBin, "github.com/ttp0/drone/cmd/bot")
	out, err := build.CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building drone: %v\n%s", err, out)
		os.Exit(1)
	}
	browsertest.Main(m)
}

// console is a drone serve that a test started, with what it printed.
type console struct {
	t     *testing.T
	base  string // http://127.0.0.1:port
	setup string // the one-time set-up link, when serve printed one
	dir   string // the test's folder: database and configuration
	env   []string
}

// config is the configuration every test's drone runs on: loopback only,
// quiet logs; the roles let console role "responders" act on incidents.
const config = `organisation: Example Org
log: {format: text, level: warn}
http: {shutdown_grace: 5s}
roles:
  - name: everyone
    permissions: [declare, ioc]
    members: ["*"]
  - name: responders
    permissions: [declare, ioc, acknowledge, lead, update, close]
    members: ["web:group:responders", "web:group:admin"]
`

var (
	servingLine = regexp.MustCompile(`drone serving on (http://127\.0\.0\.1:\d+)`)
	setupLine   = regexp.MustCompile(`https?://\S+/setup\?token=[A-Za-z0-9_\-=%]+`)
)

// start runs drone serve on a free loopback port with a fresh database and
// waits until it has said where it listens and printed its set-up link.
// extra is appended to the configuration. It stops when the test ends, as
// SIGTERM would stop it.
func start(t *testing.T, extra ...string) *console {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "drone.yaml")
	if err := os.WriteFile(cfg, []byte(config+strings.Join(extra, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &console{t: t, dir: dir, env: append(os.Environ(),
		"DRONE_CONFIG="+cfg, "DRONE_DB="+filepath.Join(dir, "drone.db"),
		"HOME="+dir, "USER=e2e-operator")}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, droneBin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = c.env
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr browsertest.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var output browsertest.Buffer
	var mu sync.Mutex // guards base and setup until start returns
	var base, setup string
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		var once sync.Once
		for sc.Scan() {
			line := sc.Text()
			output.Write([]byte(line + "\n"))
			mu.Lock()
			if m := setupLine.FindString(line); m != "" {
				setup = m
			}
			if m := servingLine.FindStringSubmatch(line); m != nil && base == "" {
				base = m[1]
			}
			both := base != "" && setup != ""
			mu.Unlock()
			if both {
				once.Do(func() { close(ready) })
			}
		}
		once.Do(func() { close(ready) })
		io.Copy(io.Discard, stdout)
	}()
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			// Wait reports the cancellation itself; what counts is that
			// drone stopped cleanly on SIGTERM.
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("drone serve exited %d (%v) on SIGTERM\n%s", code, err, stderr.String())
			}
		case <-time.After(25 * time.Second):
			t.Errorf("drone serve did not stop")
		}
	})
	// A fresh database has no account, so serve prints the set-up link
	// after its address.
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("drone serve printed no address and set-up link within 30s:\n%s%s", output.String(), stderr.String())
	case err := <-done:
		t.Fatalf("drone serve ended at once: %v\n%s%s", err, output.String(), stderr.String())
	}
	mu.Lock()
	c.base, c.setup = base, setup
	mu.Unlock()
	if c.base == "" || c.setup == "" {
		t.Fatalf("drone serve did not print its address and set-up link:\n%s%s", output.String(), stderr.String())
	}
	return c
}

// drone runs the drone command line on the console's database, as an
// operator at a terminal would, and returns what it printed.
func (c *console) drone(args ...string) string {
	c.t.Helper()
	return c.droneIn("", args...)
}

// droneIn is drone with standard input.
func (c *console) droneIn(stdin string, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, droneBin, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("drone %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}
