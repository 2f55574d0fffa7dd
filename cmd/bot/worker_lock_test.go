package main

import (
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/ttp0/drone/notify/email/smtptest"
)

// TestOneWorkerPerDatabase refuses drone deliver while another process
// holds the database's worker lock (a drone serve), saying why, and runs
// it once the lock is free.
func TestOneWorkerPerDatabase(t *testing.T) {
	e := newEnv(t)
	relay := startRelay(t, smtptest.Options{})
	e.vars["DRONE_CONFIG"] = notifyConfig(t, e, relay, cliTargets)
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "one worker at a time")

	other := flock.New(e.vars["DRONE_DB"] + ".worker.lock") // as a running drone serve holds it
	if ok, err := other.TryLock(); err != nil || !ok {
		t.Fatalf("taking the lock: %v %v", ok, err)
	}
	out, errOut, code := e.run("", "deliver", "--timeout", "10s")
	if code == 0 || !strings.Contains(errOut, "another drone process (serve or deliver) is working the jobs") {
		t.Fatalf("deliver beside a worker: exit %d\n%s%s", code, out, errOut)
	}
	if n := relay.Count("soc@example.org"); n != 0 {
		t.Errorf("the refused deliver sent %d messages", n)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	e.must("deliver", "--timeout", "10s")
	if n := relay.Count("soc@example.org"); n != 1 {
		t.Errorf("soc got %d messages once deliver ran, want 1", n)
	}
}
