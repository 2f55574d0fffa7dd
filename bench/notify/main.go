// Command notifybench measures the fan-out of one incident update through
// drone's whole notification path (the operation's transaction, the River
// queue on SQLite, the delivery worker, the record of sent messages, the
// medium) to stand-ins that enforce their platform's limits, and compares
// the total time with the floor those limits impose.
//
// Each medium runs its fan-out in parallel with the others, so the floor of
// the whole is the largest medium floor:
//   - e-mail: N recipients through an SMTP relay that accepts Rate messages
//     a second, with a per-message latency: (N-1)/Rate + latency;
//   - Slack: one message in each of 100 channels, the stand-in answering 429
//     to a second post in a channel within a second (Slack's 1 message/s per
//     channel): one message per channel imposes no wait;
//   - Discord: one message in each of 50 channels, the stand-in answering
//     429 to the 51st bot request within any second (Discord's global 50
//     requests/s): 50 requests fit in one second.
//
// Each medium's own time to its last message is printed beside its floor.
//
//	go run ./bench/notify -recipients 500 -rate 100 -slack 100 -discord 50
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	dronediscord "github.com/ttp0/drone/bot/discord"
	"github.com/ttp0/drone/bot/discord/discordtest"
	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/notify"
	"github.com/ttp0/drone/notify/email"
	"github.com/ttp0/drone/notify/email/smtptest"
	"github.com/ttp0/drone/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "notifybench:", err)
		os.Exit(1)
	}
}

type options struct {
	slack       int
	discord     int
	recipients  int
	rate        float64
	latency     time.Duration
	connections int
	workers     int
	timeout     time.Duration
}

// medium is one medium of the fan-out: its stand-in, the targets it
// serves, the messages it must receive and the floor its limits impose.
type medium struct {
	name     string
	messages int
	floor    time.Duration
	target   notify.Target
	received func() int
	refused  func() int
	stop     func()
	tls      *tls.Config   // trusts the stand-in
	chat     drone.Medium  // the chat medium; nil for e-mail, which notify builds
	took     time.Duration // from the update to the medium's last message
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("notifybench", flag.ContinueOnError)
	fs.IntVar(&o.recipients, "recipients", 500, "e-mail recipients")
	fs.IntVar(&o.slack, "slack", 100, "Slack channels")
	fs.IntVar(&o.discord, "discord", 50, "Discord channels")
	fs.Float64Var(&o.rate, "rate", 100, "messages a second the SMTP relay accepts")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "the relay's time to accept a message")
	fs.IntVar(&o.connections, "connections", 8, "SMTP sessions drone keeps open")
	fs.IntVar(&o.workers, "workers", 50, "queue workers (drone's default)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mail, cfg, err := emailMedium(o)
	if err != nil {
		return err
	}
	defer mail.stop()
	media := []*medium{mail}
	for _, start := range []func(options) (*medium, error){slackMedium, discordMedium} {
		m, err := start(o)
		if err != nil {
			return err
		}
		if m != nil {
			defer m.stop()
			media = append(media, m)
		}
	}
	dir, err := os.MkdirTemp("", "notifybench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := newDrone(ctx, dir, cfg, o, media)
	if err != nil {
		return err
	}
	defer d.close()

	peak := watchHeap()
	elapsed, err := d.fanOut(ctx, media, o.timeout)
	heap := peak()
	if err != nil {
		return err
	}
	floor := time.Duration(0)
	for _, m := range media {
		floor = max(floor, m.floor)
	}
	fmt.Fprintf(out, "one incident update, fanned out through the queue (%d workers, SQLite, synchronous=FULL)\n", o.workers)
	fmt.Fprintf(out, "%-8s %9s %9s %9s %8s %8s\n", "medium", "messages", "received", "refused", "floor", "took")
	for _, m := range media {
		fmt.Fprintf(out, "%-8s %9d %9d %9d %8s %8s\n", m.name, m.messages, m.received(), m.refused(),
			m.floor.Round(time.Millisecond), m.took.Round(time.Millisecond))
	}
	fmt.Fprintf(out, "total %s, floor %s: %.3f × the floor (target ≤ 1.2)\n", elapsed.Round(time.Millisecond),
		floor.Round(time.Millisecond), elapsed.Seconds()/floor.Seconds())
	fmt.Fprintf(out, "peak Go heap in use %.1f MiB, peak RSS %s (drone and the stand-ins in one process)\n",
		float64(heap)/(1<<20), peakRSS())
	return nil
}

// emailMedium starts an SMTP relay that accepts o.rate messages a second
// (up to o.connections at once) with o.latency each, and at most o.connections+2
// sessions, over STARTTLS with AUTH, as a provider's submission service.
func emailMedium(o options) (*medium, notify.Config, error) {
	relay, err := smtptest.Start(smtptest.Options{TLS: true, Username: "drone", Password: "bench",
		MaxConns: o.connections + 2, Rate: o.rate, Burst: o.connections, Delay: o.latency})
	if err != nil {
		return nil, notify.Config{}, err
	}
	t := notify.Target{Name: "staff", Medium: drone.MediumEmail, Clearance: "RED"}
	for i := range o.recipients {
		t.To = append(t.To, fmt.Sprintf("user%03d@example.org", i))
	}
	cfg := notify.Config{Email: email.Config{Host: relay.Host(), Port: relay.Port(), From: "drone <drone@example.org>",
		Username: "drone", Password: "bench", Rate: o.rate, Connections: o.connections, Timeout: 30 * time.Second}}
	// The first message goes at once; each later one waits its turn at the
	// relay's rate; the last one then takes the relay's latency.
	floor := time.Duration(float64(o.recipients-1)/o.rate*float64(time.Second)) + o.latency
	m := &medium{name: "email", messages: o.recipients, floor: floor, target: t,
		received: func() int { return len(relay.Messages()) }, refused: relay.Refused, stop: func() { relay.Close() },
		tls: relay.ClientTLS()}
	return m, cfg, nil
}

// slackMedium starts a Slack stand-in that answers 429 to a second post in a
// channel within a second, with o.slack channels drone is in, and drone's
// Slack medium talking to it.
func slackMedium(o options) (*medium, error) {
	if o.slack <= 0 {
		return nil, nil
	}
	srv := slacktest.NewServer(slacktest.Options{PostInterval: time.Second})
	t := notify.Target{Name: "slack", Medium: drone.MediumSlack, Clearance: "RED"}
	for i := range o.slack {
		t.To = append(t.To, srv.AddChannel(fmt.Sprintf("leaders-%03d", i), slacktest.BotUserID))
	}
	h, err := droneslack.New(droneslack.Options{Service: &drone.Service{},
		Config: droneslack.Config{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL()}})
	if err != nil {
		srv.Close()
		return nil, err
	}
	received := func() int {
		n := 0
		for _, ch := range t.To {
			n += srv.MessageCount(ch)
		}
		return n
	}
	return &medium{name: "slack", messages: o.slack, target: t, received: received, refused: srv.RateLimited,
		stop: srv.Close, chat: h.Medium()}, nil
}

// discordMedium starts a Discord stand-in that enforces the global limit of
// 50 bot requests a second, with o.discord channels, and drone's Discord
// medium talking to it.
func discordMedium(o options) (*medium, error) {
	if o.discord <= 0 {
		return nil, nil
	}
	const token = "bench-bot-token"
	dc := discordtest.New(token)
	dc.SetGlobalLimit(50)
	guild := discordtest.NewID()
	t := notify.Target{Name: "discord", Medium: drone.MediumDiscord, Clearance: "RED"}
	for i := range o.discord {
		t.To = append(t.To, dc.AddChannel(guild, fmt.Sprintf("leaders-%03d", i)))
	}
	ad, err := dronediscord.New(dronediscord.Config{BotToken: token, AppID: dc.AppID, APIURL: dc.APIURL()}, &drone.Service{}, nil)
	if err != nil {
		dc.Close()
		return nil, err
	}
	received := func() int {
		n := 0
		for _, c := range dc.CallsTo("POST /channels/{channel}/messages") {
			if c.Status == 200 {
				n++
			}
		}
		return n
	}
	// 50 requests fit in Discord's second; the floor is the stand-in's
	// answer, which is not counted.
	return &medium{name: "discord", messages: o.discord, target: t, received: received, refused: dc.GlobalLimited,
		stop: dc.Close, chat: ad.Medium()}, nil
}

// bench is drone as drone serve runs it: the store, the service with the
// notifier as its planner, and the queue.
type bench struct {
	db  *store.DB
	svc *drone.Service
	n   *notify.Notifier
	q   *store.Queue
	inc *drone.Incident
}

func newDrone(ctx context.Context, dir string, cfg notify.Config, o options, media []*medium) (*bench, error) {
	db, err := store.Open(ctx, filepath.Join(dir, "drone.db"))
	if err != nil {
		return nil, err
	}
	b := &bench{db: db}
	var names []string
	var chat []drone.Medium
	for _, m := range media {
		cfg.Targets = append(cfg.Targets, m.target)
		names = append(names, m.target.Name)
		if m.chat != nil {
			chat = append(chat, m.chat)
		}
	}
	cfg.Rules = []notify.Rule{{Name: "updates", Events: []string{notify.EventUpdate, notify.EventContained}, Targets: names}}
	b.svc = &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(), Targets: drone.DefaultTargets()}
	if b.n, err = notify.New(ctx, notify.Options{Config: cfg, Service: b.svc, Org: "Bench Org", SOC: "SOC",
		Media: chat, EmailTLS: media[0].tls, Log: slog.New(slog.DiscardHandler)}); err != nil {
		return nil, err
	}
	b.svc.Planners = []drone.Planner{b.n}
	actor := drone.Actor{Platform: "local", ID: "bench"}
	if b.inc, _, err = b.svc.Declare(ctx, actor, drone.Origin{Channel: "cli"}, drone.DeclareInput{Category: "CAT1",
		Severity: "high", TLP: "amber", Overview: "Credential phishing wave",
		Observables: drone.ObservableInput{Text: "203.0.113.7 hxxps://login-examp1e[.]com/o365"}}); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	b.n.Register(workers)
	if b.q, err = db.NewQueue(workers, store.QueueConfig{Workers: o.workers}, nil, store.LanesOf(b.n.Lanes())...); err != nil {
		return nil, err
	}
	return b, b.q.Start(ctx)
}

func (b *bench) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.q.Stop(ctx)
	b.n.Close()
	b.db.Close()
}

// fanOut posts the update and waits until every medium received its
// messages; it returns the time from the operation to the last message.
func (b *bench) fanOut(ctx context.Context, media []*medium, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	if _, err := b.svc.PostUpdate(ctx, drone.Actor{Platform: "local", ID: "bench"}, drone.Origin{Channel: "cli"}, b.inc.Number,
		drone.UpdateInput{Status: drone.StatusContained, Summary: "Proxy blocks the phishing domain; passwords reset."}); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(timeout)
	for {
		done := true
		for _, m := range media {
			if m.took == 0 && m.received() >= m.messages {
				m.took = time.Since(start)
			}
			done = done && m.took > 0
		}
		if done {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range media {
				got = append(got, fmt.Sprintf("%s %d/%d (%d refused)", m.name, m.received(), m.messages, m.refused()))
			}
			jobs, _ := b.db.Jobs(ctx, 5, "retryable", "discarded", "cancelled")
			return 0, fmt.Errorf("the fan-out did not finish in %s: %s; jobs %+v", timeout, strings.Join(got, ", "), jobs)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// watchHeap samples the Go heap in use until the returned function is
// called, which returns the peak.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak.Load()
	}
}

// peakRSS reads the process's peak resident set (VmHWM) on Linux.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
