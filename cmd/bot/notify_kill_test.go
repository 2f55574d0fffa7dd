package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/notify/email/smtptest"
)

// TestNotifyHelperProcess is the drone of TestKilledMidFanOut's child
// processes: it runs only when that test starts it.
func TestNotifyHelperProcess(t *testing.T) {
	raw := os.Getenv("DRONE_NOTIFY_HELPER_ARGS")
	if raw == "" {
		t.Skip("run by TestKilledMidFanOut")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(Run(context.Background(), args, Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.LookupEnv))
}

// gate lets the first n messages through, then holds every later one
// until it is opened; a held message is dropped, as a relay drops one whose
// client went away before its reply.
type gate struct {
	mu     sync.Mutex
	n      int
	passed int
	shut   chan struct{} // closed when the n-th message passed
	open   chan struct{} // closed to let the held messages fail
}

func newGate(n int) *gate { return &gate{n: n, shut: make(chan struct{}), open: make(chan struct{})} }

func (g *gate) data(*smtptest.Message) error {
	g.mu.Lock()
	if g.n < 0 || g.passed < g.n {
		g.passed++
		if g.passed == g.n {
			close(g.shut)
		}
		g.mu.Unlock()
		return nil
	}
	g.mu.Unlock()
	<-g.open
	return smtptest.ErrClosed
}

// TestKilledMidFanOut kills drone deliver with SIGKILL in the middle of a
// fan-out to 40 addresses, restarts it, and checks that every address got
// exactly one message. The kill comes when no sent message is left
// unrecorded (the test waits for the record of each message the relay
// accepted), so that the only window the design cannot close, between the
// relay's reply and the record, stays out of the count.
func TestKilledMidFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone processes")
	}
	const targets, before = 40, 15
	e := newEnv(t)
	g := newGate(before)
	relay := startRelay(t, smtptest.Options{Data: g.data})
	var to []string
	for i := range targets {
		to = append(to, fmt.Sprintf("r%02d@example.org", i))
	}
	e.vars["DRONE_CONFIG"] = notifyConfig(t, e, relay, fmt.Sprintf(`  targets:
    - {name: all, medium: email, to: [%s], clearance: RED}
    - {name: soc, medium: email, to: [soc@example.org], clearance: RED}
  rules:
    - {name: all, events: [declared], targets: [all]}
`, strings.Join(to, ", ")))
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "fan-out under fire")

	child := e.startDeliver(t)
	select {
	case <-g.shut:
	case <-time.After(60 * time.Second):
		child.Process.Kill()
		t.Fatal("the relay never got the first messages")
	}
	e.waitRecorded(t, before)
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed := time.Now()
	close(g.open)
	g.mu.Lock()
	g.n = -1 // the restarted drone's messages all pass
	g.mu.Unlock()

	// The killed process left jobs running; they are rescued once they have
	// run for twice the job timeout (1s), which no live attempt can.
	time.Sleep(time.Until(killed.Add(2*time.Second + 100*time.Millisecond)))
	if out, err := e.deliverOnce(t); err != nil {
		t.Fatalf("restarted deliver: %v\n%s", err, out)
	}
	for _, rcpt := range to {
		if n := relay.Count(rcpt); n != 1 {
			t.Errorf("%s got %d messages, want exactly 1", rcpt, n)
		}
	}
	if got := len(relay.Messages()); got != targets {
		t.Errorf("the relay accepted %d messages, want %d", got, targets)
	}
	if n := e.count(t, "SELECT COUNT(*) FROM notify_delivery"); n != targets {
		t.Errorf("%d deliveries recorded, want %d", n, targets)
	}
	if n := e.count(t, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver' AND state != 'completed'"); n != 0 {
		t.Errorf("%d delivery jobs not completed", n)
	}
}

func (e *env) helper(args ...string) *exec.Cmd {
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotifyHelperProcess$")
	cmd.Env = append(os.Environ(), "DRONE_NOTIFY_HELPER_ARGS="+string(a), "USER=tester")
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func (e *env) startDeliver(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := e.helper("deliver", "--timeout", "60s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func (e *env) deliverOnce(t *testing.T) (string, error) {
	t.Helper()
	b, err := e.helper("deliver", "--timeout", "60s").CombinedOutput() // deliver stops itself at its timeout
	return string(b), err
}

// waitRecorded waits until n messages are recorded as sent in the
// database the child writes (read-only, beside it).
func (e *env) waitRecorded(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.count(t, "SELECT COUNT(*) FROM notify_delivery") < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d deliveries recorded after 30s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) count(t *testing.T, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.vars["DRONE_DB"]+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
