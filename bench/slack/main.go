// Command slackbench measures drone serve's Slack endpoints in http mode:
// it posts signed slash commands ("/drone", which opens the declare modal)
// and declare view submissions (each declares an incident, whose channel
// and notification the queue then makes against the stand-in) at fixed
// rates, open loop (each request leaves at its scheduled time and its
// latency counts from then, so a slow server cannot hide its queue), and
// reports p50 and p99 beside the floor: a bare Go handler that only checks
// the signature, measured in the same run. drone serve is the real binary,
// run as a child process with a fresh database; Slack is the in-process
// stand-in. Everything is on 127.0.0.1 and stops by itself.
//
//	go run ./bench/slack -rates 50,200,500 -duration 5s
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "slackbench:", err)
		os.Exit(1)
	}
}

type config struct {
	rates    []int
	duration time.Duration
	drone    string
}

func parseFlags(args []string) (config, error) {
	var c config
	var rates string
	fs := flag.NewFlagSet("slackbench", flag.ContinueOnError)
	fs.StringVar(&rates, "rates", "50,200,500", "request rates to measure, per second")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long each rate runs, per target")
	fs.StringVar(&c.drone, "drone", "", "the drone binary (default: go build ./cmd/bot)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, r := range strings.Split(rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 || n > 5000 {
			return c, fmt.Errorf("-rates: %q is not a rate from 1 to 5000", r)
		}
		c.rates = append(c.rates, n)
	}
	if c.duration <= 0 || c.duration > time.Minute {
		return c, errors.New("-duration must be from 1ns to 1m")
	}
	return c, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "slackbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if c.drone == "" {
		c.drone = filepath.Join(dir, "drone")
		build := exec.CommandContext(ctx, "go", "build", "-o", c.drone, "./cmd/bot")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building drone (run from the repository's root, or pass -drone): %w", err)
		}
	}
	srv := slacktest.NewServer(slacktest.Options{TriggerTTL: 30 * time.Second})
	defer srv.Close()
	srv.AddUser("U0BENCH", "bench")
	channel := srv.AddChannel("general", slacktest.BotUserID, "U0BENCH")

	droneURL, stop, err := startDrone(ctx, c.drone, dir, srv)
	if err != nil {
		return err
	}
	defer stop()
	floor, err := startFloor(srv.SigningSecret())
	if err != nil {
		return err
	}
	defer floor.Close()

	gen, err := newGenerator(ctx, srv, channel, droneURL)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: time.Minute}}
	// Warm both up: connections, the database, the Go runtime.
	for _, base := range []string{floor.URL, droneURL} {
		if _, err := load(ctx, client, base, gen.requests(50, 50, srv.SigningSecret())); err != nil {
			return err
		}
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rate/s\ttarget\trequests\terrors\tp50 ms\tp99 ms\tmax ms\t")
	for _, rate := range c.rates {
		n := int(float64(rate) * c.duration.Seconds())
		for _, t := range []struct{ name, url string }{{"floor", floor.URL}, {"drone", droneURL}} {
			res, err := load(ctx, client, t.url, gen.requests(rate, n, srv.SigningSecret()))
			if err != nil {
				return err
			}
			for _, kind := range []string{"all", "command", "submission"} {
				lat, errs := res.of(kind)
				fmt.Fprintf(tw, "%d\t%s %s\t%d\t%d\t%.2f\t%.2f\t%.2f\t\n", rate, t.name, kind, len(lat), errs,
					ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(lat, 100)))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nincident channels the queue made meanwhile: %d; Web API calls drone made: %d\n",
		srv.ChannelCount()-1, len(srv.Calls()))
	return nil
}

// startDrone runs drone serve in http mode against the stand-in.
func startDrone(ctx context.Context, bin, dir string, srv *slacktest.Server) (string, func(), error) {
	cfg := filepath.Join(dir, "drone.yaml")
	if err := os.WriteFile(cfg, []byte("slack:\n  mode: http\nlog:\n  level: warn\n  format: json\n"), 0o600); err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--config", cfg, "--db", filepath.Join(dir, "drone.db"))
	cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+srv.BotToken(), "SLACK_SIGNING_SECRET="+srv.SigningSecret(),
		"DRONE_SLACK_API_URL="+srv.APIURL())
	logs, err := os.Create(filepath.Join(dir, "drone.log"))
	if err != nil {
		cancel()
		return "", nil, err
	}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("starting drone serve: %w", err)
	}
	stop := func() {
		cancel()
		_ = cmd.Wait()
		logs.Close()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "drone serving on ") {
		stop()
		b, _ := os.ReadFile(logs.Name())
		return "", nil, fmt.Errorf("drone serve did not start (%v): %s%s", err, line, b)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return strings.TrimSpace(strings.TrimPrefix(line, "drone serving on ")), stop, nil
}

// startFloor serves the floor: read the body as drone does, check the
// signature, answer 200.
func startFloor(secret string) (*floorServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, droneslack.MaxBody))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := droneslack.VerifySignature(r.Header, body, secret, time.Now()); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return &floorServer{s: s, URL: "http://" + ln.Addr().String()}, nil
}

type floorServer struct {
	s   *http.Server
	URL string
}

func (f *floorServer) Close() { _ = f.s.Close() }

// generator makes the requests: slash commands and declare submissions
// shaped from a real modal that drone opened.
type generator struct {
	srv      *slacktest.Server
	channel  string
	template map[string]any // a view_submission payload
	next     int
}

func newGenerator(ctx context.Context, srv *slacktest.Server, channel, droneURL string) (*generator, error) {
	g := &generator{srv: srv, channel: channel}
	h := srv.HTTPTransport(droneURL)
	if r, err := h.Command(ctx, srv.SlashCommand("/drone", "U0BENCH", channel, "")); err != nil || r.Status != 200 {
		return nil, fmt.Errorf("opening the declare modal: %d %v", r.Status, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := srv.Wait(wctx, "the declare modal", func(s *slacktest.Server) bool { return s.ViewCount("U0BENCH") > 0 }); err != nil {
		return nil, err
	}
	v := srv.Views("U0BENCH")[0]
	payload, err := srv.ViewSubmission(v.ID, map[string][]string{"category": {"CAT1"}, "severity": {"3"},
		"overview": {"Benchmark phishing wave"}, "indicators": {"hxxp://evil-login[.]com/x 45.33.32.156"}})
	if err != nil {
		return nil, err
	}
	return g, json.Unmarshal(payload, &g.template)
}

// request is one prepared request.
type request struct {
	kind, path string
	body       []byte
	header     http.Header
}

// requests prepares n requests, alternating commands and submissions,
// signed now (the signature window is five minutes).
func (g *generator) requests(rate, n int, secret string) schedule {
	reqs := make([]request, n)
	ts := time.Now().Unix()
	for i := range reqs {
		var r request
		if i%2 == 0 {
			r = request{kind: "command", path: "/slack/commands",
				body: []byte(g.srv.SlashCommand("/drone", "U0BENCH", g.channel, "").Encode())}
		} else {
			g.next++
			view := g.template["view"].(map[string]any)
			view["id"] = fmt.Sprintf("VBENCH%07d", g.next)
			b, _ := json.Marshal(g.template)
			r = request{kind: "submission", path: "/slack/interactions",
				body: []byte(url.Values{"payload": {string(b)}}.Encode())}
		}
		r.header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"X-Slack-Request-Timestamp": {strconv.FormatInt(ts, 10)},
			"X-Slack-Signature":         {slacktest.Sign(secret, ts, r.body)}}
		reqs[i] = r
	}
	return schedule{every: time.Second / time.Duration(rate), reqs: reqs}
}

type schedule struct {
	every time.Duration
	reqs  []request
}

// results are the latencies by kind, and the failed requests.
type results struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errors map[string]int
}

func (r *results) of(kind string) ([]time.Duration, int) {
	if kind != "all" {
		return r.lat[kind], r.errors[kind]
	}
	var all []time.Duration
	n := 0
	for k, l := range r.lat {
		all = append(all, l...)
		n += r.errors[k]
	}
	return all, n
}

// load sends the schedule, open loop, and measures each request from the
// time it was due.
func load(ctx context.Context, client *http.Client, base string, s schedule) (*results, error) {
	res := &results{lat: map[string][]time.Duration{}, errors: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for i, rq := range s.reqs {
		due := start.Add(time.Duration(i) * s.every)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := send(ctx, client, base, rq)
			took := time.Since(due)
			res.mu.Lock()
			defer res.mu.Unlock()
			if !ok {
				res.errors[rq.kind]++
				return
			}
			res.lat[rq.kind] = append(res.lat[rq.kind], took)
		}()
	}
	wg.Wait()
	return res, nil
}

func send(ctx context.Context, client *http.Client, base string, rq request) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+rq.path, bytes.NewReader(rq.body))
	if err != nil {
		return false
	}
	req.Header = rq.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// pct is the p-th percentile (nearest rank) of latencies.
func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
