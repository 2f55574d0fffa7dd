package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
	"github.com/ttp0/drone/notify/email/smtptest"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/store/pgtest"
)

// replica is a drone serve child process of a test.
type replica struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	up     chan string // where it serves, once it says so
}

// startReplica starts drone serve as a child process on a free loopback
// port; it is killed at the end of the test at the latest.
func (e *env) startReplica(t *testing.T) *replica {
	t.Helper()
	r := &replica{cmd: e.helper("serve", "--addr", "127.0.0.1:0"), stderr: &bytes.Buffer{}, up: make(chan string, 1)}
	r.cmd.Stderr = r.stderr
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	})
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if base, ok := strings.CutPrefix(s.Text(), "drone serving on "); ok {
				r.up <- base
			}
		}
	}()
	return r
}

// wait waits until the replica serves.
func (r *replica) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.up:
	case <-time.After(60 * time.Second):
		t.Fatalf("a replica did not come up within 60s:\n%s", r.stderr)
	}
}

// slowHive is a proxy that puts a delay in front of TheHive's case
// creation, so that two syncs of one incident that both missed its case
// would both create one.
type slowHive struct {
	URL string
	// forwarding is held for reading while a request is forwarded; a test
	// holds it for writing to kill a replica while no request of its is
	// at TheHive (see hold).
	forwarding sync.RWMutex
}

func newSlowHive(t *testing.T, target string, delay time.Duration) *slowHive {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := &slowHive{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server watch the
		// connection, and cancel the request when its client dies.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/case") {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		h.forwarding.RLock()
		defer h.forwarding.RUnlock()
		if r.Context().Err() != nil {
			return // its client is gone: TheHive never hears of it
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// hold runs fn while no request is at TheHive: a replica killed in fn
// leaves none there, whose case its successor could miss. That window,
// between TheHive's taking a request and the answer, no lock closes: the
// dead replica's lock (or that of an attempt that timed out) is released at
// once, while its request may still be creating the case.
func (h *slowHive) hold(fn func()) {
	h.forwarding.Lock()
	defer h.forwarding.Unlock()
	fn()
}

// pgCount runs a counting query on the test's PostgreSQL database.
func pgCount(t *testing.T, dsn, query string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestReplicasFailOver runs two drone serve processes on one PostgreSQL
// database with TheHive, Slack and an SMTP relay on loopback, started at
// the same instant (both come up, migrating once). It declares 100
// incidents, each followed by a change, from the command line, so that two
// syncs of one incident may run at once on two replicas; it kills one
// replica with SIGKILL in the middle of delivery, while the relay holds
// messages; the other finishes: each incident has exactly one TheHive case
// and one Slack channel, each notification went out once, no job is dead.
func TestReplicasFailOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone processes")
	}
	const incidents, before = 100, 5
	dsn := pgtest.URL(t)
	e := newEnv(t)
	e.vars["DRONE_DB"] = dsn
	th := hivetest.New(t, hivetest.Options{})
	slow := newSlowHive(t, th.URL(), 300*time.Millisecond)
	hiveURL := slow.URL
	// Each replica has a relay of its own: the killed one's holds its
	// messages after the first few, and drops them once it is dead, as a
	// relay whose client went away; the survivor's takes every message.
	g := newGate(before)
	relayA, relayB := startRelay(t, smtptest.Options{Data: g.data}), startRelay(t, smtptest.Options{})
	sl := slacktest.New(t, slacktest.Options{})
	configFor := func(relay *smtptest.Server, name string) string {
		body, err := os.ReadFile(notifyConfig(t, e, relay, fmt.Sprintf(`  targets:
    - {name: soc, medium: email, to: [soc@example.org], clearance: RED}
  rules:
    - {name: soc, events: [declared], targets: [soc]}
hive:
  url: %s
  api_key: %s
  organisation: %s
  api: v1
  rate: 0
  timeout: 5s
slack: {mode: http, post_interval: 1ms}
log: {level: warn, format: text}
`, hiveURL, th.Key(), th.Organisation())))
		if err != nil {
			t.Fatal(err)
		}
		// The relay's certificate authority, of its own.
		ca, own := filepath.Join(e.dir, "relay-ca.pem"), filepath.Join(e.dir, name+"-ca.pem")
		if err := os.Rename(ca, own); err != nil {
			t.Fatal(err)
		}
		body = bytes.ReplaceAll(body, []byte(ca), []byte(own))
		// Attempts long enough that none times out while TheHive takes its
		// request: a case created after its client gave up is the window
		// no lock closes (see slowHive.hold).
		body = bytes.Replace(body, []byte("job_timeout: 1s"), []byte("job_timeout: 5s"), 1)
		path := filepath.Join(e.dir, name)
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	configA, configB := configFor(relayA, "a.yaml"), configFor(relayB, "b.yaml")
	e.vars["SLACK_BOT_TOKEN"] = sl.BotToken()
	e.vars["SLACK_SIGNING_SECRET"] = sl.SigningSecret()
	e.vars["DRONE_SLACK_API_URL"] = sl.APIURL()

	// Rolling start: both at once on an empty database.
	e.vars["DRONE_CONFIG"] = configA
	a := e.startReplica(t)
	e.vars["DRONE_CONFIG"] = configB // and the command line's
	b := e.startReplica(t)
	a.wait(t)
	b.wait(t)
	if n, want := pgCount(t, dsn, `SELECT COUNT(*) FROM drone_migration`), store.LatestSchema(); n != want {
		t.Fatalf("%d migrations recorded, want %d", n, want)
	}

	var declared atomic.Int64
	declare := func(from, to int) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 4 {
			wg.Go(func() {
				for i := range next {
					ref, errOut, code := e.run("", "declare", "--category", "cat3", "--severity", "low",
						"--overview", fmt.Sprintf("replica failover %d", i), "--iocs", fmt.Sprintf("10.0.%d.%d", i/250, i%250+1))
					if code != 0 {
						t.Errorf("declare: exit %d: %s", code, errOut)
						continue
					}
					ioc := fmt.Sprintf("second stage at 198.51.100.%d", i%250+1)
					if _, errOut, code := e.run("", "ioc", "add", strings.Fields(ref)[0], "--ioc", ioc); code != 0 {
						t.Errorf("ioc add: exit %d: %s", code, errOut)
					}
					declared.Add(1)
				}
			})
		}
		for i := from; i < to; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	declaring := make(chan struct{})
	go func() {
		defer close(declaring)
		declare(0, incidents)
	}()
	t.Cleanup(func() { <-declaring }) // before the env goes

	select {
	case <-g.shut:
	case <-time.After(60 * time.Second):
		t.Fatalf("the relay never got %d messages", before)
	}
	for declared.Load() < incidents/2 {
		select {
		case <-declaring:
			t.Fatal("the declarations ended early")
		case <-time.After(10 * time.Millisecond):
		}
	}
	// Every message the relay took from the replica about to die is
	// recorded: the window between a relay's reply and the record, which
	// no design closes, stays out of the count.
	var sent []string
	for _, m := range relayA.Messages() {
		sent = append(sent, strings.Trim(m.Header.Get("Message-Id"), "<>"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for pgCount(t, dsn, fmt.Sprintf(`SELECT COUNT(*) FROM notify_delivery WHERE trim(both '<>' from message_id) IN ('%s')`,
		strings.Join(sent, "', '"))) < len(sent) {
		if time.Now().After(deadline) {
			t.Fatalf("the %d messages the relay took are not all recorded after 30s", len(sent))
		}
		time.Sleep(20 * time.Millisecond)
	}
	slow.hold(func() {
		if err := a.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		a.cmd.Wait()
		// The proxy's server notices the closed connections, and cancels
		// the dead replica's waiting requests, before any is forwarded.
		time.Sleep(500 * time.Millisecond)
	})
	close(g.open)
	g.mu.Lock()
	g.n = -1
	g.mu.Unlock()
	t.Logf("replica killed after %d declarations, with %d cases, %d channels, %d messages, %d jobs running",
		declared.Load(), len(th.Cases()), sl.ChannelCount(), len(relayA.Messages())+len(relayB.Messages()),
		pgCount(t, dsn, `SELECT COUNT(*) FROM river_job WHERE state = 'running'`))
	<-declaring

	// The survivor finishes: River's rescuer, on it once it leads, takes up
	// the jobs the killed one left running after twice the job timeout.
	deadline = time.Now().Add(2 * time.Minute)
	for {
		pending := pgCount(t, dsn, `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')
			OR (state = 'scheduled' AND scheduled_at < now() + interval '1 hour')`)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still pending after 2 minutes:\n%s", pending, b.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}

	perIncident := map[string]int{}
	for _, c := range th.Cases() {
		for _, tag := range c.Tags {
			if strings.HasPrefix(tag, hive.CaseTag("")) {
				perIncident[tag]++
			}
		}
	}
	if len(perIncident) != incidents {
		t.Errorf("cases for %d incidents, want %d", len(perIncident), incidents)
	}
	for tag, n := range perIncident {
		if n != 1 {
			t.Errorf("%d cases tagged %s, want exactly 1", n, tag)
		}
	}
	if n := sl.ChannelCount(); n != incidents {
		t.Errorf("%d Slack channels, want %d, one per incident", n, incidents)
	}
	if n := pgCount(t, dsn, `SELECT COUNT(DISTINCT value) FROM incident_ref WHERE key = 'slack.channel'`); n != incidents {
		t.Errorf("%d incidents record their Slack channel, want %d", n, incidents)
	}
	if n := relayA.Count("soc@example.org") + relayB.Count("soc@example.org"); n != incidents {
		t.Errorf("soc got %d notifications, want exactly %d", n, incidents)
	}
	if n := pgCount(t, dsn, `SELECT COUNT(*) FROM notify_delivery`); n != incidents {
		t.Errorf("%d deliveries recorded, want %d", n, incidents)
	}
	if n := pgCount(t, dsn, `SELECT COUNT(*) FROM river_job WHERE state IN ('discarded', 'cancelled')`); n != 0 {
		out, _, _ := e.run("", "queue", "list", "--all", "--json")
		out = grepLines(out, "discarded", "cancelled", "last_error")
		t.Errorf("%d jobs dead:\n%s", n, out)
	}
}

// grepLines returns the lines of s that hold any of words.
func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestReplicasHandleADeliveryOnce runs two drone serve on one PostgreSQL
// database behind no balancer: Slack delivers one message event to both,
// at once (as a retry reaches another replica, or as each replica's
// connection hears of it), and the offer to add its indicators is made
// once, the event's claim being the database's.
func TestReplicasHandleADeliveryOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts drone serve twice")
	}
	e := newEnv(t)
	e.vars["DRONE_DB"] = pgtest.URL(t)
	sl := slacktest.New(t, slacktest.Options{})
	sl.AddUser("U0ALICE", "alice")
	e.vars["DRONE_CONFIG"] = e.writeConfig(`
slack:
  mode: http
  responders: [U0ALICE]
  offer_indicators: true
  post_interval: 1ms
queue:
  poll_interval: 20ms
log: {level: warn}
`)
	e.vars["SLACK_BOT_TOKEN"] = sl.BotToken()
	e.vars["SLACK_SIGNING_SECRET"] = sl.SigningSecret()
	e.vars["DRONE_SLACK_API_URL"] = sl.APIURL()
	one, two := e.serve(), e.serve()
	e.must("declare", "--category", "cat3", "--severity", "low", "--overview", "one delivery, two replicas")

	var channel string
	deadline := time.Now().Add(30 * time.Second)
	for channel == "" {
		for _, c := range sl.Channels() {
			if c.Members["U0ALICE"] && len(c.Messages) > 0 {
				channel = c.ID
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the incident's channel never got its notice")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, body, err := sl.MessageEvent("U0ALICE", channel, "also saw 45.33.32.156 beaconing", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, base := range []string{one.base, two.base} {
		wg.Go(func() {
			if r, err := sl.HTTPTransport(base).Event(ctx, body, i); err != nil || r.Status != 200 {
				t.Errorf("replica %d: %v %d", i+1, err, r.Status)
			}
		})
	}
	wg.Wait()
	deadline = time.Now().Add(10 * time.Second)
	for sl.EphemeralCount("U0ALICE") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no replica made the offer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // time for a second offer, were there one
	if n := sl.EphemeralCount("U0ALICE"); n != 1 {
		t.Errorf("%d offers for one event delivered to two replicas, want 1", n)
	}
}
