package discord

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/store"
)

// Ids of the test guild.
var (
	testGuild     = discordtest.NewID()
	testCategory  = discordtest.NewID()
	testResponder = discordtest.NewID() // the responders' role
	testThreads   = discordtest.NewID() // the channel threads go in, in thread mode
)

// bundle is what a test of the adapter needs: a real SQLite store and
// queue, the adapter, the Discord stand-in, and a signer for HTTP mode.
type bundle struct {
	t      testing.TB
	ctx    context.Context
	db     *store.DB
	svc    *drone.Service
	ad     *Adapter
	dc     *discordtest.Server
	signer *discordtest.Signer
	url    string // the interactions endpoint, in http mode
	mode   string
	// alice is a responder; bob may only declare and add indicators.
	alice, bob discordtest.Place
}

// setup starts everything in the given mode ("http" or "gateway"). Each
// edit, a func(*Config) or a func(*Adapter), changes the configuration
// before the adapter is made, or the adapter before it starts.
func setup(t testing.TB, mode string, edit ...any) *bundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("adapter log:\n%s", logs.String())
		}
	})
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "drone.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fw := drone.DefaultFramework()
	fw.Zones = []string{"ZONE-A", "ZONE-B"}
	svc := &drone.Service{Store: db, Framework: fw, Targets: drone.DefaultTargets(), Extractor: ioc.New(ioc.Options{}),
		Roles: drone.Roles{
			{Name: "everyone", Permissions: []drone.Permission{drone.PermDeclare, drone.PermIOC}, Members: []string{"*"}},
			{Name: "responders", Permissions: []drone.Permission{drone.PermAcknowledge, drone.PermLead, drone.PermUpdate, drone.PermClose},
				Members: []string{"discord:group:" + testResponder}},
		}}
	dc := discordtest.New("test-bot-token")
	t.Cleanup(dc.Close)
	signer := discordtest.NewSigner()
	cfg := Config{BotToken: "test-bot-token", AppID: dc.AppID, PublicKey: signer.PublicKey(), GuildID: testGuild,
		Mode: mode, APIURL: dc.APIURL(), CategoryID: testCategory, ResponderRoleID: testResponder}
	for _, e := range edit {
		if f, ok := e.(func(*Config)); ok {
			f(&cfg)
		}
	}
	ad, err := New(cfg, svc, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	svc.Planners = append(svc.Planners, ad)
	for _, e := range edit {
		if f, ok := e.(func(*Adapter)); ok {
			f(ad)
		}
	}
	workers := river.NewWorkers()
	ad.Register(workers)
	q, err := db.NewQueue(workers, store.QueueConfig{PollInterval: 20 * time.Millisecond, BackoffBase: 50 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(stop)
	})
	b := &bundle{t: t, ctx: ctx, db: db, svc: svc, ad: ad, dc: dc, signer: signer, mode: mode}
	channel := discordtest.NewID()
	b.alice = discordtest.Place{AppID: dc.AppID, GuildID: testGuild, ChannelID: channel,
		Member: discordtest.Member{ID: discordtest.NewID(), Name: "alice", Roles: []string{testResponder}}}
	b.bob = discordtest.Place{AppID: dc.AppID, GuildID: testGuild, ChannelID: channel,
		Member: discordtest.Member{ID: discordtest.NewID(), Name: "bob"}}
	if mode == "http" {
		hs := httptest.NewServer(ad.Handler())
		t.Cleanup(hs.Close)
		t.Cleanup(ad.Close)
		b.url = hs.URL + InteractionsPath
		return b
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(runCtx) }()
	t.Cleanup(func() {
		stopRun()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if err := dc.WaitGateway(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

// send delivers an interaction by the bundle's transport and returns the
// first answer, checked against Discord's limits.
func (b *bundle) send(i discordtest.Interaction) discordtest.Response {
	b.t.Helper()
	var r discordtest.Response
	if b.mode == "http" {
		status, body, err := b.signer.Post(b.ctx, b.url, i)
		if err != nil || status != 200 {
			b.t.Fatalf("posting interaction: %d %s %v", status, body, err)
		}
		if r, err = discordtest.ParseResponse(body); err != nil {
			b.t.Fatal(err)
		}
	} else {
		if err := b.dc.Dispatch(i); err != nil {
			b.t.Fatal(err)
		}
		var err error
		if r, err = b.dc.WaitResponse(b.ctx, i.ID()); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := discordtest.CheckResponse(r); err != nil {
		b.t.Fatalf("Discord would refuse the answer: %v\n%+v", err, r)
	}
	return r
}

// wait waits for a call to the stand-in matching ok.
func (b *bundle) wait(what string, ok func(discordtest.Call) bool) discordtest.Call {
	b.t.Helper()
	c, err := b.dc.Wait(b.ctx, ok)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return c
}

// incident reads an incident from the store.
func (b *bundle) incident(n int64) *drone.Incident {
	b.t.Helper()
	inc, err := b.db.Incident(b.ctx, n)
	if err != nil {
		b.t.Fatal(err)
	}
	return inc
}

// waitExternal waits until the incident records an external reference.
func (b *bundle) waitExternal(n int64, key string) string {
	b.t.Helper()
	for {
		if v := b.incident(n).External[key]; v != "" {
			return v
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("INC-%d never recorded %s", n, key)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// syncBuffer is a log buffer safe for the adapter's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// must fails the test when a response is not what was expected.
func must(t *testing.T, r discordtest.Response, typ int, contains string) {
	t.Helper()
	text := r.Data.Content + r.Data.Title
	if r.Type != typ || !strings.Contains(text, contains) {
		t.Fatalf("answer type %d %q, want type %d containing %q", r.Type, text, typ, contains)
	}
}
