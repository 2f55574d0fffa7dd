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
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ttp0/drone/bench/internal/openloop"
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
	openloop.Flags
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
	fmt.Fprintf(out, "signed interactions on 127.0.0.1, open loop, %s per step; mix: list, show (20 indicators), ioc (a new IP each), incident autocomplete\n\n", c.Duration)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rate/s\tfloor p50\tfloor p99\tdrone p50\tdrone p99\tp99/floor\terrors\t")
	for _, rate := range c.Rates {
		// Warm both servers up, then measure the floor and drone in turn.
		for _, url := range []string{t.floor.URL, t.drone.URL} {
			if _, err := t.load(ctx, url, rate, c.warmup); err != nil {
				return err
			}
		}
		n := int(c.Duration.Seconds() * float64(rate))
		floor, err := t.load(ctx, t.floor.URL, rate, n)
		if err != nil {
			return err
		}
		full, err := t.load(ctx, t.drone.URL, rate, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.1f×\t%d\t\n", rate, ms(floor.P(50)), ms(floor.P(99)),
			ms(full.P(50)), ms(full.P(99)), float64(full.P(99))/float64(max(floor.P(99), 1)), floor.Errors+full.Errors)
	}
	return tw.Flush()
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("discordbench", flag.ContinueOnError)
	c.Register(fs, "request rates per second, comma-separated", "how long each rate is held, for the floor and for drone")
	fs.IntVar(&c.warmup, "warmup", 100, "requests sent before each measurement")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	return c, c.Parse(fs, args)
}

// target is drone's endpoint and the floor, each on its own listener.
type target struct {
	db           *store.DB
	ad           *discord.Adapter
	dc           *discordtest.Server
	signer       *discordtest.Signer
	place        discordtest.Place
	floor, drone *openloop.Server
	client       *http.Client
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
	if t.floor, err = openloop.Listen(floorHandler(&discord.Verifier{Key: key})); err == nil {
		t.drone, err = openloop.Listen(t.ad.Handler())
	}
	if err != nil {
		t.close()
		return nil, err
	}
	t.client = openloop.Client()
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

func (t *target) close() {
	for _, s := range []*openloop.Server{t.floor, t.drone} {
		if s != nil {
			s.Close()
		}
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

// load sends n signed interactions of the mix at rate per second to the
// interactions endpoint of base, open loop.
func (t *target) load(ctx context.Context, base string, rate, n int) (openloop.Sample, error) {
	reqs := make([]openloop.Request, n)
	now := time.Now()
	for i := range n {
		body, err := json.Marshal(t.interaction(i))
		if err != nil {
			return openloop.Sample{}, fmt.Errorf("encoding interaction %d: %w", i, err)
		}
		reqs[i] = openloop.Request{URL: base + discord.InteractionsPath, Body: body, Header: t.signer.Sign(body, now)}
	}
	res, err := openloop.Run(ctx, t.client, rate, reqs)
	if err != nil {
		return openloop.Sample{}, err
	}
	return res.All(), nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", openloop.Ms(d)) }
