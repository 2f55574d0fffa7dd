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
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ttp0/drone/bench/internal/openloop"
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
	openloop.Flags
	drone string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("slackbench", flag.ContinueOnError)
	c.Register(fs, "request rates to measure, per second", "how long each rate runs, per target")
	fs.StringVar(&c.drone, "drone", "", "the drone binary (default: go build ./cmd/bot)")
	return c, c.Parse(fs, args)
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
	floor, err := openloop.Listen(floorHandler(srv.SigningSecret()))
	if err != nil {
		return err
	}
	defer floor.Close()

	gen, err := newGenerator(ctx, srv, channel, droneURL)
	if err != nil {
		return err
	}
	client := openloop.Client()
	// Warm both up: connections, the database, the Go runtime.
	for _, base := range []string{floor.URL, droneURL} {
		if _, err := openloop.Run(ctx, client, 50, gen.requests(base, 50, srv.SigningSecret())); err != nil {
			return err
		}
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rate/s\ttarget\trequests\terrors\tp50 ms\tp99 ms\tmax ms\t")
	for _, rate := range c.Rates {
		n := int(float64(rate) * c.Duration.Seconds())
		for _, t := range []struct{ name, url string }{{"floor", floor.URL}, {"drone", droneURL}} {
			res, err := openloop.Run(ctx, client, rate, gen.requests(t.url, n, srv.SigningSecret()))
			if err != nil {
				return err
			}
			for _, row := range []struct {
				kind string
				s    openloop.Sample
			}{{"all", res.All()}, {"command", res.Of("command")}, {"submission", res.Of("submission")}} {
				fmt.Fprintf(tw, "%d\t%s %s\t%d\t%d\t%.2f\t%.2f\t%.2f\t\n", rate, t.name, row.kind, len(row.s.Lat), row.s.Errors,
					openloop.Ms(row.s.P(50)), openloop.Ms(row.s.P(99)), openloop.Ms(row.s.P(100)))
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

// floorHandler is the floor: read the body as drone does, check the
// signature, answer 200.
func floorHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
}

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

// requests prepares n requests to base, alternating commands and
// submissions, signed now (the signature window is five minutes).
func (g *generator) requests(base string, n int, secret string) []openloop.Request {
	reqs := make([]openloop.Request, n)
	ts := time.Now().Unix()
	for i := range reqs {
		var r openloop.Request
		if i%2 == 0 {
			r = openloop.Request{Kind: "command", URL: base + "/slack/commands",
				Body: []byte(g.srv.SlashCommand("/drone", "U0BENCH", g.channel, "").Encode())}
		} else {
			g.next++
			view := g.template["view"].(map[string]any)
			view["id"] = fmt.Sprintf("VBENCH%07d", g.next)
			b, _ := json.Marshal(g.template)
			r = openloop.Request{Kind: "submission", URL: base + "/slack/interactions",
				Body: []byte(url.Values{"payload": {string(b)}}.Encode())}
		}
		r.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
			"X-Slack-Request-Timestamp": {strconv.FormatInt(ts, 10)},
			"X-Slack-Signature":         {slacktest.Sign(secret, ts, r.Body)}}
		reqs[i] = r
	}
	return reqs
}
