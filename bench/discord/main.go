// Command discordbench measures drone's Discord interactions endpoint: it
// posts signed interactions to POST /discord/interactions at fixed rates
// (open loop: each request leaves at its scheduled time, and its latency
// counts from then, so a slow server cannot hide its queue) and reports p50
// and p99 beside the floor: a bare handler that only verifies the Ed25519
// signature, measured in the same run on the same machine. Everything runs
// on 127.0.0.1 and stops by itself.
//
//	go run ./bench/discord -rates 50,200,500 -duration 5s
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ttp0/drone/bot/discord"
	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "discordbench:", err)
		os.Exit(1)
	}
}

type config struct {
	rates      []int
	duration   time.Duration
	warmup     int
	cpuProfile string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "discordbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t, err := newTarget(ctx, dir)
	if err != nil {
		return err
	}
	defer t.close()
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(out, "signed interactions on 127.0.0.1, open loop, %s per step; mix: list, show (20 indicators), ioc (a new IP each), incident autocomplete\n\n", c.duration)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rate/s\tfloor p50\tfloor p99\tdrone p50\tdrone p99\tp99/floor\terrors\t")
	for _, rate := range c.rates {
		// Warm both servers up, then measure the floor and drone in turn.
		t.load(ctx, t.floorURL, rate, c.warmup)
		t.load(ctx, t.droneURL, rate, c.warmup)
		n := int(c.duration.Seconds() * float64(rate))
		floor := t.load(ctx, t.floorURL, rate, n)
		full := t.load(ctx, t.droneURL, rate, n)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.1f×\t%d\t\n", rate, ms(floor.p(50)), ms(floor.p(99)),
			ms(full.p(50)), ms(full.p(99)), float64(full.p(99))/float64(max(floor.p(99), 1)), floor.errors+full.errors)
	}
	return tw.Flush()
}

func parseFlags(args []string) (config, error) {
	var c config
	var rates string
	fs := flag.NewFlagSet("discordbench", flag.ContinueOnError)
	fs.StringVar(&rates, "rates", "50,200,500", "request rates per second, comma-separated")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long each rate is held, for the floor and for drone")
	fs.IntVar(&c.warmup, "warmup", 100, "requests sent before each measurement")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, s := range strings.Split(rates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || r < 1 || r > 5000 {
			return c, fmt.Errorf("-rates: %q is not a rate from 1 to 5000", s)
		}
		c.rates = append(c.rates, r)
	}
	if c.duration <= 0 || c.duration > time.Minute {
		return c, errors.New("-duration must lie between 0 and 1m")
	}
	return c, nil
}

// target is drone's endpoint and the floor, each on its own listener.
type target struct {
	db                 *store.DB
	ad                 *discord.Adapter
	dc                 *discordtest.Server
	signer             *discordtest.Signer
	place              discordtest.Place
	floorURL, droneURL string
	servers            []*http.Server
	client             *http.Client
}

func newTarget(ctx context.Context, dir string) (*target, error) {
	db, err := store.Open(ctx, filepath.Join(dir, "drone.db"))
	if err != nil {
		return nil, err
	}
	t := &target{db: db, dc: discordtest.New("bench-token"), signer: discordtest.NewSigner()}
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Targets: drone.DefaultTargets(), Extractor: ioc.New(ioc.Options{})}
	t.ad, err = discord.New(discord.Config{BotToken: "bench-token", AppID: t.dc.AppID, PublicKey: t.signer.PublicKey(),
		Mode: "http", APIURL: t.dc.APIURL()}, svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.close()
		return nil, err
	}
	svc.Planners = []drone.Planner{t.ad}
	// INC-1 is shown, with twenty indicators; INC-2 takes the indicators
	// the run adds, so that showing INC-1 costs the same all along.
	local := drone.Actor{Platform: "local", ID: "bench"}
	var iocs strings.Builder
	for i := range 20 {
		fmt.Fprintf(&iocs, "203.0.113.%d evil-%d[.]com\n", i, i)
	}
	for _, text := range []string{iocs.String(), ""} {
		_, _, err = svc.Declare(ctx, local, drone.Origin{Channel: "cli"}, drone.DeclareInput{Category: "CAT1",
			SubContext: "Phishing", Severity: "high", Overview: "benchmark incident", Observables: drone.ObservableInput{Text: text}})
		if err != nil {
			t.close()
			return nil, err
		}
	}
	t.place = discordtest.Place{AppID: t.dc.AppID, GuildID: discordtest.NewID(), ChannelID: discordtest.NewID(),
		Member: discordtest.Member{ID: discordtest.NewID(), Name: "bench"}}
	key, err := discord.ParsePublicKey(t.signer.PublicKey())
	if err != nil {
		t.close()
		return nil, err
	}
	floor := floorHandler(&discord.Verifier{Key: key})
	if t.floorURL, err = t.listen(floor); err == nil {
		t.droneURL, err = t.listen(t.ad.Handler())
	}
	if err != nil {
		t.close()
		return nil, err
	}
	t.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2000, MaxIdleConns: 4000}}
	return t, nil
}

// floorHandler is the least an interactions endpoint must do: read the
// body, verify its signature, answer.
func floorHandler(v *discord.Verifier) http.Handler {
	answer := []byte(`{"type":4,"data":{"content":"ok","flags":64}}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if v.Verify(r.Header, body) != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})
}

func (t *target) listen(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	t.servers = append(t.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + discord.InteractionsPath, nil
}

func (t *target) close() {
	for _, s := range t.servers {
		s.Close()
	}
	if t.ad != nil {
		t.ad.Close()
	}
	t.dc.Close()
	t.db.Close()
}

// interaction returns the i-th interaction of the mix.
func (t *target) interaction(i int) discordtest.Interaction {
	switch i % 4 {
	case 0:
		return t.place.Command("list")
	case 1:
		return t.place.Command("show", discordtest.Option{Name: "incident", Value: "INC-1"})
	case 2:
		ip := fmt.Sprintf("198.51.%d.%d", (i/250)%250, i%250)
		return t.place.Command("ioc", discordtest.Option{Name: "text", Value: "beacon to " + ip},
			discordtest.Option{Name: "incident", Value: "INC-2"})
	}
	return t.place.Autocomplete("ack", discordtest.Option{Name: "incident", Value: "INC", Focused: true})
}

// result holds the latencies of one step.
type result struct {
	lat    []time.Duration
	errors int
}

func (r result) p(q int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, len(r.lat)*q/100)]
}

// load sends n signed interactions at rate per second to url, each at its
// scheduled time, and returns their latencies from that time.
func (t *target) load(ctx context.Context, url string, rate, n int) result {
	reqs := make([]*http.Request, n)
	bodies := make([][]byte, n)
	for i := range n {
		req, err := t.signer.Request(ctx, url, t.interaction(i))
		if err != nil {
			panic(err) // encoding a map of strings cannot fail
		}
		bodies[i], _ = io.ReadAll(req.Body)
		reqs[i] = req
	}
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := reqs[i]
			req.Body = io.NopCloser(bytes.NewReader(bodies[i]))
			resp, err := t.client.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			lat[i], failed[i] = time.Since(at), err != nil
		}()
	}
	wg.Wait()
	var r result
	for i := range n {
		if failed[i] {
			r.errors++
		}
	}
	r.lat = lat
	slices.Sort(r.lat)
	return r
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
